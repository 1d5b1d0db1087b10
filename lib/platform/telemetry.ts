import type { RecordStatusKind } from '../domain/record';
import type { Tier } from '../domain/tiers';

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

/**
 * Defence in depth: no code path logs a credential on purpose, but a field named like one, or a
 * credential quoted inside an error message (a library echoing a header, a URL with a presigned
 * query), is masked before the line is written.
 */
const SECRET_FIELD = /authorization|cookie|passw|secret|token|signature|api[-_]?key|credential|sasl/i;
const SECRET_PATTERNS: readonly [RegExp, string][] = [
  [/\b(Bearer|Basic)\s+[^\s",;]+/gi, '$1 [redacted]'],
  [/(EF-HMAC-SHA256\s+)[^"\n]+/gi, '$1[redacted]'],
  [/\b(Signature|X-Amz-Signature|X-Amz-Security-Token|X-Amz-Credential)=[^\s&",;]+/gi, '$1=[redacted]'],
  [/\b(password|passwd|secret|token|api[-_]?key)(["']?\s*[:=]\s*["']?)[^\s"',;&]+/gi, '$1$2[redacted]'],
  [/\b(AKIA|ASIA)[A-Z0-9]{16}\b/g, '[redacted-access-key]'],
];
export const REDACTED = '[redacted]';

export function redactText(text: string): string {
  let out = text;
  for (const [pattern, replacement] of SECRET_PATTERNS) out = out.replace(pattern, replacement);
  return out;
}

/** A copy of `value` with secret-named fields masked and secret-looking substrings redacted. */
export function redact(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redactText(value);
  if (typeof value !== 'object' || value === null) return value;
  if (depth >= 6) return '[truncated]';
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  if (value instanceof Error) return redactText(value.message);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = SECRET_FIELD.test(k) && v !== undefined && v !== null ? REDACTED : redact(v, depth + 1);
  return out;
}

/** Structured JSON logs, one object per line, redacted (see redact). */
export function createLogger(opts: { level: LogLevel; base?: Record<string, unknown>; sink?: LineSink }): Logger {
  const sink = opts.sink ?? stdout;
  const min = LEVELS[opts.level];
  const write = (level: LogLevel) => (msg: string, fields?: Record<string, unknown>) => {
    if (LEVELS[level] < min) return;
    sink(JSON.stringify({ level, time: new Date().toISOString(), msg: redactText(msg), ...opts.base, ...(fields && (redact(fields) as Record<string, unknown>)) }));
  };
  return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') };
}

export type MetricName = 'received' | RecordStatusKind | 'sendFailures' | 'dead';
/**
 * Point-in-time values: of the outbox, reported by the relay; of one audit run (outbox-verify:
 * tombstones checked, ids missing from Kafka, 1 when the read was incomplete). Gauges are written
 * even when 0, so "nothing missing" is a data point, not an absence.
 */
export type GaugeName = 'pending' | 'oldestPendingAgeMs' | 'deadEntries' | 'auditChecked' | 'auditMissing' | 'auditIncomplete';
type Unit = 'Count' | 'Milliseconds';
const GAUGE_UNITS: Record<GaugeName, Unit> = {
  pending: 'Count',
  oldestPendingAgeMs: 'Milliseconds',
  deadEntries: 'Count',
  auditChecked: 'Count',
  auditMissing: 'Count',
  auditIncomplete: 'Count',
};

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
