import { ConfigError } from '../../platform/errors';
import { runtimeRequire } from '../../platform/runtime-require';

export type SecretLookup = (secretArn: string, region?: string) => Promise<string>;

/** Reads a Secrets Manager secret; the SDK is loaded only in SCRAM mode. */
export const secretsManagerLookup: SecretLookup = async (secretArn, region) => {
  const { SecretsManagerClient, GetSecretValueCommand } =
    runtimeRequire<typeof import('@aws-sdk/client-secrets-manager')>('@aws-sdk/client-secrets-manager');
  const out = await new SecretsManagerClient(region ? { region } : {}).send(
    new GetSecretValueCommand({ SecretId: secretArn }),
  );
  if (!out.SecretString) throw new ConfigError([`secret ${secretArn} has no SecretString`]);
  return out.SecretString;
};
