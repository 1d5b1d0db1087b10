import assert from 'node:assert/strict';
import { RequestError } from '../../lib/platform/errors';

/** Asserts `run` throws a RequestError with this status and code; returns it for message checks. */
export function expectRequestError(run: () => unknown, statusCode: number, code: string): RequestError {
  let caught: unknown;
  try {
    run();
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof RequestError, `expected a RequestError, got ${String(caught)}`);
  assert.equal(caught.statusCode, statusCode, caught.message);
  assert.equal(caught.code, code, caught.message);
  return caught;
}
