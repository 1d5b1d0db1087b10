/** Ingress authentication settings; part of Config, and all the Lambda authorizer reads. */
import { ConfigError } from '../platform/errors';
import type { EnvReader } from '../platform/env';
import { parseTenantsSource, type TenantsSource } from './tenant-source';

export const AUTH_MODES = ['required', 'none'] as const;
export type AuthMode = (typeof AUTH_MODES)[number];

/**
 * Secure by default where it matters: inside Lambda, and wherever a tenant source is configured,
 * the default is `required` (a deployed function without TENANTS_SOURCE fails its cold start
 * instead of running open). Only a local process with no tenant source (a unit test, a bench)
 * defaults to `none`; AUTH_MODE=none is otherwise always an explicit choice.
 */
export function defaultAuthMode(inLambda: boolean, hasTenantsSource: boolean): AuthMode {
  return inLambda || hasTenantsSource ? 'required' : 'none';
}

export interface AuthConfig {
  /** required: every HTTP request is authenticated (see defaultAuthMode). none: trusted network / tests only. */
  mode: AuthMode;
  tenantsSource?: TenantsSource;
  tenantsTtlMs: number;
  replayWindowMs: number;
  replayCacheMax: number;
  region?: string;
}

export function readAuthConfig(e: EnvReader, region: string | undefined): AuthConfig {
  const raw = e.string('TENANTS_SOURCE');
  const tenantsSource = raw === undefined ? undefined : parseTenantsSource(raw, e.problems);
  // Set by the Lambda runtime itself (tests and npm start only set AWS_LAMBDA_FUNCTION_NAME).
  const inLambda = e.string('AWS_EXECUTION_ENV')?.startsWith('AWS_Lambda') ?? false;
  // The committed dev tenants file has public keys: a file source is for local runs only.
  if (tenantsSource?.kind === 'file' && inLambda) {
    e.problems.push('TENANTS_SOURCE=file:... is for local runs; in Lambda use ssm:/<path> or secretsmanager:<secret>');
  }
  return {
    mode: e.oneOf('AUTH_MODE', AUTH_MODES, defaultAuthMode(inLambda, raw !== undefined)),
    ...(tenantsSource && { tenantsSource }),
    tenantsTtlMs: e.int('TENANTS_CACHE_TTL_SECONDS', 300, 0, 86_400) * 1000,
    replayWindowMs: e.int('AUTH_REPLAY_WINDOW_SECONDS', 300, 1, 3_600) * 1000,
    replayCacheMax: e.int('AUTH_REPLAY_CACHE_MAX', 100_000, 100, 10_000_000),
    ...(region && { region }),
  };
}

/** For the functions that authenticate requests: required mode needs somewhere to find tenants. */
export function requireTenantsSource(auth: AuthConfig): TenantsSource | undefined {
  if (auth.mode === 'required' && !auth.tenantsSource) {
    throw new ConfigError([
      'AUTH_MODE=required (the default in Lambda) needs TENANTS_SOURCE (file:<path>, ssm:/<path> or secretsmanager:<secret>); ' +
        'set AUTH_MODE=none only behind a trusted network',
    ]);
  }
  return auth.tenantsSource;
}
