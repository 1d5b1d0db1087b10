import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createIamTokenProvider, parseScramSecret, resolveSecurity } from '../../../../lib/adapters/kafka/security';
import { pickBrokers, resolveBrokers } from '../../../../lib/adapters/kafka/bootstrap';
import { loadConfig } from '../../../../lib/platform/config';

describe('MSK IAM token provider', () => {
  test('caches the token and refreshes it before expiry', async () => {
    let clock = 0;
    let calls = 0;
    const provider = createIamTokenProvider({
      region: 'eu-west-1',
      refreshBeforeMs: 60_000,
      now: () => clock,
      generate: async (region) => {
        calls++;
        return { token: `${region}-${calls}`, expiryTime: clock + 900_000 };
      },
    });
    assert.equal((await provider()).value, 'eu-west-1-1');
    clock = 800_000; // 100 s before expiry: still valid
    assert.equal((await provider()).value, 'eu-west-1-1');
    clock = 850_000; // inside the refresh window
    assert.equal((await provider()).value, 'eu-west-1-2');
    assert.equal(calls, 2);
  });

  test('concurrent connections share one refresh', async () => {
    let calls = 0;
    const provider = createIamTokenProvider({
      region: 'r',
      generate: async () => {
        calls++;
        await new Promise((r) => setTimeout(r, 10));
        return { token: 't', expiryTime: Date.now() + 900_000 };
      },
    });
    await Promise.all([provider(), provider(), provider()]);
    assert.equal(calls, 1);
  });

  test('a failed refresh is a clear error', async () => {
    const provider = createIamTokenProvider({
      region: 'r',
      generate: async () => {
        throw new Error('Could not load credentials from any providers');
      },
    });
    await assert.rejects(provider(), /MSK IAM token refresh failed: Could not load credentials/);
  });
});

describe('connection security', () => {
  test('plaintext has no TLS and no SASL; iam is TLS + OAUTHBEARER', async () => {
    assert.deepEqual(await resolveSecurity(loadConfig({ KAFKA_BROKERS: 'h:1' }).kafka), { ssl: false });
    const iam = await resolveSecurity(loadConfig({ KAFKA_BROKERS: 'h:1', KAFKA_AUTH: 'iam', AWS_REGION: 'us-east-1' }).kafka, {
      generateToken: async () => ({ token: 'tok', expiryTime: Date.now() + 900_000 }),
    });
    assert.equal(iam.ssl, true);
    assert.equal(iam.sasl?.mechanism, 'oauthbearer');
    assert.deepEqual(await (iam.sasl as { oauthBearerProvider: () => Promise<unknown> }).oauthBearerProvider(), { value: 'tok' });
  });

  test('SCRAM credentials come from the secret when an ARN is set', async () => {
    const cfg = loadConfig({ KAFKA_BROKERS: 'h:1', KAFKA_AUTH: 'scram', KAFKA_SCRAM_SECRET_ARN: 'arn:s', AWS_REGION: 'r' }).kafka;
    const sec = await resolveSecurity(cfg, { lookupSecret: async () => '{"username":"svc","password":"pw"}' });
    assert.deepEqual(sec.sasl, { mechanism: 'scram-sha-512', username: 'svc', password: 'pw' });
  });

  test('a malformed SCRAM secret is refused without echoing it', () => {
    assert.throws(() => parseScramSecret('hunter2', 'arn:x'), (e: Error) => /not JSON/.test(e.message) && !e.message.includes('hunter2'));
    assert.throws(() => parseScramSecret('{"username":"u"}', 'arn:x'), /"username" and "password"/);
  });
});

