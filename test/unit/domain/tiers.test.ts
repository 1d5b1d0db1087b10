/**
 * The topic definition's guards (README "Tiers", topic settings): timestamp guards just outside
 * the sources' window, a per-partition disk bound on every tier, and what MSK Serverless gets.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DEFAULT_LIMITS } from '../../../lib/domain/limits';
import { forMskServerless, MSK_SERVERLESS_TOPIC_CONFIGS } from '../../../lib/domain/provision';
import { planTopics, TIER_TOPICS, TIERS, TOPIC_TIMESTAMP_GUARDS } from '../../../lib/domain/tiers';

const BEFORE = 'message.timestamp.before.max.ms';
const AFTER = 'message.timestamp.after.max.ms';
const DIFFERENCE = 'message.timestamp.difference.max.ms';
const HOUR = 3_600_000;

describe('tier topics: timestamp guards', () => {
  test('wider than the window the sources apply, so the application replaces a timestamp before a broker refuses it', () => {
    const before = Number(TOPIC_TIMESTAMP_GUARDS[BEFORE]);
    const after = Number(TOPIC_TIMESTAMP_GUARDS[AFTER]);
    assert.ok(before > DEFAULT_LIMITS.maxTimestampPastMs, `${BEFORE}=${before}`);
    assert.ok(after > DEFAULT_LIMITS.maxTimestampFutureMs, `${AFTER}=${after}`);
    // ...but only slightly: the guard is what protects retention from any other producer.
    assert.ok(before <= DEFAULT_LIMITS.maxTimestampPastMs + 24 * HOUR);
    assert.ok(after <= DEFAULT_LIMITS.maxTimestampFutureMs + HOUR / 4);
    // The relay sends critical records up to ~1.5 h after receipt (default backoff): still accepted.
    assert.ok(before - DEFAULT_LIMITS.maxTimestampPastMs >= 2 * HOUR);
  });

  test('every tier topic carries both guards and a per-partition retention.bytes', () => {
    for (const tier of TIERS) {
      const configs = TIER_TOPICS[tier].configs;
      assert.equal(configs[BEFORE], TOPIC_TIMESTAMP_GUARDS[BEFORE], tier);
      assert.equal(configs[AFTER], TOPIC_TIMESTAMP_GUARDS[AFTER], tier);
      const bytes = Number(configs['retention.bytes']);
      assert.ok(Number.isSafeInteger(bytes) && bytes >= 1024 ** 3, `${tier}: retention.bytes=${configs['retention.bytes']}`);
    }
  });

  test('the default partitions of every tier fit in 70 % of the default cluster (3 brokers × 100 GiB), one open segment each', () => {
    const segment = 1024 ** 3; // broker default segment.bytes
    const partitions = 6;
    const total = TIERS.reduce((sum, tier) => {
      const t = TIER_TOPICS[tier];
      return sum + partitions * t.replicationFactor * (Number(t.configs['retention.bytes']) + segment);
    }, 0);
    assert.ok(total <= 0.7 * 300 * 1024 ** 3, `${(total / 1024 ** 3).toFixed(0)} GiB`);
  });

  test('planTopics passes the guards through, also when it clamps replication', () => {
    const { specs, warnings } = planTopics({ prefix: 'x.', brokers: 1 });
    assert.ok(warnings.length > 0);
    for (const spec of specs) {
      assert.equal(spec.configs[BEFORE], TOPIC_TIMESTAMP_GUARDS[BEFORE]);
      assert.equal(spec.configs[AFTER], TOPIC_TIMESTAMP_GUARDS[AFTER]);
      assert.ok(spec.configs['retention.bytes']);
    }
  });
});

describe('tier topics on MSK Serverless', () => {
  const plan = forMskServerless(planTopics({ prefix: 'x.', brokers: 3 }));

  test('only configs MSK Serverless lets a client set', () => {
    for (const spec of plan.specs) {
      for (const name of Object.keys(spec.configs)) assert.ok(MSK_SERVERLESS_TOPIC_CONFIGS.includes(name), `${spec.name}: ${name}`);
      assert.equal(spec.replicationFactor, -1);
    }
  });

  test('KIP-937 guards become the symmetric message.timestamp.difference.max.ms, the wider of the two, with a warning', () => {
    for (const spec of plan.specs) {
      assert.equal(spec.configs[BEFORE], undefined);
      assert.equal(spec.configs[AFTER], undefined);
      assert.equal(spec.configs[DIFFERENCE], TOPIC_TIMESTAMP_GUARDS[BEFORE]);
      assert.ok(Number(spec.configs[DIFFERENCE]) >= Number(TOPIC_TIMESTAMP_GUARDS[AFTER]));
      assert.ok(plan.warnings.some((w) => w.startsWith(`${spec.name}: ${BEFORE} and ${AFTER} are not settable`)), spec.name);
      assert.ok(!plan.warnings.some((w) => w.startsWith(spec.name) && w.includes('left to MSK Serverless') && w.includes(BEFORE)));
    }
  });

  test('retention.bytes and retention.ms are kept; durability settings are left to the service', () => {
    const critical = plan.specs.find((s) => s.name === 'x.critical')!;
    assert.equal(critical.configs['retention.bytes'], TIER_TOPICS.critical.configs['retention.bytes']);
    assert.equal(critical.configs['retention.ms'], TIER_TOPICS.critical.configs['retention.ms']);
    assert.ok(plan.warnings.some((w) => w.startsWith('x.critical: min.insync.replicas, unclean.leader.election.enable left to MSK Serverless')));
  });
});
