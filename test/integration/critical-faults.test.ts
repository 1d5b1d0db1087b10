/**
 * The faults production has, against real brokers and DynamoDB Local, with warm handlers: a
 * stalled broker (SIGSTOP/SIGCONT), a leader failover on three brokers (SIGKILL, restart,
 * Kafka's own preferred leader election) while traffic flows, and an outage longer than many
 * relay runs. In each: every acknowledged event is in the topic (counted by kcat), no entry is
 * dead, duplicates are counted and printed. Stall and failover run with the critical producer
 * idempotent (the default) and plain, to measure what idempotence buys.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startLocalKafka, type LocalKafka } from '../../tools/local-stack/kafka';
import type { DynamoLocal } from '../../tools/local-stack/dynamodb';
import { criticalDeps, criticalHandler } from '../../lib/handlers/ingest-critical';
import { relayDeps, relayHandler, type RelayHandler } from '../../lib/handlers/outbox-relay';
import { loadConfig } from '../../lib/platform/config';
import type { IngestHandler } from '../../lib/handlers/ingest';
import { criticalEnv, newOutboxTable, sharedDynamo, sleep } from '../helpers/critical';
import { startProxiedKafka, waitUntil, type ProxiedKafka } from '../helpers/faults';
import { Tally, postEvents, randomKills, relayLoop, report, settle } from '../helpers/critical-traffic';
import { RawTable } from '../helpers/dynamo';
import { lambdaContext } from '../helpers/events';
import { provision, quiet, uniquePrefix } from '../helpers/stack';

/** Timer granularity and a loaded 2-core machine; the bound itself (the budget) is the invariant. */
const SLACK_MS = 1_500;
const MODES = [
  { label: 'idempotent', idempotent: 'true' },
  { label: 'plain', idempotent: 'false' },
] as const;

let ddb: DynamoLocal;
const cleanups: (() => Promise<void>)[] = [];

before(async () => {
  ddb = await sharedDynamo();
});
after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
});

async function criticalStack(kafka: { brokers: string[] }, label: string, extra: Record<string, string> = {}) {
  const prefix = uniquePrefix(label);
  await provision(kafka.brokers, prefix, 3);
  const table = await newOutboxTable(ddb.endpoint, label);
  const env = criticalEnv(kafka.brokers, prefix, ddb.endpoint, table, { KAFKA_REQUEST_TIMEOUT_MS: '2000', ...extra });
  const ingestParts = criticalDeps(loadConfig(env), quiet);
  const relayParts = relayDeps(loadConfig(env), quiet);
  cleanups.push(ingestParts.close, relayParts.close);
  const ingest: IngestHandler = criticalHandler(ingestParts);
  const relay: RelayHandler = relayHandler(relayParts);
  return { prefix, table, env, ingest, relay, relayStore: relayParts.store, topic: `${prefix}critical` };
}

