#!/usr/bin/env node
// Runs the test suite: type-checks src/ and test/, then runs every
// test/**/*.test.ts with Node's test runner (TypeScript loaded through tsx).
// `node scripts/test.mjs unit` or `... e2e` runs one group; extra arguments
// that end in .ts select files.

import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const groups = args.filter((arg) => !arg.endsWith('.ts'));
const explicit = args.filter((arg) => arg.endsWith('.ts'));

function find(directory) {
  const out = [];
  for (const name of readdirSync(directory)) {
    const path = join(directory, name);
    if (statSync(path).isDirectory()) out.push(...find(path));
    else if (name.endsWith('.test.ts')) out.push(relative(root, path));
  }
  return out.sort();
}

const files = explicit.length > 0 ? explicit : (groups.length > 0 ? groups : ['unit', 'e2e']).flatMap((group) => find(join(root, 'test', group)));

const typecheck = spawnSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.test.json'], { cwd: root, stdio: 'inherit' });
if (typecheck.status !== 0) {
  console.error('type check failed');
  process.exit(1);
}

const concurrency = process.env.TEST_CONCURRENCY ?? '2';
const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec', ...files], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, NODE_OPTIONS: '' },
});
process.exit(result.status ?? 1);
