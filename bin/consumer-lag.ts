/**
 * Committed offset, log end offset and lag of a consumer group, per topic and partition (the
 * Lambda event source mappings' groups too: their group id is the mapping's UUID unless set).
 * A partition the group never committed on shows committed "-" and counts everything retained
 * as behind. Usage: see USAGE (--help).
 */
import { KafkaConsumerClient } from '../lib/adapters/kafka/consumer-admin';
import { createLogger } from '../lib/platform/telemetry';
import { parseCommandLine, USAGE_EXIT_WHEN_2_IS_A_RESULT } from '../tools/cli-args';
import { operatorConfig, runCli } from './run-cli';

const USAGE = `usage: npm run consumer-lag -- --group G [--topic T ...] [--brokers host:port,...] [--json]

  --group G         the consumer group (required)
  --topic T         topics to show besides those the group committed on or is assigned
                    (repeatable, or comma-separated)
  --brokers LIST    Kafka bootstrap servers; else the functions' environment (KAFKA_BROKERS or
                    MSK_CLUSTER_ARN, KAFKA_AUTH, ...), else the local \`npm start\` broker
  --json            the lag as JSON
  --help            this text

exit: 0 lag shown; 2 the group has no commit at all; 1 failure; ${USAGE_EXIT_WHEN_2_IS_A_RESULT} bad arguments`;

const cli = parseCommandLine({
  usage: USAGE,
  usageExit: USAGE_EXIT_WHEN_2_IS_A_RESULT,
  options: {
    group: { type: 'string' },
    topic: { type: 'string', multiple: true },
    brokers: { type: 'string' },
    json: { type: 'boolean', default: false },
  },
});
const { values } = cli;
const group = values.group || cli.fail('--group is required');

async function main(): Promise<number> {
  const config = operatorConfig(values.brokers);
  const client = new KafkaConsumerClient(config.kafka, createLogger({ level: 'warn', sink: (l) => process.stderr.write(l + '\n') }));
  try {
    const lag = await client.groupLag(group, values.topic?.flatMap((t) => t.split(',')));
    if (values.json) {
      console.log(JSON.stringify(lag, null, 2));
    } else {
      const total = lag.partitions.reduce((n, p) => n + p.lag, 0);
      if (!lag.partitions.length) {
        console.log(`group ${lag.groupId}: ${lag.state}, ${lag.members} member(s); no committed offsets and no assigned topics (name them with --topic)`);
        return 2;
      }
      console.log(`group ${lag.groupId}: ${lag.state}, ${lag.members} member(s), total lag ${total.toLocaleString('en-US')}`);
      const rows = [['topic', 'partition', 'committed', 'end', 'lag']];
      for (const p of lag.partitions) rows.push([p.topic, String(p.partition), p.committed === null ? '-' : String(p.committed), String(p.high), String(p.lag)]);
      const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
      for (const r of rows) console.log('  ' + r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  '));
    }
    return lag.partitions.some((p) => p.committed !== null) ? 0 : 2;
  } finally {
    await client.disconnect();
  }
}

runCli('consumer-lag', main);
