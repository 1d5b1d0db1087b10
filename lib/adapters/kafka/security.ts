import { readFileSync } from 'node:fs';
import type { KafkaConfig } from '../../platform/config';
import { ConfigError, errorMessage } from '../../platform/errors';
import { secretsManagerLookup, type SecretLookup } from '../aws/secrets';
import { redactText } from '../../platform/telemetry';
import { credentialsFromEnv, mskIamAuthToken } from './msk-iam-token';

/** SASL + TLS settings in the shape kafkajs takes, built without importing kafkajs. */
export interface ConnectionSecurity {
  ssl: boolean | { ca: string[] };
  sasl?:
    | { mechanism: 'scram-sha-512'; username: string; password: string }
    | { mechanism: 'oauthbearer'; oauthBearerProvider: () => Promise<{ value: string }> };
}

export interface AuthToken {
  token: string;
  /** Epoch ms. */
  expiryTime: number;
}

export type TokenGenerator = (region: string) => Promise<AuthToken>;

/**
 * MSK IAM token (a SigV4-presigned kafka-cluster:Connect request). In Lambda the role's
 * credentials are in the environment and the token is signed here with node:crypto; elsewhere
 * (a laptop with profiles, SSO, ...) the official signer and its credential chain are used.
 *
 * The signer is external in the bundles (tools/build.ts), as it always was: the Lambda runtime does
 * not ship it and the packages hold only dist/<function>/ (serverless.yml), so a bundle cannot load
 * it. It need not: Lambda always sets the role's credentials in the environment, so this branch
 * runs only from node_modules (npm start, scripts, tests). Bundling it would add ~350 KB of AWS SDK
 * (./msk-iam-token) to every Kafka function for a branch Lambda never takes.
 */
export const mskIamToken: TokenGenerator = async (region) => {
  const creds = credentialsFromEnv();
  if (creds) return mskIamAuthToken(region, creds);
  const { generateAuthToken } = await import('aws-msk-iam-sasl-signer-js');
  return generateAuthToken({ region });
};

/**
 * Caches the IAM token and refreshes it `refreshBeforeMs` before it expires, so a connection
 * opened just before expiry never authenticates with a token that dies mid-handshake.
 * A failed refresh surfaces as an error naming the cause (typically missing credentials).
 */
export function createIamTokenProvider(opts: {
  region: string;
  generate?: TokenGenerator;
  refreshBeforeMs?: number;
  now?: () => number;
}): () => Promise<{ value: string }> {
  const generate = opts.generate ?? mskIamToken;
  const refreshBeforeMs = opts.refreshBeforeMs ?? 60_000;
  const now = opts.now ?? Date.now;
  let current: AuthToken | undefined;
  let inFlight: Promise<AuthToken> | undefined;
  return async () => {
    if (!current || now() >= current.expiryTime - refreshBeforeMs) {
      inFlight ??= generate(opts.region).finally(() => (inFlight = undefined));
      try {
        current = await inFlight;
      } catch (err) {
        // A signer error may quote the presigned URL (session token, signature): never pass that on.
        throw new Error(`MSK IAM token refresh failed: ${redactText(errorMessage(err))}`);
      }
    }
    return { value: current.token };
  };
}

/** Builds the connection security for the configured auth mode. Secrets never reach a log line. */
export async function resolveSecurity(
  cfg: KafkaConfig,
  deps: { lookupSecret?: SecretLookup; generateToken?: TokenGenerator } = {},
): Promise<ConnectionSecurity> {
  const ssl = cfg.auth === 'plaintext' ? false : cfg.tlsCaFile ? { ca: [readFileSync(cfg.tlsCaFile, 'utf8')] } : true;
  switch (cfg.auth) {
    case 'plaintext':
    case 'tls':
      return { ssl };
    case 'iam':
      return {
        ssl,
        sasl: {
          mechanism: 'oauthbearer',
          oauthBearerProvider: createIamTokenProvider({
            region: cfg.region!,
            ...(deps.generateToken && { generate: deps.generateToken }),
          }),
        },
      };
    case 'scram': {
      const { username, password } = cfg.scram?.secretArn
        ? parseScramSecret(await (deps.lookupSecret ?? secretsManagerLookup)(cfg.scram.secretArn, cfg.region), cfg.scram.secretArn)
        : { username: cfg.scram!.username!, password: cfg.scram!.password! };
      return { ssl, sasl: { mechanism: 'scram-sha-512', username, password } };
    }
  }
}

/** MSK's convention: the secret is JSON `{"username": "...", "password": "..."}`. */
export function parseScramSecret(secret: string, arn: string): { username: string; password: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(secret);
  } catch {
    throw new ConfigError([`secret ${arn} is not JSON {"username","password"}`]);
  }
  const { username, password } = (parsed ?? {}) as Record<string, unknown>;
  if (typeof username !== 'string' || typeof password !== 'string' || !username || !password) {
    throw new ConfigError([`secret ${arn} must hold non-empty string fields "username" and "password"`]);
  }
  return { username, password };
}
