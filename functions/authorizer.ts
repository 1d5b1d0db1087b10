/** API Gateway HTTP API Lambda authorizer: signed requests / API keys → tenant in the context. */
import { createAuthorizer } from '../lib/handlers/authorizer';

export const handler = createAuthorizer();
