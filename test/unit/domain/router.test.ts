import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { DecodedRecord } from '../../../lib/domain/record';
import { createRouter } from '../../../lib/domain/router';

const topics = { logs: 'p.logs', realtime: 'p.realtime', critical: 'p.critical' };

function rec(over: Partial<DecodedRecord> = {}): DecodedRecord {
  return { kind: 'log', value: Buffer.from('x'), timestamp: 1_700_000_000_000, sourceRef: { source: 'http', index: 0 }, ...over };
}

describe('router', () => {
  test('default rules map kinds to tiers and tier topics', () => {
    const route = createRouter({ rules: [], topics, tenant: 't1' });
    assert.equal(route(rec({ kind: 'log' })).topic, 'p.logs');
    assert.equal(route(rec({ kind: 'heartbeat' })).tier, 'realtime');
    assert.equal(route(rec({ kind: 'event', type: 'kill' })).tier, 'critical');
  });

  test('first matching rule wins; later rules are not consulted', () => {
    const route = createRouter({
      rules: [
        { kind: ['event'], type: ['position'], tier: 'realtime', topic: 'p.positions' },
        { kind: ['event'], tier: 'logs' },
      ],
      topics,
      tenant: 't1',
    });
    const pos = route(rec({ kind: 'event', type: 'position' }));
    assert.equal(pos.tier, 'realtime');
    assert.equal(pos.topic, 'p.positions');
    assert.equal(route(rec({ kind: 'event', type: 'kill' })).tier, 'logs');
  });

  test('an explicit tier from the sender goes to that tier’s topic', () => {
    const route = createRouter({ rules: [{ kind: ['log'], tier: 'logs', topic: 'p.special' }], topics, tenant: 't' });
    const r = route(rec({ kind: 'log', tier: 'realtime' }));
    assert.equal(r.tier, 'realtime');
    assert.equal(r.topic, 'p.realtime');
  });

  test('headers carry event id, source and tenant; ids are kept or generated', () => {
    const route = createRouter({ rules: [], topics, tenant: 'studio-a' });
    const kept = route(rec({ id: 'evt-1', kind: 'event', type: 'kill' }));
    assert.equal(kept.id, 'evt-1');
    assert.deepEqual(kept.headers, {
      'ef-event-id': 'evt-1',
      'ef-source': 'http',
      'ef-tenant': 'studio-a',
    });
    const generated = route(rec());
    assert.match(generated.id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.notEqual(route(rec()).id, generated.id);
  });

  test('key strategies: sender key, event id, none', () => {
    const route = createRouter({
      rules: [
        { type: ['by-id'], tier: 'logs', key: 'id' },
        { type: ['none'], tier: 'logs', key: 'none' },
      ],
      topics,
      tenant: 't',
    });
    assert.equal(route(rec({ key: 'player-7' })).key, 'player-7');
    assert.equal(route(rec()).key, null);
    assert.equal(route(rec({ type: 'by-id', id: 'e9' })).key, 'e9');
    assert.equal(route(rec({ type: 'none', key: 'k' })).key, null);
  });
});
