/** Tenant fixtures and signed-request helpers shared by the auth unit and integration tests. */
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { hashApiKey, parseTenants, type TenantIndex } from '../../lib/auth/tenants';
import { signRequest } from '../../lib/auth/signature';
import { httpEvent, type HttpEventOptions } from './events';

/** Secrets only these tests know; the secret-hygiene test greps every log line for them. */
export const SECRETS = {
  acmeHmac: 'acme-hmac-secret-7f3c2a91b4e8d6c0f5a1e9b3d7c2a8f4',
  acmeHmacOld: 'acme-hmac-secret-OLD-0e1d2c3b4a59687766554433221100',
  acmeApiKey: 'ef_acme_Zx81LqP0vN2mR7tK4wJ9sB6cD3fH5gY1',
  logsOnlyApiKey: 'ef_logsonly_Qm4Tn8Vb2Xc6Zr1Lp9Ks3Jh7Gf5Dd0Aa',
} as const;

export const TENANTS_DOC = {
  tenants: [
    {
      id: 'acme',
      tiers: ['logs', 'realtime', 'critical'],
      hmacKeys: { k2: SECRETS.acmeHmac, k1: SECRETS.acmeHmacOld },
      apiKeys: [hashApiKey(SECRETS.acmeApiKey)],
      iamPrincipals: ['arn:aws:iam::111122223333:role/game/acme-servers'],
    },
    {
      id: 'logsonly',
      tiers: ['logs'],
      kinds: ['log'],
      topicPrefix: 'edge.',
      apiKeys: [hashApiKey(SECRETS.logsOnlyApiKey)],
      iamPrincipals: ['444455556666'],
    },
  ],
};

export function tenantIndex(doc: unknown = TENANTS_DOC): TenantIndex {
  const problems: string[] = [];
  const index = parseTenants([doc], problems);
  if (problems.length) throw new Error(problems.join('\n'));
  return index;
}

/** Writes a tenants document (a string is written as-is) to a temp file; returns the TENANTS_SOURCE value for it. */
export function tenantsFile(doc: unknown = TENANTS_DOC): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'ef-tenants-')), 'tenants.json');
  writeFileSync(file, typeof doc === 'string' ? doc : JSON.stringify(doc));
  return `file:${file}`;
}

/** An API Gateway v2 event signed as tenant/keyId (override the timestamp to test the window). */
export function signedEvent(
  opts: HttpEventOptions & { tenant?: string; keyId?: string; secret?: string; timestamp?: number },
) {
  const unsigned = httpEvent(opts);
  const body = unsigned.body === undefined ? Buffer.alloc(0) : Buffer.from(unsigned.body, unsigned.isBase64Encoded ? 'base64' : 'utf8');
  const headers = signRequest({
    tenant: opts.tenant ?? 'acme',
    keyId: opts.keyId ?? 'k2',
    secret: opts.secret ?? SECRETS.acmeHmac,
    method: unsigned.requestContext.http.method,
    path: unsigned.rawPath,
    body,
    ...(opts.timestamp !== undefined && { timestamp: opts.timestamp }),
  });
  return httpEvent({ ...opts, headers: { ...opts.headers, ...headers } });
}

export function apiKeyEvent(apiKey: string, opts: HttpEventOptions) {
  return httpEvent({ ...opts, headers: { ...opts.headers, authorization: `Bearer ${apiKey}` } });
}
