// Gateway listener ports: which listeners a port refuses (PortUnavailable,
// ProtocolConflict) and their status; the scopes that keep the routes of one
// port apart from another's; the frontends the data plane plans for them;
// and HAProxy accepting the rendered configuration.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { writeDirectoryAtomic, writeFileAtomic } from '../../src/dataplane/haproxy/files.js';
import { frontendPlans } from '../../src/dataplane/haproxy/frontends.js';
import { renderConfig } from '../../src/dataplane/haproxy/render-config.js';
import { renderFiles } from '../../src/dataplane/haproxy/render-files.js';
import { unbindableSockets } from '../../src/dataplane/haproxy/sockets.js';
import { BackendNames, misfit, structureFor } from '../../src/dataplane/haproxy/structure.js';
import { scopeId, splitLevelHost, type Model, type Scope } from '../../src/model/model.js';
import { attachGateways, type PortSettings } from '../../src/translate/gateway/index.js';
import { gatewayLevels } from '../../src/translate/gateway/levels.js';
import { generateSelfSigned } from '../../src/tls/default-certificate.js';
import { inspectKeyPair } from '../../src/tls/inspect.js';
import { freePorts } from '../helpers/portero.js';
import { conformanceBase, gateway, httpRoute, parentRef, statusReason, type ListenerSpec } from '../helpers/gateway.js';

const run = promisify(execFile);
const certificate = await generateSelfSigned('ports', ['*.example.com'], 30);
const base = conformanceBase({ crt: certificate.cert, key: certificate.key });
const ports: PortSettings = { http: 8080, https: 8443, reserved: [{ port: 10254, flag: '--health-port' }, { port: 9101, flag: '--haproxy-metrics-port' }] };
const cert = [{ name: 'tls-validity-checks-certificate' }];

function attach(gateways: { name: string; listeners: ListenerSpec[]; addresses?: { value: string }[] }[], routes = [] as ReturnType<typeof httpRoute>[]) {
  return attachGateways({ ...base, gateways: gateways.map((spec) => gateway(spec)), httpRoutes: routes }, { ports });
}

function listenerStatus(result: ReturnType<typeof attach>, gatewayName: string, listenerName: string) {
  const status = result.gateways.find((entry) => entry.gateway.metadata.name === gatewayName)!.status;
  return status.listeners.find((entry) => entry.name === listenerName)!;
}

