import assert from 'node:assert/strict';
import { test } from 'node:test';
import { generateAuthTokenFromCredentialsProvider } from 'aws-msk-iam-sasl-signer-js';
import { credentialsFromEnv, mskIamAuthToken, presignConnect } from '../../../../lib/adapters/kafka/msk-iam-token';

const creds = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', sessionToken: 'FwoGZXIvYXdz//tok+en=' };

function dateOf(amz: string): Date {
  return new Date(`${amz.slice(0, 4)}-${amz.slice(4, 6)}-${amz.slice(6, 8)}T${amz.slice(9, 11)}:${amz.slice(11, 13)}:${amz.slice(13, 15)}Z`);
}

test('our presigned kafka-cluster:Connect matches the official signer byte for byte (signature and parameters)', async () => {
  for (const region of ['eu-west-1', 'us-east-1', 'ap-southeast-2']) {
    const official = await generateAuthTokenFromCredentialsProvider({ region, awsCredentialsProvider: async () => creds });
    const theirs = new URL(Buffer.from(official.token, 'base64url').toString('utf8'));
    const ours = presignConnect(region, creds, dateOf(theirs.searchParams.get('X-Amz-Date')!));
    assert.equal(theirs.host, ours.host);
    const expected = Object.fromEntries([...theirs.searchParams].filter(([k]) => k !== 'User-Agent'));
    assert.deepEqual(Object.fromEntries(ours.query), expected);
  }
});

test('the token decodes to a presigned URL for the right region, expiring in 15 minutes', () => {
  const at = new Date('2026-11-22T10:00:00Z');
  const { token, expiryTime } = mskIamAuthToken('eu-central-1', creds, at);
  assert.doesNotMatch(token, /[+/=]/, 'base64url without padding');
  const url = new URL(Buffer.from(token, 'base64url').toString('utf8'));
  assert.equal(url.origin, 'https://kafka.eu-central-1.amazonaws.com');
  assert.equal(url.searchParams.get('Action'), 'kafka-cluster:Connect');
  assert.equal(url.searchParams.get('X-Amz-Credential'), 'AKIDEXAMPLE/20261122/eu-central-1/kafka-cluster/aws4_request');
  assert.equal(url.searchParams.get('X-Amz-Date'), '20261122T100000Z');
  assert.equal(url.searchParams.get('X-Amz-Security-Token'), creds.sessionToken);
  assert.match(url.searchParams.get('X-Amz-Signature')!, /^[0-9a-f]{64}$/);
  assert.equal(expiryTime, at.getTime() + 900_000);
});

test('Lambda credentials come from the environment; none there means none', () => {
  assert.deepEqual(credentialsFromEnv({ AWS_ACCESS_KEY_ID: 'a', AWS_SECRET_ACCESS_KEY: 's', AWS_SESSION_TOKEN: 't' }), {
    accessKeyId: 'a',
    secretAccessKey: 's',
    sessionToken: 't',
  });
  assert.equal(credentialsFromEnv({ AWS_ACCESS_KEY_ID: 'a' }), undefined);
});
