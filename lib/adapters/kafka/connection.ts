import net from 'node:net';
import tls from 'node:tls';
import type { KafkaConfig } from '../../platform/config';
import type { Logger } from '../../platform/telemetry';
import { resolveBrokers } from './bootstrap';
import { Kafka, logLevel, type ISocketFactory, type KafkaConfig as KafkajsConfig, type LogEntry, type SASLOptions } from './kafkajs';
import { resolveSecurity } from './security';

/** Resolved once per container: bootstrap brokers (maybe an MSK lookup) and SASL/TLS. */
export interface Connection {
  brokers: string[];
  ssl: KafkajsConfig['ssl'];
  sasl?: SASLOptions;
}

/**
 * Bootstrap brokers (maybe an MSK lookup) and SASL/TLS, resolved on first use and then reused; a
 * failed lookup is retried on the next call (the next invocation).
 */
export function connectionResolver(cfg: Readonly<KafkaConfig>): () => Promise<Connection> {
  let connection: Promise<Connection> | undefined;
  return () => {
    connection ??= (async () => {
      const [brokers, security] = await Promise.all([resolveBrokers(cfg), resolveSecurity(cfg)]);
      return { brokers, ssl: security.ssl, ...(security.sasl && { sasl: security.sasl as SASLOptions }) };
    })().catch((err) => {
      connection = undefined;
      throw err;
    });
    return connection;
  };
}

/** Tracks the sockets kafkajs opens, so a send can wait until its bytes left Node's userland buffer. */
function trackingSocketFactory(sockets: Set<net.Socket>): ISocketFactory {
  return ({ host, port, ssl, onConnect }) => {
    const socket = ssl
      ? tls.connect({ host, port, ...(!net.isIP(host) && { servername: host }), ...ssl }, onConnect)
      : net.connect({ host, port }, onConnect);
    socket.setKeepAlive(true, 60_000);
    socket.setNoDelay(true);
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    return socket;
  };
}

function kafkajsLogger(log: Logger) {
  return () =>
    ({ namespace, level, log: entry }: LogEntry) => {
      const { message, ...extra } = entry;
      const fields = { component: `kafkajs.${namespace}`, broker: extra.broker, error: extra.error };
      if (level <= logLevel.ERROR) log.error(message, fields);
      else if (level === logLevel.WARN) log.warn(message, fields);
      else log.debug(message, fields);
    };
}

export function kafkaFor(conn: Connection, cfg: Readonly<KafkaConfig>, log: Logger, retries: number, sockets: Set<net.Socket>) {
  return new Kafka({
    clientId: cfg.clientId,
    brokers: conn.brokers,
    ssl: conn.ssl,
    ...(conn.sasl && { sasl: conn.sasl }),
    connectionTimeout: cfg.connectTimeoutMs,
    authenticationTimeout: cfg.connectTimeoutMs * 3,
    requestTimeout: cfg.requestTimeoutMs,
    // Cluster-level retries: off for best-effort (no resend may ever duplicate), bounded for reliable.
    retry: { retries, initialRetryTime: 100, maxRetryTime: 2_000 },
    socketFactory: trackingSocketFactory(sockets),
    logLevel: logLevel.WARN,
    logCreator: kafkajsLogger(log),
  });
}
