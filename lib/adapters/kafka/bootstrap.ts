import type { KafkaAuthMode, KafkaConfig } from '../../platform/config';
import { ConfigError } from '../../platform/errors';

/** The fields of MSK's GetBootstrapBrokers response that we choose from. */
export interface BootstrapBrokerStrings {
  BootstrapBrokerString?: string;
  BootstrapBrokerStringTls?: string;
  BootstrapBrokerStringSaslScram?: string;
  BootstrapBrokerStringSaslIam?: string;
}

const FIELD_BY_AUTH: Record<KafkaAuthMode, keyof BootstrapBrokerStrings> = {
  plaintext: 'BootstrapBrokerString',
  tls: 'BootstrapBrokerStringTls',
  scram: 'BootstrapBrokerStringSaslScram',
  iam: 'BootstrapBrokerStringSaslIam',
};

/** Picks the broker string matching the auth mode (MSK Serverless only ever returns the IAM one). */
export function pickBrokers(response: BootstrapBrokerStrings, auth: KafkaAuthMode): string[] {
  const field = FIELD_BY_AUTH[auth];
  const value = response[field];
  if (!value) {
    const offered = Object.keys(FIELD_BY_AUTH).filter((m) => response[FIELD_BY_AUTH[m as KafkaAuthMode]]);
    throw new ConfigError([
      `the MSK cluster has no ${field} for KAFKA_AUTH=${auth}; it offers: ${offered.join(', ') || 'nothing'}`,
    ]);
  }
  return value.split(',').map((s) => s.trim()).filter(Boolean);
}

export type BootstrapLookup = (clusterArn: string, region: string) => Promise<BootstrapBrokerStrings>;

/**
 * Real lookup; the SDK is loaded only when an MSK ARN is configured, and from the Lambda runtime,
 * not the bundle (external in tools/build.ts).
 */
export const mskBootstrapLookup: BootstrapLookup = async (clusterArn, region) => {
  const { KafkaClient, GetBootstrapBrokersCommand } = await import('@aws-sdk/client-kafka');
  return new KafkaClient({ region }).send(new GetBootstrapBrokersCommand({ ClusterArn: clusterArn }));
};

/** Static brokers, or MSK's, looked up once (callers cache the promise per container). */
export async function resolveBrokers(cfg: KafkaConfig, lookup: BootstrapLookup = mskBootstrapLookup): Promise<string[]> {
  if (!cfg.mskClusterArn) return cfg.brokers;
  return pickBrokers(await lookup(cfg.mskClusterArn, cfg.region!), cfg.auth);
}
