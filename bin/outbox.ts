/**
 * Operator commands for the critical-tier outbox.
 *   npm run outbox -- status                 pending count, oldest pending age, dead count
 *   npm run outbox -- dead [--limit N]       dead entries with their last error
 *   npm run outbox -- replay-dead [id ...]   dead → pending (all, or the given ids)
 *   npm run outbox -- drain                  run the relay until nothing due is left
 *   npm run outbox -- verify [--since 1h] [--until 0m] [--timeout 5m]
 *                                            are the events delivered in the window in Kafka, at
 *                                            the offsets the broker acknowledged? exit 3 if not
 * Reads the same environment as the functions (OUTBOX_TABLE, DYNAMODB_ENDPOINT, KAFKA_BROKERS /
 * MSK_CLUSTER_ARN, ...); without any, it targets the local `npm start` stack.
 */
import { createRelayHandler } from '../lib/handlers/ingest-critical';
import type { Context } from 'aws-lambda';
import type { Env } from '../lib/platform/env';
import { parseDuration } from '../lib/consume/loss';
import { createOutboxVerifier } from '../lib/handlers/outbox-verify';
import { isClean, type AuditProgress, type AuditReport } from '../lib/outbox/audit';
import { createLogger } from '../lib/platform/telemetry';
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

/** verify: something acknowledged is not in Kafka, or the read could not cover the window (distinct from status's 2). */
const VERIFY_FAILED = 3;
const USAGE = 64;

async function main() {
  const env = process.env.OUTBOX_TABLE ? process.env : { ...LOCAL_DEFAULTS, ...process.env };
  if (command === 'verify') return verify(env);
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
        console.error(`unknown command "${command}"; use status | dead | replay-dead [id ...] | drain | verify`);
        return USAGE;
    }
  } finally {
    await relay.runtime.kafka.disconnect();
  }
}

/** A duration flag with its unit (30m, 1h, 2d): a bare number would silently mean milliseconds. */
const durationFlag = (name: string, fallback: string) => {
  const i = rest.indexOf(name);
  const text = i >= 0 ? (rest[i + 1] ?? '') : fallback;
  return /[a-z]$/.test(text) ? parseDuration(text) : undefined;
};
const iso = (ms: number) => new Date(ms).toISOString();
const progress = (line: string) => process.stderr.write(`${line}\n`);

function showProgress(p: AuditProgress) {
  if (p.step === 'listed') progress(`${p.entries} tombstones in the window${p.unlocated ? ` (${p.unlocated} without an offset)` : ''}`);
  else if (p.step === 'reading') progress(`reading ${p.topic}: ${p.ranges.map((r) => `p${r.partition} [${r.start}, ${r.end})`).join(', ')}`);
  else progress(`read ${p.messages} messages from ${p.topic}${p.complete ? '' : ' (INCOMPLETE)'}`);
}

/** Tombstones delivered in [now - since, now - until) against the topic; exit 0 only when clean. */
async function verify(env: Env): Promise<number> {
  const [since, until, timeoutMs] = [durationFlag('--since', '1h'), durationFlag('--until', '0m'), durationFlag('--timeout', '5m')];
  if (since === undefined || until === undefined || timeoutMs === undefined || until >= since) {
    console.error('verify [--since 1h] [--until 0m] [--timeout 5m]: durations like 30m, 1h, 2d, with --until before --since');
    return USAGE;
  }
  const log = createLogger({ level: 'warn', sink: (line) => process.stderr.write(line + '\n') });
  const verifier = createOutboxVerifier(env, {}, log);
  const now = Date.now();
  const [from, to] = [now - since, now - until];
  progress(`table ${env.OUTBOX_TABLE}: tombstones delivered ${iso(from)} .. ${iso(to)}`);
  try {
    const report = await verifier.verify({ from, to, deadline: Date.now() + timeoutMs, onProgress: showProgress });
    console.log(formatReport(report));
    return isClean(report) ? 0 : VERIFY_FAILED;
  } finally {
    await verifier.close();
  }
}

/** The summary table, then the missing ids (ids only: payloads are never read into the report). */
function formatReport(r: AuditReport): string {
  const row = (label: string, n: number, why = '') => `${label.padEnd(13)}${String(n).padStart(8)}${why && `  ${why}`}`;
  const result = !r.complete
    ? `INCOMPLETE: the read did not cover every acknowledged offset (exit ${VERIFY_FAILED}); this is not a clean result`
    : r.missing.length
      ? `${r.missing.length} MISSING: acknowledged by the broker, not in Kafka (exit ${VERIFY_FAILED})`
      : 'clean: every checked event is in Kafka';
  return [
    `window       ${iso(r.from)} .. ${iso(r.to)}`,
    `read         ${r.messagesRead} messages from ${r.partitionsRead} partitions${r.complete ? '' : ' (incomplete)'}`,
    row('checked', r.checked),
    row('present', r.present),
    row('misplaced', r.misplaced, 'in Kafka, but not at the offset on record'),
    row('missing', r.missing.length, 'acknowledged, nowhere in what was read'),
    row('unverifiable', r.unverifiable, 'tombstones without an offset whose id was not in what was read (not counted as missing)'),
    ...(r.complete ? [] : [row('unread', r.unread, 'offsets the read did not reach')]),
    `result       ${result}`,
    ...(r.missing.length ? ['missing ids:', ...r.missing.map((id) => `  ${id}`)] : []),
  ].join('\n');
}

runCli(`outbox ${command}`, main);
