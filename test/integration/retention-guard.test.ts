/**
 * Client timestamps cannot switch off retention (issue 12, item 2), against a real broker:
 *  - the tier topics, as provisioned from lib/domain/tiers.ts, refuse a record outside their
 *    timestamp guards (KIP-937) whoever produces it;
 *  - records dated 9999 and 1970 sent through the real ingest handler are written with the receive
 *    time, and their topic still deletes by time, while a topic without the guards that was given
 *    one year-9999 record keeps every record of its segment (the attack the issue measured);
 *  - re-provisioning an existing topic adds the guards without resetting an operator's override
 *    (kafkajs's AlterConfigs is not incremental).
 * A broker of its own: its retention check runs every second (the shared test broker's, 60 s).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { KafkaClient } from '../../lib/adapters/kafka/client';
import type { ForwardRecord } from '../../lib/domain/record';
import { planTopics, TOPIC_TIMESTAMP_GUARDS, type TopicSpec } from '../../lib/domain/tiers';
import { runKafkaTool, startLocalKafka, type LocalKafka } from '../../tools/local-stack/kafka';
import { httpEvent, lambdaContext, ndjson } from '../helpers/events';
import { logsFunction } from '../helpers/functions';
import { functionEnv, quietLog, TEST_KAFKA, uniquePrefix } from '../helpers/stack';

const run = promisify(execFile);

/** Derived from the shared test broker's port, so parallel runs with their own EF_TEST_KAFKA_PORT do not collide. */
const GUARD_KAFKA = { name: `${TEST_KAFKA.name}-retention`, basePort: TEST_KAFKA.basePort + 70 } as const;
const RETENTION_MS = 5_000;
const SHORT_RETENTION = { 'retention.ms': String(RETENTION_MS), 'segment.ms': '1000' };
const YEAR_9999 = Date.UTC(9999, 11, 31, 23, 59, 59);

let kafka: LocalKafka;
let client: KafkaClient;

before(async () => {
  kafka = await startLocalKafka({
    ...GUARD_KAFKA,
    brokerConfig: { 'log.retention.check.interval.ms': 1000, 'log.initial.task.delay.ms': 0 },
    log: () => undefined,
  });
  client = new KafkaClient(
    { brokers: kafka.brokers, auth: 'plaintext', clientId: 'retention-guard', connectTimeoutMs: 2000, requestTimeoutMs: 10_000, idleReconnectMs: 600_000, maxRequestBytes: 900_000 },
    quietLog,
  );
});

after(async () => {
  await client?.disconnect();
  await kafka?.stop();
});

/** The tier topics under `prefix` as planned for this one-broker cluster, one partition each. */
function tierSpecs(prefix: string): TopicSpec[] {
  return planTopics({ prefix, brokers: 1, partitions: 1 }).specs;
}

async function ensure(specs: TopicSpec[]) {
  const admin = client.admin();
  try {
    return await admin.ensureTopics(specs);
  } finally {
    await admin.disconnect();
  }
}

function record(topic: string, timestamp: number, value: unknown): ForwardRecord {
  return { id: `r-${timestamp}`, tier: 'logs', topic, key: null, value: Buffer.from(JSON.stringify(value)), headers: {}, timestamp, sourceRef: { source: 'http', index: 0 } };
}

/** Sends with acks=all, so a refusal comes back instead of vanishing. */
function sendReliably(records: ForwardRecord[]) {
  return client.producer('reliable').send([{ topic: records[0]!.topic, records }], { deadline: Date.now() + 15_000, compressed: false });
}

