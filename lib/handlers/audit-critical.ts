/**
 * audit-critical: MSK event source → audit sink, effectively once. The event source mapping
 * delivers at least once (redelivery after a crash, timeout or reported failure); each record is
 * deduplicated by its ef-event-id (lib/consume/dedupe.ts), so a redelivered event is audited once.
 *
 * Per-record outcomes: a record that fails is reported in batchItemFailures as
 * { partition: "<topic>-<partition>", offset } and Lambda resumes that partition from there.
 * Later records of the same partition are therefore not attempted in this invocation (they come
 * again anyway, in order); other partitions carry on. Records not started before the deadline
 * are handed back the same way instead of letting the invocation time out.
 */
import type { Context, MSKEvent } from 'aws-lambda';
import type { ConsumerConfig, DedupeConfig } from '../platform/config';
import { createMemoryDedupeStore, processOnce, type DedupeStore } from '../consume/dedupe';
import { recordAges } from '../consume/metrics';
import type { ConsumedRecord } from '../consume/types';
import { errorMessage } from '../platform/errors';
import { createDynamoDedupeStore } from '../adapters/dedupe/dynamo-store';
import { HEADER } from '../domain/record';
import { decodeMskEvent, itemIdentifier, topicOfPartitionKey, type KafkaBatchResponse, type MskRecord } from '../sources/msk';
import type { LineSink, Telemetry } from '../platform/telemetry';
import { deadlineFor } from '../platform/deadline';
import { telemetryFor, type HandlerIo } from './runtime';
import { eventShape, refuseEvent, type EventShape } from './event-shapes';

const SERVED: readonly EventShape[] = ['msk', 'self-managed-kafka'];

/** Where audited events go. The default writes one JSON line per event to the function's log. */
export interface AuditSink {
  write(record: ConsumedRecord): Promise<void>;
}

export type AuditHandler = (event: MSKEvent, context?: Context) => Promise<KafkaBatchResponse>;

export interface AuditDeps {
  config: Readonly<ConsumerConfig>;
  telemetry: Telemetry;
  dedupe: DedupeStore;
  sink: AuditSink;
}

const stdout: LineSink = (line) => process.stdout.write(line + '\n');

/** One `{"audit": {...}}` line per event, whatever LOG_LEVEL says: the audit trail is not a debug log. */
export function logAuditSink(sink: LineSink = stdout): AuditSink {
  return {
    async write(r) {
      sink(
        JSON.stringify({
          audit: {
            eventId: r.headers[HEADER.eventId] ?? null,
            topic: r.topic,
            partition: r.partition,
            offset: r.offset,
            timestamp: r.timestamp,
            tenant: r.headers[HEADER.tenant] ?? null,
            source: r.headers[HEADER.source] ?? null,
            key: r.key?.toString('utf8') ?? null,
            value: r.value?.toString('utf8') ?? null,
          },
        }),
      );
    },
  };
}

function dedupeStore(cfg: DedupeConfig, region: string | undefined): DedupeStore {
  if (cfg.store === 'memory') return createMemoryDedupeStore({ ttlMs: cfg.ttlSeconds * 1000 });
  return createDynamoDedupeStore({
    tableName: cfg.tableName!,
    scope: cfg.scope,
    ttlSeconds: cfg.ttlSeconds,
    ...(cfg.endpoint && { endpoint: cfg.endpoint }),
    ...(region && { region }),
  });
}

/** The config must have been loaded with its dedupe section (loadConsumerConfig(env, { dedupe: true })). */
export function auditDeps(config: Readonly<ConsumerConfig>, io: HandlerIo = {}): AuditDeps {
  if (!config.dedupe) throw new Error('audit-critical needs the dedupe configuration: loadConsumerConfig(env, { dedupe: true })');
  return { config, telemetry: telemetryFor(config, io), dedupe: dedupeStore(config.dedupe, config.region), sink: logAuditSink(io.lineSink) };
}

