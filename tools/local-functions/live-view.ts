/**
 * The terminal view of `npm start`: per-tier counts (from the functions' EMF metrics), the
 * outbox as the relay reports it, and how to try it. On a TTY it redraws in place every second;
 * otherwise (CI, a pipe) it prints the static part once and one summary line every 5 s.
 */
import { TIERS, type Tier } from '../../lib/domain/tiers';
import type { BridgeStats } from './http-bridge';
import { TIER_COLUMNS, type LiveMetrics, type Snapshot } from './metrics';
import type { TrafficStats } from './traffic';

export interface ViewInfo {
  startedAt: number;
  port: number;
  topics: Readonly<Record<Tier, string>>;
  bootstrap: string;
  stack: string;
  logFile: string;
  relayIntervalMs: number;
  traffic?: { servers: number; rate: number };
}

export interface ViewSources {
  metrics: LiveMetrics;
  http: BridgeStats;
  traffic?: TrafficStats;
}

const CSI = '\x1b[';

export function tryItLines(info: Pick<ViewInfo, 'port' | 'bootstrap' | 'topics'>): string[] {
  return [
    `  try it    curl -X POST localhost:${info.port}/v1/logs -H 'authorization: Bearer dev-only-api-key-not-a-secret' -H 'content-type: application/x-ndjson' --data-binary $'{"msg":"hello"}\\n{"msg":"world"}\\n"plain line"'`,
    `  read it   kcat -C -b ${info.bootstrap} -t ${info.topics.logs} -o beginning -e`,
  ];
}

function infoLines(info: ViewInfo, src: ViewSources): string[] {
  const url = `http://127.0.0.1:${info.port}`;
  const traffic = info.traffic
    ? `${info.traffic.servers} game server${info.traffic.servers === 1 ? "" : "s"}, ${info.traffic.rate} heartbeat${info.traffic.rate === 1 ? "" : "s"}/s each` +
      (src.traffic ? `: ${src.traffic.requests} requests, ${src.traffic.failed} failed${src.traffic.skipped ? `, ${src.traffic.skipped} skipped` : ''}` : '') +
      '   (npm start -- --no-traffic to turn off)'
    : 'off (npm start without --no-traffic simulates game servers)';
  return [
    `  ingest    ${url}  POST /v1/logs /v1/heartbeats /v1/events · GET /healthz`,
    `  dashboard ${url}/  this view in a browser, with charts, the loss estimate and the last rejects`,
    `  traffic   ${traffic}`,
    `  stack     ${info.stack}`,
    `  logs      ${info.logFile} (function JSON logs + EMF metrics)`,
    '',
    ...tryItLines(info),
  ];
}

export function renderFrame(info: ViewInfo, src: ViewSources, snap: Snapshot, rates: Record<Tier, number>): string[] {
  const header = ['tier', 'topic', ...TIER_COLUMNS.slice(0, 2), '/s', ...TIER_COLUMNS.slice(2)];
  const widths = [10, 16, 9, 10, 7, 8, 9, 10, 6];
  const row = (cells: string[]) => '  ' + cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' ');
  const tierRow = (t: Tier) => {
    const c = snap.tiers[t];
    const bestEffort = t !== 'critical';
    return row([
      t,
      info.topics[t],
      String(c.received),
      String(c.forwarded),
      rates[t].toFixed(0),
      String(c.dropped),
      String(c.rejected),
      bestEffort ? '-' : String(c.persisted),
      bestEffort ? '-' : String(c.retry),
    ]);
  };
  const r = snap.relay;
  const lastRun = r.lastRunAt ? `last run ${Math.round((snap.at - r.lastRunAt) / 1000)}s ago` : 'first run soon';
  const http = [...src.http.byStatus].sort(([a], [b]) => a - b).map(([code, n]) => `${code}: ${n}`);
  return [
    `edge-forwarder · local · up ${duration(snap.at - info.startedAt)} · Ctrl-C to stop`,
    '',
    row(header),
    ...TIERS.map(tierRow),
    '  (rejected: bad records, answered with a reason · persisted: in the outbox, left to the relay or a duplicate id · retry: not persisted, sender retries)',
    '',
    `  outbox    pending ${r.pending} · oldest pending ${(r.oldestPendingAgeMs / 1000).toFixed(1)}s · dead ${r.deadEntries} · ` +
      `delivered by relay ${r.delivered}${r.sendFailures ? ` · relay send failures ${r.sendFailures}` : ''} · relay every ${info.relayIntervalMs / 1000}s, ${lastRun}`,
    ...(r.lastError ? [`            relay error: ${r.lastError}`] : []),
    `  http      ${src.http.requests} requests${http.length ? ` · ${http.join(' · ')}` : ''}`,
    ...infoLines(info, src),
  ];
}

