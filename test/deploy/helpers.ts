/**
 * Shared by test/deploy: `serverless package` once per distinct input. Its output is serverless'
 * own .serverless/ (gitignored; serverless wipes and rewrites that directory on every package, so
 * it cannot hold anything else), stamped with a hash of the inputs: serverless.yml, infra/, the
 * lockfile, the bundles and the params below. A warm run rebuilds the bundles, finds the same
 * hash and reuses the template. A lock (in .local/) keeps parallel test files from packaging at once.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { buildAll, type BundleInfo } from '../../tools/build';
import { declaredBundles, runServerless } from '../../tools/package';

export const root = path.resolve(__dirname, '..', '..');
const cacheRoot = path.join(root, '.serverless');

/** What the test package is rendered with: a CI stage, log groups to subscribe, the default imports for MSK. */
export const TEST_STAGE = 'ci';
export const TEST_LOG_GROUPS = ['/ecs/game-server', '/aws/lambda/matchmaker'];
const ARGS = ['--stage', TEST_STAGE, '--region', 'eu-west-1', `--param=cloudWatchLogGroups=${TEST_LOG_GROUPS.join(',')}`];

export interface CfnResource {
  Type: string;
  Properties?: Record<string, any>;
  DependsOn?: string | string[];
  Condition?: string;
}
export interface CfnTemplate {
  Resources: Record<string, CfnResource>;
  Outputs?: Record<string, any>;
  Parameters?: Record<string, any>;
  Conditions?: Record<string, any>;
}

export interface Packaged {
  dir: string;
  templatePath: string;
  template: CfnTemplate;
  /** Functions serverless.yml declares whose source did not exist: packaged as placeholders. */
  placeholders: string[];
  bundles: BundleInfo[];
  cached: boolean;
  seconds: number;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir)
    .flatMap((f) => {
      const p = path.join(dir, f);
      return statSync(p).isDirectory() ? filesUnder(p) : [p];
    })
    .sort();
}

function inputHash(bundles: string[]): string {
  const h = createHash('sha256');
  const add = (file: string) => h.update(path.relative(root, file)).update('\0').update(readFileSync(file)).update('\0');
  add(path.join(root, 'serverless.yml'));
  add(path.join(root, 'package-lock.json'));
  for (const f of filesUnder(path.join(root, 'infra'))) add(f);
  // Read by serverless.yml (table shape) and infra/serverless/topics.js (tier topic settings).
  add(path.join(root, 'lib', 'adapters', 'outbox', 'table.json'));
  add(path.join(root, 'lib', 'domain', 'tiers.ts'));
  add(path.join(root, 'lib', 'domain', 'routes.ts'));
  for (const fn of bundles) {
    const file = path.join(root, 'dist', fn, 'index.js');
    if (existsSync(file)) add(file);
    else h.update(`missing:${fn}`);
  }
  h.update(JSON.stringify(ARGS));
  return h.digest('hex').slice(0, 16);
}

async function withLock<T>(fn: () => Promise<T>): Promise<T> {
  const lock = path.join(root, '.local', 'deploy-test.lock');
  mkdirSync(path.dirname(lock), { recursive: true });
  const started = Date.now();
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      // A lock older than 5 minutes belongs to a run that died.
      if (existsSync(lock) && Date.now() - statSync(lock).mtimeMs > 300_000) rmSync(lock, { recursive: true, force: true });
      if (Date.now() - started > 600_000) throw new Error(`waited 10 minutes for ${lock}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

let memo: Promise<Packaged> | undefined;

/** Builds the bundles and runs `serverless package` (or reuses the cached output for the same inputs). */
export function packaged(): Promise<Packaged> {
  return (memo ??= withLock(async () => {
    const t0 = Date.now();
    const bundles = await buildAll();
    const declared = declaredBundles();
    const built = new Set(bundles.map((b) => b.fn));
    const placeholders = declared.filter((fn) => !built.has(fn));
    const hash = inputHash(declared.filter((fn) => built.has(fn)).concat(placeholders.map((p) => `placeholder:${p}`)));
    const dir = cacheRoot;
    const stamp = path.join(dir, 'edge-forwarder-test-inputs.sha256');
    const templatePath = path.join(dir, 'cloudformation-template-update-stack.json');
    const cached = existsSync(templatePath) && existsSync(stamp) && readFileSync(stamp, 'utf8') === hash;
    if (!cached) {
      rmSync(stamp, { force: true });
      const result = runServerless('package', ARGS, { allowMissing: true, bundles, quiet: true });
      if (result.status !== 0 || !existsSync(templatePath)) throw new Error(`serverless package failed (exit ${result.status}):\n${result.output}`);
      writeFileSync(stamp, hash);
    }
    const template = JSON.parse(readFileSync(templatePath, 'utf8')) as CfnTemplate;
    return { dir, templatePath, template, placeholders, bundles, cached, seconds: (Date.now() - t0) / 1000 };
  }));
}

/** Resources of one type, by logical id. */
export function resourcesOfType(t: CfnTemplate, type: string): [string, CfnResource][] {
  return Object.entries(t.Resources).filter(([, r]) => r.Type === type);
}

/** File names in a zip archive (its central directory), no dependency needed. */
export function zipEntries(file: string): string[] {
  const buf = readFileSync(file);
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 65_557); i--) {
    if (buf.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error(`${file}: not a zip archive`);
  const count = buf.readUInt16LE(eocd + 10);
  let p = buf.readUInt32LE(eocd + 16);
  const names: string[] = [];
  for (let n = 0; n < count; n++) {
    if (buf.readUInt32LE(p) !== 0x02014b50) throw new Error(`${file}: bad central directory`);
    const nameLen = buf.readUInt16LE(p + 28);
    const extraLen = buf.readUInt16LE(p + 30);
    const commentLen = buf.readUInt16LE(p + 32);
    names.push(buf.toString('utf8', p + 46, p + 46 + nameLen));
    p += 46 + nameLen + extraLen + commentLen;
  }
  return names;
}

/** Every IAM policy statement in the template (inline role policies, managed and plain policies), with where it is. */
export function iamStatements(t: CfnTemplate): { where: string; statement: Record<string, any> }[] {
  const out: { where: string; statement: Record<string, any> }[] = [];
  const collect = (where: string, doc: any) => {
    const list = Array.isArray(doc?.Statement) ? doc.Statement : doc?.Statement ? [doc.Statement] : [];
    for (const s of list) {
      // A statement guarded by a condition: Fn::If [cond, statement, AWS::NoValue]; check both branches.
      if (s && typeof s === 'object' && 'Fn::If' in s) {
        for (const branch of (s['Fn::If'] as unknown[]).slice(1)) {
          if (branch && typeof branch === 'object' && !('Ref' in branch)) out.push({ where, statement: branch as Record<string, any> });
        }
      } else out.push({ where, statement: s });
    }
  };
  for (const [id, r] of Object.entries(t.Resources)) {
    if (r.Type === 'AWS::IAM::Role') {
      for (const p of r.Properties?.Policies ?? []) collect(`${id}/${p.PolicyName}`, p.PolicyDocument);
    } else if (r.Type === 'AWS::IAM::Policy' || r.Type === 'AWS::IAM::ManagedPolicy') {
      collect(id, r.Properties?.PolicyDocument);
    }
  }
  return out;
}

export const asList = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
