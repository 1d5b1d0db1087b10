/**
 * Fault-injection set-ups on real brokers for the critical-tier fault tests:
 *  - startProxiedKafka: a single broker that every client reaches through a TCP proxy, so the
 *    link can be black-holed or throttled (test/helpers/tcp-proxy.ts),
 *  - waitUntil: poll a condition (leadership, ISR) with a deadline and a readable failure.
 * Broker stalls (pauseBroker / resumeBroker) and leader elections (electLeaders,
 * topicPartitions) are on LocalKafka itself (tools/local-stack/kafka.ts).
 */
import { startLocalKafka, type LocalKafka, type LocalKafkaOptions } from '../../tools/local-stack/kafka';
import { startTcpProxy, type TcpProxy } from './tcp-proxy';

export interface ProxiedKafka {
  kafka: LocalKafka;
  proxy: TcpProxy;
  /** ['127.0.0.1:<proxy port>']: what clients under test get. */
  brokers: string[];
  /** Closes the proxy and stops the broker. */
  stop(): Promise<void>;
}

export interface ProxiedKafkaOptions extends Omit<LocalKafkaOptions, 'nodes'> {
  name: string;
  basePort: number;
  /** Port of the proxy (advertised to clients). Default basePort + 5: fixed, so the cluster's recorded layout stays the same between runs. */
  proxyPort?: number;
}

/**
 * A single-node LocalKafka that advertises the proxy's port. Clients bootstrap through the proxy
 * and then, because Metadata names the proxy as the broker, send every request through it too.
 * The broker itself still listens on basePort, where its own readiness check (Metadata, only
 * looking at node ids) and kafka.topicPartitions / electLeaders go directly, around the fault.
 */
export async function startProxiedKafka(opts: ProxiedKafkaOptions): Promise<ProxiedKafka> {
  const { proxyPort = opts.basePort + 5, ...rest } = opts;
  const proxy = await startTcpProxy({ target: { host: '127.0.0.1', port: opts.basePort }, listenPort: proxyPort });
  let kafka: LocalKafka;
  try {
    kafka = await startLocalKafka({
      ...rest,
      nodes: 1,
      brokerConfig: { ...rest.brokerConfig, 'advertised.listeners': `PLAINTEXT://127.0.0.1:${proxy.port}` },
    });
  } catch (err) {
    await proxy.close();
    throw err;
  }
  return {
    kafka,
    proxy,
    brokers: [`127.0.0.1:${proxy.port}`],
    async stop() {
      await proxy.close();
      await kafka.stop();
    },
  };
}

/**
 * Polls `check` every `intervalMs` until it returns a truthy value, which is returned. On
 * timeout it throws with `what` and the last value (or error) seen.
 */
export async function waitUntil<T>(
  what: string,
  check: () => Promise<T> | T,
  opts: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<NonNullable<T>> {
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v as NonNullable<T>;
      last = v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      const seen = last instanceof Error ? last.message : JSON.stringify(last);
      throw new Error(`timed out after ${opts.timeoutMs ?? 30_000} ms waiting for ${what} (last: ${seen})`);
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 250));
  }
}
