/**
 * Applies the tier topic definitions (lib/domain/tiers.ts) to the configured cluster: as the
 * Custom::KafkaTopics resource of the stack (answers CloudFormation), or invoked directly.
 */
import { createProvisionTopicsHandler } from '../lib/handlers/provision-topics';

export const handler = createProvisionTopicsHandler();
