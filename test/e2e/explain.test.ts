// `portero explain` against real HAProxy: random worlds of the invariant
// test's generator are served by a real Portero to real backends that say
// who they are, and for random requests (hosts on every level, paths with
// dot segments and escapes, HTTP and HTTPS with and without SNI) the
// explanation's answer must be what HAProxy does: the status, the Location,
// the server (one of the ready endpoints explain names) and the certificate.
// The same explanation comes out of `bin/portero explain --manifests` and,
// through /api/explain (src/explain/http.ts), of `--server`.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { explainRequest, type ExplainSetup } from '../../src/explain/explain.js';
import { handleExplainRequest } from '../../src/explain/http.js';
import type { Explanation, ExplainInput } from '../../src/explain/types.js';
import { startBackend, type Backend } from '../helpers/backends.js';
import { request } from '../helpers/http.js';
import { hintsOf } from '../helpers/invariant/boundaries.js';
import { materials } from '../helpers/invariant/certs.js';
import { expectFor, fingerprintsOf } from '../helpers/invariant/expect.js';
import { initialWorld, mutate, type GeneratorSettings } from '../helpers/invariant/generate.js';
import { MARKER_FILE, markerHost, markerObjects } from '../helpers/invariant/marker.js';
import { Rng } from '../helpers/invariant/prng.js';
import { NORMALIZATION_PATHS } from '../helpers/invariant/requests.js';
import { settingsFor, translateOptionsFor } from '../helpers/invariant/settings.js';
import { burstHosts, CONTROLLER, MATERIALS, renderWorld, type Environment } from '../helpers/invariant/world.js';
import { toYaml } from '../helpers/objects.js';
import { BIN, eventually, startPortero, type Portero } from '../helpers/portero.js';

const GENERATOR: GeneratorSettings = { servers: 12, burstSize: 4, maxBursts: 1 };
const HOSTS = ['a.test', 'b.test', 'c.test', 'w.test', 'x.w.test', 'y.w.test', 'a.b.w.test', 'z.v.test', 'v.test', 'unknown.test', 'nodots', 'A.TEST', 'Y.W.TEST', 'a.test:8080', 'a.test.'];
const PATHS = ['/', '/a', '/a/', '/a/b', '/a/b/c', '/ab', '/b', '/zz', '/a?x=1', '/A', ...NORMALIZATION_PATHS];

