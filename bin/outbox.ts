/** Operator commands for the critical-tier outbox. Usage: see USAGE (--help). */
import { relayDeps, relayHandler } from '../lib/handlers/outbox-relay';
import { loadConfig } from '../lib/platform/config';
import type { Context } from 'aws-lambda';
import type { Env } from '../lib/platform/env';
import { parseDuration } from '../lib/consume/loss';
import { verifyDeps, verifyWindow } from '../lib/handlers/outbox-verify';
import { isClean, type AuditProgress, type AuditReport } from '../lib/outbox/audit';
import { createLogger } from '../lib/platform/telemetry';
import { parseCommandLine, USAGE_EXIT_WHEN_2_IS_A_RESULT } from '../tools/cli-args';
import { runCli } from './run-cli';

const LOCAL_DEFAULTS = {
  OUTBOX_TABLE: 'edge-forwarder-outbox-local',
  DYNAMODB_ENDPOINT: 'http://127.0.0.1:18000',
  KAFKA_BROKERS: '127.0.0.1:19092',
  LOG_LEVEL: 'warn',
};

/** verify: something acknowledged is not in Kafka, or the read could not cover the window (distinct from status's 2). */
const VERIFY_FAILED = 3;

const USAGE = `usage: npm run outbox -- [command] [options]

  status                 pending count, oldest pending age, dead count (the default command)
  dead [--limit 50]      dead entries with their last error
  replay-dead [id ...]   dead → pending (all, or the given ids)
  drain                  run the relay until nothing due is left
  verify [--since 1h] [--until 0m] [--timeout 5m]
                         are the events delivered in [now - since, now - until) in Kafka, at the
                         offsets the broker acknowledged? Durations with their unit: 30m, 1h, 2d
  --help                 this text

Reads the same environment as the functions (OUTBOX_TABLE, DYNAMODB_ENDPOINT, KAFKA_BROKERS /
MSK_CLUSTER_ARN, ...); without any, it targets the local \`npm start\` stack.
exit: 0 ok; 1 failure; 2 status: dead entries; ${VERIFY_FAILED} verify: missing or incomplete; ${USAGE_EXIT_WHEN_2_IS_A_RESULT} bad arguments`;

/** Each command's options; only replay-dead takes operands (ids). */
const COMMAND_OPTIONS = { status: [], dead: ['limit'], 'replay-dead': [], drain: [], verify: ['since', 'until', 'timeout'] } as const;
type Command = keyof typeof COMMAND_OPTIONS;

const cli = parseCommandLine({
  usage: USAGE,
  usageExit: USAGE_EXIT_WHEN_2_IS_A_RESULT,
  positionals: true,
  options: {
    limit: { type: 'string', default: '50' },
    since: { type: 'string', default: '1h' },
    until: { type: 'string', default: '0m' },
    timeout: { type: 'string', default: '5m' },
  },
});
const [commandName = 'status', ...operands] = cli.positionals;
const isCommand = (name: string): name is Command => Object.hasOwn(COMMAND_OPTIONS, name);
const command = isCommand(commandName) ? commandName : cli.fail(`unknown command "${commandName}"; use status | dead | replay-dead [id ...] | drain | verify`);
cli.only(COMMAND_OPTIONS[command], command);
if (operands.length && command !== 'replay-dead') cli.fail(`${command} takes no arguments, got: ${operands.join(' ')}`);
const limit = cli.integer('limit', { min: 1 });
/** A bare number would silently mean milliseconds. */
const durationWithUnit = (text: string) => (/[a-z]$/.test(text) ? parseDuration(text) : undefined);
const DURATION = 'a duration with its unit, like 30m, 1h, 2d';
const since = cli.convert('since', durationWithUnit, DURATION);
const until = cli.convert('until', durationWithUnit, DURATION);
const timeoutMs = cli.convert('timeout', durationWithUnit, DURATION);
if (until >= since) cli.fail(`--until (${cli.values.until}) must be shorter than --since (${cli.values.since}): the window is [now - since, now - until)`);

const ago = (ms: number) => (ms < 120_000 ? `${Math.round(ms / 1000)} s` : `${Math.round(ms / 60_000)} min`);

async function main() {
  const env = process.env.OUTBOX_TABLE ? process.env : { ...LOCAL_DEFAULTS, ...process.env };
  if (command === 'verify') return verify(env);
  const deps = relayDeps(loadConfig(env), { lineSink: (line) => void (line.startsWith('{"_aws"') || process.stderr.write(line + '\n')) });
  const relay = relayHandler(deps);
  const { store } = deps;
  try {
    switch (command) {
      case 'status': {
        const s = await store.stats({ now: Date.now() });
        console.log(`table ${env.OUTBOX_TABLE}: ${s.pending} pending (oldest ${ago(s.oldestPendingAgeMs)}), ${s.dead} dead`);
        return s.dead > 0 ? 2 : 0;
      }
      case 'dead': {
        const dead = await store.listDead({ limit });
        if (!dead.length) console.log('no dead entries');
        for (const e of dead) {
          console.log(`${e.record.id}  ${e.record.topic}  attempts=${e.attempts}  created ${ago(Date.now() - e.createdAt)} ago  last error: ${e.lastError ?? '-'}`);
        }
        return 0;
      }
      case 'replay-dead': {
        const n = await store.replayDead({ now: Date.now(), ...(operands.length && { ids: operands }) });
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
    }
  } finally {
    await deps.close();
  }
}

const iso = (ms: number) => new Date(ms).toISOString();
const progress = (line: string) => process.stderr.write(`${line}\n`);

function showProgress(p: AuditProgress) {
  if (p.step === 'listed') progress(`${p.entries} tombstones in the window${p.unlocated ? ` (${p.unlocated} without an offset)` : ''}`);
  else if (p.step === 'reading') progress(`reading ${p.topic}: ${p.ranges.map((r) => `p${r.partition} [${r.start}, ${r.end})`).join(', ')}`);
  else progress(`read ${p.messages} messages from ${p.topic}${p.complete ? '' : ' (INCOMPLETE)'}`);
}

/** Tombstones delivered in [now - since, now - until) against the topic; exit 0 only when clean. */
async function verify(env: Env): Promise<number> {
  const log = createLogger({ level: 'warn', sink: (line) => process.stderr.write(line + '\n') });
  const deps = verifyDeps(loadConfig(env), { log });
  const now = Date.now();
  const [from, to] = [now - since, now - until];
  progress(`table ${env.OUTBOX_TABLE}: tombstones delivered ${iso(from)} .. ${iso(to)}`);
  try {
    const report = await verifyWindow(deps, { from, to, deadline: Date.now() + timeoutMs, onProgress: showProgress });
    console.log(formatReport(report));
    return isClean(report) ? 0 : VERIFY_FAILED;
  } finally {
    await deps.consumers.disconnect();
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
