/**
 * npm run loss-report -- --topic edge.realtime [--since 10m] [--brokers host:port,...] [--json] [--max-loss 0.01]
 *
 * Reads the topic(s) over the window (records with timestamp >= now - since, up to the current
 * end offsets) and reports, per topic and producer instance, records seen, sequence gaps,
 * estimated loss rate and duplicates (lib/consume/loss.ts). Without --topic: the three tier
 * topics under TOPIC_PREFIX. Kafka connection from the functions' environment (KAFKA_BROKERS or
 * MSK_CLUSTER_ARN, KAFKA_AUTH, ...), else the local `npm start` broker. Exit 2 when --max-loss is
 * exceeded by any topic.
 */
import { parseArgs } from 'node:util';
import { formatLossReport, lossReport, parseDuration } from '../lib/consume/loss';
import { ConfigError } from '../lib/platform/errors';
import { KafkaConsumerClient } from '../lib/adapters/kafka/consumer-admin';
import { TIERS } from '../lib/domain/tiers';
import { createLogger } from '../lib/platform/telemetry';
import { operatorConfig, runCli } from './run-cli';

const { values } = parseArgs({
  options: {
    topic: { type: 'string', multiple: true },
    since: { type: 'string', default: '10m' },
    brokers: { type: 'string' },
    json: { type: 'boolean', default: false },
    'max-loss': { type: 'string' },
    'timeout': { type: 'string', default: '60s' },
  },
});

async function main(): Promise<number> {
  const since = parseDuration(values.since!);
  const timeoutMs = parseDuration(values.timeout!);
  if (since === undefined || timeoutMs === undefined) throw new ConfigError([`--since / --timeout take durations like 90s, 10m, 2h, 1d`]);
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
    const maxLoss = values['max-loss'] === undefined ? undefined : Number(values['max-loss']);
    return maxLoss !== undefined && report.topics.some((t) => t.lossRate > maxLoss) ? 2 : 0;
  } finally {
    await client.disconnect();
  }
}

runCli('loss-report', main);
