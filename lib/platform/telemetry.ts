import { emfLine, type EmfDocument, type InvocationMetrics } from './metrics';

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
export function createLogger(opts: { level: LogLevel; base?: Record<string, unknown> | (() => Record<string, unknown>); sink?: LineSink }): Logger {
  const sink = opts.sink ?? stdout;
  const min = LEVELS[opts.level];
  const base = typeof opts.base === 'function' ? opts.base : () => opts.base as Record<string, unknown> | undefined;
  const write = (level: LogLevel) => (msg: string, fields?: Record<string, unknown>) => {
    if (LEVELS[level] < min) return;
    sink(JSON.stringify({ level, time: new Date().toISOString(), msg: redactText(msg), ...base(), ...(fields && (redact(fields) as Record<string, unknown>)) }));
  };
  return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') };
}

export interface Telemetry {
  log: Logger;
  /**
   * Marks the start of an invocation: from here on every line (logs and metrics) carries its
   * request id. Lambda runs one invocation at a time per container, so one slot is enough.
   */
  startInvocation(requestId: string | undefined): void;
  /** Writes one EMF document (consumers: per topic or game server). */
  emit(doc: EmfDocument, now?: number): void;
  /** Writes the invocation's counters, one EMF document per tier; called once at the end of every invocation. */
  flush(metrics: InvocationMetrics): void;
}

export function createTelemetry(opts: { namespace: string; functionName: string; level: LogLevel; sink?: LineSink }): Telemetry {
  const sink = opts.sink ?? stdout;
  let requestId: string | undefined;
  const request = (): Record<string, string> => (requestId === undefined ? {} : { requestId });
  return {
    log: createLogger({ level: opts.level, base: () => ({ fn: opts.functionName, ...request() }), sink }),
    startInvocation(id) {
      requestId = id;
    },
    emit: (doc, now) => sink(emfLine(opts.namespace, { ...doc, properties: { ...doc.properties, ...request() } }, now)),
    flush(metrics) {
      for (const line of metrics.toEmf(opts.namespace, opts.functionName, request())) sink(line);
    },
  };
}
