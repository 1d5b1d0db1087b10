/**
 * The signing test vector in clients/node/README.md is what other-language clients check
 * themselves against: it must be what both this client and the server's signer produce.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { signRequest, stringToSign } from '../../../lib/auth/signature';
import { canonicalString, hmacHeaders, sha256Hex } from '../../../clients/node/src/signing';

const whole = readFileSync(path.resolve(__dirname, '../../../clients/node/README.md'), 'utf8');
/** The code block after "Test vector". */
const readme = /Test vector[^\n]*\n+```\n([\s\S]*?)```/.exec(whole)?.[1] ?? '';
const field = (name: string) => {
  const m = new RegExp(`^${name}\\s+(\\S+)`, 'm').exec(readme);
  assert.ok(m, `README vector has no "${name}" line`);
  return m[1]!;
};

test('the README signing vector matches the client and the server signer', () => {
  const key = { tenant: field('tenant'), keyId: readme.match(/keyId\s+(\S+)/)![1]!, secret: field('secret') };
  const timestamp = Number(readme.match(/timestamp\s+(\d+)/)![1]);
  const requestPath = field('path');
  const body = Buffer.from(`${readme.match(/^body\s+(\{.*?\})\\n/m)![1]}\n`);
  assert.equal(body.length, Number(readme.match(/one line \+ LF, (\d+) bytes/)![1]));
  const digest = sha256Hex(body);
  assert.equal(digest, field('sha256'));
  const canonical = canonicalString(key, timestamp, 'POST', requestPath, digest);
  assert.equal(canonical, field('canonical').replaceAll('\\n', '\n'));
  assert.equal(canonical, stringToSign({ ...key, timestamp }, { method: 'POST', path: requestPath, contentSha256: digest }));
  const headers = hmacHeaders(key, timestamp, 'POST', requestPath, body);
  assert.deepEqual(headers, signRequest({ ...key, method: 'POST', path: requestPath, body, timestamp }));
  assert.equal(headers.authorization, readme.match(/^Authorization: (EF-HMAC-SHA256 .*)$/m)![1]);
  assert.ok(headers.authorization?.endsWith(`Signature=${field('signature')}`));
  assert.equal(readme.match(/^X-EF-Content-SHA256: (\S+)$/m)![1], digest);
});
