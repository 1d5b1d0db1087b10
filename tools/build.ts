/**
 * npm run build: one minified esbuild bundle per function (dist/<function>/index.js + source map),
 * targeting node20 so bundles run on the local Node 20 and on Lambda's nodejs22.x alike. Prints
 * each bundle's size. The functions are whatever functions/*.ts exist (serverless.yml may declare
 * more; tools/package.ts deals with those).
 */
import { build, type Plugin } from 'esbuild';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseCommandLine } from './cli-args';
import { KAFKAJS_RECORD_MODULE } from '../lib/adapters/kafka/fast-record';

const root = path.resolve(__dirname, '..');

/**
 * Loaded at run time (lazy `await import`), not bundled: the AWS SDK clients ship with the Lambda
 * Node.js runtime and are needed at most once per container, in some configurations only (MSK
 * bootstrap lookup, Secrets Manager, SSM tenants). The MSK IAM signer is NOT in the runtime and is
 * left out all the same, as it always was: a Lambda never takes its branch (lib/adapters/kafka/security.ts).
 */
export const RUNTIME_PACKAGES = ['@aws-sdk/client-kafka', '@aws-sdk/client-secrets-manager', '@aws-sdk/client-ssm', 'aws-msk-iam-sasl-signer-js'];

/**
 * kafkajs's per-record encoder is replaced by lib/adapters/kafka/fast-record.ts (same bytes, one buffer per
 * record instead of one per record and per header); outside bundles lib/adapters/kafka/fast-record-install.ts
 * does the same through Node's module cache. Both replace KAFKAJS_RECORD_MODULE: here every import that
 * resolves to its file, whatever relative path kafkajs spells it with.
 */
const kafkajsFastRecord: Plugin = {
  name: 'kafkajs-fast-record',
  setup(b) {
    const replaced = require.resolve(KAFKAJS_RECORD_MODULE, { paths: [root] });
    const lastSegment = new RegExp(`(^|/)${path.posix.basename(KAFKAJS_RECORD_MODULE)}$`);
    b.onResolve({ filter: lastSegment }, (args) =>
      resolvesTo(args.path, args.resolveDir) === replaced ? { path: KAFKAJS_RECORD_MODULE, namespace: 'fast-record' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'fast-record' }, () => ({
      contents: "module.exports = require('./lib/adapters/kafka/fast-record').encodeRecord;",
      loader: 'js',
      resolveDir: root,
    }));
  },
};

function resolvesTo(spec: string, fromDir: string): string | undefined {
  try {
    return require.resolve(spec.startsWith('.') ? path.resolve(fromDir, spec) : spec, { paths: [fromDir] });
  } catch {
    return undefined;
  }
}

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
  /** What the bundle is made of: bytes of output per input (repo-relative path, or namespace:path for a plugin's module). */
  inputs: Record<string, number>;
}

/** Builds every function's bundle; returns their sizes. */
export async function buildAll(opts: { functions?: string[] } = {}): Promise<BundleInfo[]> {
  const out: BundleInfo[] = [];
  for (const fn of opts.functions ?? sourceFunctions()) {
    const outfile = path.join(root, 'dist', fn, 'index.js');
    const { metafile } = await build({
      absWorkingDir: root,
      metafile: true,
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
      external: RUNTIME_PACKAGES,
      // Their `await import()` becomes require(): Lambda's SDK is found through NODE_PATH, which
      // require() searches by Node's own rules, import() only thanks to a patch in Lambda's runtime.
      supported: { 'dynamic-import': false },
      plugins: [kafkajsFastRecord],
    });
    const file = path.relative(root, outfile).split(path.sep).join('/'); // the metafile's spelling
    const inputs = Object.fromEntries(Object.entries(metafile.outputs[file]!.inputs).map(([input, { bytesInOutput }]) => [input, bytesInOutput]));
    out.push({ fn, file, bytes: statSync(outfile).size, mapBytes: statSync(`${outfile}.map`).size, inputs });
  }
  return out;
}

export function printSizes(bundles: BundleInfo[]): void {
  const width = Math.max(...bundles.map((b) => b.fn.length));
  const kb = (n: number) => `${(n / 1024).toFixed(0)} KB`;
  for (const b of bundles) console.log(`${b.fn.padEnd(width)}  ${kb(b.bytes).padStart(8)}  ${b.file}  (map ${kb(b.mapBytes)})`);
}

const USAGE = `usage: npm run build

One minified esbuild bundle per functions/<name>.ts: dist/<name>/index.js + source map; prints
their sizes. Takes no arguments.`;

if (require.main === module) {
  parseCommandLine({ usage: USAGE, options: {} });
  buildAll().then(printSizes, (err) => {
    console.error(err);
    process.exit(1);
  });
}
