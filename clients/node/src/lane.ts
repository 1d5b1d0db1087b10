import type { EventDeliveryError } from './errors';
import type { Route } from './routes';

export interface EventReceipt {
  id: string;
  status: 'forwarded' | 'persisted';
}

/** A submitted record until it is settled (sent, rejected or dropped). */
export interface HeldRecord {
  /** Submission order, for flush(). */
  seq: number;
  /** The NDJSON line without its LF: encoded once, so a retry resends the same bytes. */
  line: Buffer;
  /** Events only. */
  id?: string;
  /** Sends so far. */
  attempts: number;
  /** Events only: settles the promise event() returned. */
  delivery?: { resolve(r: EventReceipt): void; reject(e: EventDeliveryError): void };
}

/** One route's batch in the making, and how many of its requests are in flight. */
export class Lane {
  readonly pending: HeldRecord[] = [];
  pendingBytes = 0;
  inFlight = 0;
  lingerTimer: NodeJS.Timeout | undefined;

  constructor(readonly route: Route) {}

  push(r: HeldRecord): void {
    this.pending.push(r);
    this.pendingBytes += r.line.length + 1;
  }

  /** Retries go ahead of new records: they are older. */
  pushFront(records: readonly HeldRecord[]): void {
    this.pending.unshift(...records);
    for (const r of records) this.pendingBytes += r.line.length + 1;
  }

  /** The next batch: up to maxBytes of body (at least one record, however large) and maxRecords records. */
  takeBatch(maxBytes: number, maxRecords: number): HeldRecord[] {
    let n = 0;
    let bytes = 0;
    while (n < this.pending.length && n < maxRecords) {
      const size = this.pending[n]!.line.length + 1;
      if (n > 0 && bytes + size > maxBytes) break;
      bytes += size;
      n++;
    }
    this.pendingBytes -= bytes;
    return this.pending.splice(0, n);
  }

  takeAll(): HeldRecord[] {
    this.pendingBytes = 0;
    return this.pending.splice(0);
  }

  takeOldest(): HeldRecord | undefined {
    const r = this.pending.shift();
    if (r) this.pendingBytes -= r.line.length + 1;
    return r;
  }

  stopLinger(): void {
    clearTimeout(this.lingerTimer);
    this.lingerTimer = undefined;
  }
}
