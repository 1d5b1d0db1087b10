/**
 * Cold start per function bundle (tools/build.ts output): bundle size; module load time
 * (wall time of `node -e "require(bundle)"` minus bare `node -e 0`, fresh processes, median);
 * first invocation including the connect to the bench broker / DynamoDB Local (fresh process,
 * small event, median).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Env } from '../../lib/platform/env';
import { childEnv, runBundleChild } from './child';
import { body, postEvent } from './payloads';
import { BUNDLE_DIR, ROOT } from './stack';
import { median, nowMs, progress, round } from './stats';

/** The fire-and-forget functions the bundle-size and module-load targets apply to. */
export const FIRE_AND_FORGET_FUNCTIONS = ['ingest-logs', 'ingest-heartbeats'];

export interface ColdStartResult {
  fn: string;
  bundleBytes: number;
  /** Median wall time of node -e "require(bundle)" minus median bare node -e 0. */
  moduleLoadMs: number;
  /** Fastest bundle run minus fastest bare run: the same figure, less sensitive to a busy machine. */
  moduleLoadMinMs: number;
  /** Median require() time measured inside the child. */
  requireMs: number;
  bareNodeMs: number;
  /** Median first invocation (connect included) in a fresh process; undefined when not measured. */
  firstInvokeMs?: number;
  firstInvokeSamplesMs?: number[];
  /** Set when the bundle does not load with the bench environment (the figures are then NaN). */
  loadError?: string;
}

/** Functions (functions/*.ts) that have a bundle in dist/. */
export function functionNames(): string[] {
  const all = readdirSync(path.join(ROOT, 'functions'))
    .filter((f) => f.endsWith('.ts'))
    .map((f) => f.replace(/\.ts$/, ''))
    .sort();
  const missing = all.filter((fn) => !existsSync(bundlePath(fn)));
  if (missing.length) progress(`  no bundle for ${missing.join(', ')} (added after the build?): skipped`);
  return all.filter((fn) => !missing.includes(fn));
}

export const bundlePath = (fn: string) => path.join(BUNDLE_DIR, fn, 'index.js');

/** The functions a small first event is defined for (the others take MSK / CloudFormation events). */
const FIRST_INVOKED = ['ingest-logs', 'ingest-heartbeats', 'ingest-critical', 'outbox-relay'];

function wallMs(args: string[], env: Env): number {
  const t0 = nowMs();
  const res = spawnSync(process.execPath, args, { env: childEnv(env), stdio: ['ignore', 'ignore', 'pipe'], timeout: 30_000 });
  const ms = nowMs() - t0;
  if (res.status !== 0) throw new Error(`node ${args.join(' ')} exited with ${res.status}: ${res.stderr?.toString().slice(-600)}`);
  return ms;
}

/** A small first event per function (fresh event ids per process for the critical function). */
function firstEvent(fn: string, dir: string, i: number): string | undefined {
  const event =
    fn === 'ingest-logs' ? postEvent('log', body('log', 10, 200, 100 + i), true)
    : fn === 'ingest-heartbeats' ? postEvent('heartbeat', body('heartbeat', 10, 200, 100 + i), false)
    : fn === 'ingest-critical' ? postEvent('event', body('event', 10, 200, 100 + i), false)
    : undefined; // outbox-relay: the scheduled event the child supplies
  if (!event) return undefined;
  const file = path.join(dir, `first-${fn}-${i}.json`);
  writeFileSync(file, JSON.stringify(event));
  return file;
}

export async function runColdStart(opts: { env: Env; quick: boolean; tmpDir: string }): Promise<ColdStartResult[]> {
  const fns = functionNames();
  const loadRuns = opts.quick ? 4 : 15;
  const firstRuns = opts.quick ? 2 : 5;
  const bare: number[] = [];
  const wall = new Map<string, number[]>(fns.map((fn) => [fn, []]));
  const errors = new Map<string, string>();
  wallMs(['-e', '0'], opts.env); // page cache warm for everyone
  // Interleaved, so drifting machine load hits the bare and the bundle runs alike.
  for (let r = 0; r < loadRuns; r++) {
    bare.push(wallMs(['-e', '0'], opts.env));
    for (const fn of fns.filter((f) => !errors.has(f))) {
      try {
        wall.get(fn)!.push(wallMs(['-e', `require(${JSON.stringify(bundlePath(fn))})`], opts.env));
      } catch (err) {
        const why = /(\w*Error\b[^\n]*(?:\n\s+- [^\n]*)*)\n/.exec((err as Error).message)?.[1]?.replace(/\s*\n\s*/g, ' ') ?? 'see results.json';
        errors.set(fn, why);
        progress(`  ${fn}: the bundle does not load with the bench environment; skipped (${why})`);
      }
    }
  }
  const bareMs = median(bare);
  const results: ColdStartResult[] = [...errors].map(([fn, why]) => ({
    fn,
    bundleBytes: statSync(bundlePath(fn)).size,
    moduleLoadMs: NaN,
    moduleLoadMinMs: NaN,
    requireMs: NaN,
    bareNodeMs: round(bareMs, 1),
    loadError: why,
  }));
  for (const fn of fns.filter((f) => !errors.has(f))) {
    const result: ColdStartResult = {
      fn,
      bundleBytes: statSync(bundlePath(fn)).size,
      moduleLoadMs: round(median(wall.get(fn)!) - bareMs, 1),
      moduleLoadMinMs: round(Math.min(...wall.get(fn)!) - Math.min(...bare), 1),
      requireMs: 0,
      bareNodeMs: round(bareMs, 1),
    };
    if (FIRST_INVOKED.includes(fn)) {
      const samples: number[] = [];
      const requires: number[] = [];
      for (let i = 0; i < firstRuns; i++) {
        const res = await runBundleChild({ bundle: bundlePath(fn), env: opts.env, eventFile: firstEvent(fn, opts.tmpDir, i) });
        const first = res.results[0];
        if (first?.statusCode !== undefined && first.statusCode !== 200) {
          throw new Error(`${fn}: first invocation answered ${first.statusCode}: ${first.body}`);
        }
        samples.push(round(res.invokeMs[0]!, 1));
        requires.push(res.loadMs);
      }
      result.firstInvokeMs = round(median(samples), 1);
      result.firstInvokeSamplesMs = samples;
      result.requireMs = round(median(requires), 1);
    } else {
      const requires: number[] = [];
      for (let i = 0; i < firstRuns; i++) requires.push((await runBundleChild({ bundle: bundlePath(fn), env: opts.env, repeat: 0 })).loadMs);
      result.requireMs = round(median(requires), 1);
    }
    progress(
      `  ${fn}: ${(result.bundleBytes / 1024).toFixed(0)} KB, module load ${result.moduleLoadMs} ms over bare node (${result.bareNodeMs} ms)` +
        (result.firstInvokeMs !== undefined ? `, first invocation ${result.firstInvokeMs} ms` : ''),
    );
    results.push(result);
  }
  return results.sort((a, b) => a.fn.localeCompare(b.fn));
}
