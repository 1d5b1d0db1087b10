/**
 * Every function against every documented event shape: what it serves is handled, anything
 * else is refused by throwing (Lambda then retries or dead-letters), never answered as success.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { auditDeps, auditHandler } from '../../../lib/handlers/audit-critical';
import { realtimeDeps, realtimeHandler } from '../../../lib/handlers/consume-realtime';
import { UnsupportedEventError, eventShape } from '../../../lib/handlers/event-shapes';
import { ingestBase, ingestHandler } from '../../../lib/handlers/ingest';
import { relayHandler } from '../../../lib/handlers/outbox-relay';
import { verifyHandler } from '../../../lib/handlers/outbox-verify';
import { provisionTopicsHandler } from '../../../lib/handlers/provision-topics';
import { telemetryFor } from '../../../lib/handlers/runtime';
import type { IngestFunction } from '../../../lib/domain/routes';
import { statusOf } from '../../../lib/domain/sink';
import { loadConfig, loadConsumerConfig } from '../../../lib/platform/config';
import { sampleEvents } from '../../helpers/aws-events';
import { lambdaContext } from '../../helpers/events';
import { authorizerFunction } from '../../helpers/functions';
import { memoryOutbox } from '../../helpers/memory-outbox';
import { stubProducer } from '../../helpers/stub-producer';
import { tenantsFile } from '../../helpers/tenants';

const quiet = { lineSink: () => undefined };
const ENV = { KAFKA_BROKERS: '127.0.0.1:9', AUTH_MODE: 'none', OUTBOX_TABLE: 'outbox-unit', AWS_LAMBDA_FUNCTION_NAME: 'shapes-test', DEDUPE_STORE: 'memory' };
const HTTP = ['http-v2', 'function-url', 'http-v1', 'alb'];

function ingest(fn: IngestFunction) {
  return ingestHandler({
    ...ingestBase(loadConfig(ENV), fn, quiet),
    sinks: [{ tiers: ['logs', 'realtime', 'critical'], write: async (records) => records.map((r) => statusOf(r, 'forwarded')) }],
  });
}

const config = loadConfig(ENV);
const telemetry = telemetryFor(config, quiet);
const noKafka = { readRanges: async () => ({ records: [], complete: true, ranges: [] }), disconnect: async () => undefined };
const consumerConfig = loadConsumerConfig(ENV, { dedupe: true });
const noAdmin = { brokerCount: async () => 3, ensureTopics: async () => [], disconnect: async () => undefined };

const FUNCTIONS: Record<string, { serves: string[]; handle: (event: unknown, context?: never) => Promise<unknown> }> = {
  'ingest-logs': { serves: [...HTTP, 'cloudwatch-logs', 'sqs', 'kinesis'], handle: ingest('ingest-logs') as never },
  'ingest-heartbeats': { serves: [...HTTP, 'sqs', 'kinesis'], handle: ingest('ingest-heartbeats') as never },
  'ingest-critical': { serves: [...HTTP, 'sqs', 'kinesis'], handle: ingest('ingest-critical') as never },
  'outbox-relay': {
    serves: ['scheduled', 'direct'],
    handle: relayHandler({ config, telemetry, store: memoryOutbox(), producer: stubProducer(async () => ({ ok: true })), close: async () => undefined }),
  },
  'outbox-verify': { serves: ['scheduled', 'direct'], handle: verifyHandler({ config, telemetry, store: memoryOutbox(), consumers: noKafka }) },
  'audit-critical': { serves: ['msk'], handle: auditHandler(auditDeps(consumerConfig, quiet)) as never },
  'consume-realtime': { serves: ['msk'], handle: realtimeHandler(realtimeDeps(consumerConfig, quiet)) as never },
  'provision-topics': {
    serves: ['custom-resource', 'direct'],
    handle: provisionTopicsHandler(() => ({ config, telemetry, admin: () => noAdmin }), { send: async () => undefined }),
  },
  authorizer: { serves: ['authorizer-v2'], handle: authorizerFunction({ TENANTS_SOURCE: tenantsFile() }) as never },
};

test('each documented sample is recognised as its shape', () => {
  for (const [name, event] of Object.entries(sampleEvents())) {
    assert.equal(eventShape(event), name === 'function-url' ? 'http-v2' : name, name);
  }
});

for (const [fn, { serves, handle }] of Object.entries(FUNCTIONS)) {
  describe(fn, () => {
    for (const [shape, event] of Object.entries(sampleEvents())) {
      const served = serves.includes(shape);
      test(`${shape}: ${served ? 'handled' : 'refused'}`, async () => {
        const outcome = await handle(structuredClone(event), lambdaContext({ remainingMs: 5_000 }) as never).then(
          (value) => ({ value }),
          (error: unknown) => ({ error }),
        );
        if (served) {
          // The authorizer's sample carries a made-up key: handled means refused as Unauthorized.
          const expected = fn === 'authorizer' ? /^Unauthorized$/ : undefined;
          if ('error' in outcome) assert.match(String((outcome.error as Error).message), expected ?? /^$/, `${fn} failed on a ${shape} event it serves: ${outcome.error}`);
        } else {
          assert.ok('error' in outcome && outcome.error instanceof UnsupportedEventError, `${fn} answered a ${shape} event: ${JSON.stringify('value' in outcome ? outcome.value : outcome.error).slice(0, 200)}`);
        }
      });
    }
  });
}
