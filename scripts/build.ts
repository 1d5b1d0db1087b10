/**
 * npm run build: one minified esbuild bundle per function (dist/<function>/index.js + source map),
 * targeting node20 so bundles run on the local Node 20 and on Lambda's nodejs22.x alike.
 */
import { build } from 'esbuild';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(__dirname, '..');
const functions = readdirSync(path.join(root, 'functions'))
  .filter((f) => f.endsWith('.ts'))
  .map((f) => f.replace(/\.ts$/, ''));

async function main() {
  const rows: [string, string][] = [];
  for (const fn of functions) {
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
    });
    rows.push([fn, `${(statSync(outfile).size / 1024).toFixed(0)} KB`]);
  }
  const width = Math.max(...rows.map(([fn]) => fn.length));
  for (const [fn, size] of rows) console.log(`${fn.padEnd(width)}  ${size.padStart(8)}  dist/${fn}/index.js`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
