import { ConfigError } from '../../platform/errors';

export type SecretLookup = (secretArn: string, region?: string) => Promise<string>;

/**
 * Reads a Secrets Manager secret. The SDK is loaded on first use only (SCRAM mode, tenant secrets)
 * and from the Lambda runtime, not the bundle (external in tools/build.ts).
 */
export const secretsManagerLookup: SecretLookup = async (secretArn, region) => {
  const { SecretsManagerClient, GetSecretValueCommand } = await import('@aws-sdk/client-secrets-manager');
  const out = await new SecretsManagerClient(region ? { region } : {}).send(
    new GetSecretValueCommand({ SecretId: secretArn }),
  );
  if (!out.SecretString) throw new ConfigError([`secret ${secretArn} has no SecretString`]);
  return out.SecretString;
};
