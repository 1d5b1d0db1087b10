
/**
 * lib/domain/tiers.ts (the one topic definition) as a string for the Custom::KafkaTopics resource in
 * serverless.yml: when a tier's settings change there, this property changes, so CloudFormation
 * sends an Update and the provision-topics function applies them. Loaded through tsx, which the
 * project already uses to run TypeScript.
 */
const { require: tsxRequire } = require('tsx/cjs/api');

module.exports = () => {
  const { TIER_TOPICS } = tsxRequire('../../lib/domain/tiers.ts', __filename);
  return JSON.stringify(TIER_TOPICS);
};
