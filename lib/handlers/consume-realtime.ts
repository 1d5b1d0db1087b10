/**
 * consume-realtime: MSK event source → heartbeats per game server → CloudWatch EMF metrics.
 * At-most-once by design: the handler never fails the batch (a failure would make Lambda retry
 * it and count it twice). Only a crash or timeout makes the event source mapping redeliver;
 * set its MaximumRetryAttempts to 0 (provisioned mode) to rule that out too.
 */
import type { Context, MSKEvent } from 'aws-lambda';
import { loadConsumerConfig } from '../consume/config';
import { aggregateHeartbeats } from '../consume/heartbeats';
import { emfLine, recordAges } from '../consume/metrics';
import type { Env } from '../platform/env';
import { errorMessage } from '../platform/errors';
import { decodeMskEvent, topicOfPartitionKey as topicOf } from '../sources/msk';
import { createLogger, type LineSink } from '../platform/telemetry';

export interface MskConsumerOverrides {
  lineSink?: LineSink;
}

export interface RealtimeHandler {
  (event: MSKEvent, context?: Context): Promise<void>;
}

const stdout: LineSink = (line) => process.stdout.write(line + '\n');

export function createRealtimeConsumer(env: Env = process.env, overrides: MskConsumerOverrides = {}): RealtimeHandler {
  const config = loadConsumerConfig(env);
  const sink = overrides.lineSink ?? stdout;
  const log = createLogger({ level: config.logLevel, base: { fn: config.functionName }, sink });
  const FunctionName = config.functionName;

  return async (event: MSKEvent) => {
    try {
      const now = Date.now();
      const { records, rejects } = decodeMskEvent(event);
      for (const r of rejects) log.warn('undecodable record skipped', { partition: r.partitionKey, offset: r.offset, reason: r.reason });
      const topics = new Set([...records.map((r) => r.topic), ...rejects.map((r) => topicOf(r.partitionKey))]);
      for (const Topic of topics) {
        const mine = records.filter((r) => r.topic === Topic);
        const ages = recordAges(mine, now);
        sink(
          emfLine(config.metricsNamespace, {
            dimensions: { FunctionName, Topic },
            metrics: {
              Records: { value: mine.length, unit: 'Count' },
              Undecodable: { value: rejects.filter((r) => topicOf(r.partitionKey) === Topic).length, unit: 'Count' },
              Servers: { value: aggregateHeartbeats(mine).length, unit: 'Count' },
              ...(ages && { NewestRecordAgeMs: { value: ages.newestMs, unit: 'Milliseconds' }, OldestRecordAgeMs: { value: ages.oldestMs, unit: 'Milliseconds' } }),
            },
          }, now),
        );
      }
      for (const s of aggregateHeartbeats(records)) {
        const metrics = { Heartbeats: { value: s.heartbeats, unit: 'Count' as const }, LastSeenAgeMs: { value: Math.max(0, now - s.lastSeen), unit: 'Milliseconds' as const } };
        // SERVER_METRICS=off: the same values as plain log fields (Logs Insights), no custom metric per server.
        sink(
          config.serverMetrics
            ? emfLine(config.metricsNamespace, { dimensions: { FunctionName, ServerId: s.serverId }, metrics, properties: { lastSeen: s.lastSeen } }, now)
            : emfLine(config.metricsNamespace, { dimensions: {}, metrics: {}, properties: { FunctionName, ServerId: s.serverId, Heartbeats: s.heartbeats, LastSeenAgeMs: metrics.LastSeenAgeMs.value, lastSeen: s.lastSeen } }, now),
        );
      }
    } catch (err) {
      log.error('heartbeat batch not aggregated (dropped, never retried)', { error: errorMessage(err) });
    }
  };
}
