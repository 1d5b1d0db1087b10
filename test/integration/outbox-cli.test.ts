/** The operator commands, run as a user would, against a real outbox in DynamoDB Local. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { before, test } from 'node:test';
import { createDynamoOutboxStore } from '../../lib/adapters/outbox/dynamo-store';
import { newOutboxTable, sharedDynamo } from '../helpers/critical';
import { sharedKafka } from '../helpers/stack';

const run = promisify(execFile);
let env: NodeJS.ProcessEnv;
let table: string;
let endpoint: string;

async function outbox(...args: string[]) {
  try {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', path.join(__dirname, '../../bin/outbox.ts'), ...args], { env });
    return { code: 0, stdout };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout + e.stderr };
  }
}

before(async () => {
  endpoint = (await sharedDynamo()).endpoint;
  table = await newOutboxTable(endpoint, 'cli');
  env = { ...process.env, OUTBOX_TABLE: table, DYNAMODB_ENDPOINT: endpoint, KAFKA_BROKERS: (await sharedKafka()).brokers.join(',') };
});

test('status, dead and replay-dead show and repair a dead entry', async () => {
  const store = createDynamoOutboxStore({ endpoint, tableName: table });
  const now = Date.now();
  const record = { id: 'evt-dead-1', tier: 'critical' as const, topic: 'nowhere', key: null, value: Buffer.from('{}'), headers: {}, timestamp: now, sourceRef: { source: 'http' as const, index: 0 } };
  await store.put([record, { ...record, id: 'evt-ok-2' }], { now, dueAt: now });
  const [claimed] = (await store.claimDue({ now, limit: 2, leaseMs: 60_000 })).filter((e) => e.record.id === 'evt-dead-1');
  await store.recordFailure(claimed!, { now, reason: 'TOPIC_AUTHORIZATION_FAILED', retryAt: now, dead: true });
  store.close();

  const status = await outbox('status');
  assert.equal(status.code, 2, 'status exits 2 when dead entries exist (alarm-friendly)');
  assert.match(status.stdout, /1 pending .*1 dead/);

  const dead = await outbox('dead');
  assert.match(dead.stdout, /evt-dead-1 .*last error: TOPIC_AUTHORIZATION_FAILED/);

  const replay = await outbox('replay-dead', 'evt-dead-1');
  assert.match(replay.stdout, /replayed 1 dead entry/);
  const after = await outbox('status');
  assert.equal(after.code, 0);
  assert.match(after.stdout, /2 pending .*0 dead/);

  assert.equal((await outbox('frobnicate')).code, 64);
});