describe('MSK bootstrap brokers', () => {
  const response = {
    BootstrapBrokerStringTls: 'b-1:9094,b-2:9094',
    BootstrapBrokerStringSaslIam: 'b-1:9098,b-2:9098',
  };

  test('picks the string matching the auth mode', () => {
    assert.deepEqual(pickBrokers(response, 'iam'), ['b-1:9098', 'b-2:9098']);
    assert.deepEqual(pickBrokers(response, 'tls'), ['b-1:9094', 'b-2:9094']);
  });

  test('explains which modes the cluster offers when the configured one is missing', () => {
    assert.throws(() => pickBrokers(response, 'scram'), /no BootstrapBrokerStringSaslScram.*offers: tls, iam/);
  });

  test('static brokers skip the lookup; an ARN uses it', async () => {
    let looked = 0;
    const lookup = async () => {
      looked++;
      return response;
    };
    assert.deepEqual(await resolveBrokers(loadConfig({ KAFKA_BROKERS: 'h:1' }).kafka, lookup), ['h:1']);
    const msk = loadConfig({ MSK_CLUSTER_ARN: 'arn:aws:kafka:us-east-1:1:cluster/c/u' }).kafka;
    assert.deepEqual(await resolveBrokers(msk, lookup), ['b-1:9098', 'b-2:9098']);
    assert.equal(looked, 1);
  });
});

describe('MSK IAM token provider: refresh edges', () => {
  const creds = { AWS_ACCESS_KEY_ID: 'ASIAEXAMPLEEXAMPLE12', AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', AWS_SESSION_TOKEN: 'FwoGZXIvYXdzEXAMPLE' };

  test('refreshes exactly at expiry minus the margin, not one millisecond earlier', async () => {
    let clock = 0;
    let calls = 0;
    const provider = createIamTokenProvider({
      region: 'r',
      refreshBeforeMs: 60_000,
      now: () => clock,
      generate: async () => ({ token: `t${++calls}`, expiryTime: clock + 900_000 }),
    });
    await provider();
    clock = 840_000 - 1;
    assert.equal((await provider()).value, 't1');
    clock = 840_000;
    assert.equal((await provider()).value, 't2');
  });

  test('a failed refresh is not cached: the next connection tries again and recovers', async () => {
    let fail = true;
    const provider = createIamTokenProvider({
      region: 'r',
      generate: async () => {
        if (fail) throw new Error('connect ETIMEDOUT 169.254.169.254:80');
        return { token: 'fresh', expiryTime: Date.now() + 900_000 };
      },
    });
    await assert.rejects(provider(), /^Error: MSK IAM token refresh failed: connect ETIMEDOUT/);
    fail = false;
    assert.equal((await provider()).value, 'fresh');
  });

  test('with Lambda credentials in the environment the real generator signs for the configured region', async () => {
    const saved = { ...process.env };
    Object.assign(process.env, creds);
    try {
      const sec = await resolveSecurity(loadConfig({ KAFKA_BROKERS: 'h:1', KAFKA_AUTH: 'iam', AWS_REGION: 'ap-south-1' }).kafka);
      const { value } = await (sec.sasl as { oauthBearerProvider: () => Promise<{ value: string }> }).oauthBearerProvider();
      const url = new URL(Buffer.from(value, 'base64url').toString('utf8'));
      assert.equal(url.host, 'kafka.ap-south-1.amazonaws.com');
      assert.equal(url.searchParams.get('Action'), 'kafka-cluster:Connect');
      assert.match(url.searchParams.get('X-Amz-Credential')!, /^ASIAEXAMPLEEXAMPLE12\/\d{8}\/ap-south-1\/kafka-cluster\/aws4_request$/);
      assert.equal(url.searchParams.get('X-Amz-Security-Token'), creds.AWS_SESSION_TOKEN);
    } finally {
      for (const k of Object.keys(creds)) if (!(k in saved)) delete process.env[k];
      Object.assign(process.env, saved);
    }
  });

  test('a refresh error that quotes the presigned URL is redacted before it surfaces', async () => {
    const provider = createIamTokenProvider({
      region: 'r',
      generate: async () => {
        throw new Error('bad request to https://kafka.r.amazonaws.com/?X-Amz-Security-Token=SECRETTOKEN&X-Amz-Signature=abcdef');
      },
    });
    await assert.rejects(provider(), (e: Error) => !e.message.includes('SECRETTOKEN') && !e.message.includes('abcdef') && /refresh failed/.test(e.message));
  });
});
