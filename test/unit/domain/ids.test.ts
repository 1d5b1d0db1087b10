import assert from 'node:assert/strict';
import { test } from 'node:test';
import { uuidv7 } from '../../../lib/domain/ids';

test('uuidv7 has the RFC 9562 layout, version 7 and the RFC variant', () => {
  for (let i = 0; i < 1000; i++) assert.match(uuidv7(), /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
});

test('the first 48 bits are the timestamp, so ids sort by time', () => {
  const at = Date.UTC(2026, 10, 22, 4, 0, 0);
  const id = uuidv7(at);
  assert.equal(parseInt(id.slice(0, 8) + id.slice(9, 13), 16), at);
  assert.ok(uuidv7(at) < uuidv7(at + 1));
});

test('ids made in the same millisecond are still distinct', () => {
  const ids = new Set(Array.from({ length: 10_000 }, () => uuidv7(1_700_000_000_000)));
  assert.equal(ids.size, 10_000);
});
