/**
 * Traffic and tallies for the critical-tier fault tests: warm handlers posting batches, a warm
 * relay looping beside them, and the final count of what reached the topic, read by kcat.
 */
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { RelayHandler } from '../../lib/handlers/outbox-relay';
import type { OutboxStore } from '../../lib/outbox/store';
import type { IngestHandler } from '../../lib/handlers/ingest';
import type { Env } from '../../lib/platform/env';
import { drain, sleep, spawnChild, type Child } from './critical';
import { httpEvent, lambdaContext } from './events';
import { consumeAll } from './kcat';

export interface Posted {
  statusCode: number;
  statuses: { id: string; status: string; reason?: string }[];
  elapsedMs: number;
  budgetMs: number;
}

/** Everything the clients were told, per status, and the slowest invocation against its budget. */
export class Tally {
  readonly acknowledged = new Set<string>();
  readonly counts: Record<string, number> = {};
  maxOverrunMs = -Infinity;

  add(p: Posted): Posted {
    for (const s of p.statuses) {
      this.counts[s.status] = (this.counts[s.status] ?? 0) + 1;
      if (s.status === 'forwarded' || s.status === 'persisted') this.acknowledged.add(s.id);
    }
    this.maxOverrunMs = Math.max(this.maxOverrunMs, p.elapsedMs - p.budgetMs);
    return p;
  }
}

export async function postEvents(ingest: IngestHandler, n: number, budgetMs: number, tally: Tally): Promise<Posted> {
  const batch = Array.from({ length: n }, (_, i) => ({ id: randomUUID(), type: 'kill', key: `match-${i % 7}` }));
  const started = Date.now();
  const res = (await ingest(
    httpEvent({ path: '/v1/events', body: batch, contentType: 'application/json' }),
    lambdaContext({ remainingMs: budgetMs }),
  )) as APIGatewayProxyStructuredResultV2;
  const elapsedMs = Date.now() - started;
  const body = JSON.parse(res.body as string) as { results: { status: string; reason?: string }[] };
  const statuses = body.results.map((r, i) => ({ id: batch[i]!.id, status: r.status, ...(r.reason && { reason: r.reason }) }));
  return tally.add({ statusCode: res.statusCode ?? 0, statuses, elapsedMs, budgetMs });
}

/** A warm relay invoked every `everyMs` until stopped, as the schedule (and a warm container) would. */
export function relayLoop(relay: RelayHandler, everyMs = 500) {
  let running = true;
  let dead = 0;
  let runs = 0;
  const done = (async () => {
    while (running) {
      try {
        const run = await relay(undefined, lambdaContext({ remainingMs: 5_000 }));
        dead += run.dead;
        runs++;
      } catch {
        // a relay invocation that throws (e.g. DynamoDB hiccup) is retried by the next run
      }
      await sleep(everyMs);
    }
  })();
  return {
    async stop() {
      running = false;
      await done;
      return { runs, dead };
    },
  };
}

export interface Outcome {
  acknowledged: number;
  delivered: number;
  missing: string[];
  /** Event ids found more than once, and the most copies of one id. */
  duplicated: number;
  maxCopies: number;
  dead: number;
}

/** Drains the outbox with the relay, then counts with kcat what reached the topic. */
export async function settle(relay: RelayHandler, store: OutboxStore, brokers: string[], topic: string, tally: Tally): Promise<Outcome> {
  await sleep(1_100); // grace: fresh entries belong to their ingest invocation
  await drain(relay, 120_000);
  const stats = await store.stats({ now: Date.now() });
  const copies = new Map<string, number>();
  for (const m of await consumeAll(brokers, topic)) {
    const id = m.headers['ef-event-id'];
    if (id) copies.set(id, (copies.get(id) ?? 0) + 1);
  }
  const missing = [...tally.acknowledged].filter((id) => !copies.has(id));
  const dupes = [...copies.values()].filter((n) => n > 1);
  return {
    acknowledged: tally.acknowledged.size,
    delivered: [...tally.acknowledged].filter((id) => copies.has(id)).length,
    missing,
    duplicated: dupes.length,
    maxCopies: Math.max(1, ...dupes),
    dead: stats.dead,
  };
}

export function report(label: string, o: Outcome, tally: Tally): void {
  const statuses = Object.entries(tally.counts)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  const invocations = statuses
    ? ` | statuses: ${statuses} | slowest invocation ${tally.maxOverrunMs} ms past its budget`
    : ' (acknowledged by child processes)';
  process.stderr.write(
    `# ${label}: acknowledged ${o.acknowledged}, delivered ${o.delivered}, missing ${o.missing.length}, ` +
      `duplicated ${o.duplicated} (max ${o.maxCopies} copies), dead ${o.dead}${invocations}\n`,
  );
}

/**
 * `iterations` rounds of an ingest-loop process (and, every other round, a relay-loop process)
 * SIGKILLed at a random instant; `during(round, random)` injects the broker fault of the round
 * and may kill the children itself (`kill()`) to die mid-fault. The ids each child printed as
 * acknowledged go into the tally. Reproducible: the same seed makes the same schedule.
 */
export async function randomKills(
  env: Env,
  tally: Tally,
  opts: { iterations: number; seed: number; during: (round: number, random: () => number, kill: () => Promise<void>) => Promise<void> },
): Promise<void> {
  let seed = opts.seed;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (let round = 0; round < opts.iterations; round++) {
    const children: Child[] = [spawnChild('ingest-loop', env)];
    if (round % 2) children.push(spawnChild('relay-loop', env));
    await children[0]!.waitFor('READY');
    const kill = async () => void (await Promise.all(children.map((c) => c.kill())));
    await sleep(300 + Math.floor(random() * 800));
    await opts.during(round, random, kill);
    await kill();
    for (const line of children[0]!.lines.filter((l) => l.startsWith('ACK '))) {
      for (const id of line.slice(4).split(',').filter(Boolean)) tally.acknowledged.add(id);
    }
  }
}
