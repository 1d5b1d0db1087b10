import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ReplayCache } from '../../../lib/auth/replay';
import { parseAuthorization, sha256Hex, signRequest } from '../../../lib/auth/signature';
import { verifyRequest, type VerifyRequest } from '../../../lib/auth/verifier';
import { SECRETS, tenantIndex } from '../../helpers/tenants';

const NOW = 1_790_000_000_000;
const WINDOW = 300_000;
const body = Buffer.from('{"msg":"hello"}\n');

function signed(over: { timestamp?: number; secret?: string; keyId?: string; tenant?: string; path?: string } = {}) {
  const h = signRequest({
    tenant: over.tenant ?? 'acme',
    keyId: over.keyId ?? 'k2',
    secret: over.secret ?? SECRETS.acmeHmac,
    method: 'POST',
    path: over.path ?? '/v1/logs',
    body,
    timestamp: over.timestamp ?? NOW,
  });
  return { method: 'POST', path: '/v1/logs', authorization: h.authorization!, contentSha256: h['x-ef-content-sha256'], bodySha256: sha256Hex(body) };
}

function verify(req: VerifyRequest, replay = new ReplayCache(1000), now = NOW) {
  return verifyRequest(req, { tenants: tenantIndex(), now, replayWindowMs: WINDOW, replay });
}

const reason = (r: ReturnType<typeof verify>) => (r.ok ? 'ok' : r.reason);

describe('HMAC request verification', () => {
  test('a correctly signed request names its tenant; both keys of a rotation work', () => {
    const r = verify(signed());
    assert.ok(r.ok && r.tenant.id === 'acme' && r.method === 'hmac');
    assert.equal(reason(verify(signed({ keyId: 'k1', secret: SECRETS.acmeHmacOld }))), 'ok');
  });

  test('unsigned, badly signed, wrong key, unknown tenant and tampered requests are refused', () => {
    assert.match(reason(verify({ method: 'POST', path: '/v1/logs', authorization: undefined, contentSha256: undefined })), /missing credentials/);
    assert.match(reason(verify(signed({ secret: 'x'.repeat(40) }))), /bad signature/);
    assert.match(reason(verify(signed({ keyId: 'k9' }))), /unknown tenant or key id/);
    assert.match(reason(verify(signed({ tenant: 'nobody' }))), /unknown tenant or key id/);
    assert.match(reason(verify(signed({ path: '/v1/events' }))), /bad signature/, 'signed for another path');
    assert.match(reason(verify({ ...signed(), method: 'PUT' })), /bad signature/);
    assert.match(reason(verify({ ...signed(), bodySha256: sha256Hex('other body') })), /body does not match/);
    assert.match(reason(verify({ ...signed(), contentSha256: undefined })), /X-EF-Content-SHA256/);
  });

  test('timestamps: exactly at the window edge pass, one ms beyond is expired (both directions)', () => {
    assert.equal(reason(verify(signed({ timestamp: NOW - WINDOW }))), 'ok');
    assert.equal(reason(verify(signed({ timestamp: NOW + WINDOW }))), 'ok');
    assert.match(reason(verify(signed({ timestamp: NOW - WINDOW - 1 }))), /outside the 300 s replay window/);
    assert.match(reason(verify(signed({ timestamp: NOW + WINDOW + 1 }))), /outside the 300 s replay window/);
  });

  test('a replay inside the window is refused; the cache forgets it once the window has passed', () => {
    const replay = new ReplayCache(1000);
    const req = signed();
    assert.equal(reason(verify(req, replay)), 'ok');
    assert.match(reason(verify(req, replay)), /replayed request/);
    assert.match(reason(verify(req, replay, NOW + WINDOW)), /replayed request/);
    assert.match(reason(verify(req, replay, NOW + WINDOW + 1)), /outside .* replay window/, 'then the timestamp refuses it');
  });

  test('a bad signature is not remembered (forgeries cannot fill the cache or block the real request)', () => {
    const replay = new ReplayCache(1000);
    const good = signed();
    const forged = { ...good, authorization: good.authorization.replace(/Signature=\w+/, `Signature=${'0'.repeat(64)}`) };
    assert.match(reason(verify(forged, replay)), /bad signature/);
    assert.equal(replay.size, 0);
    assert.equal(reason(verify(good, replay)), 'ok');
  });

  test('reasons never contain the signature, the key or the secret', () => {
    const req = signed({ secret: SECRETS.acmeApiKey.repeat(2) });
    const sig = parseAuthorization(req.authorization);
    const r = reason(verify(req));
    assert.ok(sig?.scheme === 'hmac' && !r.includes(sig.signature));
    for (const s of Object.values(SECRETS)) assert.ok(!r.includes(s));
  });
});

describe('API keys', () => {
  test('a known key (stored only as its hash) names its tenant; anything else is refused', () => {
    const ok = verify({ method: 'POST', path: '/v1/logs', authorization: `Bearer ${SECRETS.logsOnlyApiKey}`, contentSha256: undefined });
    assert.ok(ok.ok && ok.tenant.id === 'logsonly' && ok.method === 'apikey');
    assert.match(reason(verify({ method: 'POST', path: '/', authorization: `Bearer ${SECRETS.acmeApiKey}x`, contentSha256: undefined })), /invalid API key/);
    assert.match(reason(verify({ method: 'POST', path: '/', authorization: 'Bearer short', contentSha256: undefined })), /malformed/);
    assert.match(reason(verify({ method: 'POST', path: '/', authorization: 'Basic dXNlcjpwYXNz', contentSha256: undefined })), /malformed/);
  });
});

describe('parseAuthorization', () => {
  test('accepts what signRequest produces and refuses malformed variants without throwing', () => {
    const h = signed().authorization;
    assert.equal(parseAuthorization(h)?.scheme, 'hmac');
    for (const bad of [
      h.replace('Credential=acme/k2', 'Credential=acme'),
      h.replace(/Timestamp=\d+/, 'Timestamp=soon'),
      h.replace(/Signature=\w+/, 'Signature=abc'),
      `${h}, Signature=${'a'.repeat(64)}`,
      h.replace('acme', '../acme'),
      `EF-HMAC-SHA256 ${'x'.repeat(2000)}`,
      'EF-HMAC-SHA256',
      '',
    ]) {
      assert.equal(parseAuthorization(bad), undefined, bad.slice(0, 80));
    }
  });
});
