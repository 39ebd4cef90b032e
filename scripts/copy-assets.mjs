#!/usr/bin/env node
// tsc compiles only TypeScript: every other file under src/ (the
// dashboard's page, script and style) is copied to the same place under
// dist/, so the built package serves them. Run after tsc by npm run build,
// scripts/prepare.mjs and the Dockerfile. Standard library only.

import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

export function copyAssets(from = join(root, 'src'), to = join(root, 'dist')) {
  const copied = [];
  const walk = (directory) => {
    for (const entry of readdirSync(directory, { withFileTypes: true })) {
      const path = join(directory, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (!entry.name.endsWith('.ts')) {
        const target = join(to, relative(from, path));
        mkdirSync(dirname(target), { recursive: true });
        copyFileSync(path, target);
        copied.push(target);
      }
    }
  };
  walk(from);
  return copied;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) copyAssets();
