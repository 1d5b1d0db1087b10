/**
 * `serverless package` (osls, from devDependencies) on this tree with no AWS credentials and no
 * login, and what the generated CloudFormation must say: least-privilege IAM, handlers present in
 * the bundles, timeouts consistent with the outbox grace period, the event sources as designed.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { before, test } from 'node:test';
import { windowGroupPrefix } from '../../lib/adapters/kafka/consumer-admin';
import { asList, iamStatements, packaged, resourcesOfType, root, TEST_LOG_GROUPS, zipEntries, type CfnResource, type Packaged } from './helpers';
import { INGEST_ROUTES } from '../../lib/domain/routes';

let pkg: Packaged;
const fns = () => Object.fromEntries(resourcesOfType(pkg.template, 'AWS::Lambda::Function')) as Record<string, CfnResource>;
const fn = (logicalId: string) => {
  const r = fns()[`${logicalId}LambdaFunction`];
  assert.ok(r, `function ${logicalId} is in the template`);
  return r.Properties!;
};
const esmFor = (logicalId: string) =>
  resourcesOfType(pkg.template, 'AWS::Lambda::EventSourceMapping')
    .map(([, r]) => r.Properties!)
    .filter((p) => JSON.stringify(p.FunctionName).includes(`"${logicalId}LambdaFunction"`));

before(async () => {
  // No AWS credentials may be involved: packaging is offline.
  for (const k of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE']) delete process.env[k];
  pkg = await packaged();
});

test('serverless package produces a CloudFormation template with every function', () => {
  const names = Object.keys(fns()).sort();
  assert.deepEqual(names, [
    'AuditCriticalLambdaFunction',
    'AuthorizerLambdaFunction',
    'ConsumeRealtimeLambdaFunction',
    'IngestCriticalLambdaFunction',
    'IngestHeartbeatsLambdaFunction',
    'IngestLogsLambdaFunction',
    'OutboxRelayLambdaFunction',
    'OutboxVerifyLambdaFunction',
    'ProvisionTopicsLambdaFunction',
  ]);
  const types: Record<string, number> = {};
  for (const r of Object.values(pkg.template.Resources)) types[r.Type] = (types[r.Type] ?? 0) + 1;
  console.log(`# packaged in ${pkg.seconds.toFixed(1)} s${pkg.cached ? ' (template cached; bundles rebuilt)' : ''}: ${path.relative(process.cwd(), pkg.dir)}`);
  console.log(`# ${Object.keys(pkg.template.Resources).length} resources: ${Object.entries(types).map(([t, n]) => `${t} x${n}`).join(', ')}`);
  if (pkg.placeholders.length) console.log(`# placeholder bundles (no functions/<name>.ts yet): ${pkg.placeholders.join(', ')}`);
});

test('every function handler exists in its bundle, and each package holds only its own bundle', () => {
  for (const [id, r] of Object.entries(fns())) {
    const handler = r.Properties!.Handler as string;
    const m = /^(dist\/([\w-]+)\/index)\.handler$/.exec(handler);
    assert.ok(m, `${id}: handler ${handler} points into dist/<function>/index.js`);
    const zip = path.join(pkg.dir, path.basename(r.Properties!.Code.S3Key as string));
    assert.ok(existsSync(zip), `${id}: ${zip} exists`);
    const entries = zipEntries(zip).filter((e) => !e.endsWith('/'));
    assert.ok(entries.includes(`${m[1]}.js`), `${id}: ${m[1]}.js is in ${path.basename(zip)} (has ${entries.join(', ')})`);
    assert.ok(entries.every((e) => e.startsWith(`dist/${m[2]}/`)), `${id}: only its own bundle in the zip: ${entries.join(', ')}`);
    if (!pkg.placeholders.includes(m[2]!)) {
      assert.ok(entries.includes(`${m[1]}.js.map`), `${id}: the source map is packaged`);
      assert.ok(existsSync(path.join(root, 'functions', `${m[2]}.ts`)), `${id}: functions/${m[2]}.ts exists`);
    }
  }
});

test('IAM: no wildcard actions anywhere; no wildcard resource for Kafka or DynamoDB actions', () => {
  const statements = iamStatements(pkg.template);
  assert.ok(statements.length > 20, 'statements were found');
  for (const { where, statement } of statements) {
    assert.equal(statement.NotAction, undefined, `${where}: no NotAction`);
    assert.equal(statement.NotResource, undefined, `${where}: no NotResource`);
    const actions = asList<string>(statement.Action);
    for (const a of actions) assert.ok(typeof a === 'string' && !a.includes('*'), `${where}: action ${JSON.stringify(a)} has no wildcard`);
    const resources = asList<unknown>(statement.Resource);
    assert.ok(resources.length > 0, `${where}: names its resources`);
    const wildcard = resources.some((r) => typeof r === 'string' && r.includes('*'));
    if (wildcard) {
      // Only EC2 Describe* calls, which support no resource-level permissions, may use '*'.
      assert.ok(actions.every((a) => a.startsWith('ec2:Describe')), `${where}: '*' resource only for ec2:Describe*, not ${actions.join(', ')}`);
    }
    if (actions.some((a) => /^(kafka-cluster|kafka|dynamodb):/.test(a))) {
      assert.ok(!wildcard, `${where}: ${actions.join(', ')} must name the cluster / topics / table`);
    }
  }
});

test('IAM: one role per function, each with exactly its tier access', () => {
  const roles = Object.entries(fns()).map(([id, r]) => [id, r.Properties!.Role['Fn::GetAtt']?.[0]] as const);
  assert.equal(new Set(roles.map(([, role]) => role)).size, roles.length, `distinct roles: ${JSON.stringify(roles)}`);
  assert.ok(!pkg.template.Resources.IamRoleLambdaExecution, 'no shared default role');

  const actionsOf = (role: string) => {
    const byTopic = new Map<string, Set<string>>();
    for (const { where, statement } of iamStatements(pkg.template).filter((s) => s.where.startsWith(`${role}/`))) {
      for (const r of asList<unknown>(statement.Resource)) {
        const text = JSON.stringify(r);
        const key = /"\/","(edge\.[\w.-]+)"/.exec(text)?.[1] ?? /"(\w+Table)"/.exec(text)?.[1] ?? where;
        const set = byTopic.get(key) ?? new Set<string>();
        for (const a of asList<string>(statement.Action)) set.add(a);
        byTopic.set(key, set);
      }
    }
    return byTopic;
  };
  const topic = (tier: string) => `edge.ci.${tier}`;
  const has = (role: string, key: string, action: string) => actionsOf(role).get(key)?.has(action) ?? false;

  for (const role of ['IngestLogsRole', 'IngestHeartbeatsRole']) {
    assert.ok(has(role, topic('logs'), 'kafka-cluster:WriteData') && has(role, topic('realtime'), 'kafka-cluster:WriteData'), `${role} writes the best-effort tiers`);
    assert.ok(!actionsOf(role).has(topic('critical')), `${role} cannot touch the critical topic`);
    assert.ok(!actionsOf(role).has('OutboxTable'), `${role} cannot touch the outbox`);
  }
  for (const role of ['IngestCriticalRole', 'OutboxRelayRole']) {
    assert.ok(has(role, topic('critical'), 'kafka-cluster:WriteData'), `${role} writes the critical tier`);
    assert.ok(!actionsOf(role).has(topic('logs')), `${role} does not write logs`);
    assert.ok(actionsOf(role).has('OutboxTable'), `${role} uses the outbox`);
  }
  assert.ok(has('ConsumeRealtimeRole', topic('realtime'), 'kafka-cluster:ReadData'));
  assert.ok(!actionsOf('ConsumeRealtimeRole').has(topic('critical')));
  assert.ok(has('AuditCriticalRole', topic('critical'), 'kafka-cluster:ReadData'));
  assert.ok(!has('AuditCriticalRole', topic('critical'), 'kafka-cluster:WriteData'), 'the audit sink only reads');
  const all = iamStatements(pkg.template).flatMap((s) => asList<string>(s.statement.Action));
  assert.ok(!all.includes('kafka-cluster:DeleteTopic'), 'nothing may delete a topic');
  assert.ok(!all.includes('dynamodb:DeleteTable'), 'no table deletion');
  // Scans: only the audit's, and only of the outbox table.
  const scans = iamStatements(pkg.template).filter((s) => asList<string>(s.statement.Action).includes('dynamodb:Scan'));
  assert.deepEqual(scans.map((s) => s.where), ['OutboxVerifyRole/outbox-verify'], 'only outbox-verify may scan');
  assert.deepEqual(scans[0]!.statement.Resource, { 'Fn::GetAtt': ['OutboxTable', 'Arn'] });
  // The SCRAM secret is only readable when one is configured (a CloudFormation condition).
  const scram = iamStatements(pkg.template).filter((s) => s.statement.Sid === 'ScramSecret');
  assert.ok(scram.length > 0 && scram.every((s) => JSON.stringify(s.statement.Resource) === '{"Ref":"ScramSecretArn"}'));
  assert.deepEqual(pkg.template.Conditions?.HasScramSecret, { 'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'ScramSecretArn' }, ''] }] });
  // Secrets Manager reads: the SCRAM secret or the tenant secret, nothing else.
  for (const s of iamStatements(pkg.template).filter((s) => asList<string>(s.statement.Action).includes('secretsmanager:GetSecretValue'))) {
    assert.ok(['ScramSecret', 'TenantsSecret'].includes(s.statement.Sid), `${s.where}: ${s.statement.Sid} reads a secret`);
  }
});

test('IAM: outbox-verify only reads: one Scan of the outbox, the critical topic, its own throwaway groups', () => {
  const statements = iamStatements(pkg.template).filter((s) => s.where.startsWith('OutboxVerifyRole/')).map((s) => s.statement);
  const bySid = Object.fromEntries(statements.map((s) => [s.Sid, s]));
  assert.deepEqual(
    statements.flatMap((s) => asList<string>(s.Action)).sort(),
    [
      'dynamodb:Scan',
      'kafka-cluster:AlterGroup',
      'kafka-cluster:Connect',
      'kafka-cluster:DeleteGroup',
      'kafka-cluster:DescribeGroup',
      'kafka-cluster:DescribeTopic',
      'kafka-cluster:ReadData',
      'kafka:GetBootstrapBrokers',
      'kms:Decrypt', // the SCRAM secret's key, only when one is configured
      'secretsmanager:GetSecretValue', // the SCRAM secret, only when one is configured
    ],
    'no writes of any kind',
  );
  const arn = (kind: string, name: string) => ({
    'Fn::Join': ['', [{ 'Fn::Select': [0, { 'Fn::Split': ['cluster/', { 'Fn::ImportValue': 'edge-forwarder-msk-ci-ClusterArn' }] }] }, `${kind}/`, { 'Fn::Select': [1, { 'Fn::Split': ['cluster/', { 'Fn::ImportValue': 'edge-forwarder-msk-ci-ClusterArn' }] }] }, '/', name]],
  });
  assert.deepEqual(bySid.ReadCriticalTopic.Resource, arn('topic', 'edge.ci.critical'), 'the critical topic only');
  // The group grant must match the ids readRanges actually uses: <KAFKA_CLIENT_ID>-window-<random>.
  const clientId = fn('OutboxVerify').Environment.Variables.KAFKA_CLIENT_ID as string;
  assert.equal(clientId, 'edge-forwarder-ci-outbox-verify', 'a client id of its own, so the group prefix is its own');
  assert.deepEqual(bySid.ThrowawayReadGroups.Resource, arn('group', `${windowGroupPrefix(clientId)}*`));
  // Any group grant elsewhere names one real group: no wildcard in group names but this one.
  for (const { where, statement } of iamStatements(pkg.template)) {
    const text = JSON.stringify(statement.Resource);
    if (text.includes('"group/"') && text.includes('*')) assert.equal(where, 'OutboxVerifyRole/outbox-verify', `${where}: wildcard group`);
  }
});

const TENANT_READERS = ['Authorizer', 'IngestLogs', 'IngestHeartbeats', 'IngestCritical'];

test('IAM: the authorizer reads only the tenant source; so do the ingest functions, nobody else', () => {
  const statementsOf = (role: string) => iamStatements(pkg.template).filter((s) => s.where.startsWith(`${role}/`)).map((s) => s.statement);
  // Each statement is guarded by the condition of its kind of source (raw, before iamStatements unwraps it).
  const guarded = (role: string) =>
    Object.fromEntries(
      (pkg.template.Resources[role]!.Properties!.Policies as any[])
        .flatMap((p) => p.PolicyDocument.Statement as any[])
        .filter((s) => s['Fn::If'])
        .map((s) => [s['Fn::If'][1].Sid, s['Fn::If'][0]]),
    );

  const authorizer = statementsOf('AuthorizerRole');
  assert.deepEqual(authorizer.map((s) => s.Sid).sort(), ['TenantsKey', 'TenantsParameters', 'TenantsSecret']);
  assert.deepEqual(
    authorizer.flatMap((s) => asList<string>(s.Action)).sort(),
    ['kms:Decrypt', 'secretsmanager:GetSecretValue', 'ssm:GetParametersByPath'],
    'the authorizer can do nothing but read its tenant configuration',
  );
  const role = pkg.template.Resources.AuthorizerRole!.Properties!;
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a CloudFormation Fn::Sub string, not a template literal
  assert.deepEqual(role.ManagedPolicyArns, [{ 'Fn::Sub': 'arn:${AWS::Partition}:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole' }], 'logs only, no VPC access');

  const bySid = Object.fromEntries(authorizer.map((s) => [s.Sid, s]));
  // Exactly one secret: the stack's own (no tenantsSource) or the one passed.
  assert.deepEqual(bySid.TenantsSecret.Resource, { 'Fn::If': ['TenantsFromSecret', { Ref: 'TenantsSecretArn' }, { Ref: 'TenantsSecret' }] });
  assert.deepEqual(bySid.TenantsParameters.Resource, {
    'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ssm:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':parameter', { Ref: 'TenantsSsmPath' }]],
  });
  assert.deepEqual(bySid.TenantsKey.Resource, { Ref: 'TenantsKmsKeyArn' });
  assert.ok(bySid.TenantsKey.Condition?.StringEquals?.['kms:ViaService'], 'kms:Decrypt only through Secrets Manager / SSM');
  const conditions = { TenantsSecret: 'TenantsInSecretsManager', TenantsParameters: 'TenantsFromSsm', TenantsKey: 'HasTenantsKmsKey' };
  assert.deepEqual(guarded('AuthorizerRole'), conditions);
  for (const r of TENANT_READERS) {
    for (const [sid, condition] of Object.entries(conditions)) assert.equal(guarded(`${r}Role`)[sid], condition, `${r}Role: ${sid} only if ${condition}`);
  }
  const c = pkg.template.Conditions!;
  assert.deepEqual(c.TenantsFromSsm, { 'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'TenantsSsmPath' }, ''] }] });
  assert.deepEqual(c.TenantsInSecretsManager, { 'Fn::Not': [{ Condition: 'TenantsFromSsm' }] });
  assert.deepEqual(c.HasTenantsKmsKey, { 'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'TenantsKmsKeyArn' }, ''] }] });
  assert.deepEqual(c.CreateTenantsSecret, { 'Fn::And': [{ 'Fn::Not': [{ Condition: 'TenantsFromSecret' }] }, { 'Fn::Not': [{ Condition: 'TenantsFromSsm' }] }] });
  // The test package passes no tenantsSource: the stack creates the (empty) secret.
  const secret = pkg.template.Resources.TenantsSecret!;
  assert.equal(secret.Type, 'AWS::SecretsManager::Secret');
  assert.equal(secret.Condition, 'CreateTenantsSecret');
  assert.deepEqual(JSON.parse(secret.Properties!.SecretString), { tenants: [] });
  assert.equal((secret as any).DeletionPolicy, 'Retain', 'the tenant keys survive the stack');
  for (const p of ['TenantsSecretArn', 'TenantsSsmPath', 'TenantsKmsKeyArn']) assert.equal(pkg.template.Parameters?.[p]?.Default, '', p);

  // Everything else: no tenant configuration access.
  for (const [id, r] of Object.entries(fns())) {
    const roleId = r.Properties!.Role['Fn::GetAtt'][0] as string;
    if (TENANT_READERS.includes(id.replace(/LambdaFunction$/, ''))) continue;
    assert.ok(!statementsOf(roleId).some((s) => /^Tenants/.test(s.Sid ?? '')), `${roleId} cannot read the tenants`);
  }
});

test('TENANTS_SOURCE reaches the authorizer and the ingest functions (the stack secret by default)', () => {
  const expected = { 'Fn::If': ['CreateTenantsSecret', { 'Fn::Join': ['', ['secretsmanager:', { Ref: 'TenantsSecret' }]] }, ''] };
  for (const id of TENANT_READERS) assert.deepEqual(fn(id).Environment.Variables.TENANTS_SOURCE, expected, id);
  for (const id of ['OutboxRelay', 'OutboxVerify', 'ProvisionTopics', 'ConsumeRealtime', 'AuditCritical']) {
    assert.equal(fn(id).Environment.Variables.TENANTS_SOURCE, undefined, `${id} has no tenant source`);
  }
  assert.equal(fn('IngestCritical').Environment.Variables.OUTBOX_TABLE.Ref, 'OutboxTable', 'ingest-critical keeps its outbox settings');
  assert.deepEqual(pkg.template.Outputs?.TenantsSource?.Value, expected);
});

test('tenantsSource param: parsed for IAM, a bad value fails packaging', async () => {
  const parse = require(path.join(root, 'infra/serverless/tenants-source.js')) as (o: { resolveVariable: (v: string) => Promise<unknown> }) => Promise<Record<string, string>>;
  const of = (v: unknown) => parse({ resolveVariable: async (name) => (assert.equal(name, 'param:tenantsSource'), v) });
  const arn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:edge/prod/tenants-AbCdEf';
  assert.deepEqual(await of(''), { source: '', secretArn: '', ssmPath: '' });
  assert.deepEqual(await of(`secretsmanager:${arn}`), { source: `secretsmanager:${arn}`, secretArn: arn, ssmPath: '' });
  assert.deepEqual(await of('ssm:/edge-forwarder/prod/tenants/'), { source: 'ssm:/edge-forwarder/prod/tenants', secretArn: '', ssmPath: '/edge-forwarder/prod/tenants' });
  for (const bad of ['file:config/tenants.local.json', 'secretsmanager:edge/prod/tenants', 'ssm:edge', 'ssm:/', 'arn:aws:secretsmanager:eu-west-1:1:secret:x']) {
    await assert.rejects(of(bad), /tenantsSource/, bad);
  }
});

test('timeouts: ingest-critical and the relay end before the outbox grace period; the relay within its lease', () => {
  for (const id of ['IngestCritical', 'OutboxRelay']) {
    const p = fn(id);
    const env = p.Environment.Variables as Record<string, string>;
    const grace = Number(env.OUTBOX_GRACE_MS);
    assert.ok(Number.isInteger(grace) && grace > 0, `${id}: OUTBOX_GRACE_MS set (${env.OUTBOX_GRACE_MS})`);
    assert.ok(p.Timeout * 1000 < grace, `${id}: timeout ${p.Timeout} s < grace ${grace} ms`);
  }
  const relay = fn('OutboxRelay');
  assert.ok(relay.Timeout * 1000 < Number(relay.Environment.Variables.OUTBOX_LEASE_MS), 'relay timeout < lease');
  assert.equal(fn('IngestCritical').Environment.Variables.OUTBOX_GRACE_MS, relay.Environment.Variables.OUTBOX_GRACE_MS, 'one grace period');
  assert.equal(relay.ReservedConcurrentExecutions, 2, 'relay concurrency is capped');
  const queue = pkg.template.Resources.CriticalQueue!.Properties!;
  assert.ok(queue.VisibilityTimeout >= 6 * fn('IngestCritical').Timeout, 'SQS visibility >= 6x the function timeout');
  // The audit: time for an hour of the topic, one run at a time, finished before the next starts,
  // and a window longer than the interval, so consecutive runs overlap.
  const verify = fn('OutboxVerify');
  assert.ok(verify.Timeout >= 120 && verify.Timeout <= 900, `outbox-verify timeout ${verify.Timeout} s`);
  assert.equal(verify.ReservedConcurrentExecutions, 1, 'one audit at a time (each Scans the table)');
  const rule = resourcesOfType(pkg.template, 'AWS::Events::Rule').map(([, r]) => r.Properties!).find((r) => JSON.stringify(r.Targets).includes('OutboxVerifyLambdaFunction'));
  const interval = /^rate\((\d+) hours?\)$/.exec(rule?.ScheduleExpression ?? '');
  assert.ok(interval, `outbox-verify runs on an hourly rate: ${rule?.ScheduleExpression}`);
  const intervalS = Number(interval[1]) * 3600;
  assert.ok(verify.Timeout < intervalS, 'a run ends before the next one starts');
  assert.ok(Number(verify.Environment.Variables.OUTBOX_VERIFY_WINDOW_MINUTES) * 60 > intervalS, 'the audit window exceeds the schedule interval');
  assert.deepEqual(verify.Environment.Variables.OUTBOX_TABLE, { Ref: 'OutboxTable' });
  // API Gateway HTTP APIs give up after 30 s.
  for (const id of ['IngestLogs', 'IngestHeartbeats', 'IngestCritical']) assert.ok(fn(id).Timeout <= 29, `${id} answers HTTP in time`);
});

test('event sources: HTTP routes behind the authorizer, SQS with partial failures, schedule, MSK consumers', () => {
  const routes = resourcesOfType(pkg.template, 'AWS::ApiGatewayV2::Route').map(([, r]) => r.Properties!);
  assert.deepEqual(routes.map((r) => r.RouteKey).sort(), ['POST /v1/events', 'POST /v1/heartbeats', 'POST /v1/logs']);
  assert.deepEqual(routes.map((r) => r.RouteKey).sort(), Object.values(INGEST_ROUTES).map((r) => `POST ${r.path}`).sort(), 'serverless.yml follows lib/domain/routes.ts');
  // Every route behind the Lambda request authorizer (ingressAuth=lambda, the default).
  const authorizers = resourcesOfType(pkg.template, 'AWS::ApiGatewayV2::Authorizer');
  assert.deepEqual(authorizers.map(([id]) => id), ['HttpApiAuthorizerEdgeAuthorizer']);
  for (const r of routes) {
    assert.equal(r.AuthorizationType, 'CUSTOM', `${r.RouteKey} is authorized`);
    assert.deepEqual(r.AuthorizerId, { Ref: 'HttpApiAuthorizerEdgeAuthorizer' }, `${r.RouteKey} uses the Lambda authorizer`);
  }
  const authorizer = authorizers[0]![1].Properties!;
  assert.equal(authorizer.AuthorizerType, 'REQUEST');
  // Caching off: a cached "allow" would let a replayed request skip the replay check.
  assert.equal(authorizer.AuthorizerResultTtlInSeconds, 0, 'authorizer result caching is off');
  assert.equal(authorizer.EnableSimpleResponses, true);
  assert.equal(authorizer.AuthorizerPayloadFormatVersion, '2.0');
  assert.deepEqual(authorizer.IdentitySource, ['$request.header.Authorization']);
  assert.ok(JSON.stringify(authorizer.AuthorizerUri).includes('"AuthorizerLambdaFunction","Arn"'), 'the authorizer function');
  assert.equal(fn('Authorizer').Handler, 'dist/authorizer/index.handler');
  assert.ok(fn('Authorizer').Timeout <= 10 && fn('Authorizer').MemorySize <= 512, 'small and quick (API Gateway waits 10 s at most)');

  const [sqs] = esmFor('IngestCritical');
  assert.deepEqual(sqs?.FunctionResponseTypes, ['ReportBatchItemFailures']);
  const redrive = pkg.template.Resources.CriticalQueue!.Properties!.RedrivePolicy;
  assert.deepEqual(redrive.deadLetterTargetArn, { 'Fn::GetAtt': ['CriticalDeadLetterQueue', 'Arn'] });

  const rules = resourcesOfType(pkg.template, 'AWS::Events::Rule').map(([, r]) => r.Properties!);
  assert.ok(rules.some((r) => r.ScheduleExpression === 'rate(1 minute)' && JSON.stringify(r.Targets).includes('OutboxRelayLambdaFunction')));
  assert.ok(rules.some((r) => r.ScheduleExpression === 'rate(1 hour)' && JSON.stringify(r.Targets).includes('OutboxVerifyLambdaFunction')), 'the hourly audit');
  assert.equal(esmFor('OutboxVerify').length, 0, 'the audit reads with its own client, not an event source mapping');

  const [realtime] = esmFor('ConsumeRealtime');
  assert.equal(realtime?.StartingPosition, 'LATEST');
  assert.deepEqual(realtime?.Topics, ['edge.ci.realtime']);
  assert.equal(realtime?.MaximumRetryAttempts, 0, 'at-most-once: a failed batch is not re-run');
  const [audit] = esmFor('AuditCritical');
  assert.equal(audit?.StartingPosition, 'TRIM_HORIZON');
  assert.deepEqual(audit?.Topics, ['edge.ci.critical']);
  assert.equal(audit?.AmazonManagedKafkaEventSourceConfig?.ConsumerGroupId, 'edge-forwarder-ci-critical-audit');
  assert.deepEqual(audit?.FunctionResponseTypes, ['ReportBatchItemFailures'], 'batchItemFailures are honoured');
  assert.ok(audit?.ProvisionedPollerConfig, 'provisioned mode (required for Kafka error handling)');
  assert.ok(audit?.DestinationConfig?.OnFailure?.Destination, 'batches given up on are recorded');
  for (const m of [realtime, audit]) assert.ok(m?.BatchSize > 0);

  // At-most-once CloudWatch Logs path: async invocations are never retried.
  const evConf = pkg.template.Resources.IngestLogsLambdaEvConf!.Properties!;
  assert.equal(evConf.MaximumRetryAttempts, 0);
  assert.ok(evConf.DestinationConfig.OnFailure.Destination);
  const subscriptions = resourcesOfType(pkg.template, 'AWS::Logs::SubscriptionFilter').map(([, r]) => r.Properties!);
  assert.deepEqual(subscriptions.map((s) => s.LogGroupName).sort(), [...TEST_LOG_GROUPS].sort());
  for (const s of subscriptions) assert.deepEqual(s.DestinationArn, { 'Fn::GetAtt': ['IngestLogsLambdaFunction', 'Arn'] });
});

test('VPC for the Kafka producers only; log retention on every function; the topics custom resource', () => {
  for (const id of ['IngestLogs', 'IngestHeartbeats', 'IngestCritical', 'OutboxRelay', 'OutboxVerify', 'ProvisionTopics']) {
    assert.ok(fn(id).VpcConfig?.SubnetIds && fn(id).VpcConfig?.SecurityGroupIds, `${id} runs in the VPC`);
  }
  for (const id of ['ConsumeRealtime', 'AuditCritical', 'Authorizer']) assert.equal(fn(id).VpcConfig, undefined, `${id} needs no VPC`);
  const groups = resourcesOfType(pkg.template, 'AWS::Logs::LogGroup');
  assert.equal(groups.length, Object.keys(fns()).length);
  for (const [id, g] of groups) assert.ok(g.Properties!.RetentionInDays > 0, `${id} has a retention`);
  const topics = pkg.template.Resources.KafkaTopics!;
  assert.equal(topics.Type, 'Custom::KafkaTopics');
  assert.deepEqual(topics.Properties!.ServiceToken, { 'Fn::GetAtt': ['ProvisionTopicsLambdaFunction', 'Arn'] });
  assert.equal(topics.Properties!.TopicPrefix, fn('ProvisionTopics').Environment.Variables.TOPIC_PREFIX, 'one prefix');
});

test('alarms: dropped share per best-effort tier, dead entries, relay lag, audit losses, errors and throttles of every function', () => {
  const alarms = Object.fromEntries(resourcesOfType(pkg.template, 'AWS::CloudWatch::Alarm').map(([id, r]) => [id, r.Properties!]));
  for (const id of ['LogsDroppedAlarm', 'RealtimeDroppedAlarm', 'OutboxDeadEntriesAlarm', 'RelayLagAlarm', 'CriticalDeadLetterAlarm', 'AuditMissingAlarm']) assert.ok(alarms[id], id);
  const audit = alarms.AuditMissingAlarm!;
  assert.deepEqual(
    [audit.Namespace, audit.MetricName, audit.ComparisonOperator, audit.Threshold],
    ['EdgeForwarder', 'AuditMissing', 'GreaterThanThreshold', 0],
    'any missing event alarms',
  );
  assert.deepEqual(audit.Dimensions, [{ Name: 'FunctionName', Value: { Ref: 'OutboxVerifyLambdaFunction' } }, { Name: 'Tier', Value: 'critical' }]);
  assert.ok(audit.Period >= 3600, 'an hourly datapoint keeps the alarm up until the next run');
  const dropped = JSON.stringify(alarms.LogsDroppedAlarm);
  assert.ok(dropped.includes('"Namespace":"EdgeForwarder"') && dropped.includes('"MetricName":"Dropped"') && dropped.includes('{"Name":"Tier","Value":"logs"}'));
  assert.equal(alarms.OutboxDeadEntriesAlarm!.MetricName, 'DeadEntries');
  assert.equal(alarms.RelayLagAlarm!.MetricName, 'OldestPendingAgeMs');
  assert.ok(Number(alarms.RelayLagAlarm!.Threshold) > Number(fn('OutboxRelay').Environment.Variables.OUTBOX_GRACE_MS), 'lag alarm well above the grace period');
  for (const name of Object.keys(fns()).map((id) => id.replace(/LambdaFunction$/, ''))) {
    assert.equal(alarms[`${name}ErrorsAlarm`]?.MetricName, 'Errors', `${name} Errors alarm`);
    assert.equal(alarms[`${name}ThrottlesAlarm`]?.MetricName, 'Throttles', `${name} Throttles alarm`);
  }
});
