/**
 * The shipped bundles encode records with lib/adapters/kafka/fast-record.ts, not with kafkajs's own
 * encoder: the plugin in tools/build.ts swaps the module. Both encoders write the same bytes by
 * design (test/unit/adapters/kafka/fast-record.test.ts), so comparing bytes cannot tell which one a
 * bundle runs; what the bundle is made of can: esbuild's account of its inputs, and kafkajs's
 * encoder body, which survives minification as a chain of Encoder method calls.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { before, test } from 'node:test';
import { KAFKAJS_RECORD_MODULE } from '../../lib/adapters/kafka/fast-record';
import { buildAll, type BundleInfo } from '../../tools/build';
import { root } from './helpers';

const kafkajsEncoder = path.relative(root, require.resolve(KAFKAJS_RECORD_MODULE)).split(path.sep).join('/');
const oursInItsPlace = `fast-record:${KAFKAJS_RECORD_MODULE}`;
// Attributes, then the timestamp delta: the record header as only kafkajs's record/v0 writes it.
const kafkajsEncoderBody = '.writeInt8(0).writeVarLong(';

let withKafkajs: BundleInfo[];
before(async () => {
  withKafkajs = (await buildAll()).filter((b) => Object.keys(b.inputs).some((i) => i.startsWith('node_modules/kafkajs/')));
});

test('every bundle with kafkajs in it has our record encoder in place of kafkajs’s', () => {
  assert.ok(withKafkajs.some((b) => b.fn === 'ingest-logs'), `ingest-logs bundles kafkajs (found in: ${withKafkajs.map((b) => b.fn).join(', ')})`);
  for (const b of withKafkajs) {
    assert.equal(b.inputs[kafkajsEncoder], undefined, `${b.fn}: ${kafkajsEncoder} is not bundled`);
    assert.ok(b.inputs[oursInItsPlace], `${b.fn}: ${oursInItsPlace} stands in for it`);
    assert.ok(b.inputs['lib/adapters/kafka/fast-record.ts'], `${b.fn}: fast-record.ts is bundled`);
    const code = readFileSync(path.join(root, b.file), 'utf8');
    assert.ok(!code.includes(kafkajsEncoderBody), `${b.fn}: ${b.file} has no trace of kafkajs’s encoder body (${kafkajsEncoderBody})`);
  }
});
