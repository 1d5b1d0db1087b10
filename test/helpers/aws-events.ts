/**
 * One event of every shape AWS invokes a function with, following the samples of the AWS
 * documentation (Lambda developer guide "Invoking Lambda with events from other services", ELB
 * "Lambda functions as targets", API Gateway "Lambda proxy integrations"): the shapes a
 * function serves must be handled, the others refused.
 */
import type { ALBEvent, APIGatewayProxyEvent } from 'aws-lambda';
import { ACCOUNT_ID, REGION, httpEvent } from './events';
import { mskEvent } from './msk-events';

const base64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

/** API Gateway REST API (payload 1.0): multi-value headers, stage in requestContext, IAM caller in identity. */
export function restApiEvent(opts: { path: string; body: string; headers?: Record<string, string>; userArn?: string; method?: string }): APIGatewayProxyEvent {
  const headers = { 'Content-Type': 'application/x-ndjson', Host: 'abc123.execute-api.us-east-1.amazonaws.com', ...opts.headers };
  return {
    resource: opts.path,
    path: opts.path,
    httpMethod: opts.method ?? 'POST',
    headers,
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    requestContext: {
      accountId: ACCOUNT_ID,
      apiId: 'abc123',
      authorizer: undefined,
      protocol: 'HTTP/1.1',
      httpMethod: opts.method ?? 'POST',
      identity: {
        accessKey: null, accountId: opts.userArn ? ACCOUNT_ID : null, apiKey: null, apiKeyId: null, caller: null, clientCert: null,
        cognitoAuthenticationProvider: null, cognitoAuthenticationType: null, cognitoIdentityId: null, cognitoIdentityPoolId: null,
        principalOrgId: null, sourceIp: '203.0.113.10', user: null, userAgent: 'curl/8.5.0', userArn: opts.userArn ?? null,
      },
      path: `/prod${opts.path}`,
      stage: 'prod',
      requestId: 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef',
      requestTimeEpoch: Date.now(),
      resourceId: 'x1y2z3',
      resourcePath: opts.path,
    },
    body: opts.body,
    isBase64Encoded: false,
  } as APIGatewayProxyEvent;
}

/** An Application Load Balancer target event; `multiValue` as when the target group enables multi-value headers. */
export function albEvent(opts: { path: string; body: string; headers?: Record<string, string>; multiValue?: boolean }): ALBEvent {
  const headers = { 'content-type': 'application/x-ndjson', host: 'lambda-alb-123578498.us-east-1.elb.amazonaws.com', 'x-forwarded-for': '203.0.113.10', ...opts.headers };
  return {
    requestContext: { elb: { targetGroupArn: `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT_ID}:targetgroup/lambda-279XGJDqGZ5rsrHC2Fjr/49e9d65c45c6791a` } },
    httpMethod: 'POST',
    path: opts.path,
    ...(opts.multiValue
      ? { multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])), multiValueQueryStringParameters: {} }
      : { headers, queryStringParameters: {} }),
    body: opts.body,
    isBase64Encoded: false,
  };
}