/** What kcat (librdkafka, another process) reads from the beginning: value and broker-side timestamp. */
async function readWithTimestamps(topic: string): Promise<{ value: string; ts: number }[]> {
  const { stdout } = await run('kcat', ['-C', '-b', kafka.bootstrap, '-t', topic, '-o', 'beginning', '-e', '-q', '-J'], { timeout: 30_000 });
  return stdout
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line) as { payload: string; ts: number })
    .map((m) => ({ value: m.payload, ts: m.ts }));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('retention guard', () => {
  test('a tier topic refuses a record dated 9999 or 1970 from any producer; a current one is written', async () => {
    const prefix = uniquePrefix('guard');
    await ensure(tierSpecs(prefix));
    const topic = `${prefix}logs`;
    for (const hostile of [YEAR_9999, 0]) {
      const refused = await sendReliably([record(topic, hostile, { hostile })]);
      assert.equal(refused.ok, false, `timestamp ${hostile} must be refused by the broker`);
      assert.ok(!refused.ok && !refused.retriable && /INVALID_TIMESTAMP|timestamp/i.test(refused.reason), JSON.stringify(refused));
    }
    const accepted = await sendReliably([record(topic, Date.now(), { ok: true })]);
    assert.equal(accepted.ok, true, JSON.stringify(accepted));
    assert.deepEqual((await readWithTimestamps(topic)).map((m) => m.value), ['{"ok":true}']);
  });

  test('hostile timestamps through the ingest handler get the receive time, and retention still deletes', async () => {
    const prefix = uniquePrefix('retain');
    const logs = { ...tierSpecs(prefix).find((s) => s.name === `${prefix}logs`)! };
    logs.configs = { ...logs.configs, ...SHORT_RETENTION };
    // The attack of the issue, for comparison: same retention, no guards, one year-9999 record.
    const control: TopicSpec = { name: `${prefix}control`, partitions: 1, replicationFactor: 1, configs: { 'cleanup.policy': 'delete', ...SHORT_RETENTION } };
    await ensure([logs, control]);
    const direct = await sendReliably([YEAR_9999, Date.now(), Date.now(), Date.now()].map((ts, i) => record(control.name, ts, { i })));
    assert.equal(direct.ok, true, 'a topic without the guards takes a year-9999 record');

    const { handler, deps } = logsFunction(functionEnv(kafka.brokers, prefix));
    const claimed = Date.now() - 2_000;
    const lines = [
      '{"n":0,"timestamp":"9999-12-31T23:59:59Z"}',
      '{"n":1,"timestamp":0}',
      `{"n":2,"timestamp":${YEAR_9999}}`,
      '{"n":3}',
      `{"n":4,"timestamp":${claimed}}`,
    ];
    const sentFrom = Date.now();
    let res: APIGatewayProxyStructuredResultV2;
    try {
      res = await handler(httpEvent({ path: '/v1/logs', body: ndjson(lines), contentType: 'application/x-ndjson' }), lambdaContext({ remainingMs: 10_000 }));
    } finally {
      await deps.close();
    }
    const sentTo = Date.now();
    assert.equal(res.statusCode, 200, res.body as string);
    assert.equal((JSON.parse(res.body as string) as { forwarded: number }).forwarded, lines.length);

    const written = await readWithTimestamps(logs.name);
    assert.deepEqual(written.map((m) => m.value), lines, 'every record arrived, as sent (the client timestamp stays in the payload)');
    for (const m of written.slice(0, 4)) assert.ok(m.ts >= sentFrom && m.ts <= sentTo, `${m.value}: Kafka timestamp ${new Date(m.ts).toISOString()} is not the receive time`);
    assert.equal(written[4]!.ts, claimed, 'a timestamp inside the window is kept');
    assert.equal((await readWithTimestamps(control.name)).length, 4);

    const until = Date.now() + 30_000;
    let left = written.length;
    while (left > 0 && Date.now() < until) {
      await sleep(1000);
      left = (await readWithTimestamps(logs.name)).length;
    }
    const deletedAfterMs = Date.now() - sentTo;
    assert.equal(left, 0, `retention deleted nothing of ${logs.name} in ${deletedAfterMs} ms`);
    await sleep(2_000); // two more retention checks, so the control had every chance the guarded topic had
    const kept = await readWithTimestamps(control.name);
    assert.equal(kept.length, 4, 'without the guards, one year-9999 record keeps its whole segment');
    console.log(`# retention: guarded topic empty ${deletedAfterMs} ms after the hostile batch (retention.ms ${RETENTION_MS}); unguarded control still holds ${kept.length} of 4`);
  });

  test("re-provisioning adds the guards to an existing topic and keeps an operator's override", async () => {
    const prefix = uniquePrefix('upgrade');
    const current = tierSpecs(prefix).find((s) => s.name === `${prefix}logs`)!;
    // The topic as an older definition created it, plus a setting an operator made by hand.
    const old: TopicSpec = { ...current, configs: { 'retention.ms': current.configs['retention.ms']!, 'cleanup.policy': 'delete', 'max.message.bytes': '2000000' } };
    assert.deepEqual(await ensure([old]), [{ topic: current.name, action: 'created' }]);
    assert.deepEqual(await ensure([current]), [{ topic: current.name, action: 'updated' }]);
    assert.deepEqual(await ensure([current]), [{ topic: current.name, action: 'unchanged' }]);

    const described = await runKafkaTool('org.apache.kafka.tools.TopicCommand', ['--bootstrap-server', kafka.bootstrap, '--describe', '--topic', current.name], { timeoutMs: 60_000 });
    assert.equal(described.code, 0, described.stderr);
    const configs = /Configs:\s*(\S*)/.exec(described.stdout)?.[1]?.split(',') ?? [];
    for (const [name, value] of Object.entries({ ...TOPIC_TIMESTAMP_GUARDS, 'retention.bytes': current.configs['retention.bytes']!, 'max.message.bytes': '2000000' })) {
      assert.ok(configs.includes(`${name}=${value}`), `${name}=${value} not in ${described.stdout}`);
    }
  });
});
