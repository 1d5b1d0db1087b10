/**
 * The real Lambda handlers, built in-process the way functions/*.ts build them, with their
 * telemetry lines (JSON logs + EMF) sent to a log file and to the live view instead of stdout.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Context } from 'aws-lambda';
import { loadConfig } from '../../lib/platform/config';
import type { Env } from '../../lib/platform/env';
import { errorMessage } from '../../lib/platform/errors';
import { criticalDeps, criticalHandler } from '../../lib/handlers/ingest-critical';
import { ingestDeps, ingestHandler, type IngestHandler } from '../../lib/handlers/ingest';
import { relayDeps, relayHandler, type RelayHandler } from '../../lib/handlers/outbox-relay';
import type { Tier } from '../../lib/domain/tiers';
import type { LineSink, Logger } from '../../lib/platform/telemetry';

export const FUNCTION_NAMES = {
  logs: 'edge-forwarder-local-ingest-logs',
  heartbeats: 'edge-forwarder-local-ingest-heartbeats',
  critical: 'edge-forwarder-local-ingest-critical',
  relay: 'edge-forwarder-local-outbox-relay',
} as const;

/** Which tier a function's decode-time rejects (EMF Tier "unrouted") belong to in the view. */
export const HOME_TIER: Readonly<Record<string, Tier>> = {
  [FUNCTION_NAMES.logs]: 'logs',
  [FUNCTION_NAMES.heartbeats]: 'realtime',
  [FUNCTION_NAMES.critical]: 'critical',
};

export interface LocalFunctions {
  logs: IngestHandler;
  heartbeats: IngestHandler;
  critical: IngestHandler;
  relay: RelayHandler;
  /** Disconnects every producer and closes both outbox stores' DynamoDB clients. */
  close(): Promise<void>;
}

export function createLocalFunctions(env: Env, lineSink: LineSink): LocalFunctions {
  const configFor = (name: string) => loadConfig({ ...env, AWS_LAMBDA_FUNCTION_NAME: name });
  const io = { lineSink };
  const logs = ingestDeps(configFor(FUNCTION_NAMES.logs), 'ingest-logs', io);
  const heartbeats = ingestDeps(configFor(FUNCTION_NAMES.heartbeats), 'ingest-heartbeats', io);
  const critical = criticalDeps(configFor(FUNCTION_NAMES.critical), io);
  const relay = relayDeps(configFor(FUNCTION_NAMES.relay), io);

  return {
    logs: ingestHandler(logs),
    heartbeats: ingestHandler(heartbeats),
    critical: criticalHandler(critical),
    relay: relayHandler(relay),
    async close() {
      await Promise.all([logs, heartbeats, critical, relay].map((deps) => deps.close()));
    },
  };
}

/** A Lambda-like context whose remaining time counts down from `timeoutMs`. */
export function lambdaContext(functionName: string, requestId: string, timeoutMs: number): Context {
  const started = Date.now();
  const region = 'local';
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${region}:000000000000:function:${functionName}`,
    memoryLimitInMB: '512',
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, timeoutMs - (Date.now() - started)),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/**
 * Runs the relay every `intervalMs` (like its EventBridge schedule), never overlapping itself:
 * the next run is scheduled only when the previous one finished.
 */
export function startRelayLoop(
  relay: RelayHandler,
  opts: { intervalMs: number; timeoutMs: number; log: Logger; onRun: (at: number, error?: string) => void },
) {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;
  let n = 0;
  const tick = () => {
    running = relay(undefined, lambdaContext(FUNCTION_NAMES.relay, `relay-${++n}`, opts.timeoutMs)).then(
      () => opts.onRun(Date.now()),
      (err: unknown) => {
        opts.log.error('relay run failed', { error: errorMessage(err) });
        opts.onRun(Date.now(), errorMessage(err));
      },
    );
    void running.then(() => {
      if (!stopped) timer = setTimeout(tick, opts.intervalMs);
    });
  };
  timer = setTimeout(tick, Math.min(opts.intervalMs, 1_000));
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}

/**
 * Appends lines to `file` (truncated at start); rolls over to `file.1` past `maxBytes`, so a
 * session that runs for days does not fill the disk.
 */
export function openLogFile(file: string, maxBytes = 50 * 1024 * 1024) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  let stream = fs.createWriteStream(file, { flags: 'w' });
  let written = 0;
  const sink: LineSink = (line) => {
    if (written > maxBytes) {
      stream.end();
      fs.renameSync(file, `${file}.1`);
      stream = fs.createWriteStream(file, { flags: 'w' });
      written = 0;
    }
    written += Buffer.byteLength(line) + 1;
    stream.write(`${line}\n`);
  };
  const close = () => new Promise<void>((resolve) => stream.end(resolve));
  return { file, sink, close };
}
