/**
 * How cost grows with batch size and record size: heartbeats (plain body, uncompressed tier)
 * for records of 100 B / 1 KB / 10 KB × batches of 100 / 1,000 / as many as fit the limits
 * (6 MB body, 10,000 records). µs per record and decoded MB/s per invocation.
 */
import { DEFAULT_LIMITS } from '../../lib/domain/limits';
import { runFfScenario, type FfHandlers, type FfResult } from './fire-and-forget';
import type { BenchStack } from './stack';

export const SCALING_RECORD_BYTES = [100, 1024, 10 * 1024] as const;

/** Largest batch of `lineBytes` lines under the body and record-count limits. */
export function maxBatch(lineBytes: number): number {
  const byBody = Math.floor((DEFAULT_LIMITS.maxBodyBytes - 1024) / (lineBytes + 1));
  return Math.min(DEFAULT_LIMITS.maxRecords, byBody);
}

export function scalingBatches(lineBytes: number): number[] {
  const max = maxBatch(lineBytes);
  return [...new Set([100, 1_000, max].filter((b) => b <= max))];
}

export async function runScaling(stack: BenchStack, handlers: FfHandlers, opts: { quick: boolean }): Promise<FfResult[]> {
  const results: FfResult[] = [];
  for (const lineBytes of SCALING_RECORD_BYTES) {
    for (const batch of scalingBatches(lineBytes)) {
      results.push(
        await runFfScenario(stack, handlers, { kind: 'heartbeat', gzip: false, batch, lineBytes }, {
          minSeconds: opts.quick ? 0.5 : 2,
          minInvocations: opts.quick ? 3 : 8,
          maxSeconds: opts.quick ? 5 : 20,
          warmup: 2,
        }),
      );
    }
  }
  return results;
}
