/**
 * The optional Kinesis sources (infra/serverless/kinesis.yml, IAM in iam.yml) in the packaged
 * template: CloudFormation decides from the stream parameters, so both sides are checked on the one
 * template, resolved as CloudFormation would for the parameter values (conditions.ts materialize).
 */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { cfnLint, PACKAGED_TEMPLATE_IGNORES } from '../../tools/cfn-lint';
import { materialize, type ParameterValues } from './conditions';
import { asList, iamStatements, packaged, resourcesOfType, type CfnTemplate, type Packaged } from './helpers';

const LOGS_STREAM = 'arn:aws:kinesis:eu-west-1:123456789012:stream/game-logs';
const CRITICAL_STREAM = 'arn:aws:kinesis:eu-west-1:123456789012:stream/game-events';
const KEY = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';

let pkg: Packaged;
before(async () => {
  for (const k of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE']) delete process.env[k];
  pkg = await packaged();
});

const deployed = (params: ParameterValues) => materialize(pkg.template, params);
const mappingsOf = (t: CfnTemplate, fnLogicalId: string) =>
  resourcesOfType(t, 'AWS::Lambda::EventSourceMapping')
    .map(([, r]) => r.Properties!)
    .filter((p) => JSON.stringify(p.FunctionName).includes(`"${fnLogicalId}LambdaFunction"`));
const kinesisMappings = (t: CfnTemplate) =>
  resourcesOfType(t, 'AWS::Lambda::EventSourceMapping').filter(([, r]) => JSON.stringify(r.Properties?.EventSourceArn).includes(':kinesis:'));
/** Every statement of a role, as deployed, with its actions as a list. */
const statementsOf = (t: CfnTemplate, role: string) =>
  iamStatements(t)
    .filter((s) => s.where.startsWith(`${role}/`))
    .map((s): Record<string, any> & { actions: string[] } => ({ ...s.statement, actions: asList<string>(s.statement.Action) }));
const kinesisAccess = (t: CfnTemplate) =>
  iamStatements(t).filter(({ statement }) => asList<string>(statement.Action).some((a) => a.startsWith('kinesis:')) || JSON.stringify(statement).includes('kinesis:arn'));

const READ_ACTIONS = ['kinesis:DescribeStream', 'kinesis:DescribeStreamSummary', 'kinesis:GetRecords', 'kinesis:GetShardIterator', 'kinesis:ListShards'];

test('the template carries both mappings, each under the condition of its stream parameter', () => {
  const r = pkg.template.Resources;
  assert.equal(r.IngestLogsKinesisMapping?.Condition, 'HasLogsKinesisStream');
  assert.equal(r.IngestCriticalKinesisMapping?.Condition, 'HasCriticalKinesisStream');
  assert.equal(r.IngestCriticalKinesisIteratorAgeAlarm?.Condition, 'HasCriticalKinesisStream');
  const c = pkg.template.Conditions!;
  assert.deepEqual(c.HasLogsKinesisStream, { 'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'LogsKinesisStreamArn' }, ''] }] });
  assert.deepEqual(c.HasCriticalKinesisStream, { 'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'CriticalKinesisStreamArn' }, ''] }] });
});

test('parameters default to the serverless.yml params: no stream, LATEST, a batch window of 1 s', () => {
  const p = pkg.template.Parameters!;
  for (const tier of ['Logs', 'Critical']) {
    assert.equal(p[`${tier}KinesisStreamArn`]?.Default, '', `${tier}: no stream unless given`);
    assert.equal(p[`${tier}KinesisKmsKeyArn`]?.Default, '');
    assert.equal(p[`${tier}KinesisStartingPosition`]?.Default, 'LATEST');
    assert.deepEqual(p[`${tier}KinesisStartingPosition`]?.AllowedValues, ['LATEST', 'TRIM_HORIZON']);
    assert.equal(String(p[`${tier}KinesisBatchWindowSeconds`]?.Default), '1');
    assert.ok(Number(p[`${tier}KinesisBatchSize`]?.Default) >= 1 && Number(p[`${tier}KinesisBatchSize`]?.Default) <= 10000);
    // CloudFormation matches AllowedPattern against the whole value.
    const pattern = new RegExp(p[`${tier}KinesisStreamArn`]!.AllowedPattern);
    for (const ok of ['', LOGS_STREAM, 'arn:aws-cn:kinesis:cn-north-1:123456789012:stream/a.b_c-d']) assert.ok(pattern.test(ok), ok);
    for (const bad of ['game-logs', `${LOGS_STREAM}/consumer/c:1`, 'arn:aws:sqs:eu-west-1:123456789012:q', 'arn:aws:kinesis:eu-west-1:123:stream/x']) {
      assert.ok(!pattern.test(bad), bad);
    }
  }
});

test('no stream parameter (the default): no Kinesis mapping, no Kinesis or Kinesis key permission in any role', () => {
  const t = deployed({});
  assert.deepEqual(kinesisMappings(t), []);
  assert.deepEqual(kinesisAccess(t), []);
  assert.equal(t.Resources.IngestCriticalKinesisIteratorAgeAlarm, undefined);
  // What else the roles had is still there.
  assert.ok(statementsOf(t, 'IngestLogsRole').some((s) => s.Sid === 'WriteBestEffortTopics'));
});

test('logsKinesisStreamArn: ingest-logs reads that stream at most once (partial batch responses, no bisect, no retry)', () => {
  const t = deployed({ LogsKinesisStreamArn: LOGS_STREAM });
  assert.equal(kinesisMappings(t).length, 1);
  const [m] = mappingsOf(t, 'IngestLogs').filter((p) => p.EventSourceArn === LOGS_STREAM);
  assert.ok(m, 'ingest-logs has the mapping');
  assert.deepEqual(m.FunctionResponseTypes, ['ReportBatchItemFailures']);
  assert.equal(m.BisectBatchOnFunctionError, false);
  assert.equal(m.StartingPosition, 'LATEST');
  assert.equal(String(m.BatchSize), String(pkg.template.Parameters!.LogsKinesisBatchSize.Default));
  assert.equal(String(m.MaximumBatchingWindowInSeconds), '1');
  assert.equal(m.MaximumRetryAttempts, 0, 'a failed invocation is not re-run: at most once');
  assert.deepEqual(m.DestinationConfig, { OnFailure: { Destination: { 'Fn::GetAtt': ['AsyncFailuresQueue', 'Arn'] } } });
  assert.ok(
    statementsOf(t, 'IngestLogsRole').some((s) => s.actions.includes('sqs:SendMessage') && JSON.stringify(s.Resource).includes('AsyncFailuresQueue')),
    'the role may write the on-failure destination',
  );

  const read = statementsOf(t, 'IngestLogsRole').filter((s) => s.actions.some((a) => a.startsWith('kinesis:')));
  assert.deepEqual(read.map((s) => [s.Sid, [...s.actions].sort(), s.Resource]), [['ReadLogsKinesisStream', READ_ACTIONS, LOGS_STREAM]]);
  assert.deepEqual(kinesisAccess(t).map((s) => s.where.split('/')[0]), ['IngestLogsRole'], 'no other role gets the stream');
  assert.ok(!statementsOf(t, 'IngestLogsRole').some((s) => s.actions.includes('kms:Decrypt')), 'no key permission without a key param');
  assert.equal(deployed({ LogsKinesisStreamArn: LOGS_STREAM, LogsKinesisStartingPosition: 'TRIM_HORIZON' }).Resources.IngestLogsKinesisMapping!.Properties!.StartingPosition, 'TRIM_HORIZON');
});

test('criticalKinesisStreamArn: ingest-critical retries what the outbox could not take until it is persisted; IAM on that stream only', () => {
  const t = deployed({ CriticalKinesisStreamArn: CRITICAL_STREAM });
  const [m] = mappingsOf(t, 'IngestCritical').filter((p) => p.EventSourceArn === CRITICAL_STREAM);
  assert.ok(m, 'ingest-critical has the mapping');
  assert.deepEqual(m.FunctionResponseTypes, ['ReportBatchItemFailures'], 'batchItemFailures are honoured (without it Lambda would checkpoint them: loss)');
  assert.equal(m.BisectBatchOnFunctionError, false);
  assert.equal(m.StartingPosition, 'LATEST');
  assert.equal(m.MaximumRetryAttempts, -1, 'no record is given up while the stream holds it');
  assert.equal(m.MaximumRecordAgeInSeconds, -1);
  assert.equal(mappingsOf(t, 'IngestLogs').filter((p) => JSON.stringify(p.EventSourceArn).includes(':kinesis:')).length, 0);
  const read = statementsOf(t, 'IngestCriticalRole').filter((s) => s.actions.some((a) => a.startsWith('kinesis:')));
  assert.deepEqual(read.map((s) => [s.Sid, [...s.actions].sort(), s.Resource]), [['ReadCriticalKinesisStream', READ_ACTIONS, CRITICAL_STREAM]]);
  assert.deepEqual(kinesisAccess(t).map((s) => s.where.split('/')[0]), ['IngestCriticalRole']);
  const alarm = t.Resources.IngestCriticalKinesisIteratorAgeAlarm?.Properties;
  assert.deepEqual([alarm?.Namespace, alarm?.MetricName], ['AWS/Lambda', 'IteratorAge'], 'a shard stuck on retries alarms');
  assert.deepEqual(alarm?.Dimensions, [{ Name: 'FunctionName', Value: { Ref: 'IngestCriticalLambdaFunction' } }]);
});

test('both streams: two mappings, each role reads only its own', () => {
  const t = deployed({ LogsKinesisStreamArn: LOGS_STREAM, CriticalKinesisStreamArn: CRITICAL_STREAM });
  assert.equal(kinesisMappings(t).length, 2);
  const resourcesOf = (role: string) => statementsOf(t, role).filter((s) => s.actions.some((a) => a.startsWith('kinesis:'))).map((s) => s.Resource);
  assert.deepEqual(resourcesOf('IngestLogsRole'), [LOGS_STREAM]);
  assert.deepEqual(resourcesOf('IngestCriticalRole'), [CRITICAL_STREAM]);
});

test('a stream key parameter grants kms:Decrypt on that key, for that stream only, and only with its stream', () => {
  for (const [tier, role, stream] of [['Logs', 'IngestLogsRole', LOGS_STREAM], ['Critical', 'IngestCriticalRole', CRITICAL_STREAM]] as const) {
    const t = deployed({ [`${tier}KinesisStreamArn`]: stream, [`${tier}KinesisKmsKeyArn`]: KEY });
    const keys = statementsOf(t, role).filter((s) => s.actions.includes('kms:Decrypt') && s.Resource === KEY);
    assert.equal(keys.length, 1, `${role} may decrypt with the stream's key`);
    assert.deepEqual(keys[0]!.Condition, { StringEquals: { 'kms:EncryptionContext:aws:kinesis:arn': stream } });
    const keyWithoutStream = deployed({ [`${tier}KinesisKmsKeyArn`]: KEY });
    assert.ok(!statementsOf(keyWithoutStream, role).some((s) => s.Resource === KEY), `${tier}: a key without a stream grants nothing`);
  }
});

test('cfn-lint passes on the packaged template with both streams and keys set (and catches a bad value)', { timeout: 600_000 }, () => {
  const set = ['LogsKinesisStreamArn', 'CriticalKinesisStreamArn'].map((p, i) => `${p}=${[LOGS_STREAM, CRITICAL_STREAM][i]}`);
  const keys = ['LogsKinesisKmsKeyArn', 'CriticalKinesisKmsKeyArn'].map((p) => `${p}=${KEY}`);
  const clean = cfnLint([pkg.templatePath], [...PACKAGED_TEMPLATE_IGNORES, '--parameters', ...set, ...keys, 'CriticalKinesisStartingPosition=TRIM_HORIZON']);
  assert.equal(clean.status, 0, clean.output);
  const bad = cfnLint([pkg.templatePath], [...PACKAGED_TEMPLATE_IGNORES, '--parameters', ...set, 'LogsKinesisStartingPosition=AT_TIMESTAMP']);
  assert.notEqual(bad.status, 0, 'the parameter values are really applied');
  assert.match(bad.output, /AT_TIMESTAMP/);
});