/** Every documented shape, by the name lib/handlers/event-shapes.ts gives it. */
export function sampleEvents(): Record<string, unknown> {
  return {
    'http-v2': httpEvent({ path: '/v1/logs', body: '{"msg":"a"}\n', contentType: 'application/x-ndjson' }),
    'function-url': { ...httpEvent({ path: '/v1/logs', body: 'a\n', contentType: 'text/plain', routeKey: '$default' }) },
    'http-v1': restApiEvent({ path: '/v1/logs', body: '{"msg":"a"}\n' }),
    alb: albEvent({ path: '/v1/logs', body: '{"msg":"a"}\n' }),
    sqs: {
      Records: [
        {
          messageId: '059f36b4-87a3-44ab-83d2-661975830a7d',
          receiptHandle: 'AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a...',
          body: '{"id":"e-1","type":"kill"}',
          attributes: { ApproximateReceiveCount: '1', SentTimestamp: '1545082649183', SenderId: 'AIDAIENQZJOLO23YVJ4VO', ApproximateFirstReceiveTimestamp: '1545082649185' },
          messageAttributes: {},
          md5OfBody: 'e4e68fb7bd0e697a0ae8f1bb342846b3',
          eventSource: 'aws:sqs',
          eventSourceARN: `arn:aws:sqs:${REGION}:${ACCOUNT_ID}:my-queue`,
          awsRegion: REGION,
        },
      ],
    },
    kinesis: {
      Records: [
        {
          kinesis: {
            kinesisSchemaVersion: '1.0',
            partitionKey: '1',
            sequenceNumber: '49590338271490256608559692538361571095921575989136588898',
            data: base64('{"msg":"hello from kinesis"}'),
            approximateArrivalTimestamp: 1545084650.987,
          },
          eventSource: 'aws:kinesis',
          eventVersion: '1.0',
          eventID: 'shardId-000000000006:49590338271490256608559692538361571095921575989136588898',
          eventName: 'aws:kinesis:record',
          invokeIdentityArn: `arn:aws:iam::${ACCOUNT_ID}:role/lambda-role`,
          awsRegion: REGION,
          eventSourceARN: `arn:aws:kinesis:${REGION}:${ACCOUNT_ID}:stream/lambda-stream`,
        },
      ],
    },
    'dynamodb-stream': {
      Records: [
        {
          eventID: '1', eventVersion: '1.0', eventName: 'INSERT', eventSource: 'aws:dynamodb', awsRegion: REGION,
          dynamodb: { Keys: { Id: { N: '101' } }, NewImage: { Message: { S: 'New item!' }, Id: { N: '101' } }, StreamViewType: 'NEW_AND_OLD_IMAGES', SequenceNumber: '111', SizeBytes: 26 },
          eventSourceARN: `arn:aws:dynamodb:${REGION}:${ACCOUNT_ID}:table/ExampleTable/stream/2015-06-27T00:48:05.899`,
        },
      ],
    },
    sns: {
      Records: [
        {
          EventVersion: '1.0', EventSubscriptionArn: `arn:aws:sns:${REGION}:${ACCOUNT_ID}:sns-lambda:21be56ed-a058-49f5-8c98-aedd2564c486`, EventSource: 'aws:sns',
          Sns: { SignatureVersion: '1', Timestamp: '2019-01-02T12:45:07.000Z', Signature: 'tcc6faL2yUC6dgZdmrwh1Y4cGa/ebXEkAi6RibDsvpi+tE/1+82j...', SigningCertUrl: 'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-ac565b8b1a6c5d002d285f9598aa1d9b.pem', MessageId: '95df01b4-ee98-5cb9-9903-4c221d41eb5e', Message: 'Hello from SNS!', MessageAttributes: {}, Type: 'Notification', UnsubscribeUrl: 'https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe', TopicArn: `arn:aws:sns:${REGION}:${ACCOUNT_ID}:sns-lambda`, Subject: 'TestInvoke' },
        },
      ],
    },
    s3: {
      Records: [
        {
          eventVersion: '2.1', eventSource: 'aws:s3', awsRegion: REGION, eventTime: '2019-09-03T19:37:27.192Z', eventName: 'ObjectCreated:Put',
          userIdentity: { principalId: 'AWS:AIDAINPONIXQXHT3IKHL2' }, requestParameters: { sourceIPAddress: '205.255.255.255' },
          responseElements: { 'x-amz-request-id': 'D82B88E5F771F645', 'x-amz-id-2': 'vlR7PnpV2Ce81l0PRw6jlUpck7Jo5ZsQjryTjKlc5aLWGVHPZLj5NeC6qMa0emYBDXOo6QBU0Wo=' },
          s3: { s3SchemaVersion: '1.0', configurationId: '828aa6fc-f7b5-4305-8584-487c791949c1', bucket: { name: 'DOC-EXAMPLE-BUCKET', ownerIdentity: { principalId: 'A3I5XTEXAMAI3E' }, arn: 'arn:aws:s3:::lambda-artifacts-deafc19498e3f2df' }, object: { key: 'b21b84d653bb07b05b1e6b33684dc11b', size: 1305107, eTag: 'b21b84d653bb07b05b1e6b33684dc11b', sequencer: '0C0F6F405D6ED209E1' } },
        },
      ],
    },
    scheduled: {
      version: '0', account: ACCOUNT_ID, region: REGION, detail: {}, 'detail-type': 'Scheduled Event', source: 'aws.events',
      time: '2019-03-01T01:23:45Z', id: 'cdc73f9d-aea9-11e3-9d5a-835b769c0d9c', resources: [`arn:aws:events:${REGION}:${ACCOUNT_ID}:rule/my-schedule`],
    },
    eventbridge: {
      version: '0', id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718', 'detail-type': 'EC2 Instance State-change Notification', source: 'aws.ec2',
      account: ACCOUNT_ID, time: '2017-12-22T18:43:48Z', region: REGION, resources: [], detail: { 'instance-id': 'i-1234567890abcdef0', state: 'terminated' },
    },
    'cloudwatch-logs': { awslogs: { data: 'H4sIAAAAAAAAAHWPwQqCQBCGX0Xm7EFtK+smZBEUgXoLCdMhFtKV3akI8d0bLYmibvPPN3wz00CJxmQnTO41whwWQRIctmEcB6sQbFC3CjW3XW8kxpOpP+OC22d1Wml1qZkQGtoMsScxaczKN3plG8zlaHIta5KqWsozoTYw3/djzwhpLwivWFGHGpAFe7DL68JlBUk+l7KSN7tCOEJ4M3/qOI49vMHj+zCKdlFqLaU2ZHV2a4Ct/an0/ivdX8oYc1UVX860fQDQiMdxRQEAAA==' } },
    msk: mskEvent([{ topic: 'edge.realtime', key: 's', value: '{}' }]),
    'custom-resource': {
      RequestType: 'Create', ServiceToken: `arn:aws:lambda:${REGION}:${ACCOUNT_ID}:function:provision`, ResponseURL: 'https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/x',
      StackId: `arn:aws:cloudformation:${REGION}:${ACCOUNT_ID}:stack/s/1`, RequestId: 'r-1', LogicalResourceId: 'KafkaTopics', ResourceType: 'Custom::KafkaTopics', ResourceProperties: { ServiceToken: 'x' },
    },
    'authorizer-v2': {
      version: '2.0', type: 'REQUEST', routeArn: `arn:aws:execute-api:${REGION}:${ACCOUNT_ID}:abc123/$default/POST/v1/logs`, identitySource: ['Bearer x'], routeKey: 'POST /v1/logs',
      rawPath: '/v1/logs', rawQueryString: '', headers: { authorization: 'Bearer x' },
      requestContext: { accountId: ACCOUNT_ID, apiId: 'abc123', domainName: 'abc123.execute-api.us-east-1.amazonaws.com', domainPrefix: 'abc123', http: { method: 'POST', path: '/v1/logs', protocol: 'HTTP/1.1', sourceIp: '203.0.113.10', userAgent: 'curl' }, requestId: 'id', routeKey: 'POST /v1/logs', stage: '$default', time: '12/Mar/2020:19:03:58 +0000', timeEpoch: 1583348638390 },
    },
    direct: {},
  };
}
