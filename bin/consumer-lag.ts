/**
 * npm run consumer-lag -- --group G [--topic T ...] [--brokers host:port,...] [--json]
 *
 * Committed offset, log end offset and lag of a consumer group, per topic and partition (the
 * Lambda event source mappings' groups too: their group id is the mapping's UUID unless set).
 * A partition the group never committed on shows committed "-" and counts everything retained
 * as behind. Kafka connection as for loss-report. Exit 2 when the group has no commit at all.
 */
import { parseArgs } from 'node:util';
import { ConfigError } from '../lib/platform/errors';
import { KafkaConsumerClient } from '../lib/adapters/kafka/consumer-admin';
import { createLogger } from '../lib/platform/telemetry';
import { operatorConfig, runCli } from './run-cli';

const { values } = parseArgs({
  options: {
    group: { type: 'string' },
    topic: { type: 'string', multiple: true },
    brokers: { type: 'string' },
    json: { type: 'boolean', default: false },
  },
});

async function main(): Promise<number> {
  if (!values.group) throw new ConfigError(['--group is required']);
  const config = operatorConfig(values.brokers);
  const client = new KafkaConsumerClient(config.kafka, createLogger({ level: 'warn', sink: (l) => process.stderr.write(l + '\n') }));
  try {
    const lag = await client.groupLag(values.group, values.topic?.flatMap((t) => t.split(',')));
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
