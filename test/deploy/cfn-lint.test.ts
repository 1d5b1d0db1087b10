/**
 * cfn-lint (pinned, installed from PyPI into .local/venv by tools/cfn-lint.ts on first use) on
 * every template in infra/ and on the template `serverless package` generates.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { cfnLint, CFN_LINT_VERSION, ensureCfnLint, infraTemplates, PACKAGED_TEMPLATE_IGNORES } from '../../tools/cfn-lint';
import { packaged, root } from './helpers';

test(`cfn-lint ${CFN_LINT_VERSION} is installed (or installs) into .local/venv`, { timeout: 600_000 }, () => {
  const t0 = Date.now();
  assert.ok(ensureCfnLint().startsWith(path.join(root, '.local', 'venv')));
  console.log(`# cfn-lint ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
});

test('cfn-lint passes on every template in infra/', { timeout: 600_000 }, () => {
  const templates = infraTemplates();
  assert.deepEqual(templates.map((t) => path.basename(t)), ['msk.yml', 'network.yml']);
  const { status, output } = cfnLint(templates);
  assert.equal(status, 0, output);
});

test('cfn-lint passes on the packaged serverless template', { timeout: 600_000 }, async () => {
  const pkg = await packaged();
  // Only W3005 is ignored, in what serverless itself generates (see PACKAGED_TEMPLATE_IGNORES).
  const { status, output } = cfnLint([pkg.templatePath], PACKAGED_TEMPLATE_IGNORES);
  assert.equal(status, 0, output);
});
