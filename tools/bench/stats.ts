/** Shared statistics, timing and formatting helpers of the benchmark harness. */

/** Milliseconds since an arbitrary origin, sub-millisecond resolution. */
export const nowMs = (): number => performance.now();

/** Nearest-rank percentile (p in 0..100) of unsorted samples; NaN when empty. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

export const median = (samples: readonly number[]): number => percentile(samples, 50);

export function mean(samples: readonly number[]): number {
  return samples.length ? samples.reduce((a, b) => a + b, 0) / samples.length : NaN;
}

export interface LatencySummary {
  n: number;
  p50: number;
  p99: number;
  max: number;
  mean: number;
}

export function summarize(samplesMs: readonly number[]): LatencySummary {
  return {
    n: samplesMs.length,
    p50: round(percentile(samplesMs, 50), 2),
    p99: round(percentile(samplesMs, 99), 2),
    max: round(Math.max(...samplesMs), 2),
    mean: round(mean(samplesMs), 2),
  };
}

export function round(n: number, digits = 0): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/** 1234567 → "1,234,567" (no decimals), NaN → "n/a". */
export function fmtInt(n: number): string {
  return Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a';
}

/** Milliseconds with sensible precision: 0.42, 4.2, 42, 420. */
export function fmtMs(n: number): string {
  if (!Number.isFinite(n)) return 'n/a';
  if (Math.abs(n) < 1) return n.toFixed(2);
  if (Math.abs(n) < 10) return n.toFixed(1);
  return n.toFixed(0);
}

export function fmtRatio(n: number): string {
  return Number.isFinite(n) ? `${n.toFixed(2)}×` : 'n/a';
}

export const kb = (bytes: number): number => bytes / 1024;
export const mb = (bytes: number): number => bytes / (1024 * 1024);

/** Progress lines go to stderr, prefixed with the time since the bench started. */
const started = Date.now();
export function progress(line: string): void {
  process.stderr.write(`[bench +${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s] ${line}\n`);
}

/** Seconds since the harness module was loaded. */
export const elapsedSeconds = (): number => (Date.now() - started) / 1000;

/** Deterministic PRNG (mulberry32), so payloads are the same from run to run. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
