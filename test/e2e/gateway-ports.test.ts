// Gateway API listeners and ports through real HAProxy: a route attached to
// an HTTP listener answers on the HTTP port only, one attached to an HTTPS
// listener on the HTTPS port only, while Ingresses keep answering on both;
// listeners on ports other than 80 and 443 are bound on their own port.

import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { startBackend, type Backend } from '../helpers/backends.js';
import { gateway, gatewayClass, GATEWAY_V1 } from '../helpers/gateway-api-manifests.js';
import { request } from '../helpers/http.js';
import { ingress, serviceWithEndpoints, tlsSecret, type Json } from '../helpers/objects.js';
import { generateSelfSigned } from '../../src/tls/default-certificate.js';
import { eventually, freePorts, startPortero, type Portero } from '../helpers/portero.js';

const to = (service: string) => ({ name: service, port: 80 });

function routeOn(name: string, sectionName: string, hostnames: string[], service: string, gatewayName = 'gw'): Json {
  return { apiVersion: GATEWAY_V1, kind: 'HTTPRoute', metadata: { name, namespace: 'default' }, spec: { parentRefs: [{ name: gatewayName, sectionName }], hostnames, rules: [{ backendRefs: [to(service)] }] } };
}

/** The backend's name, or the status when no backend answered. */
async function served(port: number, host: string, tls = false, address?: string): Promise<string | number> {
  const response = await request({ port, host, tls, ...(address ? { address } : {}) });
  return response.status === 200 ? String(response.headers['x-backend']) : response.status;
}

describe('Gateway API: HTTP and HTTPS listeners are isolated', () => {
  let portero: Portero;
  const backends: Backend[] = [];

  before(async () => {
    for (const name of ['plain', 'secure', 'both-http', 'both-https', 'ing']) backends.push(await startBackend(name));
    const certificate = await generateSelfSigned('gw.test', ['*.gw.test'], 30);
    portero = await startPortero({
      files: {
        'gateway.yaml': [
          gatewayClass('portero'),
          gateway('gw', {
            namespace: 'default',
            listeners: [
              { name: 'http', port: 80, protocol: 'HTTP' },
              { name: 'https', port: 443, protocol: 'HTTPS', tls: { certificateRefs: [{ name: 'gw-cert' }] } },
            ],
          }),
        ],
        'secret.yaml': [tlsSecret('gw-cert', certificate.cert, certificate.key)],
        'services.yaml': backends.flatMap((backend) => serviceWithEndpoints({ name: backend.name, endpoints: [backend] })),
        'routes.yaml': [
          routeOn('plain', 'http', ['plain.gw.test'], 'plain'),
          routeOn('secure', 'https', ['secure.gw.test'], 'secure'),
          routeOn('both-http', 'http', ['both.gw.test'], 'both-http'),
          routeOn('both-https', 'https', ['both.gw.test'], 'both-https'),
          routeOn('exact-http', 'http', ['a.wild.gw.test'], 'plain'),
        ],
        'ingress.yaml': [ingress({ name: 'ing', rules: [{ host: 'ingress.gw.test', paths: [{ service: 'ing' }] }, { host: '*.wild.gw.test', paths: [{ service: 'ing' }] }] })],
      },
    });
  });

  after(async () => {
    await portero?.dispose();
    for (const backend of backends) await backend.close();
  });

  test('a route on the HTTP listener answers on the HTTP port only', async () => {
    assert.equal(await served(portero.httpPort, 'plain.gw.test'), 'plain');
    assert.equal(await served(portero.httpsPort, 'plain.gw.test', true), 404);
  });

  test('a route on the HTTPS listener answers on the HTTPS port only', async () => {
    assert.equal(await served(portero.httpsPort, 'secure.gw.test', true), 'secure');
    assert.equal(await served(portero.httpPort, 'secure.gw.test'), 404);
  });

  test('one hostname on both listeners: each port its own route', async () => {
    assert.equal(await served(portero.httpPort, 'both.gw.test'), 'both-http');
    assert.equal(await served(portero.httpsPort, 'both.gw.test', true), 'both-https');
  });

  test('Ingresses answer on both ports, as before', async () => {
    assert.equal(await served(portero.httpPort, 'ingress.gw.test'), 'ing');
    assert.equal(await served(portero.httpsPort, 'ingress.gw.test', true), 'ing');
  });

  test('on the other port a Gateway host is any unknown host: an Ingress wildcard covering it answers', async () => {
    // The Gateway's exact host beats the Ingress wildcard on its own port only.
    assert.equal(await served(portero.httpPort, 'a.wild.gw.test'), 'plain');
    assert.equal(await served(portero.httpsPort, 'a.wild.gw.test', true), 'ing');
    assert.equal(await served(portero.httpPort, 'b.wild.gw.test'), 'ing');
  });
});

