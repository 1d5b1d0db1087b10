/**
 * The live view as a web page on npm start's HTTP port: GET / is dashboard.html (no build step,
 * no libraries: it draws its charts on canvas), which polls GET /metrics.json every second.
 * Both need no credentials: the server listens on 127.0.0.1 only, and they answer only to a Host
 * naming the loopback, so a web page whose domain was re-pointed at 127.0.0.1 (DNS rebinding)
 * cannot read them. The ingest routes keep requiring credentials.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { TIER_DELIVERY, TIERS, type Tier } from '../../lib/domain/tiers';
import type { BridgePage } from './http-bridge';
import type { ViewInfo, ViewSources } from './live-view';
import type { LossEstimate, LossWatch } from './loss-watch';
import type { RelayState, TierColumn, TierCounts } from './metrics';
import { MetricsHistory, type RateSeries } from './metrics-history';
import type { RecentRejects, RejectEntry } from './recent-rejects';
import type { TrafficStats } from './traffic';

/** The body of GET /metrics.json: what dashboard.html reads. */
export interface DashboardData {
  at: number;
  info: ViewInfo;
  guarantees: Record<Tier, string>;
  tiers: Record<Tier, TierCounts>;
  /** Per second over the last few seconds, like the terminal view's /s column. */
  rates: Record<Tier, Record<TierColumn, number>>;
  series: RateSeries & { intervalMs: number };
  relay: RelayState;
  http: { requests: number; byStatus: Record<string, number> };
  traffic: TrafficStats | null;
  loss: LossEstimate | null;
  rejects: { total: number; recent: RejectEntry[] };
}

export interface DashboardOptions {
  rejects: RecentRejects;
  loss?: LossWatch;
  /** Chart resolution and length: 300 samples 1 s apart = the last 5 minutes. */
  sampleEveryMs?: number;
  samples?: number;
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);
const RATE_SPAN = 5;
const GUARANTEES = Object.fromEntries(TIERS.map((t) => [t, TIER_DELIVERY[t].guarantee])) as Record<Tier, string>;

export class Dashboard {
  private readonly history: MetricsHistory;
  private readonly html = dashboardHtml();
  private view: { info: ViewInfo; sources: ViewSources } | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly opts: DashboardOptions) {
    this.history = new MetricsHistory(opts.samples ?? 300);
  }

  /**
   * Starts charting what the terminal view shows. Until then /metrics.json answers 503: the
   * sources are complete only once the server listens (the traffic generator needs the port).
   */
  show(view: { info: ViewInfo; sources: ViewSources }): void {
    this.view = view;
    const sample = () => this.history.add(view.sources.metrics.snapshot());
    sample();
    this.timer = setInterval(sample, this.opts.sampleEveryMs ?? 1_000);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** The bridge's `pages`: GET / and GET /metrics.json. */
  page(pathname: string, host: string | undefined): BridgePage | undefined {
    if (pathname !== '/' && pathname !== '/metrics.json') return undefined;
    if (!isLoopbackHost(host)) {
      return { status: 403, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: 'the local dashboard answers only on 127.0.0.1 or localhost\n' };
    }
    const noStore = { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' };
    if (pathname === '/') {
      return { status: 200, headers: { ...noStore, 'content-type': 'text/html; charset=utf-8', 'content-security-policy': this.html.csp }, body: this.html.body };
    }
    const data = this.data();
    if (!data) return { status: 503, headers: { ...noStore, 'content-type': 'application/json', 'retry-after': '1' }, body: '{"status":"starting"}\n' };
    return { status: 200, headers: { ...noStore, 'content-type': 'application/json' }, body: `${JSON.stringify(data)}\n` };
  }

  data(now = Date.now()): DashboardData | undefined {
    if (!this.view) return undefined;
    const { info, sources } = this.view;
    const snap = sources.metrics.snapshot(now);
    return {
      at: now,
      info,
      guarantees: GUARANTEES,
      tiers: snap.tiers,
      rates: this.history.recentRates(RATE_SPAN),
      series: { intervalMs: this.opts.sampleEveryMs ?? 1_000, ...this.history.series() },
      relay: snap.relay,
      http: { requests: sources.http.requests, byStatus: Object.fromEntries([...sources.http.byStatus].map(([code, n]) => [String(code), n])) },
      traffic: sources.traffic ?? null,
      loss: this.opts.loss?.estimate() ?? null,
      rejects: { total: this.opts.rejects.total, recent: this.opts.rejects.list() },
    };
  }
}

/** Browsers always send Host; a request without one (HTTP/1.0) cannot come from a rebinding page. */
function isLoopbackHost(host: string | undefined): boolean {
  if (host === undefined) return true;
  const name = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.split(':')[0]!;
  return LOOPBACK_HOSTS.has(name.toLowerCase());
}

/**
 * The page and a Content-Security-Policy that allows exactly its one inline script and one
 * inline style (by hash), and requests to this origin only.
 */
function dashboardHtml(): { body: string; csp: string } {
  const body = readFileSync(path.join(__dirname, 'dashboard.html'), 'utf8');
  const hashOf = (tag: 'script' | 'style') => {
    const inline = [...body.matchAll(new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, 'g'))];
    if (inline.length !== 1) throw new Error(`dashboard.html must have exactly one inline <${tag}>, found ${inline.length}`);
    return `'sha256-${createHash('sha256').update(inline[0]![1]!).digest('base64')}'`;
  };
  const csp = [
    "default-src 'none'",
    `script-src ${hashOf('script')}`,
    `style-src ${hashOf('style')}`,
    "connect-src 'self'",
    "img-src 'self' data:",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
  return { body, csp };
}
