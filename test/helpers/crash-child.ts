/**
 * A critical-path function in a process of its own, so a test can SIGKILL it at a named point.
 * EF_CHILD_MODE:
 *   ingest       invoke the critical handler once with EF_CHILD_EVENTS
 *   ingest-loop  invoke it forever with fresh events, printing "ACK id,id,..." for each accepted batch
 *   relay        run the relay once; relay-loop: run it forever
 * EF_CRASH_AT: print "CRASHPOINT <name>" and hang there (the parent kills us):
 *   after-persist (outbox put returned) · after-ack (broker acked, before tombstones) ·
 *   relay-after-send (relay's send acked, before tombstones)
 */
import { randomUUID } from 'node:crypto';
import type { Producer } from '../../lib/domain/kafka';
import type { IngestHandler } from '../../lib/handlers/ingest';
import { relayDeps, relayHandler } from '../../lib/handlers/outbox-relay';
import { loadConfig } from '../../lib/platform/config';
import { criticalFunction } from './functions';
import type { OutboxStore } from '../../lib/outbox/store';
import { httpEvent, lambdaContext } from './events';

const mode = process.env.EF_CHILD_MODE;
const crashAt = process.env.EF_CRASH_AT;

const say = (line: string) => process.stdout.write(line + '\n');
const hang = (point: string) => {
  say(`CRASHPOINT ${point}`);
  return new Promise<never>(() => setInterval(() => undefined, 1000));
};

/** Delegates every method to the real object, with `overrides` in front. */
function wrap<T extends object>(real: T, overrides: Partial<T>): T {
  return new Proxy(real, {
    get: (target, prop, receiver) =>
      prop in overrides ? overrides[prop as keyof T] : (Reflect.get(target, prop, receiver) as unknown as { bind?: unknown }) &&
        typeof Reflect.get(target, prop) === 'function'
        ? (Reflect.get(target, prop) as (...a: unknown[]) => unknown).bind(target)
        : Reflect.get(target, prop, receiver),
  });
}

/** The store and producer with the crash points in front (the same for ingest and relay). */
const instrumented = (deps: { store: OutboxStore; producer: Producer }) => ({
  store:
    wrap(deps.store, {
      put: async (...args: Parameters<OutboxStore['put']>) => {
        const out = await deps.store.put(...args);
        if (crashAt === 'after-persist') await hang('after-persist');
        return out;
      },
    }),
  producer:
    wrap(deps.producer, {
      send: async (...args: Parameters<Producer['send']>) => {
        const out = await deps.producer.send(...args);
        if (out.ok && crashAt === 'after-ack') await hang('after-ack');
        if (out.ok && crashAt === 'relay-after-send') await hang('relay-after-send');
        return out;
      },
    }),
});

async function ingestOnce(handler: IngestHandler, events: object[]) {
  const res = await handler(httpEvent({ path: '/v1/events', body: events, contentType: 'application/json' }), lambdaContext({ remainingMs: 10_000 }));
  const body = JSON.parse(res.body as string) as { results: { status: string; id?: string }[] };
  const accepted = body.results.filter((r) => r.status === 'persisted' || r.status === 'forwarded').map((r) => r.id);
  say(`ACK ${accepted.join(',')}`);
  say(`STATUS ${res.statusCode}`);
}

async function main() {
  if (mode === 'ingest' || mode === 'ingest-loop') {
    const { handler } = criticalFunction(process.env, undefined, instrumented);
    if (mode === 'ingest') return ingestOnce(handler, JSON.parse(process.env.EF_CHILD_EVENTS ?? '[]'));
    say('READY');
    for (let n = 0; ; n++) {
      const batch = Array.from({ length: 5 }, () => ({ id: randomUUID(), type: 'kill', n }));
      await ingestOnce(handler, batch);
    }
  }
  const deps = relayDeps(loadConfig(process.env), { lineSink: () => undefined });
  const relay = relayHandler({ ...deps, ...instrumented(deps) });
  say('READY');
  do {
    const run = await relay(undefined, lambdaContext({ remainingMs: 10_000 }));
    say(`RELAYED ${run.delivered}`);
  } while (mode === 'relay-loop');
  await deps.close();
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`crash-child failed: ${err instanceof Error ? err.stack : err}\n`);
    process.exit(1);
  },
);