describe('listener ports: status', () => {
  test("a port of Portero's own, or 80 and 443 with the other protocol: Accepted False, PortUnavailable, and not served; the others are", () => {
    const result = attach([
      {
        name: 'gw',
        listeners: [
          { name: 'health', port: 10254 },
          { name: 'metrics', port: 9101 },
          { name: 'http-port', port: 8080 },
          { name: 'https-port', port: 8443, protocol: 'HTTPS', certificateRefs: cert },
          { name: 'http-on-443', port: 443 },
          { name: 'https-on-80', port: 80, protocol: 'HTTPS', certificateRefs: cert },
          { name: 'alt', port: 9000 },
          { name: 'tls-alt', port: 9443, protocol: 'HTTPS', certificateRefs: cert },
        ],
      },
    ]);
    for (const name of ['health', 'metrics', 'http-port', 'https-port', 'http-on-443', 'https-on-80']) {
      const status = listenerStatus(result, 'gw', name);
      assert.equal(statusReason(status.conditions, 'Accepted'), 'False/PortUnavailable', name);
      assert.equal(statusReason(status.conditions, 'Programmed'), 'False/Invalid', name);
      assert.equal(statusReason(status.conditions, 'Conflicted'), 'False/NoConflicts', name);
    }
    assert.match(JSON.stringify(listenerStatus(result, 'gw', 'health').conditions), /port 10254 is Portero's own \(--health-port\)/);
    for (const name of ['alt', 'tls-alt']) assert.equal(statusReason(listenerStatus(result, 'gw', name).conditions, 'Programmed'), 'True/Programmed', name);
    assert.equal(statusReason(result.gateways[0]!.status.conditions, 'Accepted'), 'True/ListenersNotValid');
    assert.deepEqual(result.listeners.map((listener) => `${listener.name} ${listener.port}`), ['alt 9000', 'tls-alt 9443']);
    assert.ok(result.diagnostics.some((diagnostic) => diagnostic.field === 'spec.listeners[0]' && /--health-port/.test(diagnostic.message)));
  });

  test('without port settings (portero check), only 80 and 443 with the other protocol are refused', () => {
    const result = attachGateways({ ...base, gateways: [gateway({ name: 'gw', listeners: [{ name: 'alt', port: 8080 }, { name: 'http-on-443', port: 443 }] })] });
    assert.equal(statusReason(listenerStatus(result, 'gw', 'alt').conditions, 'Accepted'), 'True/Accepted');
    assert.equal(statusReason(listenerStatus(result, 'gw', 'http-on-443').conditions, 'Accepted'), 'False/PortUnavailable');
  });

  test('sockets the data plane cannot bind make their listeners PortUnavailable, by address and bound port', () => {
    const unbindableSockets = new Map([['|9000', 'another program uses it'], ['127.0.0.11|8080', 'EACCES']]);
    const result = attachGateways(
      {
        ...base,
        gateways: [
          gateway({ name: 'shared', listeners: [{ name: 'alt', port: 9000 }, { name: 'http', port: 80 }] }),
          gateway({ name: 'own', addresses: [{ value: '127.0.0.11' }], listeners: [{ name: 'http', port: 80 }, { name: 'alt', port: 9000 }] }),
        ],
      },
      { ports, unbindableSockets },
    );
    assert.equal(statusReason(listenerStatus(result, 'shared', 'alt').conditions, 'Accepted'), 'False/PortUnavailable');
    assert.match(JSON.stringify(listenerStatus(result, 'shared', 'alt').conditions), /port 9000 cannot be bound: another program uses it/);
    assert.equal(statusReason(listenerStatus(result, 'own', 'http').conditions, 'Accepted'), 'False/PortUnavailable');
    assert.match(JSON.stringify(listenerStatus(result, 'own', 'http').conditions), /port 8080 on 127\.0\.0\.11 cannot be bound: EACCES/);
    assert.deepEqual(result.listeners.map((listener) => `${listener.gateway.name}/${listener.name}`), ['own/alt', 'shared/http']);
  });

  test('HTTP and HTTPS on one port: within a Gateway and across Gateways on the shared address, Conflicted (ProtocolConflict); on different addresses, both served', () => {
    const within = attach([{ name: 'gw', listeners: [{ name: 'a', port: 9000 }, { name: 'b', port: 9000, protocol: 'HTTPS', certificateRefs: cert }] }]);
    for (const name of ['a', 'b']) assert.equal(statusReason(listenerStatus(within, 'gw', name).conditions, 'Conflicted'), 'True/ProtocolConflict');
    assert.deepEqual(within.listeners, []);
    const across = attach([
      { name: 'one', listeners: [{ name: 'a', port: 9000 }] },
      { name: 'two', listeners: [{ name: 'b', port: 9000, protocol: 'HTTPS', certificateRefs: cert }] },
    ]);
    assert.equal(statusReason(listenerStatus(across, 'one', 'a').conditions, 'Accepted'), 'False/ProtocolConflict');
    assert.equal(statusReason(listenerStatus(across, 'two', 'b').conditions, 'Accepted'), 'False/ProtocolConflict');
    const apart = attach([
      { name: 'one', listeners: [{ name: 'a', port: 9000 }], addresses: [{ value: '127.0.0.11' }] },
      { name: 'two', listeners: [{ name: 'b', port: 9000, protocol: 'HTTPS', certificateRefs: cert }], addresses: [{ value: '127.0.0.12' }] },
    ]);
    assert.equal(apart.listeners.length, 2);
  });
});

describe('listener ports: scopes', () => {
  test('every listener is served (listenersNotServed is empty), each port and protocol in a scope of its own, shared by Gateways with equal addresses', () => {
    const result = attach(
      [
        { name: 'one', listeners: [{ name: 'http' }, { name: 'https', protocol: 'HTTPS', certificateRefs: cert }, { name: 'alt', port: 9000 }] },
        { name: 'two', listeners: [{ name: 'alt', port: 9000, hostname: 'two.example.com' }] },
        { name: 'own', listeners: [{ name: 'alt', port: 9000 }], addresses: [{ value: '127.0.0.11' }] },
      ],
      [httpRoute({ name: 'r', parentRefs: [parentRef('one'), parentRef('two'), parentRef('own')], hostnames: ['a.example.com', 'two.example.com'] })],
    );
    const routed = gatewayLevels(result.listeners);
    assert.deepEqual(routed.listenersNotServed, []);
    const scopes = routed.scopes.map((scope) => `${scope.protocol} ${scope.port} [${scope.addresses.join(',')}]`).sort();
    assert.deepEqual(scopes, ['http 80 []', 'http 9000 [127.0.0.11]', 'http 9000 []', 'https 443 []']);
    for (const scope of routed.scopes) assert.equal(scope.id, scopeId(scope.addresses, scope.port, scope.protocol));
    const hostsIn = (port: number, protocol: string, addresses: string[] = []) => {
      const scope = routed.scopes.find((entry) => entry.port === port && entry.protocol === protocol && entry.addresses.join() === addresses.join())!;
      return routed.levels.filter((level) => splitLevelHost(level.host).scope === scope.id).map((level) => splitLevelHost(level.host).host).sort();
    };
    // Ports 80 and 443 on the shared address have no host-less level of their own: what matches no Gateway level goes on to the Ingresses.
    assert.deepEqual(hostsIn(80, 'http'), ['a.example.com', 'two.example.com']);
    assert.deepEqual(hostsIn(443, 'https'), ['a.example.com', 'two.example.com']);
    assert.deepEqual(hostsIn(9000, 'http'), ['', 'a.example.com', 'two.example.com']);
    assert.deepEqual(hostsIn(9000, 'http', ['127.0.0.11']), ['', 'a.example.com', 'two.example.com']);
  });
});

describe('listener ports: frontends', () => {
  const settings = { bindAddress: '127.0.0.1', httpPort: 8080, httpsPort: 8443, metricsPort: 9101 };
  const scope = (addresses: string[], port: number, protocol: 'http' | 'https'): Scope => ({ id: scopeId(addresses, port, protocol), addresses, port, protocol });

  test('without Gateways: the two Ingress frontends, as before', () => {
    assert.deepEqual(frontendPlans([], settings), [
      { name: 'portero-http', scheme: 'http', port: 8080, ingress: true, sharedBind: true, addresses: [], byAddress: [] },
      { name: 'portero-https', scheme: 'https', port: 8443, ingress: true, sharedBind: true, addresses: [], byAddress: [] },
    ]);
  });

  test('a frontend per other port; every frontend sends requests to a Gateway address to that address\'s scope of its port', () => {
    const plans = frontendPlans([scope([], 80, 'http'), scope([], 9000, 'http'), scope(['127.0.0.11'], 9443, 'https'), scope(['127.0.0.11'], 80, 'http')], settings);
    assert.deepEqual(
      plans.map((plan) => `${plan.name} ${plan.port} shared=${plan.sharedBind} [${plan.addresses.join(',')}]`),
      ['portero-http 8080 shared=true [127.0.0.11]', 'portero-https 8443 shared=true []', 'portero-http-9000 9000 shared=true []', 'portero-https-9443 9443 shared=false [127.0.0.11]'],
    );
    assert.equal(plans[0]!.shared, scopeId([], 80, 'http'));
    assert.equal(plans[1]!.shared, undefined);
    // Other ports: the shared scope of the port even without a listener there, so nothing unscoped (the Ingresses) is ever looked up.
    assert.equal(plans[3]!.shared, scopeId([], 9443, 'https'));
    for (const plan of plans) assert.deepEqual(plan.byAddress, [{ addresses: ['127.0.0.11'], scope: scopeId(['127.0.0.11'], plan.name === 'portero-http' ? 80 : plan.name === 'portero-https' ? 443 : plan.port, plan.scheme) }]);
  });

  test("no socket twice, and none of Portero's own ports, whatever the model says", () => {
    const plans = frontendPlans([scope([], 8443, 'http'), scope([], 9101, 'http'), scope(['127.0.0.1'], 80, 'http')], settings);
    assert.deepEqual(plans.map((plan) => plan.name), ['portero-http', 'portero-https']);
    assert.deepEqual(plans[0]!.addresses, []);
  });

  test('a new listener port does not fit the loaded structure (reload); a route on it does', () => {
    const model = (scopes: Scope[], hosts: string[]): Model => ({
      levels: hosts.map((host) => ({ host, routes: [{ match: 'prefix', path: '', target: { kind: 'not-found' } }], fallback: { kind: 'not-found' } })),
      scopes,
      backends: [],
      catchAll: { kind: 'not-found' },
      defaultCertificate: { id: 'default', pem: 'PEM', hosts: [] },
      certificates: [],
      redirectHosts: [],
    });
    const alt = scope([], 9000, 'http');
    const loaded = structureFor(model([alt], [`|${alt.id}`]));
    assert.equal(misfit(loaded, model([alt], [`|${alt.id}`, `a.example.com|${alt.id}`])), undefined);
    assert.match(misfit(loaded, model([alt, scope([], 9001, 'http')], [`|${alt.id}`])) ?? '', /new port/);
  });
});

describe('listener ports: sockets tried before a reload', () => {
  test('a socket another program has is reported, unless the loaded configuration has it already; a free one is not', async () => {
    const [held, free] = (await freePorts(2)) as [number, number];
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(held, '127.0.0.1', resolve));
    try {
      const settings = { bindAddress: '127.0.0.1', httpPort: 8080, httpsPort: 8443 };
      const scopes = [held, free].map((port) => ({ id: scopeId([], port, 'http'), addresses: [], port, protocol: 'http' as const }));
      assert.deepEqual(await unbindableSockets(scopes, undefined, settings), [{ address: '', port: held, reason: 'another program uses it' }]);
      assert.deepEqual(await unbindableSockets(scopes, [scopes[0]!], settings), []);
    } finally {
      await new Promise((resolve) => holder.close(resolve));
    }
  });

  test('a Gateway address on a port HAProxy already has on a wildcard bind address is not tried (Node could not bind next to it; HAProxy can)', async () => {
    const [port] = (await freePorts(1, '127.0.0.11')) as [number];
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(port, '127.0.0.11', resolve));
    try {
      const shared = { id: scopeId([], port, 'http'), addresses: [], port, protocol: 'http' as const };
      const own = { id: scopeId(['127.0.0.11'], port, 'http'), addresses: ['127.0.0.11'], port, protocol: 'http' as const };
      const settings = { httpPort: 8080, httpsPort: 8443 };
      // Nothing is bound on the wildcard here: the address is only compared.
      assert.deepEqual(await unbindableSockets([shared, own], [shared], { ...settings, bindAddress: '0.0.0.0' }), []);
      assert.deepEqual(await unbindableSockets([shared, own], [shared], { ...settings, bindAddress: '127.0.0.1' }), [{ address: '127.0.0.11', port, reason: 'another program uses it' }]);
    } finally {
      await new Promise((resolve) => holder.close(resolve));
    }
  });
});

