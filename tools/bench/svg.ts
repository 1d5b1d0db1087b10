/**
 * bench-results/throughput.svg, drawn by hand (no chart dependency): fire-and-forget records/s
 * against batch size (log scale), ours as lines, the same-run kcat / ProducerPerformance
 * baselines as horizontal reference lines (they do not take batches of HTTP lines).
 */
import type { FfResult } from './fire-and-forget';

export interface ChartBaseline {
  label: string;
  recordsPerSec: number;
  color: string;
  dash: string;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function niceStep(max: number, ticks: number): number {
  const raw = max / ticks;
  const pow = 10 ** Math.floor(Math.log10(raw));
  const n = raw / pow;
  return (n <= 1 ? 1 : n <= 2 ? 2 : n <= 2.5 ? 2.5 : n <= 5 ? 5 : 10) * pow;
}

const short = (n: number) => (n >= 1e6 ? `${+(n / 1e6).toFixed(2)}M` : n >= 1e3 ? `${+(n / 1e3).toFixed(1)}k` : `${Math.round(n)}`);

export function throughputSvg(opts: {
  series: { label: string; color: string; points: FfResult[] }[];
  baselines: ChartBaseline[];
  subtitle: string;
}): string {
  const W = 900;
  const H = 480;
  const m = { left: 80, right: 260, top: 64, bottom: 56 };
  const pw = W - m.left - m.right;
  const ph = H - m.top - m.bottom;
  const batches = [...new Set(opts.series.flatMap((s) => s.points.map((p) => p.batch)))].sort((a, b) => a - b);
  // a little room left and right, so the end points do not sit on the axes
  const xMin = Math.log10(batches[0] ?? 100) - 0.15;
  const xMax = Math.log10(batches[batches.length - 1] ?? 10_000) + 0.15;
  const values = [...opts.series.flatMap((s) => s.points.map((p) => p.recordsPerSec)), ...opts.baselines.map((b) => b.recordsPerSec)];
  const step = niceStep(Math.max(1, ...values) * 1.08, 6);
  const yMax = Math.ceil((Math.max(1, ...values) * 1.08) / step) * step;
  const x = (batch: number) => m.left + (xMax === xMin ? pw / 2 : ((Math.log10(batch) - xMin) / (xMax - xMin)) * pw);
  const y = (v: number) => m.top + ph - (v / yMax) * ph;

  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="system-ui, -apple-system, Segoe UI, sans-serif" font-size="12">`);
  out.push(`<rect width="${W}" height="${H}" fill="#ffffff"/>`);
  out.push(`<text x="${m.left}" y="26" font-size="16" font-weight="600">Fire-and-forget throughput vs batch size (acks=0, 200-byte NDJSON lines)</text>`);
  out.push(`<text x="${m.left}" y="46" fill="#555">${esc(opts.subtitle)}</text>`);
  // grid + y axis
  for (let v = 0; v <= yMax + 1e-9; v += step) {
    out.push(`<line x1="${m.left}" x2="${m.left + pw}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${m.left - 8}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end" fill="#333">${short(v)}</text>`);
  }
  for (const b of batches) {
    out.push(`<line x1="${x(b).toFixed(1)}" x2="${x(b).toFixed(1)}" y1="${m.top}" y2="${m.top + ph}" stroke="#f0f0f0"/>`);
    out.push(`<text x="${x(b).toFixed(1)}" y="${m.top + ph + 18}" text-anchor="middle" fill="#333">${b.toLocaleString('en-US')}</text>`);
  }
  out.push(`<line x1="${m.left}" x2="${m.left + pw}" y1="${m.top + ph}" y2="${m.top + ph}" stroke="#333"/>`);
  out.push(`<line x1="${m.left}" x2="${m.left}" y1="${m.top}" y2="${m.top + ph}" stroke="#333"/>`);
  out.push(`<text x="${m.left + pw / 2}" y="${H - 14}" text-anchor="middle" fill="#333">lines per invocation (log scale)</text>`);
  out.push(`<text transform="translate(20 ${m.top + ph / 2}) rotate(-90)" text-anchor="middle" fill="#333">records / s</text>`);
  // baselines
  for (const b of opts.baselines) {
    const yy = y(b.recordsPerSec).toFixed(1);
    out.push(`<line x1="${m.left}" x2="${m.left + pw}" y1="${yy}" y2="${yy}" stroke="${b.color}" stroke-width="2" stroke-dasharray="${b.dash}"/>`);
  }
  // ours
  for (const [si, s] of opts.series.entries()) {
    const pts = [...s.points].sort((a, b) => a.batch - b.batch);
    out.push(`<polyline fill="none" stroke="${s.color}" stroke-width="2.5" points="${pts.map((p) => `${x(p.batch).toFixed(1)},${y(p.recordsPerSec).toFixed(1)}`).join(' ')}"/>`);
    for (const p of pts) {
      out.push(`<circle cx="${x(p.batch).toFixed(1)}" cy="${y(p.recordsPerSec).toFixed(1)}" r="4" fill="${s.color}"/>`);
      // first series labelled above its points, the others below, so close lines stay readable
      let dy = si === 0 ? -9 : 17;
      if (y(p.recordsPerSec) + dy > m.top + ph - 4) dy = -9; // not into the x axis labels
      out.push(`<text x="${x(p.batch).toFixed(1)}" y="${(y(p.recordsPerSec) + dy).toFixed(1)}" text-anchor="middle" fill="${s.color}">${short(p.recordsPerSec)}</text>`);
    }
  }
  // legend
  let ly = m.top + 4;
  const lx = m.left + pw + 20;
  const legend = (label: string, color: string, dash: string, marker: boolean) => {
    out.push(`<line x1="${lx}" x2="${lx + 28}" y1="${ly}" y2="${ly}" stroke="${color}" stroke-width="2.5"${dash ? ` stroke-dasharray="${dash}"` : ''}/>`);
    if (marker) out.push(`<circle cx="${lx + 14}" cy="${ly}" r="4" fill="${color}"/>`);
    out.push(`<text x="${lx + 36}" y="${ly + 4}">${esc(label)}</text>`);
    ly += 22;
  };
  for (const s of opts.series) legend(s.label, s.color, '', true);
  for (const b of opts.baselines) legend(`${b.label} ${short(b.recordsPerSec)}/s`, b.color, b.dash, false);
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
