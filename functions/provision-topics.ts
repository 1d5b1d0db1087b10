/** Applies the tier topic definitions (infra/topics.ts) to the configured cluster. */
import { provisionTopics } from '../lib/provision';
import { createRuntime } from '../lib/runtime';

const runtime = createRuntime();

export const handler = async () => {
  const admin = runtime.kafka.admin();
  try {
    return await provisionTopics(admin, { prefix: runtime.config.topicPrefix, log: runtime.telemetry.log });
  } finally {
    await admin.disconnect();
  }
};
