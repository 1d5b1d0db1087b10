/** Schedule (and on-demand): re-sends critical events the ingest path left in the outbox. */
import { createRelayHandler } from '../lib/lambda/critical';

export const handler = createRelayHandler();
