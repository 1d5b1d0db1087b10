/**
 * Stands in for tools/start.ts in the launcher tests: prints `CHAIN <json>` (its launchers,
 * nearest first), then, when one of them is gone, `GONE <pid>` and exits 0. Stays up until then,
 * as start.ts does while it serves.
 */
import { launcherChain, watchLaunchers } from '../../tools/local-functions/launchers';

const chain = launcherChain();
process.stdout.write(`CHAIN ${JSON.stringify(chain)}\n`);
const keepAlive = setInterval(() => undefined, 60_000);
watchLaunchers(
  chain,
  (gone) => {
    clearInterval(keepAlive);
    process.stdout.write(`GONE ${gone.pid}\n`, () => process.exit(0));
  },
  50,
);
