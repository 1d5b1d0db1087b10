/**
 * The local dashboard of `npm start` (tools/local-functions/dashboard.*): npm start's own wiring
 * (createLocalServer: the real handlers, relay, live metrics, loss estimate, dashboard) against
 * the shared test stack, traffic posted through HTTP, and the page loaded in a real headless
 * Chromium: its rendered DOM must show the numbers, and its screenshot must be a drawn page.
 * Without a Chromium on PATH (Debian: apt-get install chromium; or CHROMIUM=/path) the browser
 * checks are skipped with a message; .ci/run installs it, so CI runs them.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { inflateSync } from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import type { ConsumedRecord, ConsumerAdmin, OffsetRange, ReadRangesOptions, WindowRead } from '../../lib/consume/types';
import { loadConfig } from '../../lib/platform/config';
import type { Env } from '../../lib/platform/env';
import { ensureKcat } from '../../tools/local-stack/tools';
import { which } from '../../tools/local-stack/proc';
import { Dashboard, type DashboardData } from '../../tools/local-functions/dashboard';
import type { ViewInfo, ViewSources } from '../../tools/local-functions/live-view';
import { createLocalServer, type CleanupStep } from '../../tools/local-functions/local-server';
import { LossWatch } from '../../tools/local-functions/loss-watch';
import { LiveMetrics } from '../../tools/local-functions/metrics';
import { MetricsHistory } from '../../tools/local-functions/metrics-history';
import { RecentRejects } from '../../tools/local-functions/recent-rejects';
import { DEV_AUTHORIZATION } from '../../tools/local-functions/traffic';
import { newOutboxTable, sharedDynamo } from '../helpers/critical';
import { provision, quietLog, sharedKafka, uniquePrefix } from '../helpers/stack';

const run = promisify(execFile);
const root = path.resolve(__dirname, '../..');
const CHROMIUM = process.env.CHROMIUM || which('chromium') || which('chromium-browser') || which('google-chrome');
const NO_CHROMIUM = CHROMIUM ? false : 'no Chromium on PATH (Debian: apt-get install chromium; or set CHROMIUM=/path/to/chrome): browser checks skipped';
const WINDOW = { width: 1280, height: 900 };

describe('dashboard parts', () => {
  test('the last rejects come from the functions\' answers: per record with its reason, or the whole request', () => {
    const rejects = new RecentRejects(3);
    rejects.record('/v1/logs', { statusCode: 200, body: '{"results":[{"index":0,"status":"forwarded"}]}' });
    rejects.record('/v1/logs', {
      statusCode: 207,
      body: JSON.stringify({ results: [{ index: 0, status: 'forwarded' }, { index: 1, status: 'rejected', reason: 'record 1: invalid JSON' }] }),
    });
    rejects.record('/v1/events', { statusCode: 503, body: '{"error":{"code":"internal_error","message":"retry later"}}' });
    rejects.record('/v1/events', { statusCode: 401, body: '{"error":{"code":"unauthorized","message":"missing credentials"}}' });
    assert.deepEqual(
      rejects.list().map(({ route, scope, index, code, reason, httpStatus }) => ({ route, scope, index, code, reason, httpStatus })),
      [
        { route: '/v1/events', scope: 'request', index: undefined, code: 'unauthorized', reason: 'missing credentials', httpStatus: 401 },
        { route: '/v1/logs', scope: 'record', index: 1, code: undefined, reason: 'record 1: invalid JSON', httpStatus: 207 },
      ],
    );
    const many = { statusCode: 400, body: JSON.stringify({ results: Array.from({ length: 5 }, (_, i) => ({ index: i, status: 'rejected', reason: `r${i}` })) }) };
    rejects.record('/v1/logs', many);
    assert.equal(rejects.total, 7, 'every reject counts, also those no longer listed');
    assert.deepEqual(rejects.list().map((r) => r.reason), ['r4', 'r3', 'r2']);
  });

  test('chart rates are per second between samples', () => {
    const metrics = new LiveMetrics({}, 'relay');
    const history = new MetricsHistory(10);
    history.add(metrics.snapshot(1_000));
    metrics.ingest(emf({ FunctionName: 'fn', Tier: 'logs', Received: 10, Forwarded: 10 }));
    history.add(metrics.snapshot(3_000));
    const series = history.series();
    assert.deepEqual(series.at, [3_000]);
    assert.deepEqual(series.tiers.logs.forwarded, [5]);
    assert.deepEqual(series.tiers.realtime.forwarded, [0]);
    assert.equal(history.recentRates(5).logs.received, 5);
  });

  test('the loss estimate reads each record once (cursor per partition) and forgets what left the window', async () => {
    let now = 100_000;
    const calls: string[] = [];
    const rec = (offset: number, seq: number): ConsumedRecord => ({
      topic: 't',
      partition: 0,
      offset,
      timestamp: now,
      key: null,
      value: null,
      headers: { 'ef-producer': 'p1', 'ef-seq': String(seq) },
    });
    const reader: Pick<ConsumerAdmin, 'readWindow' | 'readRanges'> = {
      async readWindow(topic, { since }) {
        calls.push(`window ${topic} since ${since}`);
        return { records: [rec(0, 0), rec(1, 1)], complete: true, ranges: [{ partition: 0, start: 0, end: 2 }] };
      },
      async readRanges(topic: string, ranges: readonly OffsetRange[], opts?: ReadRangesOptions): Promise<WindowRead> {
        const r = ranges[0]!;
        calls.push(`ranges ${topic} from ${r.start} headersOnly=${opts?.headersOnly}`);
        return r.start === 2
          ? { records: [rec(2, 3)], complete: true, ranges: [{ partition: 0, start: 2, end: 3 }] }
          : { records: [], complete: true, ranges: [{ partition: 0, start: r.start, end: r.start }] };
      },
    };
    const watch = new LossWatch({ reader, topics: ['t'], windowMs: 60_000, intervalMs: 1_000, now: () => now });
    await watch.readOnce();
    await watch.readOnce();
    const topic = watch.estimate().topics[0]!;
    assert.deepEqual({ records: topic.records, expected: topic.expected, missing: topic.missing }, { records: 3, expected: 4, missing: 1 }, 'seq 2 never arrived');
    now += 61_000;
    await watch.readOnce();
    assert.deepEqual(watch.estimate().topics, []);
    assert.deepEqual(calls, ['window t since 40000', 'ranges t from 2 headersOnly=true', 'ranges t from 3 headersOnly=true']);
  });

  test('the dashboard answers only to a loopback Host, and /metrics.json only once it shows a view', () => {
    const dashboard = new Dashboard({ rejects: new RecentRejects() });
    assert.equal(dashboard.page('/v1/logs', '127.0.0.1:8080'), undefined);
    assert.equal(dashboard.page('/', 'attacker.example:8080')?.status, 403);
    assert.equal(dashboard.page('/metrics.json', 'attacker.example')?.status, 403);
    assert.equal(dashboard.page('/metrics.json', 'localhost:8080')?.status, 503);
    for (const host of ['127.0.0.1:8080', 'localhost', '[::1]:8080']) assert.equal(dashboard.page('/', host)?.status, 200, host);
  });
});

describe('dashboard on npm start\'s wiring, in a real browser', () => {
  let base: string;
  let prefix: string;
  let bootstrap: string;
  let kcat: string;
  const cleanups: CleanupStep[] = [];
  const profile = mkdtempSync(path.join(tmpdir(), 'ef-dashboard-chromium-'));

  before(async () => {
    const [kafka, ddb] = [await sharedKafka(), await sharedDynamo()];
    bootstrap = kafka.bootstrap;
    kcat = await ensureKcat();
    prefix = uniquePrefix('dash');
    await provision(kafka.brokers, prefix);
    const table = await newOutboxTable(ddb.endpoint, 'dash');
    // npm start's function environment (tools/start.ts functionEnv), on this test's topics and table.
    const env: Env = {
      TOPIC_PREFIX: prefix,
      OUTBOX_TABLE: table,
      OUTBOX_GRACE_MS: '1000',
      TENANT_ID: 'local',
      TENANTS_SOURCE: `file:${path.join(root, 'config', 'tenants.local.json')}`,
      LOG_LEVEL: 'error',
      KAFKA_BROKERS: kafka.bootstrap,
      DYNAMODB_ENDPOINT: ddb.endpoint,
    };
    const config = loadConfig(env);
    const local = createLocalServer({
      env,
      config,
      relayIntervalMs: 500,
      lineSink: () => undefined,
      log: quietLog,
      health: () => ({}),
      loss: { windowMs: 5 * 60_000, intervalMs: 500 },
    });
    cleanups.push(...local.cleanups);
    await new Promise<void>((resolve) => local.server.listen(0, '127.0.0.1', resolve));
    cleanups.push({ run: () => new Promise((resolve) => local.server.close(resolve)) });
    const port = (local.server.address() as AddressInfo).port;
    base = `http://127.0.0.1:${port}`;
    const info: ViewInfo = {
      startedAt: Date.now(),
      port,
      topics: config.topics,
      bootstrap: kafka.bootstrap,
      stack: `test stack ${kafka.bootstrap} · ${ddb.endpoint}, table ${table}`,
      logFile: '(not written by this test)',
      relayIntervalMs: 500,
    };
    const sources: ViewSources = { metrics: local.metrics, http: local.http };
    local.dashboard.show({ info, sources });
  });

  after(async () => {
    for (const step of cleanups.reverse()) await step.run();
    rmSync(profile, { recursive: true, force: true });
  });

  const post = (route: string, body: string, contentType: string, authorization?: string) =>
    fetch(`${base}${route}`, { method: 'POST', headers: { 'content-type': contentType, ...(authorization && { authorization }) }, body });
  const metricsJson = async () => (await (await fetch(`${base}/metrics.json`)).json()) as DashboardData;

  /** Polls /metrics.json until `ready` holds (a wait with a deadline, not a timing assertion). */
  async function dataWhen(ready: (d: DashboardData) => boolean, what: string): Promise<DashboardData> {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const data = await metricsJson();
      if (ready(data)) return data;
      assert.ok(Date.now() < deadline, `within 60 s: ${what}; last /metrics.json: ${JSON.stringify({ tiers: data.tiers, relay: data.relay, loss: data.loss })}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  /** Pixels of the forwarded lines' green before any traffic: the legend and the "live" badge. */
  let greenBeforeTraffic: number | undefined;

  test('before any traffic, Chromium renders the page with zeros', { skip: NO_CHROMIUM }, async () => {
    const dom = await chromium(['--dump-dom', `${base}/`]);
    assert.match(dom, /<body data-state="live"/, 'the page\'s script ran (CSP allowed it) and read /metrics.json');
    assert.equal(field(between(dom, 'data-tier="logs"', '</article>'), 'received'), '0');
    assert.match(between(dom, 'id="reject-rows"', '</tbody>'), /none yet/);
    greenBeforeTraffic = (await screenshot('before.png')).forwardedGreen;
  });

  test('GET / and GET /metrics.json need no credentials; the ingest routes still do', async () => {
    const page = await fetch(`${base}/`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(page.headers.get('content-security-policy') ?? '', /script-src 'sha256-/);
    assert.match(await page.text(), /<title>edge-forwarder · local<\/title>/);
    const anonymous = await post('/v1/logs', '{"msg":"no key"}\n', 'application/x-ndjson');
    assert.equal(anonymous.status, 401);
    assert.equal((await fetch(`${base}/metrics.json`)).status, 200);
    assert.equal((await fetch(`${base}/metrics.json`, { method: 'POST', headers: { authorization: DEV_AUTHORIZATION } })).status, 404);
  });

  test('traffic, rejects, relay runs and a sequence gap show up in /metrics.json', async () => {
    const logs = await post('/v1/logs', '{"msg":"one"}\n"two"\n{"msg":"three"}\n{"msg":"cut off\n', 'application/x-ndjson', DEV_AUTHORIZATION);
    assert.equal(logs.status, 207);
    assert.equal((await post('/v1/heartbeats', '{"key":"server-1","players":3}\n{"key":"server-2","players":5}\n', 'application/x-ndjson', DEV_AUTHORIZATION)).status, 200);
    const events = JSON.stringify([{ id: 'dash-kill-1', type: 'kill', key: 'match-1' }, { id: 42, type: 'kill' }, { id: 'dash-kill-2', type: 'death', key: 'match-1' }]);
    assert.equal((await post('/v1/events', events, 'application/json', DEV_AUTHORIZATION)).status, 207);
    // Records of a producer that skipped ef-seq 3 and 4: what acks=0 loss looks like to a consumer.
    for (const seq of [0, 1, 2, 5]) await kcatProduce(`${prefix}logs`, { 'ef-producer': 'dash-gap-producer', 'ef-seq': String(seq) }, `gap test ${seq}`);
    assert.equal((await post('/v1/logs', '{"msg":"no key"}\n', 'application/x-ndjson')).status, 401);
    const data = await dataWhen(
      (d) =>
        d.relay.runs > 0 &&
        (d.loss?.topics.find((t) => t.topic === `${prefix}logs`)?.missing ?? 0) > 0 &&
        d.tiers.critical.received > 0 &&
        d.series.tiers.logs.forwarded.some((v) => v > 0),
      'a relay run, the gap in the logs topic, the critical events, and a chart sample after the logs',
    );
    assert.deepEqual([data.tiers.logs.received, data.tiers.realtime.received, data.tiers.critical.received], [3, 2, 2]);
    assert.ok(data.tiers.logs.rejected >= 1 && data.tiers.critical.rejected >= 1);
    const logsLoss = data.loss!.topics.find((t) => t.topic === `${prefix}logs`)!;
    assert.equal(logsLoss.missing, 2, 'ef-seq 3 and 4 of dash-gap-producer');
    assert.equal(logsLoss.producers.find((p) => p.producer === 'dash-gap-producer')?.expected, 6);
    const reasons = data.rejects.recent.map((r) => `${r.route} ${r.scope} ${r.reason}`);
    assert.ok(reasons.some((r) => /^\/v1\/logs record record 3: invalid JSON/.test(r)), reasons.join('\n'));
    assert.ok(reasons.some((r) => /^\/v1\/events record record 1: field "id"/.test(r)), reasons.join('\n'));
    assert.ok(reasons.some((r) => /^\/v1\/logs request missing credentials/.test(r)), reasons.join('\n'));
  });

  test('Chromium renders the tier panels, the outbox, the loss estimate and the rejects with their numbers', { skip: NO_CHROMIUM }, async () => {
    const expected = await metricsJson();
    const dom = await chromium(['--dump-dom', `${base}/`]);
    assert.match(dom, /<body data-state="live"/);
    for (const tier of ['logs', 'realtime', 'critical'] as const) {
      const panel = between(dom, `data-tier="${tier}"`, '</article>');
      for (const column of ['received', 'forwarded', 'rejected'] as const) {
        assert.equal(field(panel, column), expected.tiers[tier][column].toLocaleString('en-US'), `${tier} ${column}`);
      }
    }
    const outbox = between(dom, 'id="outbox"', '</article>');
    assert.ok(Number(field(outbox, 'relay-runs')) > 0, 'relay runs');
    assert.equal(field(outbox, 'dead'), '0');
    const lossRow = between(dom, `data-topic="${prefix}logs"`, '</tr>');
    assert.equal(field(lossRow, 'missing'), '2');
    const rejects = between(dom, 'id="reject-rows"', '</tbody>');
    assert.match(rejects, /record 3: invalid JSON/);
    assert.match(rejects, /missing credentials/);
    assert.match(rejects, /got number 42/);
  });

  test('the screenshot is the size asked for and a drawn page, with the charts\' lines in it', { skip: NO_CHROMIUM }, async () => {
    const shot = await screenshot('after.png');
    assert.deepEqual([shot.width, shot.height], [WINDOW.width, WINDOW.height]);
    assert.ok(shot.colours > 100, `a drawn page has many colours (text, charts), got ${shot.colours}`);
    assert.ok(shot.lumaStddev > 5, `not a blank page: luminance stddev ${shot.lumaStddev.toFixed(1)}`);
    assert.ok(greenBeforeTraffic !== undefined, 'the screenshot before traffic was taken');
    // Before traffic every line lies on 0, where the rejected line is drawn over the forwarded one.
    assert.ok(
      shot.forwardedGreen - greenBeforeTraffic > 100,
      `the forwarded lines rise: ${shot.forwardedGreen} pixels of their green, ${greenBeforeTraffic} before traffic`,
    );
  });

  /** A screenshot of the page and what the checks look at in it (no pixel-exact comparison). */
  async function screenshot(name: string) {
    const file = path.join(profile, name);
    await chromium([`--screenshot=${file}`, '--hide-scrollbars', `${base}/`]);
    const png = decodePng(readFileSync(file));
    const colours = new Set<number>();
    let [sum, sumSq, forwardedGreen] = [0, 0, 0];
    const n = png.width * png.height;
    for (let i = 0; i < n; i++) {
      const [r, g, b] = png.rgb(i);
      colours.add((r << 16) | (g << 8) | b);
      const luma = 0.299 * r + 0.587 * g + 0.114 * b;
      sum += luma;
      sumSq += luma * luma;
      if (Math.abs(r - 0x3f) + Math.abs(g - 0xb9) + Math.abs(b - 0x50) < 60) forwardedGreen++; // #3fb950
    }
    return { width: png.width, height: png.height, colours: colours.size, lumaStddev: Math.sqrt(sumSq / n - (sum / n) ** 2), forwardedGreen };
  }

  /** One record written by kcat, an independent producer, with the given headers. */
  async function kcatProduce(topic: string, headers: Record<string, string>, value: string): Promise<void> {
    const args = ['-P', '-b', bootstrap, '-t', topic, ...Object.entries(headers).flatMap(([k, v]) => ['-H', `${k}=${v}`])];
    const produced = run(kcat, args, { timeout: 30_000 });
    produced.child.stdin!.end(`${value}\n`);
    await produced;
  }

  async function chromium(args: string[]): Promise<string> {
    const { stdout } = await run(
      CHROMIUM as string,
      [
        '--headless=new',
        // CI containers run as root, where Chromium's sandbox cannot start; the page is our own.
        '--no-sandbox',
        '--disable-gpu',
        `--user-data-dir=${profile}`,
        `--window-size=${WINDOW.width},${WINDOW.height}`,
        // Lets the page's timers (the 1 s polls) run ahead before the DOM or the screenshot is taken.
        '--virtual-time-budget=5000',
        ...args,
      ],
      { timeout: 60_000, maxBuffer: 16 * 1024 * 1024 },
    );
    return stdout;
  }
});

function emf(fields: Record<string, string | number>): string {
  const metrics = Object.entries(fields).filter(([, v]) => typeof v === 'number').map(([Name]) => ({ Name, Unit: 'Count' }));
  return JSON.stringify({ _aws: { Timestamp: 0, CloudWatchMetrics: [{ Namespace: 'test', Dimensions: [['FunctionName', 'Tier']], Metrics: metrics }] }, ...fields });
}

/** The text from `start` to the next `end` (a slice of the dumped DOM to look inside). */
function between(text: string, start: string, end: string): string {
  const from = text.indexOf(start);
  assert.ok(from >= 0, `${start} is in the page`);
  const to = text.indexOf(end, from);
  return text.slice(from, to < 0 ? undefined : to);
}

/** The text of the element with data-field="name" (the page's number cells). */
function field(html: string, name: string): string {
  const m = new RegExp(`data-field="${name}"[^>]*>([^<]*)<`).exec(html);
  assert.ok(m, `data-field="${name}" is rendered`);
  return m[1]!;
}

/** An 8-bit RGB or RGBA, non-interlaced PNG (what Chromium writes) decoded to its pixels. */
function decodePng(buf: Buffer): { width: number; height: number; rgb(i: number): [number, number, number] } {
  assert.equal(buf.subarray(0, 8).toString('hex'), '89504e470d0a1a0a', 'a PNG signature');
  let width = 0;
  let height = 0;
  let channels = 0;
  const idat: Buffer[] = [];
  for (let at = 8; at < buf.length; ) {
    const length = buf.readUInt32BE(at);
    const type = buf.toString('latin1', at + 4, at + 8);
    const data = buf.subarray(at + 8, at + 8 + length);
    if (type === 'IHDR') {
      [width, height] = [data.readUInt32BE(0), data.readUInt32BE(4)];
      const [depth, colourType, interlace] = [data[8], data[9], data[12]];
      assert.ok(depth === 8 && (colourType === 2 || colourType === 6) && interlace === 0, `PNG format depth ${depth}, colour type ${colourType}, interlace ${interlace}`);
      channels = colourType === 6 ? 4 : 3;
    } else if (type === 'IDAT') idat.push(data);
    at += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const pixels = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const out = pixels.subarray(y * stride, (y + 1) * stride);
    const prev = y > 0 ? pixels.subarray((y - 1) * stride, y * stride) : Buffer.alloc(stride);
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? out[x - channels]! : 0;
      const b = prev[x]!;
      const c = x >= channels ? prev[x - channels]! : 0;
      const predictor = [0, a, b, (a + b) >> 1, paeth(a, b, c)][filter];
      assert.ok(predictor !== undefined, `PNG filter type ${filter}`);
      out[x] = (line[x]! + predictor) & 0xff;
    }
  }
  return { width, height, rgb: (i) => [pixels[i * channels]!, pixels[i * channels + 1]!, pixels[i * channels + 2]!] };
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const [pa, pb, pc] = [Math.abs(p - a), Math.abs(p - b), Math.abs(p - c)];
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}
