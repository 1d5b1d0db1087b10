/** The scheduled audit's handler with a fake outbox and a fake topic: metrics, logged ids, failing loudly. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { OffsetRange, ReadRangesOptions, WindowRead } from '../../../lib/consume/types';
import { AuditIncompleteError, verifyDeps, verifyHandler } from '../../../lib/handlers/outbox-verify';
import { loadConfig } from '../../../lib/platform/config';
import type { DeliveredEntry, OutboxStore } from '../../../lib/outbox/store';
import { lambdaContext } from '../../helpers/events';

const ENV = { OUTBOX_TABLE: 'outbox-unit', KAFKA_BROKERS: '127.0.0.1:1', AWS_LAMBDA_FUNCTION_NAME: 'outbox-verify', LOG_LEVEL: 'info' };

function setup(opts: { entries: DeliveredEntry[]; ids: string[]; complete?: boolean; env?: Record<string, string> }) {
  const lines: string[] = [];
  const windows: { from: number; to: number }[] = [];
  const reads: { ranges: readonly OffsetRange[]; opts?: ReadRangesOptions }[] = [];
  let disconnects = 0;
  const deps = verifyDeps(loadConfig({ ...ENV, ...opts.env }), { lineSink: (l) => void lines.push(l) });
  const store: OutboxStore = { ...deps.store, listDelivered: async (w) => (windows.push(w), opts.entries) };
  const handler = verifyHandler({
    ...deps,
    store,
    consumers: {
      async readRanges(topic, ranges, o): Promise<WindowRead> {
        reads.push({ ranges, ...(o && { opts: o }) });
        const records = opts.ids.map((id, offset) => ({ topic, partition: 0, offset, timestamp: 0, key: null, value: null, headers: { 'ef-event-id': id } }));
        return { records, complete: opts.complete ?? true, ranges: [...ranges] };
      },
      disconnect: async () => void disconnects++,
    },
  });
  const emf = () => lines.filter((l) => l.startsWith('{"_aws"')).map((l) => JSON.parse(l) as Record<string, unknown>);
  const logs = () => lines.filter((l) => !l.startsWith('{"_aws"')).map((l) => JSON.parse(l) as Record<string, unknown>);
  return { handler, store, windows, reads, emf, logs, disconnects: () => disconnects };
}

const at = (id: string, offset: number): DeliveredEntry => ({ id, deliveredAt: Date.now() - 60_000, topic: 'edge.critical', partition: 0, offset });

test('a clean run: the last 65 minutes, gauges for tier critical (zeros included), no error', async () => {
  const s = setup({ entries: [at('a', 0), at('b', 1)], ids: ['a', 'b'] });
  const before = Date.now();
  const report = await s.handler(undefined, lambdaContext({ remainingMs: 120_000 }));
  assert.equal(report.present, 2);
  const [w] = s.windows;
  assert.ok(w && w.to >= before && w.to - w.from === 65 * 60_000, `window ${JSON.stringify(w)}`);
  const [m] = s.emf();
  assert.equal(m?.Tier, 'critical');
  assert.deepEqual([m?.AuditChecked, m?.AuditMissing, m?.AuditIncomplete], [2, 0, 0]);
  // The read gets the invocation's time, less what is kept for leaving the group and the metrics.
  const timeout = s.reads[0]!.opts!.timeoutMs!;
  assert.ok(timeout > 100_000 && timeout <= 110_000, `read timeout ${timeout}`);
  assert.equal(s.reads[0]!.opts!.headersOnly, true);
  assert.equal(s.disconnects(), 1, 'the Kafka admin connection is not kept across hourly runs');
});

test('missing ids are counted and logged by id; the run itself succeeds (the AuditMissing alarm pages)', async () => {
  const s = setup({ entries: [at('a', 0), at('ghost', 1)], ids: ['a', 'b'] });
  const report = await s.handler(undefined, lambdaContext());
  assert.deepEqual(report.missing, ['ghost']);
  assert.equal(s.emf()[0]?.AuditMissing, 1);
  const logged = s.logs().find((l) => l.level === 'ERROR');
  assert.deepEqual(logged?.ids, ['ghost']);
});

test('an incomplete read throws (Errors alarm) after writing AuditIncomplete = 1', async () => {
  const s = setup({ entries: [at('a', 0), at('b', 1)], ids: ['a', 'b'], complete: false });
  await assert.rejects(s.handler(undefined, lambdaContext()), AuditIncompleteError);
  assert.equal(s.emf()[0]?.AuditIncomplete, 1);
});

test('a failing store also counts as incomplete and throws', async () => {
  const s = setup({ entries: [], ids: [] });
  s.store.listDelivered = async () => {
    throw new Error('ProvisionedThroughputExceededException');
  };
  await assert.rejects(s.handler(undefined, lambdaContext()), /ProvisionedThroughputExceeded/);
  assert.equal(s.emf()[0]?.AuditIncomplete, 1);
});

test('OUTBOX_VERIFY_WINDOW_MINUTES sets the window; a bad value is a config error', async () => {
  const s = setup({ entries: [], ids: [], env: { OUTBOX_VERIFY_WINDOW_MINUTES: '10' } });
  await s.handler(undefined, lambdaContext());
  assert.equal(s.windows[0]!.to - s.windows[0]!.from, 600_000);
  assert.throws(() => setup({ entries: [], ids: [], env: { OUTBOX_VERIFY_WINDOW_MINUTES: 'soon' } }), /OUTBOX_VERIFY_WINDOW_MINUTES/);
});
