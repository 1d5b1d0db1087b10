import type { RecordStatusKind, Tier } from './record';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

/** Where telemetry lines go; stdout in Lambda (CloudWatch picks up EMF from there). */
export type LineSink = (line: string) => void;
const stdout: LineSink = (line) => process.stdout.write(line + '\n');

/** Structured JSON logs, one object per line. */
export function createLogger(opts: { level: LogLevel; base?: Record<string, unknown>; sink?: LineSink }): Logger {
  const sink = opts.sink ?? stdout;
  const min = LEVELS[opts.level];
  const write = (level: LogLevel) => (msg: string, fields?: Record<string, unknown>) => {
    if (LEVELS[level] < min) return;
    sink(JSON.stringify({ level, time: new Date().toISOString(), msg, ...opts.base, ...fields }));
  };
  return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') };
}

export type MetricName = 'received' | RecordStatusKind | 'sendFailures' | 'dead';
/** Point-in-time values of the outbox, reported by the relay. */
export type GaugeName = 'pending' | 'oldestPendingAgeMs' | 'deadEntries';
type Unit = 'Count' | 'Milliseconds';
const GAUGE_UNITS: Record<GaugeName, Unit> = { pending: 'Count', oldestPendingAgeMs: 'Milliseconds', deadEntries: 'Count' };

/** Per-invocation counters and gauges, flushed as one CloudWatch EMF document per tier. */
export class InvocationMetrics {
  private readonly counts = new Map<Tier | 'unrouted', Map<MetricName | GaugeName, number>>();

  add(tier: Tier | 'unrouted', metric: MetricName, n = 1): void {
    if (n === 0) return;
    const perTier = this.tier(tier);
    perTier.set(metric, (perTier.get(metric) ?? 0) + n);
  }

  gauge(tier: Tier, name: GaugeName, value: number): void {
    this.tier(tier).set(name, value);
  }

  get(tier: Tier | 'unrouted', metric: MetricName | GaugeName): number {
    return this.counts.get(tier)?.get(metric) ?? 0;
  }

  private tier(tier: Tier | 'unrouted') {
    let perTier = this.counts.get(tier);
    if (!perTier) this.counts.set(tier, (perTier = new Map()));
    return perTier;
  }

  /** EMF documents (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html). */
  toEmf(namespace: string, functionName: string, now = Date.now()): string[] {
    return [...this.counts].map(([tier, metrics]) => {
      const names = [...metrics.keys()];
      return JSON.stringify({
        _aws: {
          Timestamp: now,
          CloudWatchMetrics: [
            {
              Namespace: namespace,
              Dimensions: [['FunctionName', 'Tier']],
              Metrics: names.map((name) => ({ Name: emfName(name), Unit: GAUGE_UNITS[name as GaugeName] ?? 'Count' })),
            },
          ],
        },
        FunctionName: functionName,
        Tier: tier,
        ...Object.fromEntries([...metrics].map(([k, v]) => [emfName(k), v])),
      });
    });
  }
}

function emfName(metric: string): string {
  return metric[0]!.toUpperCase() + metric.slice(1);
}

export interface Telemetry {
  log: Logger;
  /** Writes the invocation's metrics; called once at the end of every invocation. */
  flush(metrics: InvocationMetrics): void;
}

export function createTelemetry(opts: {
  namespace: string;
  functionName: string;
  level: LogLevel;
  sink?: LineSink;
}): Telemetry {
  const sink = opts.sink ?? stdout;
  return {
    log: createLogger({ level: opts.level, base: { fn: opts.functionName }, sink }),
    flush(metrics) {
      for (const line of metrics.toEmf(opts.namespace, opts.functionName)) sink(line);
    },
  };
}
