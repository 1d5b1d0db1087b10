import type { Context } from 'aws-lambda';

/** Epoch ms by which sends must be done: Lambda's remaining time minus a safety margin. */
export function deadlineFor(context: Pick<Context, 'getRemainingTimeInMillis'> | undefined, marginMs: number): number {
  const remaining = context?.getRemainingTimeInMillis?.() ?? 30_000;
  return Date.now() + Math.max(0, remaining - marginMs);
}
