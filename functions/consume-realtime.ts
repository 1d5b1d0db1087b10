/** MSK event source (realtime tier) → heartbeats per game server as EMF metrics; at-most-once, never fails a batch. */
import { createRealtimeConsumer } from '../lib/handlers/consume-realtime';

export const handler = createRealtimeConsumer();
