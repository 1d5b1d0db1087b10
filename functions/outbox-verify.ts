/** Schedule (hourly): the critical events delivered in the last hour are in Kafka where the broker said. */
import { verifyDeps, verifyHandler } from '../lib/handlers/outbox-verify';
import { loadConfig } from '../lib/platform/config';

export const handler = verifyHandler(verifyDeps(loadConfig()));