export function auditHandler(deps: AuditDeps): AuditHandler {
  const { config, telemetry, dedupe, sink } = deps;
  const log = telemetry.log;

  return async (event: MSKEvent, context?: Context): Promise<KafkaBatchResponse> => {
    telemetry.startInvocation(context?.awsRequestId);
    const started = Date.now();
    const deadline = deadlineFor(context, config.sendMarginMs);
    const leaseMs = config.dedupe?.leaseMs ?? deadline - started + config.sendMarginMs + 5_000;
    const counts = new Map<string, { received: number; audited: number; duplicates: number; failed: number; deferred: number; undecodable: number }>();
    const count = (topic: string) => {
      let c = counts.get(topic);
      if (!c) counts.set(topic, (c = { received: 0, audited: 0, duplicates: 0, failed: 0, deferred: 0, undecodable: 0 }));
      return c;
    };
    const shape = eventShape(event);
    if (!SERVED.includes(shape)) refuseEvent(telemetry, config.functionName, shape, SERVED);
    // Records the envelope lists but that cannot be read are rejects below; a records map that
    // cannot be read at all throws here and the whole batch is retried.
    const decoded = decodeMskEvent(event);
    for (const r of decoded.rejects) {
      // The same bytes would fail the same way on a retry: logged and counted (alarm on it), not retried.
      log.error('undecodable record skipped', { partition: r.partitionKey, offset: r.offset, reason: r.reason });
      count(topicOfPartitionKey(r.partitionKey)).undecodable++;
    }

    const byPartition = new Map<string, MskRecord[]>();
    for (const r of decoded.records) {
      count(r.topic).received++;
      const list = byPartition.get(r.partitionKey);
      if (list) list.push(r);
      else byPartition.set(r.partitionKey, [r]);
    }

    const failures: KafkaBatchResponse['batchItemFailures'] = [];
    await Promise.all(
      [...byPartition.values()].map(async (list) => {
        list.sort((a, b) => a.offset - b.offset);
        for (let i = 0; i < list.length; i++) {
          const r = list[i]!;
          const c = count(r.topic);
          const stop = (why: 'failed' | 'deadline', error?: string) => {
            failures.push({ itemIdentifier: itemIdentifier(r) });
            c.deferred += list.length - i - (why === 'failed' ? 1 : 0);
            if (why === 'failed') c.failed++;
            log.warn(why === 'failed' ? 'audit failed; partition resumes here' : 'out of time; partition resumes here', {
              partition: r.partitionKey,
              offset: r.offset,
              eventId: r.headers[HEADER.eventId],
              ...(error && { error }),
            });
          };
          if (Date.now() >= deadline) return stop('deadline');
          const id = r.headers[HEADER.eventId];
          try {
            if (!id) log.warn('record without ef-event-id audited without deduplication', { partition: r.partitionKey, offset: r.offset });
            const outcome = id ? await processOnce(id, dedupe, leaseMs, () => sink.write(r)) : await sink.write(r).then(() => 'processed' as const);
            if (outcome === 'duplicate') c.duplicates++;
            else c.audited++;
          } catch (err) {
            return stop('failed', errorMessage(err));
          }
        }
      }),
    );

    const now = Date.now();
    for (const [Topic, c] of counts) {
      const ages = recordAges(decoded.records.filter((r) => r.topic === Topic), now);
      telemetry.emit(
        {
          dimensions: { FunctionName: config.functionName, Topic },
          metrics: {
            Received: { value: c.received, unit: 'Count' },
            Audited: { value: c.audited, unit: 'Count' },
            Duplicates: { value: c.duplicates, unit: 'Count' },
            Failed: { value: c.failed, unit: 'Count' },
            Deferred: { value: c.deferred, unit: 'Count' },
            Undecodable: { value: c.undecodable, unit: 'Count' },
            ...(ages && { NewestRecordAgeMs: { value: ages.newestMs, unit: 'Milliseconds' }, OldestRecordAgeMs: { value: ages.oldestMs, unit: 'Milliseconds' } }),
          },
        },
        now,
      );
    }
    return { batchItemFailures: failures };
  };
}
