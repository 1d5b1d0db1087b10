/**
 * A single hand-written Kafka protocol round trip (Metadata v4, no topics) used as the
 * "does this broker really serve requests?" probe. infra/ must not depend on kafkajs.
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

export interface ClusterMetadata {
  clusterId: string | null;
  controllerId: number;
  /** Registered, unfenced brokers as seen by the broker that answered. */
  brokers: MetadataBroker[];
}

const METADATA = 3;
const VERSION = 4;

function request(correlationId: number): Buffer {
  const clientId = Buffer.from('edge-forwarder-probe', 'utf8');
  const body = Buffer.alloc(2 + 2 + 4 + 2 + clientId.length + 4 + 1);
  let o = 0;
  o = body.writeInt16BE(METADATA, o);
  o = body.writeInt16BE(VERSION, o);
  o = body.writeInt32BE(correlationId, o);
  o = body.writeInt16BE(clientId.length, o);
  o += clientId.copy(body, o);
  o = body.writeInt32BE(0, o); // topics: empty array = no topic metadata
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
  return { clusterId, controllerId, brokers };
}

/** One Metadata round trip to host:port; rejects on connection errors or timeout. */
export function fetchMetadata(host: string, port: number, timeoutMs = 2000): Promise<ClusterMetadata> {
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
    socket.once('connect', () => socket.write(request(correlationId)));
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
