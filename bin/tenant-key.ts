/**
 * New credentials for a tenant: prints an API key (give it to the tenant; store only its hash)
 * and an HMAC signing secret, plus the tenant-config fragment to add. Usage: see USAGE (--help).
 */
import { randomBytes } from 'node:crypto';
import { hashApiKey } from '../lib/auth/tenants';
import { parseCommandLine } from '../tools/cli-args';

const USAGE = `usage: npx tsx bin/tenant-key.ts <tenant-id> [hmac key id]

  tenant-id     letters, digits, '.', '_', '-' (up to 64, starting with a letter or digit)
  hmac key id   names the HMAC secret in the tenant's hmacKeys (default: k<today, YYYYMMDD>)`;

const cli = parseCommandLine({ usage: USAGE, options: {}, positionals: true });
const [tenant = cli.fail('a tenant id is required'), keyId = `k${new Date().toISOString().slice(0, 10).replaceAll('-', '')}`, ...extra] = cli.positionals;
if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(tenant)) cli.fail(`"${tenant}" is not a tenant id`);
if (extra.length) cli.fail(`unexpected argument(s): ${extra.join(' ')}`);
const apiKey = `ef_${tenant}_${randomBytes(24).toString('base64url')}`;
const hmacSecret = randomBytes(32).toString('base64url');
console.log(`Give the tenant (over a secure channel):
  API key:             ${apiKey}
  HMAC key id/secret:  ${keyId} / ${hmacSecret}

Add to the tenant's entry in the tenant configuration (SSM / Secrets Manager), keeping the old
entries until the tenant has switched (rotation), then remove them:
${JSON.stringify({ apiKeys: [hashApiKey(apiKey)], hmacKeys: { [keyId]: hmacSecret } }, null, 2)}`);
