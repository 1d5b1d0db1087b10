import { ConfigError } from '../lib/errors';

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
