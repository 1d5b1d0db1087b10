/** Schedule (and on-demand): re-sends critical events the ingest path left in the outbox. */
import { relayDeps, relayHandler } from '../lib/handlers/outbox-relay';
import { loadConfig } from '../lib/platform/config';

export const handler = relayHandler(relayDeps(loadConfig()));
