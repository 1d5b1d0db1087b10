/**
 * One outbox table definition: lib/adapters/outbox/table.json is read by lib/adapters/outbox/table.ts (what
 * DynamoDB Local gets in tests and `npm start`, through ensureOutboxTable) and by serverless.yml
 * (what CloudFormation deploys). These tests hold the two renderings against each other.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import {
  DEAD_INDEX,
  OUTBOX_KEY,
  OUTBOX_TTL_ATTRIBUTE,
  outboxTableDefinition,
  outboxTimeToLiveSpecification,
  PENDING_INDEX,
} from '../../lib/adapters/outbox/table';
import { ensureOutboxTable } from '../../lib/adapters/outbox/ensure-table';
import { packaged, root } from './helpers';

const json = JSON.parse(readFileSync(path.join(root, 'lib', 'adapters', 'outbox', 'table.json'), 'utf8'));

test('the TypeScript constants name what the JSON defines', () => {
  assert.deepEqual(json.KeySchema, [{ AttributeName: OUTBOX_KEY, KeyType: 'HASH' }]);
  assert.deepEqual(json.GlobalSecondaryIndexes.map((i: { IndexName: string }) => i.IndexName), [PENDING_INDEX, DEAD_INDEX]);
  assert.equal(json.TimeToLiveSpecification.AttributeName, OUTBOX_TTL_ATTRIBUTE);
  assert.deepEqual(outboxTimeToLiveSpecification, { AttributeName: OUTBOX_TTL_ATTRIBUTE, Enabled: true });
  const def = outboxTableDefinition('t');
  for (const a of def.AttributeDefinitions) assert.match(a.AttributeType, /^[SNB]$/);
  for (const i of def.GlobalSecondaryIndexes) {
    assert.match(i.Projection.ProjectionType, /^(ALL|KEYS_ONLY|INCLUDE)$/);
    for (const k of i.KeySchema) assert.ok(def.AttributeDefinitions.some((a) => a.AttributeName === k.AttributeName), `${k.AttributeName} is defined`);
  }
  assert.equal(def.BillingMode, 'PAY_PER_REQUEST');
  // Every call returns a fresh copy: callers cannot change the definition for the next one.
  def.GlobalSecondaryIndexes.pop();
  assert.equal(outboxTableDefinition('t').GlobalSecondaryIndexes.length, 2);
});

/** Records what ensureOutboxTable sends: exactly what DynamoDB Local gets in the integration tests. */
async function localTableRequests() {
  const sent: { name: string; input: any }[] = [];
  let created: any;
  const client = {
    async send(command: { constructor: { name: string }; input: any }) {
      const name = command.constructor.name;
      sent.push({ name, input: command.input });
      switch (name) {
        case 'DescribeTableCommand':
          if (!created) throw Object.assign(new Error('not found'), { name: 'ResourceNotFoundException' });
          return {
            Table: {
              ...created,
              TableStatus: 'ACTIVE',
              GlobalSecondaryIndexes: created.GlobalSecondaryIndexes.map((i: object) => ({ ...i, IndexStatus: 'ACTIVE' })),
            },
          };
        case 'CreateTableCommand':
          created = command.input;
          return {};
        case 'DescribeTimeToLiveCommand':
          return { TimeToLiveDescription: { TimeToLiveStatus: 'DISABLED' } };
        case 'UpdateTimeToLiveCommand':
          return {};
        default:
          throw new Error(`unexpected ${name}`);
      }
    },
  };
  await ensureOutboxTable({ client: client as never, tableName: 'outbox-under-test' });
  const create = sent.find((s) => s.name === 'CreateTableCommand')!.input;
  const ttl = sent.find((s) => s.name === 'UpdateTimeToLiveCommand')!.input.TimeToLiveSpecification;
  return { create, ttl };
}

test('the deployed table is the DynamoDB Local table: rendered CloudFormation = CreateTable + UpdateTimeToLive', async () => {
  const pkg = await packaged();
  const table = pkg.template.Resources.OutboxTable!;
  assert.equal(table.Type, 'AWS::DynamoDB::Table');
  const props = table.Properties!;
  const { create, ttl } = await localTableRequests();
  const { TableName: _local, ...shape } = create;
  for (const [key, value] of Object.entries(shape)) assert.deepEqual(props[key], value, `CloudFormation ${key} = what DynamoDB Local gets`);
  assert.deepEqual(props.TimeToLiveSpecification, ttl, 'TTL is the same');
  // ... and the same as the exported definition, index by index (the relay's query needs these).
  const { TableName: _name, ...definition } = outboxTableDefinition('x');
  assert.deepEqual(shape, definition);
  const pending = props.GlobalSecondaryIndexes.find((i: { IndexName: string }) => i.IndexName === PENDING_INDEX);
  assert.deepEqual(pending.KeySchema, [{ AttributeName: 'shard', KeyType: 'HASH' }, { AttributeName: 'dueAt', KeyType: 'RANGE' }]);
  assert.deepEqual(pending.Projection, { ProjectionType: 'INCLUDE', NonKeyAttributes: ['createdAt'] });
  assert.deepEqual(props.TimeToLiveSpecification, outboxTimeToLiveSpecification);
  // Deploy-only settings on top of the shared shape.
  assert.equal((table as { DeletionPolicy?: string }).DeletionPolicy, 'Retain');
  assert.deepEqual(props.PointInTimeRecoverySpecification, { PointInTimeRecoveryEnabled: true });
});

test('the relay may query exactly the outbox indexes, by name', async () => {
  const pkg = await packaged();
  const text = JSON.stringify(pkg.template.Resources.OutboxRelayRole);
  for (const index of [PENDING_INDEX, DEAD_INDEX]) assert.ok(text.includes(`"/index/","${index}"`), `relay may query ${index}`);
});
