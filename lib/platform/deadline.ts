import type { Context } from 'aws-lambda';
import type { Socket } from 'node:net';

export class DeadlineExceeded extends Error {
  override name = 'DeadlineExceeded';
}

/**
 * Resolves or rejects with `work`, or rejects at `deadline`, whichever is first. The loser is
 * left to settle on its own (its rejection is swallowed): a frozen Lambda must never wake up to
 * an unhandled rejection.
 */
export function withDeadline<T>(work: Promise<T>, deadline: number, what: string): Promise<T> {
  work.catch(() => undefined);
  const ms = deadline - Date.now();
  if (ms <= 0) return Promise.reject(new DeadlineExceeded(`${what}: no time left in the invocation budget`));
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineExceeded(`${what}: timed out after ${ms} ms (invocation budget)`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Resolves once every socket's userland write buffer is empty; rejects if one closes first.
 * 'drain' alone is not enough: a stream emits it only after a write() that returned false. A TLS
 * socket holds even a small write (below the high-water mark) in userland while it encrypts, and
 * then empties without any event, so the buffer is also polled.
 */
export async function waitDrained(sockets: Iterable<Socket>, pollMs = 2): Promise<void> {
  const pending = [...sockets].filter((s) => s.writableLength > 0);
  await Promise.all(
    pending.map(
      (s) =>
        new Promise<void>((resolve, reject) => {
          const settle = (err?: Error) => {
            clearInterval(poll);
            s.off('drain', onDrain);
            s.off('close', onClose);
            if (err) reject(err);
            else resolve();
          };
          const onDrain = () => settle();
          const onClose = () => settle(new Error(`connection closed with ${s.writableLength} bytes unsent`));
          const poll = setInterval(() => s.writableLength === 0 && settle(), pollMs);
          if (s.destroyed) return onClose();
          s.on('drain', onDrain);
          s.on('close', onClose);
        }),
    ),
  );
}

/** Epoch ms by which sends must be done: Lambda's remaining time minus a safety margin. */
export function deadlineFor(context: Pick<Context, 'getRemainingTimeInMillis'> | undefined, marginMs: number): number {
  const remaining = context?.getRemainingTimeInMillis?.() ?? 30_000;
  return Date.now() + Math.max(0, remaining - marginMs);
}
