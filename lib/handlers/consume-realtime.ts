/**
 * consume-realtime: MSK event source → heartbeats per game server → CloudWatch EMF metrics.
 * At-most-once by design: the handler never fails the batch (a failure would make Lambda retry
 * it and count it twice). Only a crash or timeout makes the event source mapping redeliver;
 * set its MaximumRetryAttempts to 0 (provisioned mode) to rule that out too.
 */
import type { Context, MSKEvent } from 'aws-lambda';
import type { ConsumerConfig } from '../platform/config';
import { aggregateHeartbeats, serversWithMetrics } from '../consume/heartbeats';
import { recordAges } from '../consume/metrics';
import { errorMessage } from '../platform/errors';
import { decodeMskEvent, topicOfPartitionKey as topicOf } from '../sources/msk';
import type { Telemetry } from '../platform/telemetry';
import { telemetryFor, type HandlerIo } from './runtime';
import { eventShape, refuseEvent, type EventShape } from './event-shapes';

const SERVED: readonly EventShape[] = ['msk', 'self-managed-kafka'];

export type RealtimeHandler = (event: MSKEvent, context?: Context) => Promise<void>;

export interface RealtimeDeps {
  config: Readonly<ConsumerConfig>;
  telemetry: Telemetry;
}

export function realtimeDeps(config: Readonly<ConsumerConfig>, io: HandlerIo = {}): RealtimeDeps {
  return { config, telemetry: telemetryFor(config, io) };
}

export function realtimeHandler({ config, telemetry }: RealtimeDeps): RealtimeHandler {
  const FunctionName = config.functionName;
  const log = telemetry.log;

  return async (event, context) => {
    telemetry.startInvocation(context?.awsRequestId);
    // Another kind of event is a wiring mistake, not a heartbeat batch: refused, not swallowed.
    const shape = eventShape(event);
    if (!SERVED.includes(shape)) refuseEvent(telemetry, FunctionName, shape, SERVED);
    try {
      const now = Date.now();
      const { records, rejects } = decodeMskEvent(event);
      for (const r of rejects) log.warn('undecodable record skipped', { partition: r.partitionKey, offset: r.offset, reason: r.reason });
      const topics = new Set([...records.map((r) => r.topic), ...rejects.map((r) => topicOf(r.partitionKey))]);
      for (const Topic of topics) {
        const mine = records.filter((r) => r.topic === Topic);
        const ages = recordAges(mine, now);
        telemetry.emit(
          {
            dimensions: { FunctionName, Topic },
            metrics: {
              Records: { value: mine.length, unit: 'Count' },
              Undecodable: { value: rejects.filter((r) => topicOf(r.partitionKey) === Topic).length, unit: 'Count' },
              Servers: { value: aggregateHeartbeats(mine).length, unit: 'Count' },
              ...(ages && { NewestRecordAgeMs: { value: ages.newestMs, unit: 'Milliseconds' }, OldestRecordAgeMs: { value: ages.oldestMs, unit: 'Milliseconds' } }),
            },
          },
          now,
        );
      }
      const servers = aggregateHeartbeats(records);
      const withMetric = serversWithMetrics(servers, { max: config.serverMetricsMax, ...(config.serverMetricsPattern && { pattern: config.serverMetricsPattern }) });
      for (const s of servers) {
        const metrics = { Heartbeats: { value: s.heartbeats, unit: 'Count' as const }, LastSeenAgeMs: { value: Math.max(0, now - s.lastSeen), unit: 'Milliseconds' as const } };
        // Servers without a metric of their own: the same values as plain log fields (Logs Insights).
        telemetry.emit(
          withMetric.has(s.serverId)
            ? { dimensions: { FunctionName, ServerId: s.serverId }, metrics, properties: { lastSeen: s.lastSeen } }
            : { dimensions: {}, metrics: {}, properties: { FunctionName, ServerId: s.serverId, Heartbeats: s.heartbeats, LastSeenAgeMs: metrics.LastSeenAgeMs.value, lastSeen: s.lastSeen } },
          now,
        );
      }
    } catch (err) {
      log.error('heartbeat batch not aggregated (dropped, never retried)', { error: errorMessage(err) });
    }
  };
}
