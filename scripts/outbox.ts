/**
 * Operator commands for the critical-tier outbox.
 *   npm run outbox -- status                 pending count, oldest pending age, dead count
 *   npm run outbox -- dead [--limit N]       dead entries with their last error
 *   npm run outbox -- replay-dead [id ...]   dead → pending (all, or the given ids)
 *   npm run outbox -- drain                  run the relay until nothing due is left
 * Reads the same environment as the functions (OUTBOX_TABLE, DYNAMODB_ENDPOINT, KAFKA_BROKERS /
 * MSK_CLUSTER_ARN, ...); without any, it targets the local `npm start` stack.
 */
import { createRelayHandler } from '../lib/lambda/critical';
import type { Context } from 'aws-lambda';
import { runCli } from './run-cli';

const LOCAL_DEFAULTS = {
  OUTBOX_TABLE: 'edge-forwarder-outbox-local',
  DYNAMODB_ENDPOINT: 'http://127.0.0.1:18000',
  KAFKA_BROKERS: '127.0.0.1:19092',
  LOG_LEVEL: 'warn',
};

const [command = 'status', ...rest] = process.argv.slice(2);
const flag = (name: string, fallback: number) => {
  const i = rest.indexOf(name);
  return i >= 0 ? Number(rest[i + 1]) : fallback;
};
const ago = (ms: number) => (ms < 120_000 ? `${Math.round(ms / 1000)} s` : `${Math.round(ms / 60_000)} min`);

async function main() {
  const env = process.env.OUTBOX_TABLE ? process.env : { ...LOCAL_DEFAULTS, ...process.env };
  const relay = createRelayHandler(env, { lineSink: (line) => void (line.startsWith('{"_aws"') || process.stderr.write(line + '\n')) });
  const { store } = relay;
  try {
    switch (command) {
      case 'status': {
        const s = await store.stats({ now: Date.now() });
        console.log(`table ${env.OUTBOX_TABLE}: ${s.pending} pending (oldest ${ago(s.oldestPendingAgeMs)}), ${s.dead} dead`);
        return s.dead > 0 ? 2 : 0;
      }
      case 'dead': {
        const dead = await store.listDead({ limit: flag('--limit', 50) });
        if (!dead.length) console.log('no dead entries');
        for (const e of dead) {
          console.log(`${e.record.id}  ${e.record.topic}  attempts=${e.attempts}  created ${ago(Date.now() - e.createdAt)} ago  last error: ${e.lastError ?? '-'}`);
        }
        return 0;
      }
      case 'replay-dead': {
        const ids = rest.filter((a) => !a.startsWith('--'));
        const n = await store.replayDead({ now: Date.now(), ...(ids.length && { ids }) });
        console.log(`replayed ${n} dead entr${n === 1 ? 'y' : 'ies'}; the relay sends them on its next run (or: npm run outbox -- drain)`);
        return 0;
      }
      case 'drain': {
        const context = { getRemainingTimeInMillis: () => 60_000 } as Context;
        for (let round = 1; ; round++) {
          const run = await relay(undefined, context);
          console.log(`round ${round}: delivered ${run.delivered}, failed ${run.failed}, dead ${run.dead}; ${run.stats.pending} pending`);
          if (run.stoppedBecause === 'send-failed') {
            console.error(`relay stopped: ${run.lastError}`);
            return 1;
          }
          if (run.claimed === 0) return 0;
        }
      }
      default:
        console.error(`unknown command "${command}"; use status | dead | replay-dead [id ...] | drain`);
        return 64;
    }
  } finally {
    await relay.runtime.kafka.disconnect();
  }
}

runCli(`outbox ${command}`, main);
