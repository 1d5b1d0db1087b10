import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseTenantsSource, createTenantDirectory } from '../../../lib/auth/tenant-source';
import { loaderFor } from '../../../lib/adapters/aws/tenant-documents';
import { parseTenants, tenantForPrincipal } from '../../../lib/auth/tenants';
import { ReplayCache } from '../../../lib/auth/replay';
import { quietLog } from '../../helpers/stack';
import { SECRETS, TENANTS_DOC, tenantIndex, tenantsFile } from '../../helpers/tenants';

describe('tenant configuration', () => {
  test('every problem is reported at once, and none quotes a secret', () => {
    const problems: string[] = [];
    parseTenants(
      [
        {
          tenants: [
            { id: 'bad id!', tiers: [] },
            { id: 'a', tiers: ['logs', 'gold'], kinds: ['log', 'spam'], hmacKeys: { k: 'short-secret' }, apiKeys: [SECRETS.acmeApiKey] },
            { id: 'b', tiers: ['logs'], topicPrefix: 'no spaces', iamPrincipals: ['root'] },
            { id: 'c', tiers: ['logs'] },
            { id: 'c', tiers: ['realtime'] },
          ],
        },
      ],
      problems,
    );
    const text = problems.join('\n');
    for (const expected of ['tenants[0].id', '"gold"', '"spam"', 'hmacKeys.k', 'apiKeys[0]', 'topicPrefix', 'iamPrincipals[0]', 'defined twice']) {
      assert.ok(text.includes(expected), `expected a problem about ${expected}:\n${text}`);
    }
    assert.ok(!text.includes('short-secret') && !text.includes(SECRETS.acmeApiKey));
  });

  test('two tenants may not share an API key or an IAM principal', () => {
    const problems: string[] = [];
    const [a, b] = TENANTS_DOC.tenants;
    parseTenants([{ tenants: [a, { ...b, id: 'copy', apiKeys: a!.apiKeys, iamPrincipals: a!.iamPrincipals }] }], problems);
    assert.ok(problems.some((p) => p.includes('share an API key')));
    assert.ok(problems.some((p) => p.includes('both claim IAM principal')));
  });

  test('IAM callers map by role (session ARNs carry no role path), then by account', () => {
    const index = tenantIndex();
    const session = 'arn:aws:sts::111122223333:assumed-role/acme-servers/i-0abc';
    assert.equal(tenantForPrincipal(index, session, '111122223333')?.id, 'acme');
    assert.equal(tenantForPrincipal(index, 'arn:aws:sts::444455556666:assumed-role/anything/s', '444455556666')?.id, 'logsonly');
    assert.equal(tenantForPrincipal(index, 'arn:aws:sts::111122223333:assumed-role/other-role/s', '111122223333'), undefined);
    assert.equal(tenantForPrincipal(index, undefined, '999999999999'), undefined);
  });

  test('TENANTS_SOURCE forms', () => {
    const problems: string[] = [];
    assert.deepEqual(parseTenantsSource('file:config/t.json', problems), { kind: 'file', path: 'config/t.json' });
    assert.deepEqual(parseTenantsSource('ssm:/ef/prod/tenants', problems), { kind: 'ssm', path: '/ef/prod/tenants' });
    assert.deepEqual(parseTenantsSource('secretsmanager:arn:aws:secretsmanager:eu-west-1:1:secret:t', problems), {
      kind: 'secretsmanager',
      secretId: 'arn:aws:secretsmanager:eu-west-1:1:secret:t',
    });
    assert.equal(problems.length, 0);
    parseTenantsSource('ssm:relative', problems);
    parseTenantsSource('http://x', problems);
    assert.equal(problems.length, 2);
  });

  test('the committed local tenants file is valid', async () => {
    const index = await createTenantDirectory({ load: loaderFor({ kind: 'file', path: 'config/tenants.local.json' }), ttlMs: 1000, log: quietLog }).get();
    assert.ok(index.byId.get('dev')?.tiers.has('critical'));
  });
});