describe('Gateway API: listeners on ports other than 80 and 443', () => {
  let portero: Portero;
  const backends: Backend[] = [];
  let httpAlt: number;
  let httpsAlt: number;
  let added: number;
  let addressed: number;
  let held: number;
  const listeners = (extra: Json[] = []) => [
    { name: 'http', port: 80, protocol: 'HTTP' },
    { name: 'http-alt', port: httpAlt, protocol: 'HTTP' },
    { name: 'https-alt', port: httpsAlt, protocol: 'HTTPS', tls: { certificateRefs: [{ name: 'gw-cert' }] } },
    ...extra,
  ];
  const reloads = async () => (await portero.metric('portero_haproxy_reloads_total{reason="structural"}')) ?? 0;
  const refused = async (port: number) => {
    try {
      await request({ port, host: 'any.gw.test' });
      return false;
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === 'ECONNREFUSED';
    }
  };

  before(async () => {
    [httpAlt, httpsAlt, added, addressed, held] = (await freePorts(5)) as [number, number, number, number, number];
    for (const name of ['on-80', 'on-alt', 'on-tls-alt', 'on-added', 'changed', 'on-address', 'ing']) backends.push(await startBackend(name));
    const certificate = await generateSelfSigned('gw.test', ['*.gw.test'], 30);
    portero = await startPortero({
      files: {
        'gateway.yaml': [
          gatewayClass('portero'),
          gateway('gw', { namespace: 'default', listeners: listeners() }),
          gateway('own', { namespace: 'default', addresses: [{ type: 'IPAddress', value: '127.0.0.211' }], listeners: [{ name: 'alt', port: addressed, protocol: 'HTTP' }] }),
        ],
        'secret.yaml': [tlsSecret('gw-cert', certificate.cert, certificate.key)],
        'services.yaml': backends.flatMap((backend) => serviceWithEndpoints({ name: backend.name, endpoints: [backend] })),
        'routes.yaml': [
          routeOn('on-80', 'http', ['port.gw.test'], 'on-80'),
          routeOn('on-alt', 'http-alt', ['port.gw.test'], 'on-alt'),
          routeOn('on-tls-alt', 'https-alt', ['port.gw.test'], 'on-tls-alt'),
          routeOn('on-address', 'alt', ['port.gw.test'], 'on-address', 'own'),
        ],
        'ingress.yaml': [ingress({ name: 'ing', rules: [{ host: 'ingress.gw.test', paths: [{ service: 'ing' }] }] })],
      },
    });
  });

  after(async () => {
    await portero?.dispose();
    for (const backend of backends) await backend.close();
  });

  test('an HTTP listener on port N answers on N, with its own routes only', async () => {
    assert.equal(await served(httpAlt, 'port.gw.test'), 'on-alt');
    assert.equal(await served(portero.httpPort, 'port.gw.test'), 'on-80');
    // Neither the Ingresses nor hosts without a route on that listener.
    assert.equal(await served(httpAlt, 'ingress.gw.test'), 404);
    assert.equal(await served(httpAlt, 'other.gw.test'), 404);
  });

  test('an HTTPS listener on port N serves its certificate by SNI and its routes', async () => {
    const response = await request({ port: httpsAlt, host: 'port.gw.test', tls: true });
    assert.equal(response.headers['x-backend'], 'on-tls-alt');
    assert.equal(response.certificate?.subject?.CN, 'gw.test');
    assert.equal(await served(portero.httpsPort, 'port.gw.test', true), 404);
    // Plain HTTP on the HTTPS port is not served.
    assert.equal(await served(httpsAlt, 'port.gw.test').catch(() => 'refused'), 'refused');
  });

  test('a Gateway with addresses: its listener port is bound on its address only', async () => {
    assert.equal(await served(addressed, 'port.gw.test', false, '127.0.0.211'), 'on-address');
    assert.equal(await refused(addressed), true);
  });

  test('on a running Portero: a listener on a new port reloads once; its route changes do not; removing it closes the port', async () => {
    assert.equal(await refused(added), true);
    const before = await reloads();
    await portero.write('gateway.yaml', [
      gatewayClass('portero'),
      gateway('gw', { namespace: 'default', listeners: listeners([{ name: 'added', port: added, protocol: 'HTTP' }]) }),
      gateway('own', { namespace: 'default', addresses: [{ type: 'IPAddress', value: '127.0.0.211' }], listeners: [{ name: 'alt', port: addressed, protocol: 'HTTP' }] }),
    ]);
    await portero.write('added.yaml', [routeOn('added', 'added', ['port.gw.test'], 'on-added')]);
    await eventually(async () => assert.equal(await served(added, 'port.gw.test'), 'on-added'));
    // The new worker may answer before the reload is counted.
    await eventually(async () => assert.ok((await reloads()) > before, 'a new listener port reloads'));
    const afterAdding = await reloads();

    await portero.write('added.yaml', [routeOn('added', 'added', ['port.gw.test', 'more.gw.test'], 'changed')]);
    await eventually(async () => assert.equal(await served(added, 'more.gw.test'), 'changed'));
    assert.equal(await served(added, 'port.gw.test'), 'changed');
    await portero.filesSynced();
    assert.equal(await reloads(), afterAdding, 'a route change on the new port goes through the runtime API');

    await portero.write('gateway.yaml', [
      gatewayClass('portero'),
      gateway('gw', { namespace: 'default', listeners: listeners() }),
      gateway('own', { namespace: 'default', addresses: [{ type: 'IPAddress', value: '127.0.0.211' }], listeners: [{ name: 'alt', port: addressed, protocol: 'HTTP' }] }),
    ]);
    await eventually(async () => assert.equal(await refused(added), true));
    assert.equal(await served(httpAlt, 'port.gw.test'), 'on-alt');
    assert.equal(await served(portero.httpPort, 'port.gw.test'), 'on-80');
  });

  test("listeners on Portero's own ports are refused (PortUnavailable) and the rest is served", async () => {
    await portero.write('clash.yaml', [
      gateway('clash', {
        namespace: 'default',
        listeners: [
          { name: 'health', port: portero.healthPort, protocol: 'HTTP' },
          { name: 'https-port', port: portero.httpsPort, protocol: 'HTTP' },
          { name: 'fine', port: 80, protocol: 'HTTP' },
        ],
      }),
    ]);
    await portero.write('clash-route.yaml', [routeOn('clash-fine', 'fine', ['clash.gw.test'], 'on-80', 'clash')]);
    const warning = await portero.waitForLog((line) => line.object === 'Gateway default/clash' && line.field === 'spec.listeners[0]');
    assert.match(String(warning.msg), new RegExp(`port ${portero.healthPort} is Portero's own \\(--health-port\\)`));
    await portero.waitForLog((line) => line.object === 'Gateway default/clash' && line.field === 'spec.listeners[1]');
    await eventually(async () => assert.equal(await served(portero.httpPort, 'clash.gw.test'), 'on-80'));
    assert.equal(await portero.health('/readyz'), 200);
    assert.equal(await served(portero.httpsPort, 'ingress.gw.test', true), 'ing');
    assert.equal(await served(httpAlt, 'port.gw.test'), 'on-alt');
  });

  test('a port another program has: the listener is refused (PortUnavailable), every other change still applies, and it is served once the port is free and the Gateway changes', async () => {
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(held, '127.0.0.1', resolve));
    try {
      const withHeld = (generation: string) => [
        gatewayClass('portero'),
        gateway('held', { namespace: 'default', listeners: [{ name: 'held', port: held, protocol: 'HTTP' }, { name: 'http', port: 80, protocol: 'HTTP', hostname: `${generation}.gw.test` }] }),
      ];
      await portero.write('held.yaml', withHeld('first'));
      await portero.write('held-routes.yaml', [routeOn('held', 'held', ['held.gw.test'], 'on-alt', 'held'), routeOn('held-80', 'http', [], 'on-80', 'held')]);
      const warning = await portero.waitForLog((line) => line.object === 'Gateway default/held' && line.field === 'spec.listeners[0]');
      assert.match(String(warning.msg), new RegExp(`port ${held} cannot be bound: another program uses it`));
      // The Gateway's other listener, and changes after it, are served.
      await eventually(async () => assert.equal(await served(portero.httpPort, 'first.gw.test'), 'on-80'));
      await portero.write('later.yaml', [ingress({ name: 'later', rules: [{ host: 'later.gw.test', paths: [{ service: 'ing' }] }] })]);
      await eventually(async () => assert.equal(await served(portero.httpPort, 'later.gw.test'), 'ing'));
    } finally {
      await new Promise((resolve) => holder.close(resolve));
    }
    await portero.write('held.yaml', [
      gatewayClass('portero'),
      gateway('held', { namespace: 'default', listeners: [{ name: 'held', port: held, protocol: 'HTTP' }, { name: 'http', port: 80, protocol: 'HTTP', hostname: 'second.gw.test' }] }),
    ]);
    await eventually(async () => assert.equal(await served(held, 'held.gw.test'), 'on-alt'));
    assert.equal(await served(portero.httpPort, 'second.gw.test'), 'on-80');
  });
});
