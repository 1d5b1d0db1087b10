/**
 * clients/node is a separate package: it may import only Node built-ins and its own files, has no
 * dependencies, and its package.json points at what a build of src/ produces.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { CLIENT_VERSION } from '../../../clients/node/src/version';

const root = path.resolve(__dirname, '../../../clients/node');
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as Record<string, unknown>;

test('the client source imports only node: built-ins and files inside clients/node/src', () => {
  const srcDir = path.join(root, 'src');
  const problems: string[] = [];
  for (const file of readdirSync(srcDir).filter((f) => f.endsWith('.ts'))) {
    const source = readFileSync(path.join(srcDir, file), 'utf8');
    for (const m of source.matchAll(/\bfrom\s+['"]([^'"]+)['"]|\brequire\(\s*['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]/g)) {
      const spec = m[1] ?? m[2] ?? m[3]!;
      const inside = spec.startsWith('./') && !spec.includes('..');
      if (!spec.startsWith('node:') && !inside) problems.push(`${file}: ${spec}`);
    }
  }
  assert.deepEqual(problems, []);
});

test('package.json: publishable name, no runtime dependencies, main/types at the build of src/index.ts, version as sent', () => {
  assert.equal(pkg.name, '@edge-forwarder/client');
  assert.equal(pkg.private, undefined);
  assert.equal(pkg.dependencies, undefined);
  assert.equal(pkg.main, './dist/index.js');
  assert.equal(pkg.types, './dist/index.d.ts');
  assert.equal(pkg.version, CLIENT_VERSION);
  const build = JSON.parse(readFileSync(path.join(root, 'tsconfig.build.json'), 'utf8')) as { compilerOptions: { rootDir: string; outDir: string } };
  assert.deepEqual([build.compilerOptions.rootDir, build.compilerOptions.outDir], ['src', 'dist']);
  assert.ok(readdirSync(path.join(root, 'src')).includes('index.ts'));
});
