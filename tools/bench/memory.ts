/**
 * Peak RSS (VmHWM) of a fresh process running a fire-and-forget bundle for the largest accepted payload:
 * 10,000 NDJSON lines of 600 bytes (6 MB decoded), plain and gzip. The event is read from a file
 * and JSON-parsed in the child, as the Lambda runtime does; three invocations in a row (a warm
 * container keeps whatever the first one left for the GC).
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Env } from '../../lib/platform/env';
import { runBundleChild } from './child';
import { bundlePath } from './cold-start';
import { body, postEvent, responseCounts, wireBytes } from './payloads';
import { progress, round } from './stats';

export interface MemoryResult {
  scenario: string;
  fn: string;
  encoding: 'plain' | 'gzip';
  decodedBytes: number;
  wireBytes: number;
  invocations: number;
  /** After require(bundle): the process with the function loaded, before any event. */
  rssAfterLoadMb: number;
  /** After the runtime-side JSON.parse of the event. */
  rssBeforeInvokeMb: number;
  /** Peak RSS after the first invocation (connect included) and after each later one. */
  peakAfterEachMb: number[];
  peakRssMb: number;
  /** The same run with a 128 MB function's V8 limits (LAMBDA_128_FLAGS): the GC works harder, RSS stays lower. */
  peakRssMbWith128Flags: number;
  /**
   * process.resourceUsage().maxRSS as the child reported it. On Linux a spawned child is forked
   * from this (large) process before exec, and maxRSS keeps that high-water mark, so it reads at
   * least the parent's RSS: peakRssMb (VmHWM of the child's own image) is the figure.
   */
  resourceUsageMaxRssMb: number;
  forwarded: number;
}

/**
 * V8 heap limits of a 128 MB function as the Lambda Node.js bootstrap derives them from
 * AWS_LAMBDA_FUNCTION_MEMORY_SIZE (new space = memory / 10, semi-space = half of it, old space =
 * the rest).
 */
export const LAMBDA_128_FLAGS = ['--max-semi-space-size=6', '--max-old-space-size=116'];

export const MEMORY_LINES = 10_000;
export const MEMORY_LINE_BYTES = 600;

export async function runMemory(opts: { env: Env; tmpDir: string }): Promise<MemoryResult[]> {
  const results: MemoryResult[] = [];
  const scenarios = [
    { fn: 'ingest-heartbeats', kind: 'heartbeat', gzip: false },
    { fn: 'ingest-heartbeats', kind: 'heartbeat', gzip: true },
    { fn: 'ingest-logs', kind: 'log', gzip: false },
    { fn: 'ingest-logs', kind: 'log', gzip: true },
  ] as const;
  for (const s of scenarios) {
    const text = body(s.kind, MEMORY_LINES, MEMORY_LINE_BYTES, 42);
    const event = postEvent(s.kind, text, s.gzip);
    const file = path.join(opts.tmpDir, `memory-${s.fn}-${s.gzip ? 'gzip' : 'plain'}.json`);
    writeFileSync(file, JSON.stringify(event));
    const repeat = 3;
    const res = await runBundleChild({ bundle: bundlePath(s.fn), env: opts.env, eventFile: file, repeat });
    const capped = await runBundleChild({ bundle: bundlePath(s.fn), env: opts.env, eventFile: file, repeat, nodeArgs: LAMBDA_128_FLAGS });
    const forwarded = res.results.reduce((n, r) => n + (responseCounts(r?.body).forwarded ?? 0), 0);
    const r: MemoryResult = {
      scenario: `${s.fn} ${s.gzip ? 'gzip' : 'plain'} ${MEMORY_LINES}×${MEMORY_LINE_BYTES} B`,
      fn: s.fn,
      encoding: s.gzip ? 'gzip' : 'plain',
      decodedBytes: Buffer.byteLength(text),
      wireBytes: wireBytes(event),
      invocations: repeat,
      rssAfterLoadMb: round(res.rssAfterLoadKb / 1024, 1),
      rssBeforeInvokeMb: round(res.rssBeforeInvokeKb / 1024, 1),
      peakAfterEachMb: res.rssAfterInvokeKb.map((kb) => round(kb / 1024, 1)),
      peakRssMb: round(res.maxRssKb / 1024, 1),
      peakRssMbWith128Flags: round(capped.maxRssKb / 1024, 1),
      resourceUsageMaxRssMb: round(res.resourceUsageMaxRssKb / 1024, 1),
      forwarded,
    };
    if ([...res.results, ...capped.results].some((x) => x?.statusCode !== 200)) {
      throw new Error(`${r.scenario}: not every invocation answered 200: ${JSON.stringify(res.results.map((x) => x?.body))}`);
    }
    progress(`  ${r.scenario}: peak RSS ${r.peakRssMb} MB (after load ${r.rssAfterLoadMb} MB, event parsed ${r.rssBeforeInvokeMb} MB, after each invocation ${r.peakAfterEachMb.join(' / ')} MB; with 128 MB V8 flags ${r.peakRssMbWith128Flags} MB)`);
    results.push(r);
  }
  return results;
}
