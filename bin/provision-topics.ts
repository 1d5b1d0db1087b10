/**
 * npm run topics: create / update the tier topics (lib/domain/tiers.ts) by hand, with the same code the
 * provision-topics function runs as the stack's custom resource. Usage: see USAGE (--help).
 * Reads the functions' environment (KAFKA_BROKERS or MSK_CLUSTER_ARN, KAFKA_AUTH, TOPIC_PREFIX, ...);
 * with neither KAFKA_BROKERS nor MSK_CLUSTER_ARN set it targets the local stack.
 * Against MSK this has to run where the brokers are reachable (inside the VPC); from a laptop,
 * invoke the deployed function instead: `npx serverless invoke -f provisionTopics --stage <stage>`.
 */
import { ConfigError } from '../lib/platform/errors';
import { provisionDeps, provisionTopicsHandler } from '../lib/handlers/provision-topics';
import { loadConfig } from '../lib/platform/config';
import { forMskServerless } from '../lib/domain/provision';
import { planTopics } from '../lib/domain/tiers';
import { parseCommandLine } from '../tools/cli-args';

const LOCAL_DEFAULTS = { KAFKA_BROKERS: '127.0.0.1:19092', LOG_LEVEL: 'warn' };

const USAGE = `usage: npm run topics -- [--plan] [--partitions N] [--msk-serverless]

  (no options)       create / update the topics: the local \`npm start\` broker (127.0.0.1:19092,
                     prefix edge.) unless the environment names a cluster (see above)
  --plan             print what would be applied, touch nothing
  --partitions N     partitions per topic (default 6; never decreased)
  --msk-serverless   MSK Serverless: cluster-default replication, settable configs only
  --help             this text`;

const cli = parseCommandLine({
  usage: USAGE,
  options: {
    plan: { type: 'boolean', default: false },
    partitions: { type: 'string' },
    'msk-serverless': { type: 'boolean', default: false },
  },
});
const partitions = cli.integer('partitions', { min: 1 });
const mskServerless = cli.values['msk-serverless'];

async function main(): Promise<number> {
  const env = process.env.KAFKA_BROKERS || process.env.MSK_CLUSTER_ARN ? process.env : { ...LOCAL_DEFAULTS, ...process.env };
  if (cli.values.plan) {
    const prefix = env.TOPIC_PREFIX || 'edge.';
    const planned = planTopics({ prefix, brokers: mskServerless ? Number.MAX_SAFE_INTEGER : 3, ...(partitions && { partitions }) });
    const plan = mskServerless ? forMskServerless(planned) : planned;
    for (const s of plan.specs) {
      const rf = s.replicationFactor < 0 ? 'cluster default' : String(s.replicationFactor);
      console.log(`${s.name}  partitions=${s.partitions}  replication=${rf}  ${Object.entries(s.configs).map(([k, v]) => `${k}=${v}`).join(' ')}`);
    }
    for (const w of plan.warnings) console.log(`note: ${w}`);
    return 0;
  }
  const handler = provisionTopicsHandler(() => provisionDeps(loadConfig(env)));
  const result = await handler({ ...(partitions && { partitions }), mskServerless });
  if (!('results' in result)) throw new Error('unexpected result');
  for (const w of result.warnings) console.log(`warning: ${w}`);
  for (const r of result.results) console.log(`${r.topic}: ${r.action}`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err instanceof ConfigError ? err.message : err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
