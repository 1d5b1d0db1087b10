/**
 * Fire-and-forget throughput and handler latency through the real handler code path
 * (ingestHandler: API Gateway v2 event → decode → route → acks=0 produce → socket drained),
 * one invocation at a time as a Lambda container runs them, against the bench broker.
 *
 * Two production scenarios: heartbeats (plain NDJSON body → realtime tier, uncompressed) and logs
 * (gzip body → logs tier, gzip). Every invocation is timed, so the same runs give records/s and
 * p50 / p99 / max per invocation.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { ingestDeps, ingestHandler, type IngestBase, type IngestHandler } from '../../lib/handlers/ingest';
import { loadConfig } from '../../lib/platform/config';
import { lambdaContext } from '../../test/helpers/events';
import { body, postEvent, responseCounts, wireBytes, type LineKind } from './payloads';
import { settledOffset, type BenchStack } from './stack';
import { mb, nowMs, progress, round, summarize, type LatencySummary } from './stats';

export type FfHandlers = Record<'heartbeat' | 'log', IngestHandler> & { deps: IngestBase[] };

/** The two fire-and-forget functions, built once and reused across invocations (module scope in Lambda). */
export function createFfHandlers(stack: BenchStack): FfHandlers {
  const noLines = { lineSink: () => undefined };
  const heartbeat = ingestDeps(loadConfig(stack.env()), 'ingest-heartbeats', noLines);
  const log = ingestDeps(loadConfig(stack.env()), 'ingest-logs', noLines);
  return { heartbeat: ingestHandler(heartbeat), log: ingestHandler(log), deps: [heartbeat, log] };
}

export async function closeFfHandlers(handlers: FfHandlers): Promise<void> {
  await Promise.all(handlers.deps.map((d) => d.close()));
}

export interface RepeatOptions {
  /** Run at least this long... */
  minSeconds: number;
  /** ...and at least this many timed invocations... */
  minInvocations: number;
  /** ...but stop after this long whatever the count. */
  maxSeconds: number;
  warmup: number;
}

export interface InvokeRun {
  samplesMs: number[];
  totalMs: number;
  /** Summed response counters (forwarded, dropped, rejected...). */
  counts: Record<string, number>;
  statusCodes: Record<number, number>;
  /** The first response that was not a 200, to say why. */
  firstFailure?: string;
}

/** Invokes `handler(event)` repeatedly (after a warm-up), timing each invocation. */
export async function invokeRepeatedly(handler: IngestHandler, event: () => APIGatewayProxyEventV2, opts: RepeatOptions): Promise<InvokeRun> {
  for (let i = 0; i < opts.warmup; i++) await handler(event(), lambdaContext());
  const run: InvokeRun = { samplesMs: [], totalMs: 0, counts: {}, statusCodes: {} };
  const started = nowMs();
  for (;;) {
    const elapsed = nowMs() - started;
    const enough = elapsed >= opts.minSeconds * 1000 && run.samplesMs.length >= opts.minInvocations;
    if (enough || elapsed >= opts.maxSeconds * 1000) break;
    const ev = event();
    const ctx = lambdaContext({ remainingMs: 30_000 });
    const t0 = nowMs();
    const res = (await handler(ev, ctx)) as APIGatewayProxyStructuredResultV2;
    run.samplesMs.push(nowMs() - t0);
    run.statusCodes[res.statusCode ?? 0] = (run.statusCodes[res.statusCode ?? 0] ?? 0) + 1;
    if (res.statusCode !== 200) run.firstFailure ??= `HTTP ${res.statusCode}: ${(res.body ?? '').slice(0, 300)}`;
    for (const [k, v] of Object.entries(responseCounts(res.body))) run.counts[k] = (run.counts[k] ?? 0) + v;
  }
  run.totalMs = nowMs() - started;
  return run;
}

export interface FfResult {
  scenario: string;
  kind: LineKind;
  /** HTTP body encoding. */
  encoding: 'plain' | 'gzip';
  /** Kafka compression of the tier the records land in. */
  kafkaCompression: 'none' | 'gzip';
  batch: number;
  lineBytes: number;
  /** Decoded NDJSON body bytes per invocation. */
  bodyBytes: number;
  /** Body bytes as received (gzip-compressed for gzip). */
  wireBytes: number;
  invocations: number;
  records: number;
  seconds: number;
  recordsPerSec: number;
  /** Decoded body MB/s. */
  mbPerSec: number;
  usPerRecord: number;
  latencyMs: LatencySummary;
  forwarded: number;
  dropped: number;
  rejected: number;
  /** Records the broker's end offsets grew by during the timed invocations (acks=0 loss shows here). */
  arrived: number;
}