describe('a stalled broker (SIGSTOP during sends, then SIGCONT)', () => {
  let kafka: LocalKafka;
  before(async () => {
    kafka = await startLocalKafka({ name: 'fault-stall', basePort: 19720, log: () => undefined });
    cleanups.push(() => kafka.stop());
  });

  for (const mode of MODES) {
    test(`${mode.label} producer: nothing acknowledged is lost, the warm container forwards again`, async () => {
      const { ingest, relay, relayStore, topic } = await criticalStack(kafka, `stall-${mode.label}`, {
        KAFKA_CRITICAL_IDEMPOTENT: mode.idempotent,
        KAFKA_REQUEST_TIMEOUT_MS: '1000',
      });
      const tally = new Tally();
      assert.ok((await postEvents(ingest, 20, 4_000, tally)).statuses.every((s) => s.status === 'forwarded'), 'warm-up');
      const relaying = relayLoop(relay);
      for (let round = 0; round < 2; round++) {
        // Longer than kafkajs's own retries of the stalled request (6 attempts of 1 s plus
        // backoff): it gives up, while the broker still holds the request and writes it on SIGCONT.
        const resumeAt = Date.now() + 12_000;
        await kafka.pauseBroker(0);
        for (let i = 0; i < 3; i++) {
          const stalled = await postEvents(ingest, 20, 2_500, tally);
          assert.equal(stalled.statusCode, 200);
          assert.ok(stalled.statuses.every((s) => s.status === 'persisted'), 'a stalled broker leaves every event to the relay');
        }
        await sleep(resumeAt - Date.now());
        await kafka.resumeBroker(0);
        let forwarded = 0;
        for (let i = 0; i < 5; i++) forwarded += (await postEvents(ingest, 20, 4_000, tally)).statuses.filter((s) => s.status === 'forwarded').length;
        assert.ok(forwarded >= 20, `round ${round}: the warm container forwards again after the stall (${forwarded} of 100)`);
      }
      const { dead } = await relaying.stop();
      const outcome = await settle(relay, relayStore, kafka.brokers, topic, tally);
      report(`stall 12 s ×2, ${mode.label}`, outcome, tally);
      assert.deepEqual(outcome.missing, [], 'every acknowledged event is in the topic');
      assert.equal(dead + outcome.dead, 0, 'no entry dead');
      assert.ok(tally.maxOverrunMs <= SLACK_MS, `every invocation returned within its budget (worst: ${tally.maxOverrunMs} ms over)`);
    });
  }

  test('random SIGKILLs of ingest and relay processes, with random broker stalls between them', async () => {
    const { env, relay, relayStore, topic } = await criticalStack(kafka, 'kills-stalls', { KAFKA_REQUEST_TIMEOUT_MS: '1000' });
    const tally = new Tally();
    let stalls = 0;
    await randomKills(env, tally, {
      iterations: 10,
      seed: 20261202,
      async during(_round, random, kill) {
        if (random() >= 0.6) return;
        stalls++;
        await kafka.pauseBroker(0);
        await sleep(500 + Math.floor(random() * 3_000));
        if (random() < 0.5) await kill(); // half the time the processes die during the stall
        await kafka.resumeBroker(0);
        await sleep(Math.floor(random() * 1_000));
      },
    });
    assert.ok(tally.acknowledged.size > 0, 'the children acknowledged events before being killed');
    const outcome = await settle(relay, relayStore, kafka.brokers, topic, tally);
    report(`10 random kills, ${stalls} stalls`, outcome, tally);
    assert.deepEqual(outcome.missing, []);
    assert.equal(outcome.dead, 0);
  });

  test('an outage longer than many relay runs: nothing dead, all delivered after the broker returns', async () => {
    const { ingest, relay, relayStore, topic, table } = await criticalStack(kafka, 'outage');
    const tally = new Tally();
    await kafka.stopBroker(0);
    try {
      const down = await postEvents(ingest, 30, 3_000, tally);
      assert.ok(down.statuses.every((s) => s.status === 'persisted'));
      // Relay runs until every entry has failed more often than the old permanent limit (3):
      // connection refused and exhausted retries are retriable, so they must wait for
      // OUTBOX_MAX_ATTEMPTS (24), hours of backoff away.
      const raw = RawTable.forEndpoint(ddb.endpoint, table);
      cleanups.push(async () => raw.close());
      let minAttempts = 0;
      for (let run = 0; run < 60 && minAttempts < 5; run++) {
        const result = await relay(undefined, lambdaContext({ remainingMs: 2_000 }));
        assert.equal(result.dead, 0, `relay run ${run} dead-lettered entries of a broker outage`);
        const items = (await raw.scan()).filter((i) => i.state?.S === 'pending');
        minAttempts = Math.min(...items.map((i) => Number(i.attempts?.N ?? 0)));
        await sleep(1_000);
      }
      assert.ok(minAttempts >= 5, `every entry was attempted at least 5 times (${minAttempts})`);
    } finally {
      await kafka.startBroker(0);
    }
    const outcome = await settle(relay, relayStore, kafka.brokers, topic, tally);
    report('outage (≥ 5 relay attempts each)', outcome, tally);
    assert.deepEqual(outcome.missing, []);
    assert.equal(outcome.dead, 0);
  });
});

