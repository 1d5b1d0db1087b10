import { loadConfig } from '../lib/platform/config';
import { ConfigError } from '../lib/platform/errors';

/** Runs an operator command: its exit code, or 1 with a readable message (config problems as a list). */
export function runCli(name: string, main: () => Promise<number>): void {
  main().then(
    (code) => process.exit(code),
    (err) => {
      console.error(err instanceof ConfigError ? err.message : `${name} failed: ${err instanceof Error ? err.message : err}`);
      process.exit(1);
    },
  );
}

/** Config for an operator command: --brokers wins; else the functions' environment; else the local `npm start` broker. */
export function operatorConfig(brokersFlag: string | undefined) {
  const brokers = brokersFlag ?? process.env.KAFKA_BROKERS ?? (process.env.MSK_CLUSTER_ARN ? undefined : '127.0.0.1:19092');
  return loadConfig({
    LOG_LEVEL: 'warn',
    ...process.env,
    KAFKA_BROKERS: brokers,
    MSK_CLUSTER_ARN: brokersFlag ? undefined : process.env.MSK_CLUSTER_ARN,
  });
}
