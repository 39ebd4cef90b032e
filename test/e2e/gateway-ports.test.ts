// Gateway API listeners and ports through real HAProxy: a route attached to
// an HTTP listener answers on the HTTP port only, one attached to an HTTPS
// listener on the HTTPS port only, while Ingresses keep answering on both;
// listeners on ports other than 80 and 443 are bound on their own port.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startBackend, type Backend } from '../helpers/backends.js';
import { gateway, gatewayClass, GATEWAY_V1 } from '../helpers/gateway-api-manifests.js';
import { request } from '../helpers/http.js';
import { ingress, serviceWithEndpoints, tlsSecret, type Json } from '../helpers/objects.js';
import { generateSelfSigned } from '../../src/tls/default-certificate.js';
import { startPortero, type Portero } from '../helpers/portero.js';

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
        ],
        'ingress.yaml': [ingress({ name: 'ing', rules: [{ host: 'ingress.gw.test', paths: [{ service: 'ing' }] }] })],
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
});
