/**
 * cfn-lint, pinned, in a project-local Python venv (.local/venv), installed from PyPI on first use.
 * Usage: see USAGE (--help).
 *
 * Nothing global is touched: the venv is created with `python3 -m venv` and cfn-lint is installed
 * into it only when the pinned version is not already there, so warm runs cost only the lint itself.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseCommandLine } from './cli-args';

export const CFN_LINT_VERSION = '1.58.0';

const root = path.resolve(__dirname, '..');
const venv = path.join(root, '.local', 'venv');
const bin = (name: string) => path.join(venv, process.platform === 'win32' ? 'Scripts' : 'bin', name);

function run(cmd: string, args: string[], opts: { quiet?: boolean } = {}) {
  return spawnSync(cmd, args, { encoding: 'utf8', stdio: opts.quiet ? 'pipe' : 'inherit', cwd: root });
}

/** Written after a verified install, so warm runs need not start Python just to ask the version. */
const stamp = path.join(venv, '.cfn-lint-version');

function installedVersion(): string | undefined {
  if (!existsSync(bin('cfn-lint'))) return undefined;
  if (existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === CFN_LINT_VERSION) return CFN_LINT_VERSION;
  const r = run(bin('cfn-lint'), ['--version'], { quiet: true });
  return r.status === 0 ? /(\d+\.\d+\.\d+)/.exec(r.stdout)?.[1] : undefined;
}

/** Returns the path of the pinned cfn-lint, installing it into .local/venv if needed. */
export function ensureCfnLint(): string {
  if (installedVersion() === CFN_LINT_VERSION) {
    if (!existsSync(stamp)) writeFileSync(stamp, CFN_LINT_VERSION);
    return bin('cfn-lint');
  }
  if (!existsSync(bin('python'))) {
    const python = ['python3', 'python'].find((p) => run(p, ['--version'], { quiet: true }).status === 0);
    if (!python) throw new Error('cfn-lint needs Python 3 (python3) to create .local/venv');
    process.stderr.write(`creating ${path.relative(root, venv)} (${python} -m venv)\n`);
    const made = run(python, ['-m', 'venv', venv], { quiet: true });
    if (made.status !== 0) {
      throw new Error(`${python} -m venv failed (on Debian: apt-get install python3-venv):\n${made.stderr}`);
    }
  }
  process.stderr.write(`installing cfn-lint==${CFN_LINT_VERSION} into ${path.relative(root, venv)} (pip)\n`);
  const pip = run(bin('python'), ['-m', 'pip', 'install', '--disable-pip-version-check', '--quiet', `cfn-lint==${CFN_LINT_VERSION}`], { quiet: true });
  if (pip.status !== 0) throw new Error(`pip install cfn-lint==${CFN_LINT_VERSION} failed:\n${pip.stdout}${pip.stderr}`);
  const got = installedVersion();
  if (got !== CFN_LINT_VERSION) throw new Error(`cfn-lint ${CFN_LINT_VERSION} expected in ${venv}, found ${got ?? 'nothing'}`);
  writeFileSync(stamp, CFN_LINT_VERSION);
  return bin('cfn-lint');
}

/** The stand-alone CloudFormation templates under infra/ (not the serverless.yml fragments). */
export function infraTemplates(): string[] {
  const dir = path.join(root, 'infra');
  return readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((f) => path.join(dir, f));
}

export interface LintResult {
  status: number;
  output: string;
}

/** Runs cfn-lint on the templates; status 0 means clean (cfn-lint exits non-zero on errors and warnings). */
export function cfnLint(templates: string[], extraArgs: string[] = []): LintResult {
  const r = spawnSync(ensureCfnLint(), [...extraArgs, '--', ...templates], { encoding: 'utf8', cwd: root });
  if (r.error) throw r.error;
  return { status: r.status ?? 1, output: `${r.stdout}${r.stderr}` };
}

/**
 * What serverless itself generates for every function and HTTP route trips W3005 (a DependsOn that
 * a Ref / GetAtt already implies): harmless, and not ours to change. Everything else must be clean.
 */
export const PACKAGED_TEMPLATE_IGNORES = ['--ignore-checks', 'W3005'];

const USAGE = `usage: npm run cfn-lint [-- <template> ...]

  (no arguments)   lint infra/*.yml and the packaged template (.serverless/, from npm run package)
  <template> ...   lint just those
  --help           this text

cfn-lint ${CFN_LINT_VERSION} runs from .local/venv (created, and cfn-lint installed from PyPI, on first use).`;

if (require.main === module) {
  const args = parseCommandLine({ usage: USAGE, positionals: true, options: {} }).positionals;
  const packaged = path.join(root, '.serverless', 'cloudformation-template-update-stack.json');
  const runs: [string[], string[]][] = args.length
    ? [[args, []]]
    : [[infraTemplates(), []], ...(existsSync(packaged) ? [[[packaged], PACKAGED_TEMPLATE_IGNORES] as [string[], string[]]] : [])];
  if (!args.length && !existsSync(packaged)) console.log('no packaged template (.serverless/): run `npm run package` to lint it too');
  try {
    let failed = false;
    for (const [templates, extra] of runs) {
      const { status, output } = cfnLint(templates, extra);
      process.stdout.write(output);
      const names = templates.map((t) => path.relative(root, t)).join(', ');
      console.log(status === 0 ? `cfn-lint ${CFN_LINT_VERSION}: clean: ${names}` : `cfn-lint ${CFN_LINT_VERSION}: problems in ${names}`);
      failed ||= status !== 0;
    }
    process.exit(failed ? 1 : 0);
  } catch (err) {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  }
}
