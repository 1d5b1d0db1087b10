/**
 * Reads the topic(s) over the window (records with timestamp >= now - since, up to the current
 * end offsets) and reports, per topic and producer instance, records seen, sequence gaps,
 * estimated loss rate and duplicates (lib/consume/loss.ts). Usage: see USAGE (--help).
 */
import { formatLossReport, lossReport, parseDuration } from '../lib/consume/loss';
import { KafkaConsumerClient } from '../lib/adapters/kafka/consumer-admin';
import { TIERS } from '../lib/domain/tiers';
import { createLogger } from '../lib/platform/telemetry';
import { parseCommandLine, USAGE_EXIT_WHEN_2_IS_A_RESULT } from '../tools/cli-args';
import { operatorConfig, runCli } from './run-cli';

const USAGE = `usage: npm run loss-report -- [--topic T ...] [--since 10m] [--brokers host:port,...] [--json] [--max-loss 0.01] [--timeout 60s]

  --topic T         topics to read (repeatable, or comma-separated); default the three tier
                    topics under TOPIC_PREFIX
  --since 10m       the window: records with timestamp >= now - since (90s, 10m, 2h, 1d)
  --brokers LIST    Kafka bootstrap servers; else the functions' environment (KAFKA_BROKERS or
                    MSK_CLUSTER_ARN, KAFKA_AUTH, ...), else the local \`npm start\` broker
  --json            the report as JSON
  --max-loss 0.01   exit 2 when any topic's estimated loss rate (0 to 1) is above it
  --timeout 60s     time limit per topic for reading the window
  --help            this text

exit: 0 report shown; 2 over --max-loss; 1 failure; ${USAGE_EXIT_WHEN_2_IS_A_RESULT} bad arguments`;

const cli = parseCommandLine({
  usage: USAGE,
  usageExit: USAGE_EXIT_WHEN_2_IS_A_RESULT,
  options: {
    topic: { type: 'string', multiple: true },
    since: { type: 'string', default: '10m' },
    brokers: { type: 'string' },
    json: { type: 'boolean', default: false },
    'max-loss': { type: 'string' },
    timeout: { type: 'string', default: '60s' },
  },
});
const { values } = cli;
const DURATION = 'a duration like 90s, 10m, 2h, 1d';
const since = cli.convert('since', parseDuration, DURATION);
const timeoutMs = cli.convert('timeout', parseDuration, DURATION);
const maxLoss = cli.number('max-loss', { min: 0, max: 1 });

async function main(): Promise<number> {
  const config = operatorConfig(values.brokers);
  const topics = values.topic?.flatMap((t) => t.split(',')).filter(Boolean) ?? TIERS.map((t) => config.topics[t]);
  const log = createLogger({ level: 'warn', sink: (l) => process.stderr.write(l + '\n') });
  const client = new KafkaConsumerClient(config.kafka, log);
  try {
    const to = Date.now();
    const from = to - since;
    const records = [];
    for (const topic of topics) {
      const read = await client.readWindow(topic, { since: from, timeoutMs });
      if (!read.complete) process.stderr.write(`warning: ${topic}: time limit reached before the end of the window; the report covers what was read\n`);
      records.push(...read.records);
    }
    const report = lossReport(
      records.map((r) => ({ topic: r.topic, timestamp: r.timestamp, headers: r.headers })),
      { from, to },
    );
    console.log(values.json ? JSON.stringify(report, null, 2) : formatLossReport(report));
    return maxLoss !== undefined && report.topics.some((t) => t.lossRate > maxLoss) ? 2 : 0;
  } finally {
    await client.disconnect();
  }
}

runCli('loss-report', main);
