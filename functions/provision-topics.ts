/**
 * Applies the tier topic definitions (lib/domain/tiers.ts) to the configured cluster: as the
 * Custom::KafkaTopics resource of the stack (answers CloudFormation), or invoked directly.
 */
import { provisionDeps, provisionTopicsHandler } from '../lib/handlers/provision-topics';
import { loadConfig } from '../lib/platform/config';

export const handler = provisionTopicsHandler(() => provisionDeps(loadConfig()));
