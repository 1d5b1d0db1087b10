import { createHash, createHmac } from 'node:crypto';

/**
 * MSK IAM auth token: a SigV4-presigned `GET https://kafka.<region>.amazonaws.com/?Action=kafka-cluster:Connect`,
 * base64url-encoded, exactly as aws-msk-iam-sasl-signer-js builds it. Written out here (node:crypto
 * only) because the signer library pulls ~350 KB of AWS SDK into every bundle and a cold start;
 * a unit test cross-checks the signature against the library.
 */
export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

const SERVICE = 'kafka-cluster';
const EXPIRES_SECONDS = 900;
const EMPTY_SHA256 = createHash('sha256').update('').digest('hex');
export const TOKEN_USER_AGENT = 'edge-forwarder';

/** RFC 3986 encoding as SigV4 wants it. */
const encode = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data).digest();

export function amzDate(at: Date): string {
  return at.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

/** The presigned URL's query parameters, in signing order, plus its signature. */
export function presignConnect(region: string, creds: AwsCredentials, at: Date): { host: string; query: [string, string][] } {
  const host = `kafka.${region}.amazonaws.com`;
  const date = amzDate(at);
  const scope = `${date.slice(0, 8)}/${region}/${SERVICE}/aws4_request`;
  const query: [string, string][] = [
    ['Action', 'kafka-cluster:Connect'],
    ['X-Amz-Algorithm', 'AWS4-HMAC-SHA256'],
    ['X-Amz-Credential', `${creds.accessKeyId}/${scope}`],
    ['X-Amz-Date', date],
    ['X-Amz-Expires', String(EXPIRES_SECONDS)],
    ...(creds.sessionToken ? [['X-Amz-Security-Token', creds.sessionToken] as [string, string]] : []),
    ['X-Amz-SignedHeaders', 'host'],
  ];
  const canonicalQuery = query
    .map(([k, v]) => `${encode(k)}=${encode(v)}`)
    .sort()
    .join('&');
  const canonicalRequest = ['GET', '/', canonicalQuery, `host:${host}`, '', 'host', EMPTY_SHA256].join('\n');
  const stringToSign = ['AWS4-HMAC-SHA256', date, scope, createHash('sha256').update(canonicalRequest).digest('hex')].join('\n');
  let key = hmac(`AWS4${creds.secretAccessKey}`, date.slice(0, 8));
  for (const part of [region, SERVICE, 'aws4_request']) key = hmac(key, part);
  query.push(['X-Amz-Signature', createHmac('sha256', key).update(stringToSign).digest('hex')]);
  return { host, query };
}

/** The token kafkajs sends as the OAUTHBEARER value, and when it expires. */
export function mskIamAuthToken(region: string, creds: AwsCredentials, at = new Date()): { token: string; expiryTime: number } {
  const { host, query } = presignConnect(region, creds, at);
  query.push(['User-Agent', TOKEN_USER_AGENT]);
  const url = `https://${host}/?${query.map(([k, v]) => `${encode(k)}=${encode(v)}`).join('&')}`;
  return { token: Buffer.from(url, 'utf8').toString('base64url'), expiryTime: at.getTime() + EXPIRES_SECONDS * 1000 };
}

/** Lambda puts the execution role's credentials in the environment. */
export function credentialsFromEnv(env: NodeJS.ProcessEnv = process.env): AwsCredentials | undefined {
  const { AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey, AWS_SESSION_TOKEN: sessionToken } = env;
  if (!accessKeyId || !secretAccessKey) return undefined;
  return { accessKeyId, secretAccessKey, ...(sessionToken && { sessionToken }) };
}
