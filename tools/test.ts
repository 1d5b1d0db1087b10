/**
 * npm test: type-checks, lints, starts what the tests need (a Kafka broker, DynamoDB Local, kcat),
 * runs every test with Node's test runner, and stops what it started. Usage: see USAGE (--help).
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { startDynamoLocal } from './local-stack/dynamodb';
import { startLocalKafka } from './local-stack/kafka';
import { ensureKcat } from './local-stack/tools';
import { TEST_DYNAMODB, TEST_KAFKA } from '../test/helpers/stack';
import { parseCommandLine } from './cli-args';

const root = path.resolve(__dirname, '..');
const USAGE = `usage: npm test [-- [--unit] [file ...]]

  (no arguments)   type-check and lint, then every test under test/ (starts Kafka, DynamoDB Local, kcat)
  --unit           unit tests only (test/unit; no JVMs)
  file ...         just those test files (the stack is still started unless --unit)
  --help           this text`;

const cli = parseCommandLine({ usage: USAGE, positionals: true, options: { unit: { type: 'boolean', default: false } } });
const unitOnly = cli.values.unit;
const explicit = cli.positionals;

function testFiles(dir: string): string[] {
  return readdirSync(dir)
    .flatMap((f) => {
      const p = path.join(dir, f);
      return statSync(p).isDirectory() ? testFiles(p) : p.endsWith('.test.ts') ? [p] : [];
    })
    .sort();
}

function step(label: string) {
  process.stderr.write(`\n== ${label}\n`);
}

async function main(): Promise<number> {
  step('type-check (tsc --noEmit)');
  const tsc = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '--noEmit', '-p', root], { stdio: 'inherit' });
  if (tsc.status !== 0) return tsc.status ?? 1;
  step('lint (biome lint, biome.json)');
  const lint = spawnSync(process.execPath, [require.resolve('@biomejs/biome/bin/biome'), 'lint', '--error-on-warnings', root], { stdio: 'inherit', cwd: root });
  if (lint.status !== 0) return lint.status ?? 1;

  const files = explicit.length ? explicit : testFiles(path.join(root, 'test', unitOnly ? 'unit' : '.'));
  const stops: (() => Promise<void>)[] = [];
  try {
    if (!unitOnly) {
      step('local stack for integration tests');
      await ensureKcat();
      const kafka = await startLocalKafka({ ...TEST_KAFKA });
      if (!kafka.reused) stops.push(() => kafka.stop());
      const dynamo = await startDynamoLocal({ ...TEST_DYNAMODB });
      if (!dynamo.reused) stops.push(() => dynamo.stop());
    }
    step(`${files.length} test files`);
    const run = spawnSync(
      process.execPath,
      ['--import', 'tsx', '--test', '--test-concurrency=1', '--test-reporter=spec', ...files],
      { stdio: 'inherit', cwd: root, // The SDK is pinned to a Node 20-compatible release on purpose; its upgrade nag is noise here.
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' } },
    );
    return run.status ?? 1;
  } finally {
    if (stops.length) step('stopping the local stack');
    for (const stop of stops.reverse()) await stop().catch((err) => console.error(`stop failed: ${err}`));
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
