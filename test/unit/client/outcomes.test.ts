/** How the client reads the server's answers: the retry rules, one case per row of the README table. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { recordOutcomes, type Exchange } from '../../../clients/node/src/outcomes';

const answer = (status: number, body?: unknown): Exchange => ({ ok: true, answer: { status, body: Buffer.from(body === undefined ? '' : JSON.stringify(body)) } });
const kinds = (e: Exchange, count: number, critical: boolean) => recordOutcomes(e, count, critical).map((o) => o.kind);

describe('per-record outcomes of an answer', () => {
  test('network error: critical records are retried, best-effort ones dropped (never resent)', () => {
    const e: Exchange = { ok: false, error: 'ECONNRESET' };
    assert.deepEqual(kinds(e, 2, true), ['retry', 'retry']);
    assert.deepEqual(recordOutcomes(e, 1, false), [{ kind: 'dropped', cause: 'sendFailed', reason: 'network error: ECONNRESET' }]);
  });

  test('5xx and 429 without results: the whole batch', () => {
    for (const status of [500, 502, 503, 504, 429]) {
      assert.deepEqual(kinds(answer(status, { error: { code: 'x', message: 'down' } }), 2, true), ['retry', 'retry'], String(status));
      assert.deepEqual(kinds(answer(status), 2, false), ['dropped', 'dropped'], String(status));
    }
  });

  test('207 and 503 with results: only the records whose status is retry are retried', () => {
    const body = {
      results: [
        { index: 0, status: 'persisted', id: 'a' },
        { index: 1, status: 'retry', id: 'b', reason: 'not persisted' },
        { index: 2, status: 'forwarded', id: 'c' },
        { index: 3, status: 'rejected', reason: 'record 3: bad', code: 'forbidden' },
      ],
    };
    assert.deepEqual(recordOutcomes(answer(207, body), 4, true), [
      { kind: 'sent', status: 'persisted' },
      { kind: 'retry', reason: 'not persisted' },
      { kind: 'sent', status: 'forwarded' },
      { kind: 'rejected', reason: 'record 3: bad', code: 'forbidden' },
    ]);
    const partial503 = { results: [{ index: 0, status: 'retry' }, { index: 1, status: 'rejected', reason: 'r' }] };
    assert.deepEqual(kinds(answer(503, partial503), 2, true), ['retry', 'rejected']);
  });

  test('the server dropping a best-effort record is a drop; results are matched by index, not position', () => {
    const body = { results: [{ index: 1, status: 'dropped', reason: 'broker down' }, { index: 0, status: 'forwarded' }] };
    assert.deepEqual(recordOutcomes(answer(200, body), 2, false), [
      { kind: 'sent', status: 'forwarded' },
      { kind: 'dropped', cause: 'server', reason: 'broker down' },
    ]);
    // A critical record is never dropped by the server; if an answer says so, the same id goes again.
    assert.deepEqual(kinds(answer(200, body), 2, true), ['sent', 'retry']);
  });

  test('4xx without results: every record rejected with the server message and code; never retried', () => {
    for (const status of [400, 401, 403, 413, 415, 431]) {
      const out = recordOutcomes(answer(status, { error: { code: 'c', message: 'why' } }), 2, true);
      assert.deepEqual(out, [0, 1].map(() => ({ kind: 'rejected', reason: `HTTP ${status}: why`, code: 'c' })), String(status));
    }
  });

  test('an answer outside the protocol counts as a failed send: 2xx without results, junk, a missing result', () => {
    assert.deepEqual(kinds(answer(200), 1, true), ['retry']);
    assert.deepEqual(kinds({ ok: true, answer: { status: 200, body: Buffer.from('<html>') } }, 1, false), ['dropped']);
    assert.deepEqual(kinds(answer(200, { results: [{ index: 0, status: 'forwarded' }] }), 2, true), ['sent', 'retry']);
    assert.deepEqual(kinds(answer(200, { results: [{ index: 0, status: 'weird' }] }), 1, true), ['retry']);
  });
});