describe('a leader failover on three brokers (SIGKILL, restart, preferred leader election) while traffic flows', () => {
  let kafka: LocalKafka;
  before(async () => {
    kafka = await startLocalKafka({ name: 'fault-failover', nodes: 3, basePort: 19730, log: () => undefined });
    cleanups.push(() => kafka.stop());
  });

  for (const mode of MODES) {
    test(`${mode.label} producer: nothing acknowledged is lost, nothing dead, the warm container recovers`, async () => {
      const { ingest, relay, relayStore, topic } = await criticalStack(kafka, `failover-${mode.label}`, { KAFKA_CRITICAL_IDEMPOTENT: mode.idempotent });
      const tally = new Tally();
      assert.ok((await postEvents(ingest, 20, 4_000, tally)).statuses.every((s) => s.status === 'forwarded'), 'warm-up');
      const relaying = relayLoop(relay);
      let flowing = true;
      const traffic = (async () => {
        while (flowing) await postEvents(ingest, 10, 4_000, tally);
      })();
      try {
        await sleep(1_500);
        await kafka.killBroker(1);
        await sleep(4_000);
        await kafka.startBroker(1);
        await waitUntil('node 2 back in every ISR', async () => (await kafka.topicPartitions(topic)).every((p) => p.isr.includes(2)), { timeoutMs: 60_000 });
        await kafka.electLeaders();
        await sleep(3_000);
      } finally {
        flowing = false;
        await traffic;
      }
      // After the failover a warm container forwards directly again (its producer was replaced).
      let forwarded = 0;
      for (let i = 0; i < 3; i++) forwarded += (await postEvents(ingest, 20, 4_000, tally)).statuses.filter((s) => s.status === 'forwarded').length;
      assert.ok(forwarded >= 50, `the warm container forwards after the failover (${forwarded} of 60)`);
      const { dead } = await relaying.stop();
      const outcome = await settle(relay, relayStore, kafka.brokers, topic, tally);
      report(`failover, ${mode.label}`, outcome, tally);
      assert.deepEqual(outcome.missing, [], 'every acknowledged event is in the topic');
      assert.equal(dead + outcome.dead, 0, 'no entry dead on a healthy cluster');
      assert.ok(tally.maxOverrunMs <= SLACK_MS, `every invocation returned within its budget (worst: ${tally.maxOverrunMs} ms over)`);
    });
  }

  test('random SIGKILLs of ingest and relay processes while a broker is killed, restarted and leadership moved back', async () => {
    const { env, relay, relayStore, topic } = await criticalStack(kafka, 'kills-failover');
    const tally = new Tally();
    await randomKills(env, tally, {
      iterations: 8,
      seed: 20261203,
      async during(round) {
        if (round === 1) await kafka.killBroker(2);
        if (round === 3) await kafka.startBroker(2);
        if (round === 5) {
          await waitUntil('node 3 back in every ISR', async () => (await kafka.topicPartitions(topic)).every((p) => p.isr.includes(3)), { timeoutMs: 60_000 });
          await kafka.electLeaders();
        }
      },
    });
    assert.ok(tally.acknowledged.size > 0, 'the children acknowledged events before being killed');
    const outcome = await settle(relay, relayStore, kafka.brokers, topic, tally);
    report('8 random kills across a failover', outcome, tally);
    assert.deepEqual(outcome.missing, []);
    assert.equal(outcome.dead, 0);
  });
});

describe('a black-holed, then throttled link between the functions and the broker (loopback TCP proxy)', () => {
  let link: ProxiedKafka;
  before(async () => {
    link = await startProxiedKafka({ name: 'fault-link', basePort: 19740, log: () => undefined });
    cleanups.push(() => link.stop());
  });

  test('nothing acknowledged is lost; the warm container forwards again once the link is back', async () => {
    const { ingest, relay, relayStore, topic } = await criticalStack(link, 'link', { KAFKA_REQUEST_TIMEOUT_MS: '1000' });
    const tally = new Tally();
    assert.ok((await postEvents(ingest, 20, 4_000, tally)).statuses.every((s) => s.status === 'forwarded'), 'warm-up');
    const relaying = relayLoop(relay);
    for (const mode of ['drop', 'hold'] as const) {
      link.proxy.blackhole(mode);
      for (let i = 0; i < 2; i++) {
        const cut = await postEvents(ingest, 20, 2_500, tally);
        assert.ok(cut.statuses.every((s) => s.status === 'persisted'), `black hole (${mode}): every event left to the relay`);
      }
      link.proxy.blackhole(false);
      let forwarded = 0;
      for (let i = 0; i < 5; i++) forwarded += (await postEvents(ingest, 20, 4_000, tally)).statuses.filter((s) => s.status === 'forwarded').length;
      assert.ok(forwarded >= 20, `after the ${mode} black hole the warm container forwards again (${forwarded} of 100)`);
    }
    link.proxy.throttle(16 * 1024);
    for (let i = 0; i < 4; i++) await postEvents(ingest, 50, 3_000, tally);
    link.proxy.throttle(undefined);
    const { dead } = await relaying.stop();
    const outcome = await settle(relay, relayStore, link.brokers, topic, tally);
    report('black hole (drop, hold) + 16 KB/s throttle', outcome, tally);
    assert.deepEqual(outcome.missing, []);
    assert.equal(dead + outcome.dead, 0);
    assert.ok(tally.maxOverrunMs <= SLACK_MS, `every invocation returned within its budget (worst: ${tally.maxOverrunMs} ms over)`);
  });
});
