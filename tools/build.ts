/**
 * npm run build: one minified esbuild bundle per function (dist/<function>/index.js + source map),
 * targeting node20 so bundles run on the local Node 20 and on Lambda's nodejs22.x alike. Prints
 * each bundle's size. The functions are whatever functions/*.ts exist (serverless.yml may declare
 * more; tools/package.ts deals with those).
 */
import { build, type Plugin } from 'esbuild';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(__dirname, '..');

/**
 * kafkajs's per-record encoder is replaced by lib/adapters/kafka/fast-record.ts (same bytes, one buffer per
 * record instead of one per record and per header); outside bundles lib/adapters/kafka/fast-record-install.ts
 * does the same through Node's module cache.
 */
const kafkajsFastRecord: Plugin = {
  name: 'kafkajs-fast-record',
  setup(b) {
    b.onResolve({ filter: /recordBatch[\\/]record[\\/]v0$/ }, (args) =>
      /[\\/]kafkajs[\\/]/.test(args.importer) ? { path: 'kafkajs-record-v0', namespace: 'fast-record' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'fast-record' }, () => ({
      contents: "module.exports = require('./lib/adapters/kafka/fast-record').encodeRecord;",
      loader: 'js',
      resolveDir: root,
    }));
  },
};

/** Function names (functions/<name>.ts) present in the working tree. */
export function sourceFunctions(): string[] {
  return readdirSync(path.join(root, 'functions'))
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
    .map((f) => f.replace(/\.ts$/, ''))
    .sort();
}

export interface BundleInfo {
  fn: string;
  file: string;
  bytes: number;
  mapBytes: number;
}

/** Builds every function's bundle; returns their sizes. */
export async function buildAll(opts: { functions?: string[] } = {}): Promise<BundleInfo[]> {
  const out: BundleInfo[] = [];
  for (const fn of opts.functions ?? sourceFunctions()) {
    const outfile = path.join(root, 'dist', fn, 'index.js');
    await build({
      entryPoints: [path.join(root, 'functions', `${fn}.ts`)],
      outfile,
      bundle: true,
      minify: true,
      sourcemap: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      legalComments: 'none',
      logLevel: 'warning',
      plugins: [kafkajsFastRecord],
    });
    out.push({ fn, file: path.relative(root, outfile), bytes: statSync(outfile).size, mapBytes: statSync(`${outfile}.map`).size });
  }
  return out;
}

export function printSizes(bundles: BundleInfo[]): void {
  const width = Math.max(...bundles.map((b) => b.fn.length));
  const kb = (n: number) => `${(n / 1024).toFixed(0)} KB`;
  for (const b of bundles) console.log(`${b.fn.padEnd(width)}  ${kb(b.bytes).padStart(8)}  ${b.file}  (map ${kb(b.mapBytes)})`);
}

if (require.main === module) {
  buildAll().then(printSizes, (err) => {
    console.error(err);
    process.exit(1);
  });
}
