/** API Gateway HTTP API Lambda authorizer: signed requests / API keys → tenant in the context. */
import { authorizerDeps, authorizerHandler } from '../lib/handlers/authorizer';
import { loadAuthorizerConfig } from '../lib/platform/config';

export const handler = authorizerHandler(authorizerDeps(loadAuthorizerConfig()));