interface World {
  portero: Portero;
  setup: ExplainSetup;
  hosts: string[];
  serverNames: Map<string, string>;
}

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, 'explain', ...args], { env: { ...process.env, KUBECONFIG: '' }, timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof (error as { code?: unknown }).code === 'number' ? (error as { code: number }).code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** A random world (seed `seed`, `steps` mutations) served by a fresh Portero; resolves once it is applied. */
async function serveWorld(seed: number, steps: number, pool: readonly Backend[], marker: Backend): Promise<World> {
  const settings = settingsFor({ seed });
  const certs = await materials(MATERIALS);
  const env: Environment = { endpoint: (server) => ({ address: pool[server]!.address, port: pool[server]!.port }), material: (index) => certs[index]! };
  const rng = new Rng(seed);
  let world = initialWorld(rng, GENERATOR);
  const noCert = translateOptionsFor(settings, certs[0]!.cert, new Date());
  for (let step = 0; step < steps; step += 1) world = mutate(rng, world, hintsOf(expectFor(renderWorld(world, env), noCert).facts), undefined, GENERATOR).world;
  const objects = new Map<string, unknown[]>(renderWorld(world, env));
  objects.set(MARKER_FILE, markerObjects(0, 'applied', marker));
  const files = Object.fromEntries([...objects].map(([name, list]) => [name, toYaml(list as Record<string, unknown>[])]));
  const flags = [...(settings.defaultBackendService ? ['--default-backend-service', 'default/dflt:80'] : []), ...(settings.watchIngressWithoutClass ? ['--watch-ingress-without-class'] : [])];
  const portero = await startPortero({ files, flags });
  // The marker is read with the rest of the directory: once it answers, the whole world is served.
  await eventually(async () => {
    const response = await request({ port: portero.httpPort, host: markerHost(0, 'applied'), path: '/', timeoutMs: 5000 });
    assert.equal(response.headers['x-backend'], 'marker');
  }, 30_000);
  const fallback = await readFile(join(portero.stateDir, 'default-cert.pem'), 'utf8');
  const expectation = expectFor(new Map(Object.entries(files)), translateOptionsFor(settings, fallback, new Date()));
  const setup: ExplainSetup = {
    translation: expectation.translation,
    snapshot: expectation.snapshot,
    classes: { ingressClass: 'portero', controllerClass: CONTROLLER, watchIngressWithoutClass: settings.watchIngressWithoutClass },
    ports: { http: portero.httpPort, https: portero.httpsPort },
    ...(settings.defaultBackendService ? { defaultBackendService: 'default/dflt:80' } : {}),
  };
  const serverNames = new Map([...pool, marker].map((backend) => [`${backend.address}:${backend.port}`, backend.name]));
  return { portero, setup, hosts: burstHosts(world), serverNames };
}

interface Probe {
  scheme: 'http' | 'https';
  host: string;
  path: string;
  method: 'GET' | 'POST';
  /** HTTPS: 'host' (the Host's name), 'none', or another name. */
  sni: string;
}

function inputOf(world: World, probe: Probe): ExplainInput {
  const port = probe.scheme === 'http' ? world.portero.httpPort : world.portero.httpsPort;
  const name = probe.host.replace(/:\d+$/, '').replace(/\.$/, '');
  const sni = probe.scheme === 'https' ? (probe.sni === 'none' ? null : probe.sni === 'host' ? name : probe.sni) : undefined;
  return { method: probe.method, url: `${probe.scheme}://127.0.0.1:${port}${probe.path}`, headers: [['Host', probe.host]], ...(sni !== undefined ? { sni } : {}) };
}

/** Undefined when HAProxy answered as explained; else what differs. */
async function compare(world: World, probe: Probe): Promise<string | undefined> {
  const input = inputOf(world, probe);
  const explanation = explainRequest(world.setup, input);
  const response = await request({
    port: probe.scheme === 'http' ? world.portero.httpPort : world.portero.httpsPort,
    tls: probe.scheme === 'https',
    host: probe.host,
    path: probe.path,
    method: probe.method,
    ...(probe.scheme === 'https' ? { servername: input.sni ?? '' } : {}),
    timeoutMs: 10_000,
  });
  const problems: string[] = [];
  const expected = explanation.answer;
  if (expected.status === null) {
    const servers = new Set((explanation.targets[0]?.backend?.endpoints ?? []).map((endpoint) => world.serverNames.get(endpoint) ?? endpoint));
    if (response.status !== 200 || !servers.has(String(response.headers['x-backend']))) problems.push(`got ${response.status} from ${String(response.headers['x-backend'])}, explained: one of ${[...servers].join(',')}`);
  } else {
    if (response.status !== expected.status) problems.push(`got ${response.status}, explained ${expected.status}`);
    if (expected.location !== undefined && response.headers.location !== expected.location) problems.push(`Location ${String(response.headers.location)}, explained ${expected.location}`);
    if (response.headers['x-backend'] !== undefined) problems.push(`answered by backend ${String(response.headers['x-backend'])}, explained: Portero answers`);
  }
  if (probe.scheme === 'https') {
    const model = world.setup.translation.model;
    const id = explanation.tls?.certificate.id;
    const certificate = [model.defaultCertificate, ...model.certificates].find((candidate) => candidate === model.defaultCertificate ? id === 'default' : candidate.id === id);
    if (!certificate || response.certificate?.fingerprint256 !== fingerprintsOf(certificate.pem).sha256) problems.push(`certificate ${response.certificate?.subject?.CN ?? 'none'}, explained ${id}`);
  }
  return problems.length > 0 ? `${probe.method} ${probe.scheme} Host ${probe.host} ${probe.path}${probe.scheme === 'https' ? ` sni=${probe.sni}` : ''}: ${problems.join('; ')} (${explanation.decision.reason})` : undefined;
}

describe('portero explain says what HAProxy does', () => {
  const pool: Backend[] = [];
  let marker: Backend;
  const worlds: World[] = [];

  before(async () => {
    for (let index = 0; index < GENERATOR.servers; index += 1) pool.push(await startBackend(`srv${index}`));
    marker = await startBackend('marker');
  });
  after(async () => {
    for (const world of worlds) await world.portero.stop();
    await Promise.all([...pool, marker].map((backend) => backend.close()));
  });

  for (const [seed, steps] of [[5, 3], [11, 6], [23, 10]] as const) {
    test(`random requests on the world of seed ${seed} after ${steps} changes`, { timeout: 120_000 }, async () => {
      const world = await serveWorld(seed, steps, pool, marker);
      worlds.push(world);
      const hosts = [...HOSTS, ...world.hosts.slice(0, 2)];
      const probe = fc.record({
        scheme: fc.constantFrom<'http' | 'https'>('http', 'https'),
        host: fc.constantFrom(...hosts),
        path: fc.constantFrom(...PATHS),
        method: fc.constantFrom<'GET' | 'POST'>('GET', 'POST'),
        sni: fc.constantFrom('host', 'host', 'none', 'b.test', 'y.w.test'),
      });
      const statuses = new Map<string, number>();
      await fc.assert(
        fc.asyncProperty(probe, async (p) => {
          const difference = await compare(world, p);
          const status = String(explainRequest(world.setup, inputOf(world, p)).answer.status ?? 200);
          statuses.set(status, (statuses.get(status) ?? 0) + 1);
          assert.equal(difference, undefined);
        }),
        { numRuns: 150, seed },
      );
      console.log(`seed ${seed}: answers explained ${[...statuses].map(([status, count]) => `${status}×${count}`).join(' ')}`);
      assert.ok((statuses.get('200') ?? 0) > 0, 'some requests reached a backend');
    });
  }

  test('bin/portero explain --manifests gives the same explanation, and --server asks /api/explain', { timeout: 120_000 }, async () => {
    const world = worlds[0] ?? (await serveWorld(5, 3, pool, marker));
    const ports = ['--http-port', String(world.portero.httpPort), '--https-port', String(world.portero.httpsPort)];
    const flags = [...ports, ...(world.setup.defaultBackendService ? ['--default-backend-service', world.setup.defaultBackendService] : []), ...(world.setup.classes.watchIngressWithoutClass ? ['--watch-ingress-without-class'] : [])];
    const routed = { url: `http://127.0.0.1:${world.portero.httpPort}/a/b`, host: 'a.test' };
    const missing = { url: `http://127.0.0.1:${world.portero.httpPort}/zz`, host: 'unknown.test' };
    for (const { url, host } of [routed, missing]) {
      const pure = explainRequest(world.setup, { url, headers: [['Host', host]] });
      const run = await cli(['--manifests', world.portero.manifests, ...flags, '-H', `Host: ${host}`, '-o', 'json', url]);
      assert.equal(run.code, pure.decision.matched ? 0 : 1, run.stderr);
      const printed = JSON.parse(run.stdout) as Explanation;
      assert.deepEqual({ ...printed, diagnostics: [] }, { ...pure, diagnostics: [] });
      const text = await cli(['--manifests', world.portero.manifests, ...flags, '-H', `Host: ${host}`, url]);
      assert.match(text.stdout, pure.decision.matched ? /matched: / : /not matched: /);
    }

    // --server: the handler a running Portero's health port serves, on a plain server here.
    const server: Server = createServer((req, res) => {
      if (!handleExplainRequest(req, res, () => world.setup)) {
        res.writeHead(404);
        res.end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const input = { url: `https://127.0.0.1:${world.portero.httpsPort}/a`, headers: [['Host', 'a.test'], ['X-Debug', 'on']] as [string, string][], sni: 'a.test', method: 'POST' };
      const run = await cli(['--server', base, '-X', 'POST', '-H', 'Host: a.test', '-H', 'X-Debug: on', '--sni', 'a.test', '-o', 'json', input.url]);
      assert.deepEqual(JSON.parse(run.stdout), JSON.parse(JSON.stringify(explainRequest(world.setup, input))));
      const bad = await cli(['--server', base, 'ftp://nowhere/']);
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /must start with http/);
      const refused = await cli(['--server', 'http://127.0.0.1:1', 'http://a.test/']);
      assert.equal(refused.code, 2);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
