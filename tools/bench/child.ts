/**
 * A fresh Node process running one function BUNDLE (dist/<fn>/index.js) the way Lambda does:
 * require it (module scope = cold start), then invoke its handler with an event read from a JSON
 * file. Reports require time, per-invocation times and peak RSS (VmHWM; see peakKb below).
 * The child is plain JavaScript passed with `node -e`, so no TypeScript loader sits in the figures.
 */
import { spawn } from 'node:child_process';
import type { Env } from '../../lib/platform/env';

const CHILD = String.raw`
const { performance } = require('node:perf_hooks');
const fs = require('node:fs');
// Peak RSS of this process image. On Linux resourceUsage().maxRSS starts at the PARENT's RSS
// (the child is forked before exec), so /proc/self/status VmHWM is what counts there.
const peakKb = () => {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]);
  } catch {}
  return process.resourceUsage().maxRSS;
};
const t0 = performance.now();
const mod = require(process.env.BENCH_BUNDLE);
const loadMs = performance.now() - t0;
const rssAfterLoadKb = peakKb();
const file = process.env.BENCH_EVENT_FILE;
const event = file ? JSON.parse(fs.readFileSync(file, 'utf8')) : { 'detail-type': 'Scheduled Event', source: 'aws.events', detail: {} };
const rssBeforeInvokeKb = peakKb();
const context = () => {
  const end = Date.now() + 30000;
  return { functionName: process.env.AWS_LAMBDA_FUNCTION_NAME, awsRequestId: String(Math.random()).slice(2), getRemainingTimeInMillis: () => Math.max(0, end - Date.now()) };
};
(async () => {
  const invokeMs = [];
  const rssAfterInvokeKb = [];
  const results = [];
  for (let i = 0; i < Number(process.env.BENCH_REPEAT || 1); i++) {
    const s = performance.now();
    const r = await mod.handler(event, context());
    invokeMs.push(performance.now() - s);
    rssAfterInvokeKb.push(peakKb());
    results.push(r && typeof r === 'object'
      ? { statusCode: r.statusCode, body: typeof r.body === 'string' ? r.body.slice(0, 160) : undefined, delivered: r.delivered, pending: r.stats && r.stats.pending }
      : null);
  }
  const out = { loadMs, invokeMs, rssAfterLoadKb, rssBeforeInvokeKb, rssAfterInvokeKb, maxRssKb: peakKb(), resourceUsageMaxRssKb: process.resourceUsage().maxRSS, results };
  process.stdout.write('\nBENCH_RESULT ' + JSON.stringify(out) + '\n', () => process.exit(0));
})().catch((e) => { process.stderr.write(String((e && e.stack) || e)); process.exit(1); });
`;

export interface ChildResult {
  loadMs: number;
  invokeMs: number[];
  rssAfterLoadKb: number;
  rssBeforeInvokeKb: number;
  /** Peak RSS so far after each invocation. */
  rssAfterInvokeKb: number[];
  /** Peak RSS of the process (VmHWM on Linux, else resourceUsage().maxRSS). */
  maxRssKb: number;
  /** process.resourceUsage().maxRSS as reported (on Linux at least the parent's RSS when spawned). */
  resourceUsageMaxRssKb: number;
  results: ({ statusCode?: number; body?: string; delivered?: number; pending?: number } | null)[];
}

/** A Lambda-like environment: only what the function needs, no loader flags inherited from this process. */
export function childEnv(fnEnv: Env): NodeJS.ProcessEnv {
  // Lambda runs Node 22: the SDK's "Node 20 support ends" notice is not part of a real cold start.
  return { PATH: process.env.PATH, HOME: process.env.HOME, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...fnEnv };
}

export function runBundleChild(opts: { bundle: string; env: Env; eventFile?: string; repeat?: number; nodeArgs?: string[] }): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), '-e', CHILD], {
      env: {
        ...childEnv(opts.env),
        BENCH_BUNDLE: opts.bundle,
        BENCH_REPEAT: String(opts.repeat ?? 1),
        ...(opts.eventFile && { BENCH_EVENT_FILE: opts.eventFile }),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      const line = stdout.split('\n').find((l) => l.startsWith('BENCH_RESULT '));
      if (code !== 0 || !line) return reject(new Error(`bundle child ${opts.bundle} exited with ${code}:\n${stderr}`));
      resolve(JSON.parse(line.slice('BENCH_RESULT '.length)) as ChildResult);
    });
  });
}