describe('tenant directory (TTL cache)', () => {
  test('loads once per TTL; a failed or invalid reload keeps the last good configuration', async () => {
    let clock = 0;
    let loads = 0;
    let next: () => unknown[] = () => [TENANTS_DOC];
    const errors: string[] = [];
    const dir = createTenantDirectory({
      load: async () => (loads++, next()),
      ttlMs: 60_000,
      retryMs: 5_000,
      now: () => clock,
      log: { ...quietLog, error: (msg, f) => void errors.push(`${msg} ${JSON.stringify(f)}`) },
    });
    const first = await dir.get();
    await dir.get();
    assert.equal(loads, 1);
    clock = 60_000;
    next = () => {
      throw new Error('ThrottlingException');
    };
    assert.equal(await dir.get(), first, 'SSM down: previous configuration');
    clock = 61_000;
    await dir.get();
    assert.equal(loads, 2, 'no retry before retryMs');
    clock = 65_000;
    next = () => [{ tenants: [{ id: 'x', tiers: ['nope'], hmacKeys: { k: SECRETS.acmeHmac.slice(0, 10) } }] }];
    assert.equal(await dir.get(), first, 'invalid document: previous configuration');
    assert.equal(loads, 3);
    assert.ok(errors.every((e) => !e.includes(SECRETS.acmeHmac.slice(0, 10))), 'no secret in the logged problems');
  });

  test('with nothing loaded yet, the error propagates (the adapter answers 503)', async () => {
    const dir = createTenantDirectory({ load: loaderFor({ kind: 'file', path: '/nonexistent/tenants.json' }), ttlMs: 1000, log: quietLog });
    await assert.rejects(dir.get(), /ENOENT/);
  });

  test('a document that is not JSON is named, never quoted', async () => {
    const dir = createTenantDirectory({
      load: loaderFor({ kind: 'secretsmanager', secretId: 'arn:s' }, 'eu-west-1', { lookupSecret: async () => `{${SECRETS.acmeHmac}` }),
      ttlMs: 1000,
      log: quietLog,
    });
    await assert.rejects(dir.get(), (e: Error) => e.message.includes('arn:s') && !e.message.includes(SECRETS.acmeHmac));
  });

  test('a file source reads the file', async () => {
    const source = tenantsFile();
    const dir = createTenantDirectory({ load: loaderFor({ kind: 'file', path: source.slice(5) }), ttlMs: 1000, log: quietLog });
    assert.deepEqual([...(await dir.get()).byId.keys()], ['acme', 'logsonly']);
  });
});

describe('replay cache', () => {
  test('stays bounded under a flood: expired entries go first, then the oldest', () => {
    const cache = new ReplayCache(100);
    for (let i = 0; i < 50; i++) assert.ok(cache.claim(`old${i}`, 10, 0));
    for (let i = 0; i < 1000; i++) cache.claim(`new${i}`, 1_000, 20);
    assert.ok(cache.size <= 100);
    assert.ok(!cache.claim('new999', 1_000, 20), 'the newest entries are still remembered');
  });
});

describe('SSM tenant source', () => {
  test('reads every page under the path, decrypted, one tenant per parameter', async () => {
    const inputs: unknown[] = [];
    const [acme, logsonly] = TENANTS_DOC.tenants;
    const pages = [{ Parameters: [{ Name: '/ef/t/acme', Value: JSON.stringify(acme) }], NextToken: 'p2' }, { Parameters: [{ Name: '/ef/t/logsonly', Value: JSON.stringify(logsonly) }] }];
    const ssm = {
      SSMClient: class {
        async send(cmd: { input: unknown }) {
          inputs.push(cmd.input);
          return pages[inputs.length - 1]!;
        }
      },
      GetParametersByPathCommand: class {
        constructor(readonly input: unknown) {}
      },
    };
    const dir = createTenantDirectory({ load: loaderFor({ kind: 'ssm', path: '/ef/t' }, 'eu-west-1', { ssm }), ttlMs: 1000, log: quietLog });
    assert.deepEqual([...(await dir.get()).byId.keys()], ['acme', 'logsonly']);
    assert.deepEqual(inputs, [
      { Path: '/ef/t', Recursive: true, WithDecryption: true },
      { Path: '/ef/t', Recursive: true, WithDecryption: true, NextToken: 'p2' },
    ]);
  });
});
