/**
 * The critical path with DynamoDB Local and acks=all: per-invocation latency and events/s of
 * criticalHandler (persist → send acks=all → tombstone), and the relay's drain rate for
 * a backlog of pending entries (relayHandler run until nothing is pending).
 */
import { randomBytes } from 'node:crypto';
import { criticalDeps, criticalHandler } from '../../lib/handlers/ingest-critical';
import { relayDeps, relayHandler } from '../../lib/handlers/outbox-relay';
import { loadConfig } from '../../lib/platform/config';
import { ensureOutboxTable } from '../../lib/adapters/outbox/ensure-table';
import { lambdaContext } from '../../test/helpers/events';
import { invokeRepeatedly } from './fire-and-forget';
import { body, postEvent } from './payloads';
import { dropTable, seedPending } from './seed';
import { endOffset, type BenchStack } from './stack';
import { nowMs, progress, round, sleep, summarize, type LatencySummary } from './stats';

const noLines = { lineSink: () => undefined };

export interface CriticalResult {
  batch: number;
  invocations: number;
  events: number;
  seconds: number;
  eventsPerSec: number;
  latencyMs: LatencySummary;
  /** Acknowledged by the broker in the invocation (the rest is persisted for the relay). */
  forwarded: number;
  persisted: number;
  retry: number;
}

export async function newTable(stack: BenchStack, label: string): Promise<string> {
  const tableName = `bench-${label}-${Date.now().toString(36)}-${randomBytes(2).toString('hex')}`;
  await ensureOutboxTable({ endpoint: stack.dynamo.endpoint, tableName });
  return tableName;
}

export async function runCritical(stack: BenchStack, opts: { quick: boolean; table: string }): Promise<CriticalResult[]> {
  const deps = criticalDeps(loadConfig(stack.env({ OUTBOX_TABLE: opts.table, DYNAMODB_ENDPOINT: stack.dynamo.endpoint })), noLines);
  const handler = criticalHandler(deps);
  const results: CriticalResult[] = [];
  try {
    let seed = 1000;
    for (const batch of [10, 100]) {
      // Fresh event ids for every invocation: a repeated id is (correctly) not sent twice.
      const run = await invokeRepeatedly(handler, () => postEvent('event', body('event', batch, 200, seed++), false), {
        minSeconds: opts.quick ? 1 : 3,
        minInvocations: opts.quick ? 10 : 50,
        maxSeconds: opts.quick ? 15 : 60,
        warmup: opts.quick ? 3 : 5,
      });
      if (run.firstFailure) throw new Error(`critical ${batch}-event batches: the handler did not accept them: ${run.firstFailure}`);
      const events = run.samplesMs.length * batch;
      const r: CriticalResult = {
        batch,
        invocations: run.samplesMs.length,
        events,
        seconds: round(run.totalMs / 1000, 3),
        eventsPerSec: round(events / (run.totalMs / 1000)),
        latencyMs: summarize(run.samplesMs),
        forwarded: run.counts.forwarded ?? 0,
        persisted: run.counts.persisted ?? 0,
        retry: run.counts.retry ?? 0,
      };
      progress(`  critical ${batch}-event batches: p50 ${r.latencyMs.p50} ms, p99 ${r.latencyMs.p99} ms, ${r.eventsPerSec} events/s (${r.forwarded} forwarded, ${r.persisted} persisted, ${r.retry} retry)`);
      results.push(r);
    }
  } finally {
    await deps.close();
  }
  return results;
}

export interface RelayResult {
  backlog: number;
  seedSeconds: number;
  seedPerSec: number;
  drainSeconds: number;
  eventsPerSec: number;
  relayInvocations: number;
  delivered: number;
  /** Records the critical topic grew by during the drain. */
  arrived: number;
  batchSize: number;
}

export async function runRelay(stack: BenchStack, opts: { backlog: number }): Promise<RelayResult> {
  const table = await newTable(stack, 'relay');
  const topic = stack.topic('critical');
  progress(`  seeding ${opts.backlog.toLocaleString('en-US')} pending entries (BatchWriteItem, encodePending items)`);
  const seeded = await seedPending({
    endpoint: stack.dynamo.endpoint,
    tableName: table,
    topic,
    count: opts.backlog,
    onProgress: (n) => progress(`    ${n.toLocaleString('en-US')} seeded`),
  });
  progress(`  seeded in ${seeded.seconds.toFixed(1)} s; draining with relayHandler`);
  const env = stack.env({ OUTBOX_TABLE: table, DYNAMODB_ENDPOINT: stack.dynamo.endpoint });
  const deps = relayDeps(loadConfig(env), noLines);
  const relay = relayHandler(deps);
  const before = endOffset(stack, topic);
  let invocations = 0;
  let delivered = 0;
  const t0 = nowMs();
  try {
    for (;;) {
      // Lambda's longest timeout: one invocation drains as much as it can, like a catch-up run.
      const run = await relay(undefined, lambdaContext({ remainingMs: 900_000, functionName: 'edge-forwarder-bench-outbox-relay' }));
      invocations++;
      delivered += run.delivered;
      if (run.stats.pending === 0) break;
      if (nowMs() - t0 > 600_000) throw new Error(`relay drain: ${run.stats.pending} still pending after 10 minutes (last error: ${run.lastError})`);
      if (run.stoppedBecause === 'send-failed') await sleep(1000);
    }
  } finally {
    await deps.close();
  }
  const drainSeconds = (nowMs() - t0) / 1000;
  const arrived = endOffset(stack, topic) - before;
  await dropTable(stack.dynamo.endpoint, table).catch(() => undefined);
  const result: RelayResult = {
    backlog: opts.backlog,
    seedSeconds: round(seeded.seconds, 2),
    seedPerSec: round(opts.backlog / seeded.seconds),
    drainSeconds: round(drainSeconds, 2),
    eventsPerSec: round(opts.backlog / drainSeconds),
    relayInvocations: invocations,
    delivered,
    arrived,
    batchSize: deps.config.outbox?.relayBatchSize ?? 0,
  };
  progress(`  relay drained ${opts.backlog.toLocaleString('en-US')} in ${result.drainSeconds} s: ${result.eventsPerSec.toLocaleString('en-US')} events/s (${arrived.toLocaleString('en-US')} arrived)`);
  return result;
}
