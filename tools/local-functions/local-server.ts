/**
 * What npm start serves on its HTTP port, without the stack under it: the real handlers behind
 * the HTTP bridge, the relay on its timer, the live metrics read from the functions' EMF lines,
 * and the dashboard (with its loss estimate and last rejects). tools/start.ts and the dashboard
 * test build it the same way.
 */
import { KafkaConsumerClient } from '../../lib/adapters/kafka/consumer-admin';
import { INGEST_ROUTES } from '../../lib/domain/routes';
import { TIERS } from '../../lib/domain/tiers';
import type { Config } from '../../lib/platform/config';
import type { Env } from '../../lib/platform/env';
import { errorMessage } from '../../lib/platform/errors';
import type { LineSink, Logger } from '../../lib/platform/telemetry';
import { Dashboard } from './dashboard';
import { FUNCTION_NAMES, HOME_TIER, createLocalFunctions, startRelayLoop } from './functions';
import { createHttpBridge } from './http-bridge';
import { LossWatch } from './loss-watch';
import { LiveMetrics } from './metrics';
import { RecentRejects } from './recent-rejects';

export interface LocalServerOptions {
  /** Every function's environment; `config` is what it loads to. */
  env: Env;
  config: Readonly<Config>;
  relayIntervalMs: number;
  /** Where the functions' lines go besides the live metrics (npm start: its log file). */
  lineSink: LineSink;
  log: Logger;
  health: () => Record<string, unknown>;
  /** The dashboard's loss estimate: how far back, and how often it reads the tier topics. */
  loss?: { windowMs: number; intervalMs: number };
}

/** A step to undo on exit; started in this order, so undone in reverse. */
export interface CleanupStep {
  label?: string;
  run: () => unknown;
}

export function createLocalServer(opts: LocalServerOptions) {
  const cleanups: CleanupStep[] = [];
  const metrics = new LiveMetrics(HOME_TIER, FUNCTION_NAMES.relay);
  const fns = createLocalFunctions(opts.env, (line) => {
    opts.lineSink(line);
    metrics.ingest(line);
  });
  cleanups.push({ label: 'disconnecting Kafka producers and closing the outbox stores', run: () => fns.close() });

  const relay = startRelayLoop(fns.relay, { intervalMs: opts.relayIntervalMs, timeoutMs: 30_000, log: opts.log, onRun: (at, err) => metrics.relayRun(at, err) });
  cleanups.push({ label: 'stopping the relay (letting a run in progress finish)', run: () => relay.stop() });

  const { windowMs, intervalMs } = opts.loss ?? { windowMs: 5 * 60_000, intervalMs: 10_000 };
  const reader = new KafkaConsumerClient({ ...opts.config.kafka, clientId: `${opts.config.kafka.clientId}-local-dashboard` }, opts.log);
  const loss = new LossWatch({ reader, topics: TIERS.map((t) => opts.config.topics[t]), windowMs, intervalMs });
  loss.start();
  cleanups.push({
    label: 'stopping the dashboard loss estimate (letting a read in progress finish)',
    run: async () => {
      await loss.stop();
      await reader.disconnect();
    },
  });

  const rejects = new RecentRejects();
  const dashboard = new Dashboard({ rejects, loss });
  cleanups.push({ run: () => dashboard.stop() });

  const bridge = createHttpBridge({
    routes: {
      [INGEST_ROUTES['ingest-logs'].path]: { functionName: FUNCTION_NAMES.logs, handler: fns.logs },
      [INGEST_ROUTES['ingest-heartbeats'].path]: { functionName: FUNCTION_NAMES.heartbeats, handler: fns.heartbeats },
      [INGEST_ROUTES['ingest-critical'].path]: { functionName: FUNCTION_NAMES.critical, handler: fns.critical },
    },
    health: opts.health,
    timeoutMs: 10_000,
    onError: (route, err) => opts.log.error('handler failed', { route, error: errorMessage(err) }),
    pages: (path, host) => dashboard.page(path, host),
    onResult: (route, result) => rejects.record(route, result),
  });
  return { server: bridge.server, http: bridge.stats, metrics, dashboard, cleanups };
}
