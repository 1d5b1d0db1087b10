/**
 * A single hand-written Kafka protocol round trip (Metadata v4) used as the "does this broker
 * really serve requests?" probe and to read who leads a topic's partitions (fault tests).
 * infra/ must not depend on kafkajs.
 *
 * Metadata v4 is non-flexible (plain header v1 / response header v0) and is supported by
 * Kafka 1.0 up to 4.x (KIP-896 removed only v0-v3 in 4.0).
 */
import * as net from 'node:net';

export interface MetadataBroker {
  nodeId: number;
  host: string;
  port: number;
}

export interface PartitionMetadata {
  partition: number;
  /** Kafka error code of this partition (0 = none; 5 = LEADER_NOT_AVAILABLE). */
  errorCode: number;
  /** node.id of the leader, -1 when there is none. */
  leader: number;
  /** Assigned replicas in preference order: replicas[0] is the preferred leader. */
  replicas: number[];
  isr: number[];
}

export interface TopicMetadata {
  name: string;
  /** Kafka error code of the topic (0 = none; 3 = UNKNOWN_TOPIC_OR_PARTITION). */
  errorCode: number;
  /** Sorted by partition. */
  partitions: PartitionMetadata[];
}

export interface ClusterMetadata {
  clusterId: string | null;
  controllerId: number;
  /** Registered, unfenced brokers as seen by the broker that answered. */
  brokers: MetadataBroker[];
  /** The topics asked for (none by default). */
  topics: TopicMetadata[];
}

const METADATA = 3;
const VERSION = 4;

function request(correlationId: number, topics: string[]): Buffer {
  const clientId = Buffer.from('edge-forwarder-probe', 'utf8');
  const names = topics.map((t) => Buffer.from(t, 'utf8'));
  const body = Buffer.alloc(2 + 2 + 4 + 2 + clientId.length + 4 + names.reduce((n, b) => n + 2 + b.length, 0) + 1);
  let o = 0;
  o = body.writeInt16BE(METADATA, o);
  o = body.writeInt16BE(VERSION, o);
  o = body.writeInt32BE(correlationId, o);
  o = body.writeInt16BE(clientId.length, o);
  o += clientId.copy(body, o);
  o = body.writeInt32BE(names.length, o); // an empty array (not null) = no topic metadata
  for (const name of names) {
    o = body.writeInt16BE(name.length, o);
    o += name.copy(body, o);
  }
  body.writeInt8(0, o); // allow_auto_topic_creation = false
  const size = Buffer.alloc(4);
  size.writeInt32BE(body.length);
  return Buffer.concat([size, body]);
}

function parse(buf: Buffer, correlationId: number): ClusterMetadata {
  let o = 0;
  const int32 = () => {
    const v = buf.readInt32BE(o);
    o += 4;
    return v;
  };
  const int16 = () => {
    const v = buf.readInt16BE(o);
    o += 2;
    return v;
  };
  const int32s = () => {
    const out: number[] = [];
    for (let n = int32(); n > 0; n--) out.push(int32());
    return out;
  };
  const str = (): string | null => {
    const len = buf.readInt16BE(o);
    o += 2;
    if (len < 0) return null;
    const s = buf.toString('utf8', o, o + len);
    o += len;
    return s;
  };
  if (int32() !== correlationId) throw new Error('correlation id mismatch');
  int32(); // throttle_time_ms
  const brokers: MetadataBroker[] = [];
  for (let n = int32(); n > 0; n--) {
    const nodeId = int32();
    const host = str() ?? '';
    const port = int32();
    str(); // rack
    brokers.push({ nodeId, host, port });
  }
  const clusterId = str();
  const controllerId = int32();
  const topics: TopicMetadata[] = [];
  for (let n = int32(); n > 0; n--) {
    const errorCode = int16();
    const name = str() ?? '';
    o += 1; // is_internal
    const partitions: PartitionMetadata[] = [];
    for (let p = int32(); p > 0; p--) {
      const partitionError = int16();
      const partition = int32();
      const leader = int32();
      const replicas = int32s();
      const isr = int32s();
      partitions.push({ partition, errorCode: partitionError, leader, replicas, isr });
    }
    partitions.sort((a, b) => a.partition - b.partition);
    topics.push({ name, errorCode, partitions });
  }
  return { clusterId, controllerId, brokers, topics };
}

/**
 * One Metadata round trip to host:port, for `topics` too when given; rejects on connection
 * errors or timeout.
 */
export function fetchMetadata(host: string, port: number, timeoutMs = 2000, topics: string[] = []): Promise<ClusterMetadata> {
  const correlationId = 1 + Math.floor(Math.random() * 1_000_000);
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    let data = Buffer.alloc(0);
    const finish = (err: Error | null, md?: ClusterMetadata) => {
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(err);
      else resolve(md as ClusterMetadata);
    };
    const timer = setTimeout(() => finish(new Error(`no Metadata response from ${host}:${port} in ${timeoutMs} ms`)), timeoutMs);
    socket.once('connect', () => socket.write(request(correlationId, topics)));
    socket.on('data', (chunk: Buffer) => {
      data = Buffer.concat([data, chunk]);
      if (data.length < 4) return;
      const size = data.readInt32BE(0);
      if (data.length < 4 + size) return;
      try {
        finish(null, parse(data.subarray(4, 4 + size), correlationId));
      } catch (err) {
        finish(new Error(`bad Metadata response from ${host}:${port}: ${(err as Error).message}`));
      }
    });
    socket.once('error', (err) => finish(err));
    socket.once('close', () => finish(new Error(`${host}:${port} closed the connection`)));
  });
}
