/**
 * Applies the tier topic definitions (infra/topics.ts) to the configured cluster: as the
 * Custom::KafkaTopics resource of the stack (answers CloudFormation), or invoked directly.
 */
import { createProvisionTopicsHandler } from '../lib/lambda/provision';

export const handler = createProvisionTopicsHandler();
