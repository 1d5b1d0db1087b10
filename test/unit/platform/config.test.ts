import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadConfig } from '../../../lib/platform/config';
import { ConfigError } from '../../../lib/platform/errors';

const base = { KAFKA_BROKERS: '127.0.0.1:9092' };

describe('loadConfig', () => {
  test('defaults give a working local config with tier topics under the prefix', () => {
    const c = loadConfig(base);
    assert.deepEqual(c.kafka.brokers, ['127.0.0.1:9092']);
    assert.equal(c.kafka.auth, 'plaintext');
    assert.deepEqual(c.topics, { logs: 'edge.logs', realtime: 'edge.realtime', critical: 'edge.critical' });
    assert.ok(Object.isFrozen(c) && Object.isFrozen(c.kafka) && Object.isFrozen(c.limits));
  });

  test('reports every problem at once', () => {
    try {
      loadConfig({ MAX_RECORDS: 'lots', KAFKA_AUTH: 'kerberos', LOG_LEVEL: 'loud', TOPIC_PREFIX: 'bad prefix!' });
      assert.fail('expected a ConfigError');
    } catch (err) {
      assert.ok(err instanceof ConfigError);
      const text = err.problems.join('\n');
      for (const name of ['KAFKA_BROKERS', 'MAX_RECORDS', 'KAFKA_AUTH', 'LOG_LEVEL', 'TOPIC_PREFIX']) {
        assert.match(text, new RegExp(name), `${name} should be reported`);
      }
      assert.equal(err.problems.length, 5);
    }
  });

  test('an MSK cluster ARN implies IAM auth and its region', () => {
    const c = loadConfig({ MSK_CLUSTER_ARN: 'arn:aws:kafka:eu-west-1:123456789012:cluster/games/abc-1' });
    assert.equal(c.kafka.auth, 'iam');
    assert.equal(c.kafka.region, 'eu-west-1');
    assert.deepEqual(c.kafka.brokers, []);
  });

  test('SCRAM needs a secret ARN or a username and password', () => {
    assert.throws(() => loadConfig({ ...base, KAFKA_AUTH: 'scram' }), /KAFKA_SCRAM_SECRET_ARN/);
    const c = loadConfig({ ...base, KAFKA_AUTH: 'scram', KAFKA_SCRAM_USERNAME: 'u', KAFKA_SCRAM_PASSWORD: 'p' });
    assert.deepEqual(c.kafka.scram, { username: 'u', password: 'p' });
  });

  test('ROUTING_RULES are validated with the rule index in each problem', () => {
    assert.throws(
      () => loadConfig({ ...base, ROUTING_RULES: '[{"kind":"log","tier":"nope"},{"kind":"alien","tier":"logs","key":"x"}]' }),
      (err: unknown) =>
        err instanceof ConfigError &&
        err.problems.some((p) => p.includes('rule 0.tier')) &&
        err.problems.some((p) => p.includes('rule 1.kind "alien"')) &&
        err.problems.some((p) => p.includes('rule 1.key')),
    );
    assert.throws(() => loadConfig({ ...base, ROUTING_RULES: '{not json' }), /ROUTING_RULES is not valid JSON/);
  });

  test('broker entries must be host:port', () => {
    assert.throws(() => loadConfig({ KAFKA_BROKERS: 'localhost,127.0.0.1:9092' }), /"localhost" is not host:port/);
  });

  test('the log level: LOG_LEVEL, or Lambda\'s AWS_LAMBDA_LOG_LEVEL, and with both the stricter', () => {
    const level = (env: Record<string, string>) => loadConfig({ ...base, ...env }).logLevel;
    assert.equal(level({}), 'info');
    assert.equal(level({ LOG_LEVEL: 'debug' }), 'debug');
    assert.equal(level({ AWS_LAMBDA_LOG_LEVEL: 'TRACE' }), 'debug');
    assert.equal(level({ AWS_LAMBDA_LOG_LEVEL: 'FATAL' }), 'error');
    assert.equal(level({ LOG_LEVEL: 'debug', AWS_LAMBDA_LOG_LEVEL: 'WARN' }), 'warn');
    assert.equal(level({ LOG_LEVEL: 'error', AWS_LAMBDA_LOG_LEVEL: 'DEBUG' }), 'error');
    assert.throws(() => level({ AWS_LAMBDA_LOG_LEVEL: 'LOUD' }), /AWS_LAMBDA_LOG_LEVEL must be one of/);
  });
});
