/**
 * npm run package: esbuild bundles (tools/build.ts) + `serverless package` → .serverless/
 * (CloudFormation template + one zip per function). Needs no AWS credentials.
 * npm run deploy: the same bundles + `serverless deploy` (AWS credentials of the target account).
 *
 * Usage: see USAGE (--help).
 *
 * serverless.yml may declare functions whose source (functions/<name>.ts) is not in this tree yet;
 * packaging refuses that unless --allow-missing is given, which packages a placeholder that fails
 * every invocation with a clear message (for offline validation only; deploy never accepts it).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { buildAll, printSizes, sourceFunctions, type BundleInfo } from './build';
import { parseCommandLine } from './cli-args';

const root = path.resolve(__dirname, '..');

/** Bundle names serverless.yml expects (handler: dist/<name>/index.handler). */
export function declaredBundles(): string[] {
  const yml = readFileSync(path.join(root, 'serverless.yml'), 'utf8');
  return [...yml.matchAll(/^\s*handler:\s*dist\/([\w-]+)\/index\.handler\s*$/gm)].map((m) => m[1]!).sort();
}

const PLACEHOLDER = (fn: string) => `"use strict";
// Placeholder written by tools/package.ts --allow-missing: functions/${fn}.ts did not exist when this was packaged.
exports.handler = async () => { throw new Error("edge-forwarder: functions/${fn}.ts was not built into this package (placeholder)"); };
`;

export interface PackageResult {
  bundles: BundleInfo[];
  placeholders: string[];
  status: number;
  output: string;
}

/** Builds, fills in placeholders if allowed, and runs serverless with `command` and `args`. */
export function runServerless(
  command: 'package' | 'deploy',
  args: string[],
  opts: { allowMissing: boolean; bundles: BundleInfo[]; quiet?: boolean },
): PackageResult {
  const missing = declaredBundles().filter((fn) => !sourceFunctions().includes(fn));
  if (missing.length && (!opts.allowMissing || command === 'deploy')) {
    const msg =
      `serverless.yml declares functions without a source in functions/: ${missing.join(', ')}. ` +
      (command === 'deploy' ? 'Deploy needs them all.' : 'Pass --allow-missing to package placeholders for offline validation.');
    return { bundles: opts.bundles, placeholders: [], status: 1, output: msg };
  }
  for (const fn of missing) {
    mkdirSync(path.join(root, 'dist', fn), { recursive: true });
    writeFileSync(path.join(root, 'dist', fn, 'index.js'), PLACEHOLDER(fn));
  }
  const bin = require.resolve('osls/bin/serverless.js');
  const r = spawnSync(process.execPath, [bin, command, ...args], {
    cwd: root,
    encoding: 'utf8',
    stdio: opts.quiet ? 'pipe' : ['inherit', 'inherit', 'inherit'],
    env: { ...process.env, SLS_NOTIFICATIONS_MODE: 'off' },
  });
  return { bundles: opts.bundles, placeholders: missing, status: r.status ?? 1, output: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

const USAGE = `usage: npm run package -- [--stage dev] [--region eu-west-1] [--param="name=value" ...] [--package <dir>] [--allow-missing] [-- <serverless option> ...]
       npm run deploy  -- --stage prod [--region eu-west-1] [--param="name=value" ...] [-- <serverless option> ...]

  --stage, --region, --param, --package   passed to serverless package / deploy
  --allow-missing   package placeholders for functions serverless.yml declares without a source
                    (offline validation only; deploy refuses it)
  --deploy          serverless deploy instead of package (what npm run deploy passes)
  -- ...            everything after a second \`--\` goes to serverless as given (e.g. -- --verbose)
  --help            this text`;

if (require.main === module) {
  const cli = parseCommandLine({
    usage: USAGE,
    passThrough: true,
    options: {
      deploy: { type: 'boolean', default: false },
      'allow-missing': { type: 'boolean', default: false },
      stage: { type: 'string' },
      region: { type: 'string' },
      param: { type: 'string', multiple: true },
      package: { type: 'string' },
    },
  });
  const { deploy, 'allow-missing': allowMissing, stage, region, param = [], package: packageDir } = cli.values;
  const args = [
    ...(stage === undefined ? [] : ['--stage', stage]),
    ...(region === undefined ? [] : ['--region', region]),
    ...param.map((p) => `--param=${p}`),
    ...(packageDir === undefined ? [] : ['--package', packageDir]),
    ...cli.passThrough,
  ];
  buildAll()
    .then((bundles) => {
      printSizes(bundles);
      const result = runServerless(deploy ? 'deploy' : 'package', args, { allowMissing, bundles });
      if (result.placeholders.length) console.warn(`WARNING: placeholder bundles (no source yet): ${result.placeholders.join(', ')}`);
      if (result.output) console.error(result.output);
      process.exit(result.status);
    })
    .catch((err) => {
      console.error(err);
      process.exit(1);
    });
}
