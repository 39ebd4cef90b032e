// ssl-passthrough with --enable-ssl-passthrough, through real HAProxy: TLS to
// a passthrough host reaches the pod as it is (the pod's certificate, the
// pod's answer), every other TLS host is still ended by Portero, with the
// client's address kept.

import assert from 'node:assert/strict';
import { createServer as createHttpsServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { generateSelfSigned } from '../../src/tls/default-certificate.js';
import { nextLoopbackAddress, startBackend, type Backend } from '../helpers/backends.js';
import { request } from '../helpers/http.js';
import { ingress, ingressClass, serviceWithEndpoints, tlsSecret } from '../helpers/objects.js';
import { eventually, startPortero, type Portero } from '../helpers/portero.js';

const A = 'nginx.ingress.kubernetes.io';

function commonName(response: { certificate?: { subject?: { CN?: string | string[] } } }): string {
  const cn = response.certificate?.subject?.CN;
  return Array.isArray(cn) ? cn.join(',') : (cn ?? '');
}

describe('ingress-nginx annotations: ssl-passthrough', () => {
  let portero: Portero;
  let pod: Server;
  let podAddress: AddressInfo;
  let app: Backend;

  before(async () => {
    const podCert = await generateSelfSigned('pass.test pod', ['pass.test'], 30);
    pod = createHttpsServer({ cert: podCert.cert, key: podCert.key }, (req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(`pod saw ${req.headers.host} ${req.url}`);
    });
    await new Promise<void>((resolve) => pod.listen(0, nextLoopbackAddress(), resolve));
    podAddress = pod.address() as AddressInfo;
    app = await startBackend('app');
    const site = await generateSelfSigned('site.test', ['site.test'], 30);
    portero = await startPortero({
      flags: ['--ingress-class', 'nginx', '--controller-class', 'k8s.io/ingress-nginx', '--enable-ssl-passthrough'],
      files: {
        'class.yaml': [ingressClass('nginx', 'k8s.io/ingress-nginx')],
        'services.yaml': [
          ...serviceWithEndpoints({ name: 'pod', endpoints: [{ address: podAddress.address, port: podAddress.port }], servicePort: 443 }),
          ...serviceWithEndpoints({ name: 'app', endpoints: [app] }),
        ],
        'secret.yaml': [tlsSecret('site', site.cert, site.key)],
        'ingresses.yaml': [
          ingress({ name: 'pass', className: 'nginx', annotations: { [`${A}/ssl-passthrough`]: 'true' }, rules: [{ host: 'pass.test', paths: [{ service: 'pod', port: 443 }] }] }),
          ingress({ name: 'site', className: 'nginx', tls: [{ hosts: ['site.test'], secretName: 'site' }], rules: [{ host: 'site.test', paths: [{ service: 'app' }] }] }),
        ],
      },
    });
  });

  after(async () => {
    await portero?.dispose();
    await app?.close();
    await new Promise((resolve) => pod?.close(resolve));
  });

  test('TLS to a passthrough host reaches the pod as it is: its certificate, its answer', async () => {
    const response = await request({ port: portero.httpsPort, tls: true, host: 'pass.test', path: '/x?y=1' });
    assert.equal(response.status, 200);
    assert.equal(commonName(response), 'pass.test pod');
    assert.equal(response.body, 'pod saw pass.test /x?y=1');
  });

  test('other TLS hosts are still ended by Portero, with the client address and port headers kept', async () => {
    const response = await request({ port: portero.httpsPort, tls: true, host: 'site.test', path: '/', localAddress: '127.0.0.77' });
    assert.equal(response.status, 200);
    assert.equal(commonName(response), 'site.test');
    assert.equal(response.echo?.headers['x-forwarded-for'], '127.0.0.77');
    assert.equal(response.echo?.headers['x-forwarded-port'], String(portero.httpsPort));
    assert.equal(response.echo?.headers['x-forwarded-proto'], 'https');
    // A host no Ingress has is still answered by Portero's TLS frontend.
    assert.equal((await request({ port: portero.httpsPort, tls: true, host: 'unknown.test', path: '/' })).status, 404);
  });

  test('passthrough hosts come and go at runtime', async () => {
    await portero.write('more.yaml', [ingress({ name: 'pass2', className: 'nginx', annotations: { [`${A}/ssl-passthrough`]: 'true' }, rules: [{ host: 'pass2.test', paths: [{ service: 'pod', port: 443 }] }] })]);
    await eventually(async () => assert.equal(commonName(await request({ port: portero.httpsPort, tls: true, host: 'pass2.test', path: '/' })), 'pass.test pod'));
    await portero.remove('more.yaml');
    await eventually(async () => assert.notEqual(commonName(await request({ port: portero.httpsPort, tls: true, host: 'pass2.test', path: '/' })), 'pass.test pod'));
  });
});
