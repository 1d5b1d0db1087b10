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
import { requireOutbox, type Config } from '../platform/config';
import type { ConsumerAdmin } from '../consume/types';
import { KafkaConsumerClient } from '../adapters/kafka/consumer-admin';
import { rangeReader, verifyOutboxWindow, type AuditProgress, type AuditReport } from '../outbox/audit';
import type { OutboxStore } from '../outbox/store';
import { invoke } from '../platform/invocation';
import type { Logger, Telemetry } from '../platform/telemetry';
import { dynamoOutboxFor } from './ingest-critical';
import { telemetryFor, type HandlerIo } from './runtime';
import { eventShape, refuseEvent, type EventShape } from './event-shapes';

/** Its hourly EventBridge schedule, or a direct invocation. */
const SERVED: readonly EventShape[] = ['scheduled', 'direct'];

/** The outbox table and the Kafka reader of one environment: shared by the function and `npm run outbox -- verify`. */
export interface VerifyDeps {
  config: Readonly<Config>;
  telemetry: Telemetry;
  store: OutboxStore;
  consumers: Pick<ConsumerAdmin, 'readRanges' | 'disconnect'>;
}

export function verifyDeps(config: Readonly<Config>, io: HandlerIo & { log?: Logger } = {}): VerifyDeps {
  requireOutbox(config);
  const telemetry = telemetryFor(config, io);
  return { config, telemetry, store: dynamoOutboxFor(config), consumers: new KafkaConsumerClient(config.kafka, io.log ?? telemetry.log) };
}

/** Audits the tombstones delivered in [from, to), reading Kafka until `deadline` (epoch ms). */
export function verifyWindow(
  deps: Pick<VerifyDeps, 'store' | 'consumers'>,
  opts: { from: number; to: number; deadline: number; onProgress?: (p: AuditProgress) => void },
): Promise<AuditReport> {
  const { from, to, deadline, onProgress } = opts;
  return verifyOutboxWindow(deps.store, rangeReader(deps.consumers, deadline), { from, to, ...(onProgress && { onProgress }) });
}

export type VerifyHandler = (event?: unknown, context?: Context) => Promise<AuditReport>;

/** Left at the end of the invocation for leaving and deleting the read's throwaway group, and for the metrics. */
const END_MARGIN_MS = 10_000;
/** Missing ids per log line: a CloudWatch Logs event holds 256 KB, 500 ids about 20 KB. */
const IDS_PER_LINE = 500;

export class AuditIncompleteError extends Error {
  override name = 'AuditIncompleteError';
}

export function verifyHandler(deps: VerifyDeps): VerifyHandler {
  const { telemetry, consumers } = deps;
  const log = telemetry.log;
  const windowMinutes = requireOutbox(deps.config).verifyWindowMinutes;
  const windowMs = windowMinutes * 60_000;

  return (event, context) =>
    invoke(telemetry, context, END_MARGIN_MS, async ({ deadline, metrics }) => {
      const shape = eventShape(event);
      if (!SERVED.includes(shape)) refuseEvent(telemetry, deps.config.functionName, shape, SERVED);
      const to = Date.now();
      try {
        const report = await verifyWindow(deps, { from: to - windowMs, to, deadline });
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
        await consumers.disconnect().catch(() => undefined);
      }
    });
}
