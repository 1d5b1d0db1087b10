/** Schedule (hourly): the critical events delivered in the last hour are in Kafka where the broker said. */
import { createOutboxVerifyHandler } from '../lib/handlers/outbox-verify';

export const handler = createOutboxVerifyHandler();
