/**
 * npm run topics: create / update the tier topics (lib/domain/tiers.ts) by hand, with the same code the
 * provision-topics function runs as the stack's custom resource.
 *   npm run topics                          the local `npm start` broker (127.0.0.1:19092, prefix edge.)
 *   npm run topics -- --plan                print what would be applied, touch nothing
 *   npm run topics -- --partitions 12       partitions per topic (default 6; never decreased)
 *   npm run topics -- --msk-serverless      MSK Serverless: cluster-default replication, settable configs only
 * Reads the functions' environment (KAFKA_BROKERS or MSK_CLUSTER_ARN, KAFKA_AUTH, TOPIC_PREFIX, ...);
 * with neither KAFKA_BROKERS nor MSK_CLUSTER_ARN set it targets the local stack.
 * Against MSK this has to run where the brokers are reachable (inside the VPC); from a laptop,
 * invoke the deployed function instead: `npx serverless invoke -f provisionTopics --stage <stage>`.
 */
import { ConfigError } from '../lib/platform/errors';
import { createProvisionTopicsHandler } from '../lib/handlers/provision-topics';
import { forMskServerless } from '../lib/domain/provision';
import { planTopics } from '../lib/domain/tiers';

const LOCAL_DEFAULTS = { KAFKA_BROKERS: '127.0.0.1:19092', LOG_LEVEL: 'warn' };

const args = process.argv.slice(2);
const has = (name: string) => args.includes(name);
const value = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};

async function main(): Promise<number> {
  const unknown = args.filter((a, i) => a.startsWith('--') && !['--plan', '--partitions', '--msk-serverless'].includes(a) && args[i - 1] !== '--partitions');
  if (unknown.length) {
    console.error(`unknown option(s): ${unknown.join(' ')}\nusage: npm run topics -- [--plan] [--partitions N] [--msk-serverless]`);
    return 64;
  }
  const env = process.env.KAFKA_BROKERS || process.env.MSK_CLUSTER_ARN ? process.env : { ...LOCAL_DEFAULTS, ...process.env };
  const partitions = value('--partitions') === undefined ? undefined : Number(value('--partitions'));
  const mskServerless = has('--msk-serverless');
  if (has('--plan')) {
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
  const handler = createProvisionTopicsHandler(env);
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
