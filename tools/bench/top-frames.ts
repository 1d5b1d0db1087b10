/**
 * Top frames of a V8 CPU profile (node --cpu-prof), by self time and by inclusive time, for
 * reading where a benchmark spends its CPU. Usage: see USAGE (--help).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseCommandLine } from '../cli-args';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

function frameName(n: ProfileNode): string {
  const { functionName, url, lineNumber } = n.callFrame;
  if (!url) return functionName || '(anonymous)';
  const file = url.replace(/^file:\/\//, '');
  const short = file.includes('node_modules/') ? file.slice(file.lastIndexOf('node_modules/') + 13) : path.relative(process.cwd(), file);
  return `${functionName || '(anonymous)'}  ${short}:${lineNumber + 1}`;
}

export function topFrames(profile: Profile, top: number): string {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => {
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  const self = new Map<string, number>();
  const total = new Map<string, number>();
  let busy = 0;
  for (const [id, us] of selfUs) {
    const node = byId.get(id)!;
    const name = frameName(node);
    if (name === '(idle)' || name === '(program)') continue;
    busy += us;
    self.set(name, (self.get(name) ?? 0) + us);
    // inclusive: every distinct frame on the stack gets the sample once
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const f = frameName(byId.get(cur)!);
      if (!seen.has(f)) total.set(f, (total.get(f) ?? 0) + us);
      seen.add(f);
    }
  }
  const fmt = (m: Map<string, number>) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([f, us]) => `  ${((100 * us) / busy).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(7)} ms  ${f}`)
      .join('\n');
  return `busy CPU ${(busy / 1000).toFixed(0)} ms (idle excluded)\n\nself time:\n${fmt(self)}\n\ninclusive time:\n${fmt(total)}\n`;
}

const USAGE = `usage: npx tsx tools/bench/top-frames.ts <file.cpuprofile> ... [--top 25]

  --top N   frames listed per table (default 25)
  --help    this text

Profiles come from node --cpu-prof, e.g.:
  node --cpu-prof --cpu-prof-dir=bench-results/prof --import tsx tools/bench.ts --quick --only throughput`;

if (require.main === module) {
  const cli = parseCommandLine({ usage: USAGE, positionals: true, options: { top: { type: 'string', default: '25' } } });
  const top = cli.integer('top', { min: 1 });
  if (!cli.positionals.length) cli.fail('name at least one .cpuprofile file');
  for (const file of cli.positionals) process.stdout.write(`${file}\n${topFrames(JSON.parse(readFileSync(file, 'utf8')) as Profile, top)}\n`);
}