export function renderSummary(info: ViewInfo, src: ViewSources, snap: Snapshot): string {
  const t = snap.tiers;
  const best = (tier: Tier) => `${tier} rcv=${t[tier].received} fwd=${t[tier].forwarded} drop=${t[tier].dropped} rej=${t[tier].rejected}`;
  const c = t.critical;
  const r = snap.relay;
  return (
    `[${duration(snap.at - info.startedAt)}] ${best('logs')} | ${best('realtime')} | ` +
    `critical rcv=${c.received} fwd=${c.forwarded} persisted=${c.persisted} retry=${c.retry} drop=${c.dropped} rej=${c.rejected} | ` +
    `outbox pending=${r.pending} oldest=${(r.oldestPendingAgeMs / 1000).toFixed(1)}s dead=${r.deadEntries} relayed=${r.delivered}` +
    `${r.lastError ? ` relay-error="${r.lastError}"` : ''} | http=${src.http.requests}` +
    (src.traffic ? ` traffic=${src.traffic.requests} failed=${src.traffic.failed}` : '')
  );
}

export function startLiveView(opts: { info: ViewInfo; sources: ViewSources; out: NodeJS.WriteStream; tty: boolean }) {
  const { info, sources, out } = opts;
  const history: Snapshot[] = [];
  let timer: NodeJS.Timeout;

  if (opts.tty) {
    out.write(`${CSI}?25l${CSI}2J`); // hide the cursor, clear once
    const draw = () => {
      const snap = sources.metrics.snapshot();
      history.push(snap);
      if (history.length > 6) history.shift();
      const lines = renderFrame(info, sources, snap, ratesOver(history));
      out.write(`${CSI}H${lines.map((l) => `${l}${CSI}K`).join('\n')}\n${CSI}J`);
    };
    draw();
    timer = setInterval(draw, 1_000);
  } else {
    out.write(`${['edge-forwarder · local · running', ...infoLines(info, sources)].join('\n')}\n`);
    timer = setInterval(() => out.write(`${renderSummary(info, sources, sources.metrics.snapshot())}\n`), 5_000);
  }
  return {
    stop() {
      clearInterval(timer);
      if (opts.tty) out.write(`${CSI}?25h`);
      else out.write(`${renderSummary(info, sources, sources.metrics.snapshot())}\n`);
    },
  };
}

/** Forwarded records per second over the snapshots kept (up to 5 s). */
function ratesOver(history: Snapshot[]): Record<Tier, number> {
  const first = history[0]!;
  const last = history[history.length - 1]!;
  const secs = (last.at - first.at) / 1000;
  return Object.fromEntries(
    TIERS.map((t) => [t, secs > 0 ? (last.tiers[t].forwarded - first.tiers[t].forwarded) / secs : 0]),
  ) as Record<Tier, number>;
}

function duration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const p = (n: number) => String(n).padStart(2, '0');
  return `${Math.floor(s / 3600)}:${p(Math.floor(s / 60) % 60)}:${p(s % 60)}`;
}
