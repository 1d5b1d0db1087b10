import { emfLine, type EmfDocument, type InvocationMetrics } from './metrics';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };
const LEVEL_NAMES: Record<LogLevel, string> = { debug: 'DEBUG', info: 'INFO', warn: 'WARN', error: 'ERROR' };

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

/**
 * Structured JSON logs, one object per line, redacted (see redact). Field names are the ones
 * Lambda's JSON log format and Powertools users search by: `timestamp`, `level` (upper case),
 * `message`, then `function_name`, `requestId`, `xray_trace_id`, `tenant` where known.
 */
export function createLogger(opts: { level: LogLevel; base?: Record<string, unknown> | (() => Record<string, unknown>); sink?: LineSink }): Logger {
  const sink = opts.sink ?? stdout;
  const min = LEVELS[opts.level];
  const base = typeof opts.base === 'function' ? opts.base : () => opts.base as Record<string, unknown> | undefined;
  const write = (level: LogLevel) => (message: string, fields?: Record<string, unknown>) => {
    if (LEVELS[level] < min) return;
    const line = { timestamp: new Date().toISOString(), level: LEVEL_NAMES[level], message: redactText(message), ...base() };
    sink(JSON.stringify(fields ? { ...line, ...(redact(fields) as Record<string, unknown>) } : line));
  };
  return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') };
}

export interface Telemetry {
  log: Logger;
  /**
   * Marks the start of an invocation: from here on every line (logs and metrics) carries its
   * request id and X-Ray trace id. Lambda runs one invocation at a time per container, so one
   * slot is enough.
   */
  startInvocation(requestId: string | undefined): void;
  /** Adds the tenant, once known (after authentication), to the rest of the invocation's lines. */
  setTenant(tenant: string): void;
  /** Writes one EMF document (consumers: per topic or game server). */
  emit(doc: EmfDocument, now?: number): void;
  /** Writes the invocation's counters, one EMF document per tier; called once at the end of every invocation. */
  flush(metrics: InvocationMetrics): void;
}

export function createTelemetry(opts: { namespace: string; functionName: string; level: LogLevel; sink?: LineSink }): Telemetry {
  const sink = opts.sink ?? stdout;
  let request: Record<string, string> = {};
  return {
    log: createLogger({ level: opts.level, base: () => ({ function_name: opts.functionName, ...request }), sink }),
    startInvocation(requestId) {
      // Lambda sets _X_AMZN_TRACE_ID for each invocation: "Root=1-…;Parent=…;Sampled=…".
      const trace = /Root=([^;]+)/.exec(process.env._X_AMZN_TRACE_ID ?? '')?.[1];
      request = { ...(requestId !== undefined && { requestId }), ...(trace && { xray_trace_id: trace }) };
    },
    setTenant(tenant) {
      request = { ...request, tenant };
    },
    emit: (doc, now) => sink(emfLine(opts.namespace, { ...doc, properties: { ...doc.properties, ...request } }, now)),
    flush(metrics) {
      for (const line of metrics.toEmf(opts.namespace, opts.functionName, request)) sink(line);
    },
  };
}
