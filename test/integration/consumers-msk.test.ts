/**
 * The audit Lambda on records really written by the product's producer: read back from the
 * broker, wrapped in the MSK event shape Lambda delivers, deduplicated in DynamoDB Local through
 * the function's own configuration (DEDUPE_TABLE), and redelivered the way the event source
 * mapping redelivers after a reported failure.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { before, test } from 'node:test';
import { auditDeps, auditHandler } from '../../lib/handlers/audit-critical';
import { loadConsumerConfig } from '../../lib/platform/config';
import { ensureDedupeTable } from '../../lib/adapters/dedupe/dynamo-store';
import { produce } from '../helpers/consumers';
import { sharedDynamo } from '../helpers/critical';
import { lambdaContext } from '../helpers/events';
import { consumeAll } from '../helpers/kcat';
import { mskEvent, type MskRecordInput } from '../helpers/msk-events';
import { provision, sharedKafka, uniquePrefix } from '../helpers/stack';

let brokers: string[];
let endpoint: string;
before(async () => {
  [brokers, endpoint] = [(await sharedKafka()).brokers, (await sharedDynamo()).endpoint];
});

test('audit-critical: real records in MSK events, a failure reported per partition, the redelivery audited once', async () => {
  const prefix = uniquePrefix('audit');
  await provision(brokers, prefix, 3);
  const topic = `${prefix}critical`;
  const ids = Array.from({ length: 24 }, (_, i) => `audit-${i}`);
  await produce(brokers, topic, ids);
  const stored = await consumeAll(brokers, topic);
  assert.equal(stored.length, 24);
  const inputs: MskRecordInput[] = stored.map((m) => ({ topic: m.topic, partition: m.partition, offset: m.offset, key: m.key, value: m.value, headers: m.headers }));

  const table = `dedupe-${randomBytes(4).toString('hex')}`;
  await ensureDedupeTable({ endpoint, tableName: table });
  const lines: string[] = [];
  let failOn: string | undefined = stored.find((m) => m.partition === 1 && m.offset === 2)!.headers['ef-event-id'];
  const config = loadConsumerConfig(
    { AWS_LAMBDA_FUNCTION_NAME: 'audit-critical', LOG_LEVEL: 'error', DEDUPE_TABLE: table, DYNAMODB_ENDPOINT: endpoint, AWS_REGION: 'us-east-1' },
    { dedupe: true },
  );
  const handler = auditHandler({
    ...auditDeps(config, { lineSink: (l) => void lines.push(l) }),
    sink: {
      async write(r) {
        if (r.headers['ef-event-id'] === failOn) throw new Error('audit store throttled');
        lines.push(JSON.stringify({ audit: { eventId: r.headers['ef-event-id'], producer: r.headers['ef-producer'] } }));
      },
    },
  });

  const first = await handler(mskEvent(inputs), lambdaContext());
  assert.deepEqual(first, { batchItemFailures: [{ itemIdentifier: { partition: `${topic}-1`, offset: 2 } }] });

  // Lambda resumes partition 1 at offset 2; a crash-style redelivery of the whole batch is folded in too.
  failOn = undefined;
  const again = await handler(mskEvent(inputs), lambdaContext());
  assert.deepEqual(again, { batchItemFailures: [] });

  const audited = lines.filter((l) => l.startsWith('{"audit"')).map((l) => (JSON.parse(l) as { audit: { eventId: string; producer: string } }).audit);
  assert.deepEqual(audited.map((a) => a.eventId).sort(), [...ids].sort(), 'every event audited exactly once');
  assert.ok(audited.every((a) => a.producer.startsWith('test-producer-')), 'headers decoded from the real records');
  const metrics = lines.filter((l) => l.startsWith('{"_aws"')).map((l) => JSON.parse(l) as Record<string, number>);
  const p1 = stored.filter((m) => m.partition === 1 && m.offset >= 2).length;
  assert.deepEqual(metrics.map((m) => [m.Audited, m.Failed, m.Deferred, m.Duplicates]), [[24 - p1, 1, p1 - 1, 0], [p1, 0, 0, 24 - p1]]);
});
