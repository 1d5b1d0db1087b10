/** @edge-forwarder/client: see README.md (usage, semantics, and the wire protocol for other languages). */
export { createClient, type EdgeForwarderClient, type FlushResult } from './client';
export { EventDeliveryError, type EventFailure } from './errors';
export { newEventId } from './ids';
export type { EventReceipt } from './lane';
export type { ClientAuth, ClientOptions, Rejection, RetryOptions } from './options';
export type { RouteName } from './routes';
export type { ClientStats, Counters, DropCounts } from './stats';
export { canonicalString, hmacHeaders, sha256Hex, type HmacKey } from './signing';
export { retryDelayMs, type BackoffPolicy } from './backoff';
export { USER_AGENT, CLIENT_VERSION } from './version';
