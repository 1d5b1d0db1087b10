/**
 * npm test: type-checks, starts what the tests need (a Kafka broker, DynamoDB Local, kcat),
 * runs every test with Node's test runner, and stops what it started.
 *   npm test                 everything
 *   npm test -- --unit       unit tests only (no JVMs)
 *   npm test -- <file...>    just those files (the stack is still started)
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { startDynamoLocal } from './local-stack/dynamodb';
import { startLocalKafka } from './local-stack/kafka';
import { ensureKcat } from './local-stack/tools';
import { TEST_DYNAMODB, TEST_KAFKA } from '../test/helpers/stack';

const root = path.resolve(__dirname, '..');
const args = process.argv.slice(2);
const unitOnly = args.includes('--unit');
const explicit = args.filter((a) => !a.startsWith('--'));

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
