/**
 * Where tenant configuration (and secrets) come from, cached with a TTL:
 *   file:<path>                  a local JSON document (npm start, tests)
 *   ssm:<path prefix>            SSM Parameter Store, one SecureString JSON tenant per parameter
 *   secretsmanager:<secret id>   one Secrets Manager secret holding {"tenants": [...]}
 * The loaders for each kind live in lib/adapters/aws/tenant-documents.ts.
 */
import { errorMessage } from '../platform/errors';
import type { Logger } from '../platform/telemetry';
import { parseTenants, type TenantIndex } from './tenants';

export type TenantsSource = { kind: 'file'; path: string } | { kind: 'ssm'; path: string } | { kind: 'secretsmanager'; secretId: string };

/** Parses TENANTS_SOURCE; undefined and a problem when it is not one of the three forms. */
export function parseTenantsSource(value: string, problems: string[]): TenantsSource | undefined {
  const colon = value.indexOf(':');
  const kind = value.slice(0, colon);
  const rest = value.slice(colon + 1);
  if (colon > 0 && rest) {
    if (kind === 'file') return { kind, path: rest };
    if (kind === 'ssm' && rest.startsWith('/')) return { kind, path: rest };
    if (kind === 'secretsmanager') return { kind, secretId: rest };
  }
  problems.push('TENANTS_SOURCE must be file:<path>, ssm:/<parameter path> or secretsmanager:<secret id or ARN>');
  return undefined;
}

/** Raw documents of a source (JSON values, not yet validated). */
export type DocumentLoader = () => Promise<unknown[]>;

export interface TenantDirectory {
  /** The current index; reloads when older than the TTL. Throws only if nothing was ever loaded. */
  get(): Promise<TenantIndex>;
}

/**
 * TTL cache over a loader. A failed or invalid reload keeps serving the last good index (and
 * retries after `retryMs`), so an SSM hiccup never locks every tenant out; with no good index yet
 * the error propagates (the adapter answers 503).
 */
export function createTenantDirectory(opts: {
  load: DocumentLoader;
  ttlMs: number;
  retryMs?: number;
  log: Logger;
  now?: () => number;
}): TenantDirectory {
  const now = opts.now ?? Date.now;
  const retryMs = opts.retryMs ?? Math.min(opts.ttlMs, 10_000);
  let current: TenantIndex | undefined;
  let nextLoadAt = 0;
  let inFlight: Promise<TenantIndex> | undefined;

  async function reload(): Promise<TenantIndex> {
    try {
      const docs = await opts.load();
      const problems: string[] = [];
      const index = parseTenants(docs, problems);
      if (problems.length) throw new Error(`invalid tenant configuration:\n  - ${problems.join('\n  - ')}`);
      current = index;
      nextLoadAt = now() + opts.ttlMs;
      return index;
    } catch (err) {
      nextLoadAt = now() + retryMs;
      if (!current) throw err;
      opts.log.error('tenant configuration reload failed; keeping the previous one', { error: errorMessage(err) });
      return current;
    }
  }

  return {
    async get() {
      if (current && now() < nextLoadAt) return current;
      inFlight ??= reload().finally(() => (inFlight = undefined));
      return inFlight;
    },
  };
}
