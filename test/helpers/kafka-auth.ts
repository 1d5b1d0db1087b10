/**
 * A local broker with authenticated listeners, for test/integration/kafka-auth.test.ts:
 *   PLAINTEXT 127.0.0.1:19700  (setup, kcat)   SASL_SSL (SCRAM-SHA-512) :19701   SSL :19702
 * The listeners are plain server.properties overrides (brokerConfig); the TLS material is a
 * throwaway CA and broker certificate made here with keytool (ships with the JDK the broker
 * needs anyway), the SCRAM user is created against the running broker with kafka-configs.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { localDir } from '../../tools/local-stack/proc';
import { runKafkaTool, startLocalKafka, type LocalKafka } from '../../tools/local-stack/kafka';

export const AUTH_KAFKA = { name: 'kafka-auth', basePort: 19700, scramPort: 19701, tlsPort: 19702 } as const;
export const SCRAM_USER = { username: 'edge-forwarder', password: 'scram-test-pw-2f6d8e1a9c' } as const;
const STOREPASS = 'changeit-test-only';

export interface TlsMaterial {
  dir: string;
  /** PEM of the CA that signed the broker certificate. */
  caFile: string;
  /** PEM of an unrelated CA (a client trusting only this must refuse the broker). */
  otherCaFile: string;
  keystore: string;
}

function keytool(args: string[], cwd: string): void {
  execFileSync('keytool', args, { cwd, stdio: 'pipe' });
}

/** CA + broker certificate (SAN 127.0.0.1, localhost), made once and kept under .local/. */
export function makeTlsMaterial(dir = localDir('kafka-auth-tls')): TlsMaterial {
  const m = { dir, caFile: path.join(dir, 'ca.pem'), otherCaFile: path.join(dir, 'other-ca.pem'), keystore: path.join(dir, 'broker.p12') };
  if ([m.caFile, m.otherCaFile, m.keystore].every(existsSync)) return m;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const store = (file: string) => ['-keystore', file, '-storetype', 'PKCS12', '-storepass', STOREPASS];
  for (const ca of ['ca', 'other-ca']) {
    keytool(['-genkeypair', '-alias', ca, '-keyalg', 'RSA', '-keysize', '2048', '-dname', `CN=edge-forwarder test ${ca}`, '-ext', 'bc:c', '-validity', '30', ...store(`${ca}.p12`)], dir);
    keytool(['-exportcert', '-rfc', '-alias', ca, '-file', `${ca}.pem`, ...store(`${ca}.p12`)], dir);
  }
  keytool(['-genkeypair', '-alias', 'broker', '-keyalg', 'RSA', '-keysize', '2048', '-dname', 'CN=localhost', '-validity', '30', ...store('broker.p12')], dir);
  keytool(['-certreq', '-alias', 'broker', '-file', 'broker.csr', ...store('broker.p12')], dir);
  keytool(['-gencert', '-alias', 'ca', '-infile', 'broker.csr', '-outfile', 'broker.pem', '-rfc', '-ext', 'SAN=ip:127.0.0.1,dns:localhost', '-validity', '30', ...store('ca.p12')], dir);
  keytool(['-importcert', '-noprompt', '-alias', 'ca', '-file', 'ca.pem', ...store('broker.p12')], dir);
  keytool(['-importcert', '-noprompt', '-alias', 'broker', '-file', 'broker.pem', ...store('broker.p12')], dir);
  return m;
}

export async function startAuthKafka(tls: TlsMaterial): Promise<LocalKafka> {
  const { basePort, scramPort, tlsPort } = AUTH_KAFKA;
  const controller = basePort + 1000;
  const kafka = await startLocalKafka({
    name: AUTH_KAFKA.name,
    basePort,
    log: () => undefined,
    brokerConfig: {
      listeners: `PLAINTEXT://127.0.0.1:${basePort},CONTROLLER://127.0.0.1:${controller},SASL_SSL://127.0.0.1:${scramPort},SSL://127.0.0.1:${tlsPort}`,
      'advertised.listeners': `PLAINTEXT://127.0.0.1:${basePort},SASL_SSL://127.0.0.1:${scramPort},SSL://127.0.0.1:${tlsPort}`,
      'listener.security.protocol.map': 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SASL_SSL:SASL_SSL,SSL:SSL',
      'sasl.enabled.mechanisms': 'SCRAM-SHA-512',
      'listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config': 'org.apache.kafka.common.security.scram.ScramLoginModule required;',
      'ssl.keystore.type': 'PKCS12',
      'ssl.keystore.location': tls.keystore,
      'ssl.keystore.password': STOREPASS,
      'ssl.key.password': STOREPASS,
      'ssl.client.auth': 'none',
    },
  });
  await addScramUser(kafka.bootstrap, SCRAM_USER.username, SCRAM_USER.password);
  return kafka;
}

/** SCRAM credentials live in the KRaft metadata log; kafka-configs writes them through the broker. */
async function addScramUser(bootstrap: string, user: string, password: string): Promise<void> {
  const args = ['--bootstrap-server', bootstrap, '--alter', '--add-config', `SCRAM-SHA-512=[iterations=8192,password=${password}]`, '--entity-type', 'users', '--entity-name', user];
  let res = await runKafkaTool('kafka.admin.ConfigCommand', args, { timeoutMs: 60_000 });
  if (res.code !== 0 && /ClassNotFound|Could not find or load main class/.test(res.stderr + res.stdout)) {
    res = await runKafkaTool('org.apache.kafka.tools.ConfigCommand', args, { timeoutMs: 60_000 }); // Kafka 4.x
  }
  if (res.code !== 0) throw new Error(`creating the SCRAM user failed:\n${res.stdout}${res.stderr}`);
}
