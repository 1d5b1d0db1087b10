/**
 * The client: per-route batches (linger + size bound), one bounded hold for all routes, and
 * per-record settlement from the server's answer. Nothing here blocks the caller: log(),
 * heartbeat() and event() only encode and enqueue; sending happens on the event loop.
 */
import { retryDelayMs } from './backoff';
import { encodeBody } from './body';
import { EventDeliveryError, type EventFailure } from './errors';
import { Lane, type EventReceipt, type HeldRecord } from './lane';
import { resolveOptions, type ClientOptions, type Rejection, type ResolvedOptions } from './options';
import { recordOutcomes, type Exchange, type RecordOutcome } from './outcomes';
import { encodeEvent, encodeHeartbeat, encodeLog } from './records';
import { ROUTE_NAMES, ROUTES, type RouteName } from './routes';
import { Settlement } from './settlement';
import { hmacHeaders, signingClock } from './signing';
import { addCounters, copyCounters, emptyCounters, type ClientStats, type Counters, type DropCounts } from './stats';
import { httpTransport, type Transport } from './transport';
import { USER_AGENT } from './version';

export interface FlushResult {
  /** Every record submitted before the call is settled (sent, rejected or dropped). */
  complete: boolean;
  /** Records submitted before the call and still held when it returned (after close(): dropped as `closed`). */
  unsettled: number;
}

export interface EdgeForwarderClient {
  /** A log line (string) or object, at most once. false: dropped at once (queue full or closed). */
  log(record: string | object): boolean;
  /** A heartbeat object, at most once. false: dropped at once (queue full or closed). */
  heartbeat(record: object): boolean;
  /** A critical event, at least once. Resolves when the server took it; rejects with an EventDeliveryError. Safe to ignore. */
  event(record: object): Promise<EventReceipt>;
  /** Sends what is waiting now and waits until every record submitted before the call is settled (or `timeoutMs`). */
  flush(opts?: { timeoutMs?: number }): Promise<FlushResult>;
  /** Refuses new records, flushes for up to `timeoutMs` (default 10 000), drops what is left, closes connections. */
  close(opts?: { timeoutMs?: number }): Promise<FlushResult>;
  stats(): ClientStats;
}

export function createClient(options: ClientOptions): EdgeForwarderClient {
  return new Client(resolveOptions(options));
}

const EVENT_FAILURE: Readonly<Record<keyof DropCounts, EventFailure>> = {
  queueFull: 'queue_full',
  gaveUp: 'gave_up',
  closed: 'closed',
  // Best-effort causes; an event never ends with them.
  sendFailed: 'gave_up',
  server: 'gave_up',
};

class Client implements EdgeForwarderClient {
  private readonly lanes = Object.fromEntries(ROUTE_NAMES.map((n) => [n, new Lane(ROUTES[n])])) as Record<RouteName, Lane>;
  private readonly counters = Object.fromEntries(ROUTE_NAMES.map((n) => [n, emptyCounters()])) as Record<RouteName, Counters>;
  private readonly settlement = new Settlement();
  /** Critical records waiting out their backoff, by their timer. */
  private readonly retrying = new Map<NodeJS.Timeout, { lane: Lane; records: HeldRecord[] }>();
  private readonly transport: Transport;
  private readonly timestamp = signingClock();
  private closing = false;
  /** close() stopped waiting: whatever is still held ends as dropped `closed`. */
  private abandoned = false;
  private closed: Promise<FlushResult> | undefined;

  constructor(private readonly opts: ResolvedOptions) {
    this.transport = httpTransport(opts.base, { timeoutMs: opts.requestTimeoutMs, maxSockets: opts.maxInFlight * ROUTE_NAMES.length });
  }

  log(record: string | object): boolean {
    return this.submitBestEffort('logs', encodeLog(record));
  }

  heartbeat(record: object): boolean {
    return this.submitBestEffort('heartbeats', encodeHeartbeat(record));
  }

  event(record: object): Promise<EventReceipt> {
    const { id, line } = encodeEvent(record);
    this.counters.events.submitted++;
    const refuse = (cause: 'closed' | 'queueFull', reason: string) => {
      this.countDrop('events', cause);
      return handled(Promise.reject<EventReceipt>(new EventDeliveryError(EVENT_FAILURE[cause], id, reason)));
    };
    if (this.closing) return refuse('closed', 'the client is closed');
    // Refusing beats blocking: the caller's frame loop never waits for the network.
    if (this.isFull() && !this.displaceBestEffort()) return refuse('queueFull', `${this.opts.maxQueue} records held (maxQueue)`);
    const delivered = new Promise<EventReceipt>((resolve, reject) => {
      this.hold(this.lanes.events, { seq: this.settlement.open(), line, id, attempts: 0, delivery: { resolve, reject } });
    });
    return handled(delivered);
  }

