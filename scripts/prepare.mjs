#!/usr/bin/env node
// Makes a fresh clone runnable: checks Node, installs npm dependencies when
// the lockfile changed, builds when a source file changed, and makes sure
// HAProxy 2.6+ is installed (with apt-get when running as root, otherwise by
// printing the one command to run). Uses only Node's standard library, since
// it runs before any dependency exists.

import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { copyAssets } from './copy-assets.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const say = (message) => console.error(`[prepare] ${message}`);

function fail(message) {
  console.error(`\n${message}\n`);
  process.exit(1);
}

function checkNode() {
  const [major, minor] = process.versions.node.split('.').map(Number);
  if (major < 20 || (major === 20 && minor < 18)) {
    fail(`Portero needs Node.js 20.18 or newer (this is ${process.versions.node}). Install the current LTS from https://nodejs.org/ or your distribution.`);
  }
}

function mtime(path) {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}

function newest(path) {
  const info = statSync(path, { throwIfNoEntry: false });
  if (!info) return 0;
  if (!info.isDirectory()) return info.mtimeMs;
  return readdirSync(path).reduce((latest, name) => Math.max(latest, newest(join(path, name))), info.mtimeMs);
}

function run(command, args) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
  if (result.error) fail(`${command} could not run: ${result.error.message}`);
  if (result.status !== 0) fail(`"${command} ${args.join(' ')}" failed (exit ${result.status}).`);
}

function ensureDependencies() {
  const installed = join(root, 'node_modules', '.package-lock.json');
  if (existsSync(installed) && mtime(installed) >= mtime(join(root, 'package-lock.json'))) return;
  say('installing npm dependencies (npm ci)');
  run('npm', ['ci', '--no-audit', '--no-fund']);
}

function ensureBuild() {
  const stamp = join(root, 'dist', '.build-stamp');
  const sources = Math.max(newest(join(root, 'src')), mtime(join(root, 'tsconfig.json')), mtime(join(root, 'package-lock.json')));
  if (existsSync(stamp) && mtime(stamp) >= sources) return;
  say('building (tsc)');
  run(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json']);
  copyAssets();
  writeFileSync(stamp, new Date().toISOString());
}

function haproxyVersion(binary) {
  try {
    const output = execFileSync(binary, ['-v'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const match = /HA-?Proxy version (\d+)\.(\d+)/.exec(output);
    return match ? [Number(match[1]), Number(match[2])] : undefined;
  } catch {
    return undefined;
  }
}

/** Installs Debian packages (as root); the package lists are refreshed once if the first try fails. True when it worked. */
function aptInstall(packages) {
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = () => spawnSync('apt-get', ['install', '-y', '--no-install-recommends', ...packages], { stdio: 'inherit', env }).status === 0;
  if (install()) return true;
  spawnSync('apt-get', ['update'], { stdio: 'inherit', env });
  return install();
}

function ensureHaproxy() {
  const binary = process.env.PORTERO_HAPROXY || 'haproxy';
  let version = haproxyVersion(binary);
  if (!version && process.getuid?.() === 0 && binary === 'haproxy') {
    say('HAProxy is missing; installing it with apt-get');
    aptInstall(['haproxy']);
    version = haproxyVersion(binary);
  }
  if (!version) fail('HAProxy 2.6 or newer is required. Install it with:  sudo apt-get install -y haproxy');
  if (version[0] < 2 || (version[0] === 2 && version[1] < 6)) {
    fail(`HAProxy ${version.join('.')} is too old; Portero needs 2.6 or newer. On Debian 12 or newer: sudo apt-get install -y haproxy`);
  }
}

function commandExists(command) {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

/** The benchmark also needs wrk, nginx and valgrind from Debian. */
function ensureBenchTools() {
  const missing = [['wrk', 'wrk'], ['nginx', 'nginx-light'], ['valgrind', 'valgrind']].filter(([command]) => !commandExists(command));
  if (missing.length === 0) return;
  const packages = missing.map(([, pkg]) => pkg);
  if (process.getuid?.() === 0) {
    say(`installing ${packages.join(', ')} with apt-get`);
    if (aptInstall(packages)) return;
  }
  fail(`The benchmark needs ${packages.join(', ')}. Install with:  sudo apt-get install -y ${packages.join(' ')}`);
}

/**
 * The dashboard's browser tests and screenshots drive Debian's Chromium
 * (playwright-core never downloads a browser of its own). PORTERO_CHROMIUM
 * names another executable.
 */
function ensureChromium() {
  const binary = process.env.PORTERO_CHROMIUM || '/usr/bin/chromium';
  if (existsSync(binary)) return;
  if (process.getuid?.() === 0 && !process.env.PORTERO_CHROMIUM) {
    say('Chromium is missing (the dashboard tests drive it); installing it with apt-get');
    aptInstall(['chromium']);
    if (existsSync(binary)) return;
  }
  fail(`The dashboard tests need Chromium at ${binary}. Install it with:  sudo apt-get install -y chromium  (or set PORTERO_CHROMIUM to a Chromium executable)`);
}

checkNode();
ensureDependencies();
ensureBuild();
ensureHaproxy();
if (process.argv.includes('--bench')) ensureBenchTools();
if (process.argv.includes('--browser')) ensureChromium();
