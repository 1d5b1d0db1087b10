/**
 * The consumer half as a library: two kafkajs consumer groups next to the forwarder, one
 * at-most-once (dashboards: commit, then process) and one at-least-once with deduplication by
 * ef-event-id (billing: process, then commit; a redelivered event is processed once).
 *
 *   KAFKA_BROKERS=127.0.0.1:19092 DEDUPE_TABLE=edge-dedupe DYNAMODB_ENDPOINT=http://127.0.0.1:18000 \
 *     npx tsx examples/consumers.ts          (with `npm start` running; Ctrl-C stops both groups)
 *
 * Type-checked by `npm test` (tsconfig includes examples/), so it cannot drift from the API.
 * The crash semantics it relies on are proven in test/integration/consumers.test.ts.
 */
import { createDynamoDedupeStore, ensureDedupeTable } from '../lib/adapters/dedupe/dynamo-store';
import { KafkaConsumerClient } from '../lib/adapters/kafka/consumer-admin';
import type { ConsumedRecord } from '../lib/consume/types';
import { atLeastOnce, atMostOnce } from '../lib/consume/runner';
import { loadConfig } from '../lib/platform/config';
import { createLogger } from '../lib/platform/telemetry';

async function updateServerPanel(record: ConsumedRecord): Promise<void> {
  console.log(`heartbeat ${record.key?.toString() ?? '-'} at ${record.offset}`);
}

async function chargePurchase(record: ConsumedRecord): Promise<void> {
  console.log(`event ${record.headers['ef-event-id']} (${record.value?.length ?? 0} bytes)`);
}

async function main(): Promise<void> {
  const config = loadConfig();
  const log = createLogger({ level: 'info' });
  const kafka = new KafkaConsumerClient(config.kafka, log);
  const tableName = process.env.DEDUPE_TABLE ?? 'edge-dedupe';
  const endpoint = process.env.DYNAMODB_ENDPOINT;
  const connection = { tableName, ...(endpoint && { endpoint }), ...(config.region && { region: config.region }) };
  if (endpoint) await ensureDedupeTable(connection); // local only: in AWS the table is part of the stack

  const dashboards = atMostOnce({
    log,
    consumer: kafka.consumer({ groupId: 'dashboards', topics: [config.topics.realtime], fromBeginning: false }),
    handle: updateServerPanel,
  });
  const billing = atLeastOnce({
    log,
    consumer: kafka.consumer({ groupId: 'billing', topics: [config.topics.critical], fromBeginning: true }),
    dedupe: createDynamoDedupeStore({ ...connection, scope: 'billing', ttlSeconds: 7 * 86_400 }),
    handle: chargePurchase,
  });
  await Promise.all([dashboards.start(), billing.start()]);
  process.once('SIGINT', () => void Promise.all([dashboards.stop(), billing.stop()]).then(() => process.exit(0)));
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
