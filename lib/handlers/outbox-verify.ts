/**
 * outbox-verify (scheduled, hourly): checks that the critical events delivered in the last
 * OUTBOX_VERIFY_WINDOW_MINUTES (default 65: the hour since the previous run, plus slack for
 * schedule jitter) are in Kafka at the offsets the broker acknowledged (lib/outbox/audit.ts).
 *
 * Metrics, tier critical: AuditChecked, AuditMissing (alarmed above 0), AuditIncomplete. Missing
 * ids are logged. An incomplete read (out of time, records removed) or a failure throws after the
 * metrics are written: the function's Errors alarm fires instead of a quiet "0 missing".
 */
import type { Context } from 'aws-lambda';
import { loadConfig, type Config } from '../platform/config';
import type { ConsumerAdmin } from '../consume/types';
import { EnvReader, type Env } from '../platform/env';
import { ConfigError } from '../platform/errors';
import { KafkaConsumerClient } from '../adapters/kafka/consumer-admin';
import { rangeReader, verifyOutboxWindow, type AuditProgress, type AuditReport } from '../outbox/audit';
import type { OutboxStore } from '../outbox/store';
import { telemetryFor } from './runtime';
import { InvocationMetrics, type LineSink, type Logger } from '../platform/telemetry';
import { dynamoOutboxFor } from './ingest-critical';
import { deadlineFor } from '../platform/deadline';

/** Tests replace the store or the Kafka reader with fakes. */
export interface VerifyOverrides {
  lineSink?: LineSink;
  store?: (real: OutboxStore) => OutboxStore;
  consumers?: (real: KafkaConsumerClient) => Pick<ConsumerAdmin, 'readRanges' | 'disconnect'>;
}

/** The outbox table and the Kafka reader of one environment: shared by the function and `npm run outbox -- verify`. */
export interface OutboxVerifier {
  config: Readonly<Config>;
  store: OutboxStore;
  /** Audits the tombstones delivered in [from, to), reading Kafka until `deadline` (epoch ms). */
  verify(opts: { from: number; to: number; deadline: number; onProgress?: (p: AuditProgress) => void }): Promise<AuditReport>;
  /** Drops the Kafka admin connection (reconnected on the next verify). */
  close(): Promise<void>;
}

export function createOutboxVerifier(env: Env = process.env, overrides: VerifyOverrides = {}, log?: Logger): OutboxVerifier {
  const config = loadConfig(env);
  return verifierFor(config, overrides, log ?? telemetryFor(config).log);
}

function verifierFor(config: Readonly<Config>, overrides: VerifyOverrides, log: Logger): OutboxVerifier {
  const realStore = dynamoOutboxFor(config);
  const store = overrides.store ? overrides.store(realStore) : realStore;
  const realConsumers = new KafkaConsumerClient(config.kafka, log);
  const consumers = overrides.consumers ? overrides.consumers(realConsumers) : realConsumers;
  return {
    config,
    store,
    verify: ({ from, to, deadline, onProgress }) => verifyOutboxWindow(store, rangeReader(consumers, deadline), { from, to, ...(onProgress && { onProgress }) }),
    close: () => consumers.disconnect(),
  };
}

export interface VerifyHandler {
  (event?: unknown, context?: Context): Promise<AuditReport>;
  verifier: OutboxVerifier;
  windowMs: number;
}

/** Left at the end of the invocation for leaving and deleting the read's throwaway group, and for the metrics. */
const END_MARGIN_MS = 10_000;
/** Missing ids per log line: a CloudWatch Logs event holds 256 KB, 500 ids about 20 KB. */
const IDS_PER_LINE = 500;

export class AuditIncompleteError extends Error {
  override name = 'AuditIncompleteError';
}

export function createOutboxVerifyHandler(env: Env = process.env, overrides: VerifyOverrides = {}): VerifyHandler {
  const e = new EnvReader(env);
  const windowMinutes = e.int('OUTBOX_VERIFY_WINDOW_MINUTES', 65, 1, 7 * 24 * 60);
  if (e.problems.length) throw new ConfigError(e.problems);
  const config = loadConfig(env);
  const telemetry = telemetryFor(config, overrides.lineSink);
  const log = telemetry.log;
  const verifier = verifierFor(config, overrides, log);
  const windowMs = windowMinutes * 60_000;

  const handler = (async (_event?: unknown, context?: Context) => {
    const metrics = new InvocationMetrics();
    const to = Date.now();
    try {
      const report = await verifier.verify({ from: to - windowMs, to, deadline: deadlineFor(context, END_MARGIN_MS) });
      metrics.gauge('critical', 'auditChecked', report.checked);
      metrics.gauge('critical', 'auditMissing', report.missing.length);
      metrics.gauge('critical', 'auditIncomplete', report.complete ? 0 : 1);
      for (let i = 0; i < report.missing.length; i += IDS_PER_LINE) {
        log.error('critical events acknowledged by the broker are not in Kafka', { missing: report.missing.length, ids: report.missing.slice(i, i + IDS_PER_LINE) });
      }
      const { missing, ...counts } = report;
      log.info('outbox verify', { ...counts, missing: missing.length, windowMinutes });
      if (!report.complete) {
        throw new AuditIncompleteError(
          `outbox verify: the read of the critical topic was incomplete (out of time, or records removed); ` +
            `${report.unread} of ${report.checked} entries not checked, ${missing.length} missing among the rest`,
        );
      }
      return report;
    } catch (err) {
      // Failing before a report (DynamoDB, Kafka) is as unverified as a read that timed out.
      if (!(err instanceof AuditIncompleteError)) metrics.gauge('critical', 'auditIncomplete', 1);
      throw err;
    } finally {
      telemetry.flush(metrics);
      await verifier.close().catch(() => undefined);
    }
  }) as VerifyHandler;
  handler.verifier = verifier;
  handler.windowMs = windowMs;
  return handler;
}
