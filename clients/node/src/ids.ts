import { randomUUID } from 'node:crypto';

/**
 * A UUIDv7 (RFC 9562): time-ordered, like the ids the server assigns. Assigned before the first
 * send so that every retry of the event carries the same id and the server's outbox stores it once.
 */
export function newEventId(now: number = Date.now()): string {
  const ts = now.toString(16).padStart(12, '0');
  // randomUUID is a v4 (xxxxxxxx-xxxx-4xxx-Vxxx-xxxxxxxxxxxx): keep its random bits and variant, set version 7.
  return `${ts.slice(0, 8)}-${ts.slice(8, 12)}-7${randomUUID().slice(15)}`;
}
