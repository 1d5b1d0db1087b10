/**
 * A consumer runner in a process of its own, so a test can SIGKILL it between commit and
 * processing. Every processed record appends one JSON line {id, partition, offset} to
 * EF_SIDE_EFFECTS (appendFileSync: the write is in the kernel before the next record starts, so a
 * SIGKILL cannot lose a side effect that happened).
 *
 * EF_SEMANTICS   at-most-once | at-least-once
 * EF_DEDUPE      none | dynamodb (DEDUPE_TABLE, DYNAMODB_ENDPOINT, DEDUPE_SCOPE)
 * EF_CRASH_AT    first commit of this process: "after-commit" (committed, nothing processed yet) or
 *                "before-commit" (processed, not committed); prints "CRASHPOINT <json>" and hangs.
 * Prints READY once polling started and "STATS <json>" when the runner's counters change.
 */
import { appendFileSync } from 'node:fs';
import { loadConfig } from '../../lib/platform/config';
import { atLeastOnce, atMostOnce } from '../../lib/consume/runner';
import type { BatchConsumer, BatchControl, PolledBatch } from '../../lib/consume/types';
import { KafkaConsumerClient } from '../../lib/adapters/kafka/consumer-admin';
import { createDynamoDedupeStore } from '../../lib/adapters/dedupe/dynamo-store';
import { createLogger } from '../../lib/platform/telemetry';

const env = process.env;
const say = (line: string) => process.stdout.write(line + '\n');
const log = createLogger({ level: 'warn', sink: (l) => process.stderr.write(l + '\n') });

function withCrashPoint(real: BatchConsumer, crashAt: string): BatchConsumer {
  let armed = Boolean(crashAt);
  const hang = (batch: PolledBatch, next: number) => {
    armed = false;
    const ids = batch.records.filter((r) => r.offset < next).map((r) => r.headers['ef-event-id']);
    say(`CRASHPOINT ${JSON.stringify({ point: crashAt, partition: batch.partition, next, ids })}`);
    return new Promise<never>(() => setInterval(() => undefined, 1000));
  };
  return {
    run: (handler) =>
      real.run((batch, ctl) => {
        const control: BatchControl = {
          ...ctl,
          async commit(next) {
            if (armed && crashAt === 'before-commit') await hang(batch, next);
            await ctl.commit(next);
            if (armed && crashAt === 'after-commit') await hang(batch, next);
          },
        };
        return handler(batch, control);
      }),
    stop: () => real.stop(),
  };
}

async function main() {
  const client = new KafkaConsumerClient(loadConfig(env).kafka, log);
  const consumer = withCrashPoint(
    // The broker's minimum session: a SIGKILLed predecessor leaves the group after 6 s, not 30.
    client.consumer({ groupId: env.EF_GROUP!, topics: [env.EF_TOPIC!], ...(env.EF_FROM_BEGINNING && { fromBeginning: env.EF_FROM_BEGINNING === '1' }), sessionTimeoutMs: 6_000 }),
    env.EF_CRASH_AT ?? '',
  );
  const handle = async (r: { headers: Record<string, string>; partition: number; offset: number }) =>
    appendFileSync(env.EF_SIDE_EFFECTS!, JSON.stringify({ id: r.headers['ef-event-id'], partition: r.partition, offset: r.offset }) + '\n');
  const dedupe =
    env.EF_DEDUPE === 'dynamodb'
      ? createDynamoDedupeStore({ endpoint: env.DYNAMODB_ENDPOINT!, tableName: env.DEDUPE_TABLE!, scope: env.DEDUPE_SCOPE ?? 'test', ttlSeconds: 3600 })
      : undefined;
  const runner =
    env.EF_SEMANTICS === 'at-most-once'
      ? atMostOnce({ consumer, log, handle })
      : atLeastOnce({ consumer, log, handle, ...(dedupe && { dedupe }), leaseMs: 5_000 });
  await runner.start();
  say('READY');
  let last = '';
  setInterval(() => {
    const now = JSON.stringify(runner.stats);
    if (now !== last) say(`STATS ${(last = now)}`);
  }, 100);
}

main().catch((err) => {
  process.stderr.write(`consumer-child failed: ${err instanceof Error ? err.stack : err}\n`);
  process.exit(1);
});
