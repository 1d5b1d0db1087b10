/**
 * The client signs with its own code (it imports nothing from lib/): checked here against the
 * server's signer and verifier, byte for byte.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { ReplayCache } from '../../../lib/auth/replay';
import { sha256Hex as serverSha256, signRequest, stringToSign } from '../../../lib/auth/signature';
import { verifyRequest } from '../../../lib/auth/verifier';
import { canonicalString, hmacHeaders, signingClock } from '../../../clients/node/src/signing';
import { SECRETS, tenantIndex } from '../../helpers/tenants';

const key = { tenant: 'acme', keyId: 'k2', secret: SECRETS.acmeHmac };
const tenants = tenantIndex();

function verify(headers: Record<string, string>, opts: { path: string; body: Buffer; now?: number }) {
  return verifyRequest(
    {
      method: 'POST',
      path: opts.path,
      authorization: headers.authorization,
      contentSha256: headers['x-ef-content-sha256'],
      bodySha256: serverSha256(opts.body),
    },
    { tenants, now: opts.now ?? Date.now(), replayWindowMs: 300_000, replay: new ReplayCache(100) },
  );
}

describe('client request signing', () => {
  test('the canonical string and the headers equal the server signer output', () => {
    const body = Buffer.from('{"a":1}\n"line"\n');
    const timestamp = 1_767_225_600_123;
    const contentSha256 = serverSha256(body);
    assert.equal(canonicalString(key, timestamp, 'post', '/prod/v1/events', contentSha256), stringToSign({ ...key, timestamp }, { method: 'POST', path: '/prod/v1/events', contentSha256 }));
    assert.deepEqual(
      hmacHeaders(key, timestamp, 'POST', '/v1/logs', body),
      signRequest({ ...key, method: 'POST', path: '/v1/logs', body, timestamp }),
    );
  });

  test('the server verifier accepts what the client signs, plain and gzipped, with a stage prefix', () => {
    for (const body of [Buffer.from('{"m":"x"}\n'), gzipSync('{"m":"x"}\n'), Buffer.alloc(0)]) {
      for (const path of ['/v1/logs', '/prod/v1/events']) {
        const v = verify(hmacHeaders(key, Date.now(), 'POST', path, body), { path, body });
        assert.ok(v.ok, `${path}: ${v.ok ? '' : v.reason}`);
        assert.equal(v.ok && v.tenant.id, 'acme');
      }
    }
  });

  test('the server refuses a changed body, another path, a wrong secret and an old timestamp', () => {
    const body = Buffer.from('{"m":"x"}\n');
    const signed = hmacHeaders(key, Date.now(), 'POST', '/v1/logs', body);
    const reason = (v: ReturnType<typeof verify>) => (v.ok ? 'accepted' : v.reason);
    assert.match(reason(verify(signed, { path: '/v1/logs', body: Buffer.from('{"m":"y"}\n') })), /body does not match/);
    assert.match(reason(verify(signed, { path: '/prod/v1/logs', body })), /bad signature/);
    assert.match(reason(verify(hmacHeaders({ ...key, secret: 'x'.repeat(40) }, Date.now(), 'POST', '/v1/logs', body), { path: '/v1/logs', body })), /bad signature/);
    assert.match(reason(verify(hmacHeaders(key, Date.now() - 301_000, 'POST', '/v1/logs', body), { path: '/v1/logs', body })), /replay window/);
  });

  test('signing timestamps never repeat, even when the clock stands still or goes back', () => {
    const times = [1000, 1000, 1000, 999, 1005, 1005];
    const clock = signingClock(() => times.shift()!);
    assert.deepEqual([clock(), clock(), clock(), clock(), clock(), clock()], [1000, 1001, 1002, 1003, 1005, 1006]);
  });
});
