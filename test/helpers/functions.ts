/**
 * The functions under test, built from an env the way functions/*.ts build them from
 * process.env: `handler` is what Lambda would call, `deps` what the container holds (close it).
 */
import { authorizerDeps, authorizerHandler } from '../../lib/handlers/authorizer';
import { criticalDeps, criticalHandler, type CriticalDeps } from '../../lib/handlers/ingest-critical';
import { ingestDeps, ingestHandler } from '../../lib/handlers/ingest';
import { relayDeps, relayHandler } from '../../lib/handlers/outbox-relay';
import type { HandlerIo } from '../../lib/handlers/runtime';
import { loadAuthorizerConfig, loadConfig } from '../../lib/platform/config';
import type { Env } from '../../lib/platform/env';
import { quiet } from './stack';

export function logsFunction(env: Env, io: HandlerIo = quiet) {
  const deps = ingestDeps(loadConfig(env), 'ingest-logs', io);
  return { handler: ingestHandler(deps), deps };
}

export function heartbeatsFunction(env: Env, io: HandlerIo = quiet) {
  const deps = ingestDeps(loadConfig(env), 'ingest-heartbeats', io);
  return { handler: ingestHandler(deps), deps };
}

/** `instrument` replaces parts (the store, the producer) with wrapped ones, e.g. to crash at a point. */
export function criticalFunction(env: Env, io: HandlerIo = quiet, instrument: (deps: CriticalDeps) => Partial<CriticalDeps> = () => ({})) {
  const deps = criticalDeps(loadConfig(env), io);
  return { handler: criticalHandler({ ...deps, ...instrument(deps) }), deps };
}

export function relayFunction(env: Env, io: HandlerIo = quiet) {
  const deps = relayDeps(loadConfig(env), io);
  return { handler: relayHandler(deps), deps };
}

export function authorizerFunction(env: Env, io: HandlerIo = quiet) {
  return authorizerHandler(authorizerDeps(loadAuthorizerConfig(env), io));
}
