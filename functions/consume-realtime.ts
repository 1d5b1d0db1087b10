/** MSK event source (realtime tier) → heartbeats per game server as EMF metrics; at-most-once, never fails a batch. */
import { realtimeDeps, realtimeHandler } from '../lib/handlers/consume-realtime';
import { loadConsumerConfig } from '../lib/platform/config';

export const handler = realtimeHandler(realtimeDeps(loadConsumerConfig()));