export interface FfScenario {
  kind: 'heartbeat' | 'log';
  gzip: boolean;
  batch: number;
  lineBytes: number;
}

/** One scenario: a fixed request (same body every time, fresh ids per record) invoked repeatedly. */
export async function runFfScenario(stack: BenchStack, handlers: FfHandlers, s: FfScenario, opts: RepeatOptions): Promise<FfResult> {
  const text = body(s.kind, s.batch, s.lineBytes);
  const event = postEvent(s.kind, text, s.gzip);
  const name = `${s.kind === 'heartbeat' ? 'heartbeats' : 'logs'} ${s.gzip ? 'gzip' : 'plain'} ${s.batch}×${s.lineBytes} B`;
  const topic = stack.topic(s.kind === 'heartbeat' ? 'realtime' : 'logs');
  const handler = handlers[s.kind];
  // Warm-up outside the offset window, then count only what the timed invocations produced.
  await invokeRepeatedly(handler, () => event, { minSeconds: 0, minInvocations: 0, maxSeconds: 0, warmup: opts.warmup });
  const before = await settledOffset(stack, topic, -1);
  const run = await invokeRepeatedly(handler, () => event, { ...opts, warmup: 0 });
  if (run.firstFailure) throw new Error(`${name}: the handler did not accept the batch: ${run.firstFailure}`);
  const records = run.samplesMs.length * s.batch;
  const arrived = (await settledOffset(stack, topic, before + records)) - before;
  const seconds = run.totalMs / 1000;
  const bodyBytes = Buffer.byteLength(text);
  const result: FfResult = {
    scenario: name,
    kind: s.kind,
    encoding: s.gzip ? 'gzip' : 'plain',
    kafkaCompression: s.kind === 'log' ? 'gzip' : 'none',
    batch: s.batch,
    lineBytes: s.lineBytes,
    bodyBytes,
    wireBytes: wireBytes(event),
    invocations: run.samplesMs.length,
    records,
    seconds: round(seconds, 3),
    recordsPerSec: round(records / seconds),
    mbPerSec: round(mb(bodyBytes * run.samplesMs.length) / seconds, 2),
    usPerRecord: round((run.totalMs * 1000) / records, 2),
    latencyMs: summarize(run.samplesMs),
    forwarded: run.counts.forwarded ?? 0,
    dropped: run.counts.dropped ?? 0,
    rejected: run.counts.rejected ?? 0,
    arrived,
  };
  const lost = records - arrived;
  progress(
    `  ${name}: ${result.recordsPerSec.toLocaleString('en-US')} rec/s, p50 ${result.latencyMs.p50} ms, p99 ${result.latencyMs.p99} ms ` +
      `(${result.invocations} invocations${result.dropped ? `, ${result.dropped} DROPPED` : ''}${lost > 0 ? `, ${lost} not on the broker` : ''})`,
  );
  return result;
}

export const FF_BATCHES = [100, 1_000, 10_000] as const;
export const FF_LINE_BYTES = 200;

/**
 * The production scenarios, heartbeats with plain bodies and logs with gzip bodies, at 100 /
 * 1,000 / 10,000 lines of ~200 bytes (throughput and latency); plus the other body encoding of
 * each at 1,000 / 10,000 (latency only), which separates the cost of gunzipping the request from
 * the cost of the tier's Kafka compression.
 */
export async function runFireAndForget(stack: BenchStack, handlers: FfHandlers, opts: { quick: boolean }): Promise<FfResult[]> {
  const scenarios: FfScenario[] = [];
  for (const kind of ['heartbeat', 'log'] as const) {
    for (const batch of FF_BATCHES) scenarios.push({ kind, gzip: kind === 'log', batch, lineBytes: FF_LINE_BYTES });
  }
  for (const kind of ['heartbeat', 'log'] as const) {
    for (const batch of FF_BATCHES.filter((b) => b >= 1_000)) scenarios.push({ kind, gzip: kind !== 'log', batch, lineBytes: FF_LINE_BYTES });
  }
  const results: FfResult[] = [];
  for (const s of scenarios) {
    results.push(
      await runFfScenario(stack, handlers, s, {
        minSeconds: opts.quick ? 1 : 4,
        // 50 timed invocations for the latency figures of 1k and 10k batches
        minInvocations: opts.quick ? 10 : s.batch >= 1_000 ? 50 : 20,
        maxSeconds: opts.quick ? 10 : 40,
        warmup: opts.quick ? 3 : 5,
      }),
    );
  }
  return results;
}

/** The production pairing: heartbeats come plain, logs gzip-encoded. */
export const isMainScenario = (r: Pick<FfResult, 'kind' | 'encoding'>) => (r.kind === 'log') === (r.encoding === 'gzip');