describe('listener ports: HAProxy accepts the rendered configuration', () => {
  let directory: string;
  let pem: string;
  before(async () => {
    directory = await mkdtemp(join(tmpdir(), 'portero-ports-'));
    const inspected = inspectKeyPair(certificate.cert, certificate.key);
    assert.ok(inspected.ok);
    pem = inspected.info.pem;
  });
  after(async () => rm(directory, { recursive: true, force: true }));

  test('Ingress ports with shared and address scopes, other ports, deep wildcards (haproxy -c)', async () => {
    const scopes = [
      { id: scopeId([], 80, 'http'), addresses: [], port: 80, protocol: 'http' as const },
      { id: scopeId([], 9000, 'http'), addresses: [], port: 9000, protocol: 'http' as const },
      { id: scopeId(['127.0.0.11'], 9443, 'https'), addresses: ['127.0.0.11'], port: 9443, protocol: 'https' as const },
    ].sort((a, b) => (a.id < b.id ? -1 : 1));
    const level = (host: string) => ({ host, anyDepth: host.startsWith('*.'), routes: [{ match: 'prefix' as const, path: '', target: { kind: 'not-found' as const } }], fallback: { kind: 'not-found' as const } });
    const model: Model = {
      levels: [level('a.example.com'), ...scopes.flatMap((scope) => [level(`*.example.com|${scope.id}`), level(`|${scope.id}`)])].sort((a, b) => (a.host < b.host ? -1 : 1)),
      scopes,
      backends: [],
      catchAll: { kind: 'not-found' },
      defaultCertificate: { id: 'default', pem, hosts: [] },
      certificates: [],
      redirectHosts: ['a.example.com'],
    };
    const genDir = join(directory, 'gen-1');
    const names = new BackendNames(structureFor(model));
    await writeDirectoryAtomic(genDir, renderFiles(model, genDir, names));
    const config = renderConfig(model, { stateDir: directory, adminSocket: join(directory, 'admin.sock'), bindAddress: '127.0.0.1', httpPort: 8080, httpsPort: 8443, hardStopAfter: '5m', maxReloads: 8 }, genDir, names);
    assert.deepEqual(config.match(/^frontend .*/gm), ['frontend portero-http', 'frontend portero-https', 'frontend portero-http-9000', 'frontend portero-https-9443']);
    assert.match(config, /bind 127\.0\.0\.11:9443 ssl crt-list/);
    await writeFileAtomic(join(directory, 'haproxy.cfg'), config);
    const { stdout, stderr } = await run('haproxy', ['-c', '-f', join(directory, 'haproxy.cfg')]);
    assert.match(stdout + stderr, /Configuration file is valid/);
  });
});
