import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { retryDelayMs } from '../../../clients/node/src/backoff';

const policy = { initialMs: 100, maxMs: 10_000 };

test('the ceiling doubles per attempt from initialMs and stops at maxMs', () => {
  // random() = 1 gives the ceiling itself, 0 half of it.
  const ceilings = [1, 2, 3, 4, 5, 6, 7, 8, 50, 10_000].map((a) => retryDelayMs(a, policy, () => 1));
  assert.deepEqual(ceilings, [100, 200, 400, 800, 1600, 3200, 6400, 10_000, 10_000, 10_000]);
  assert.deepEqual([1, 2, 8].map((a) => retryDelayMs(a, policy, () => 0)), [50, 100, 5000]);
});

test('every delay lies between half the capped ceiling and maxMs, for any attempt and any random value', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 1_000_000 }),
      fc.integer({ min: 1, max: 60_000 }),
      fc.integer({ min: 0, max: 600_000 }),
      fc.double({ min: 0, max: 1, noNaN: true }),
      (attempts, initialMs, extra, r) => {
        const p = { initialMs, maxMs: initialMs + extra };
        const d = retryDelayMs(attempts, p, () => r);
        const ceiling = Math.min(p.maxMs, initialMs * 2 ** Math.min(attempts - 1, 30));
        return Number.isInteger(d) && d <= p.maxMs && d >= Math.floor(ceiling / 2);
      },
    ),
  );
});
