/**
 * The import rules of lib/ (README "How it works"), enforced:
 *  - kafkajs only under lib/adapters/kafka/, @aws-sdk/* only under lib/adapters/;
 *  - lib/domain/ imports only itself (and the platform's errors and telemetry types);
 *  - only the composition roots (lib/handlers/) and the adapters themselves import lib/adapters/;
 *  - no import circles between the files of lib/ (type-only imports count too).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

const root = path.resolve(__dirname, '../..');

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = path.join(dir, f);
    return statSync(p).isDirectory() ? tsFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Every module a file names: static and dynamic imports, require, `typeof import(...)`. */
function specifiers(source: string): string[] {
  const found: string[] = [];
  const pattern = /(?:\bfrom\s+|\bimport\s*\(\s*|\bimport\s+|\brequire\s*\(\s*)(['"])([^'"]+)\1/g;
  for (const m of source.matchAll(pattern)) found.push(m[2]!);
  return found;
}

type Files = ReadonlyMap<string, string>; // repo-relative path → source

function resolveLocal(from: string, spec: string, files: Files): string | undefined {
  const base = path.posix.normalize(path.posix.join(path.posix.dirname(from), spec));
  return [`${base}.ts`, `${base}/index.ts`, base].find((c) => files.has(c));
}

function violations(files: Files): string[] {
  const problems: string[] = [];
  for (const [file, source] of files) {
    for (const spec of specifiers(source)) {
      const isKafkajs = spec === 'kafkajs' || spec.startsWith('kafkajs/');
      if (isKafkajs && !file.startsWith('lib/adapters/kafka/')) problems.push(`${file}: imports ${spec} (only lib/adapters/kafka/ may)`);
      if (spec.startsWith('@aws-sdk/') && !file.startsWith('lib/adapters/')) problems.push(`${file}: imports ${spec} (only lib/adapters/ may)`);
      if (!spec.startsWith('.')) continue;
      const target = resolveLocal(file, spec, files);
      if (!target) continue;
      if (file.startsWith('lib/domain/') && !target.startsWith('lib/domain/') && !/^lib\/platform\/(errors|telemetry)\.ts$/.test(target)) {
        problems.push(`${file}: the domain imports ${target}`);
      }
      const composes = file.startsWith('lib/handlers/') || file.startsWith('lib/adapters/') || !file.startsWith('lib/');
      if (target.startsWith('lib/adapters/') && !composes) problems.push(`${file}: imports the adapter ${target} (only lib/handlers/ wires adapters in)`);
    }
  }
  return problems.concat(circles(files));
}

/** Import circles among lib/ files, each reported once as a → b → … → a. */
function circles(files: Files): string[] {
  const edges = new Map<string, string[]>();
  for (const [file, source] of files) {
    if (!file.startsWith('lib/')) continue;
    const targets = specifiers(source)
      .filter((s) => s.startsWith('.'))
      .map((s) => resolveLocal(file, s, files))
      .filter((t): t is string => t?.startsWith('lib/') === true);
    edges.set(file, targets);
  }
  const found: string[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (file: string) => {
    state.set(file, 'open');
    stack.push(file);
    for (const next of edges.get(file) ?? []) {
      if (state.get(next) === 'open') found.push([...stack.slice(stack.indexOf(next)), next].join(' → '));
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(file, 'done');
  };
  for (const file of [...edges.keys()].sort()) if (!state.has(file)) visit(file);
  return found.map((c) => `import circle: ${c}`);
}

function repoFiles(): Files {
  const files = new Map<string, string>();
  for (const dir of ['lib', 'functions', 'bin']) {
    for (const abs of tsFiles(path.join(root, dir))) files.set(path.relative(root, abs).split(path.sep).join('/'), readFileSync(abs, 'utf8'));
  }
  return files;
}

test('lib/, functions/ and bin/ keep the import rules', () => {
  assert.deepEqual(violations(repoFiles()), []);
});

test('the rules catch a vendor client outside its adapter, a domain back-import and a circle', () => {
  const bad = new Map([
    ['lib/sinks/fast.ts', "import { Kafka } from 'kafkajs';\nimport { x } from '../adapters/kafka/client';"],
    ['lib/adapters/kafka/client.ts', "import { Kafka } from 'kafkajs';"],
    ['lib/outbox/relay.ts', "const c = require('@aws-sdk/client-dynamodb');"],
    ['lib/domain/router.ts', "import type { Sink } from '../sinks/fast';"],
    ['lib/domain/a.ts', "import { b } from './b';"],
    ['lib/domain/b.ts', "import type { a } from './a';"],
  ]);
  assert.deepEqual(violations(bad).sort(), [
    'import circle: lib/domain/a.ts → lib/domain/b.ts → lib/domain/a.ts',
    'lib/domain/router.ts: the domain imports lib/sinks/fast.ts',
    'lib/outbox/relay.ts: imports @aws-sdk/client-dynamodb (only lib/adapters/ may)',
    'lib/sinks/fast.ts: imports kafkajs (only lib/adapters/kafka/ may)',
    'lib/sinks/fast.ts: imports the adapter lib/adapters/kafka/client.ts (only lib/handlers/ wires adapters in)',
  ]);
});
