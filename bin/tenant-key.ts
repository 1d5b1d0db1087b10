/**
 * New credentials for a tenant: prints an API key (give it to the tenant; store only its hash)
 * and an HMAC signing secret, plus the tenant-config fragment to add.
 *   npx tsx bin/tenant-key.ts <tenant-id> [hmac key id]
 */
import { randomBytes } from 'node:crypto';
import { hashApiKey } from '../lib/auth/tenants';

const [tenant, keyId = `k${new Date().toISOString().slice(0, 10).replaceAll('-', '')}`] = process.argv.slice(2);
if (!tenant || !/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(tenant)) {
  console.error('usage: npx tsx bin/tenant-key.ts <tenant-id> [hmac key id]');
  process.exit(2);
}
const apiKey = `ef_${tenant}_${randomBytes(24).toString('base64url')}`;
const hmacSecret = randomBytes(32).toString('base64url');
console.log(`Give the tenant (over a secure channel):
  API key:             ${apiKey}
  HMAC key id/secret:  ${keyId} / ${hmacSecret}

Add to the tenant's entry in the tenant configuration (SSM / Secrets Manager), keeping the old
entries until the tenant has switched (rotation), then remove them:
${JSON.stringify({ apiKeys: [hashApiKey(apiKey)], hmacKeys: { [keyId]: hmacSecret } }, null, 2)}`);
