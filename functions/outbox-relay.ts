/** Schedule (and on-demand): re-sends critical events the ingest path left in the outbox. */
import { createRelayHandler } from '../lib/handlers/ingest-critical';

export const handler = createRelayHandler();