  async flush(opts: { timeoutMs?: number } = {}): Promise<FlushResult> {
    const mark = this.settlement.mark();
    for (const lane of Object.values(this.lanes)) this.dispatch(lane);
    const wait = this.settlement.whenSettled(mark);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      if (opts.timeoutMs !== undefined) timer = setTimeout(resolve, Math.max(0, opts.timeoutMs));
    });
    await Promise.race([wait.done, timeout]);
    clearTimeout(timer);
    wait.cancel();
    const unsettled = this.settlement.countBefore(mark);
    return { complete: unsettled === 0, unsettled };
  }

  close(opts: { timeoutMs?: number } = {}): Promise<FlushResult> {
    this.closed ??= this.shutDown(opts.timeoutMs ?? 10_000);
    return this.closed;
  }

  stats(): ClientStats {
    const routes = Object.fromEntries(ROUTE_NAMES.map((n) => [n, copyCounters(this.counters[n])])) as Record<RouteName, Counters>;
    const total = emptyCounters();
    for (const n of ROUTE_NAMES) addCounters(total, routes[n]);
    return { ...total, queued: this.settlement.size, routes };
  }

  private submitBestEffort(route: RouteName, line: Buffer): boolean {
    this.counters[route].submitted++;
    if (this.closing) return this.countDrop(route, 'closed'), false;
    if (this.isFull()) return this.countDrop(route, 'queueFull'), false;
    this.hold(this.lanes[route], { seq: this.settlement.open(), line, attempts: 0 });
    return true;
  }

  private isFull(): boolean {
    return this.settlement.size >= this.opts.maxQueue;
  }

  /** A critical event takes the place of the oldest waiting best-effort record of the fuller lane. */
  private displaceBestEffort(): boolean {
    const { logs, heartbeats } = this.lanes;
    const lane = logs.pending.length >= heartbeats.pending.length ? logs : heartbeats;
    const victim = lane.takeOldest();
    if (victim) this.drop(lane, victim, 'queueFull', 'displaced by a critical event (queue full)');
    return victim !== undefined;
  }

  private hold(lane: Lane, r: HeldRecord): void {
    lane.push(r);
    if (lane.pendingBytes >= this.opts.maxBatchBytes || lane.pending.length >= this.opts.maxBatchRecords) this.dispatch(lane);
    else lane.lingerTimer ??= setTimeout(() => this.dispatch(lane), this.opts.lingerMs);
  }

  /** Sends batches while the lane has records and a free request slot; a finished request calls it again. */
  private dispatch(lane: Lane): void {
    lane.stopLinger();
    if (this.abandoned) return;
    while (lane.pending.length > 0 && lane.inFlight < this.opts.maxInFlight) {
      void this.send(lane, lane.takeBatch(this.opts.maxBatchBytes, this.opts.maxBatchRecords));
    }
  }

  private async send(lane: Lane, batch: HeldRecord[]): Promise<void> {
    lane.inFlight++;
    this.counters[lane.route.name].requests++;
    for (const r of batch) r.attempts++;
    const exchange = await this.exchange(lane, batch);
    lane.inFlight--;
    const outcomes = recordOutcomes(exchange, batch.length, lane.route.critical);
    const httpStatus = exchange.ok ? exchange.answer.status : 0;
    const retries = batch.filter((r, i) => this.settleOutcome(lane, r, outcomes[i]!, httpStatus));
    this.scheduleRetries(lane, retries);
    if (lane.pending.length > 0) this.dispatch(lane);
  }

  private async exchange(lane: Lane, batch: readonly HeldRecord[]): Promise<Exchange> {
    try {
      const { body, gzipped } = await encodeBody(
        batch.map((r) => r.line),
        this.opts.gzipAboveBytes,
      );
      const path = this.opts.basePath + lane.route.path;
      const headers = {
        'content-type': 'application/x-ndjson',
        'user-agent': USER_AGENT,
        ...(gzipped && { 'content-encoding': 'gzip' }),
        ...this.authHeaders(path, body),
      };
      return { ok: true, answer: await this.transport.post(path, headers, body) };
    } catch (err) {
      return { ok: false, error: err instanceof Error ? err.message : String(err) };
    }
  }

  private authHeaders(path: string, body: Buffer): Record<string, string> {
    const { auth } = this.opts;
    if ('apiKey' in auth) return { authorization: `Bearer ${auth.apiKey}` };
    // Signed per attempt: a retry has a new timestamp, so the server's replay check never refuses it.
    return hmacHeaders(auth.hmac, this.timestamp(), 'POST', path, body);
  }

  /** Settles the record, or returns true when it is to be sent again. */
  private settleOutcome(lane: Lane, r: HeldRecord, outcome: RecordOutcome, httpStatus: number): boolean {
    const c = this.counters[lane.route.name];
    if (outcome.kind === 'sent') {
      c.sent++;
      this.settlement.settle(r.seq);
      if (r.id !== undefined) r.delivery?.resolve({ id: r.id, status: outcome.status });
      return false;
    }
    if (outcome.kind === 'rejected') {
      c.rejected++;
      this.settlement.settle(r.seq);
      this.notifyRejected({
        route: lane.route.name,
        ...(r.id !== undefined && { id: r.id }),
        record: r.line.toString('utf8'),
        reason: outcome.reason,
        ...(outcome.code !== undefined && { code: outcome.code }),
        httpStatus,
      });
      r.delivery?.reject(new EventDeliveryError('rejected', r.id ?? '', outcome.reason));
      return false;
    }
    if (this.abandoned) this.drop(lane, r, 'closed', `the client closed; last: ${outcome.reason}`);
    else if (outcome.kind === 'dropped') this.drop(lane, r, outcome.cause, outcome.reason);
    else if (r.attempts >= this.opts.retry.maxAttempts) this.drop(lane, r, 'gaveUp', `${r.attempts} sends; last: ${outcome.reason}`);
    else return (c.retried++, true);
    return false;
  }

  /** One timer per attempt count: records that failed together come back together. */
  private scheduleRetries(lane: Lane, records: readonly HeldRecord[]): void {
    const groups = new Map<number, HeldRecord[]>();
    for (const r of records) groups.set(r.attempts, [...(groups.get(r.attempts) ?? []), r]);
    for (const [attempts, group] of groups) {
      const timer = setTimeout(() => {
        this.retrying.delete(timer);
        lane.pushFront(group);
        this.dispatch(lane);
      }, retryDelayMs(attempts, this.opts.retry));
      this.retrying.set(timer, { lane, records: group });
    }
  }

  private drop(lane: Lane, r: HeldRecord, cause: keyof DropCounts, reason: string): void {
    this.countDrop(lane.route.name, cause);
    this.settlement.settle(r.seq);
    r.delivery?.reject(new EventDeliveryError(EVENT_FAILURE[cause], r.id ?? '', reason));
  }

  private countDrop(route: RouteName, cause: keyof DropCounts): void {
    const c = this.counters[route];
    c.dropped++;
    c.droppedBy[cause]++;
  }

  private notifyRejected(rejection: Rejection): void {
    try {
      this.opts.onRejected(rejection);
    } catch (err) {
      // The caller's callback must not stop the settlement of the records after it.
      process.emitWarning(`edge-forwarder client: onRejected threw: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  private async shutDown(timeoutMs: number): Promise<FlushResult> {
    this.closing = true;
    const result = await this.flush({ timeoutMs });
    if (!result.complete) this.abandon();
    await this.settlement.whenSettled(this.settlement.mark()).done;
    this.transport.destroy();
    return result;
  }

  /** Drops everything still held; requests in flight are aborted and their records end as `closed`. */
  private abandon(): void {
    this.abandoned = true;
    for (const lane of Object.values(this.lanes)) {
      lane.stopLinger();
      for (const r of lane.takeAll()) this.drop(lane, r, 'closed', 'the client closed before it was sent');
    }
    for (const [timer, { lane, records }] of this.retrying) {
      clearTimeout(timer);
      for (const r of records) this.drop(lane, r, 'closed', 'the client closed while it waited to retry');
    }
    this.retrying.clear();
    this.transport.destroy();
  }
}

/** Marks the promise handled, so a caller that ignores event()'s result never gets an unhandled rejection. */
function handled<T>(p: Promise<T>): Promise<T> {
  p.catch(() => undefined);
  return p;
}
