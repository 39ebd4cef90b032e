// custom-http-errors with default-backend, through real HAProxy: the listed
// errors of the Service are answered with the error backend's page, told
// about the request as ingress-nginx tells it, under the Service's status.

import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { nextLoopbackAddress } from '../helpers/backends.js';
import { request } from '../helpers/http.js';
import { ingress, ingressClass, serviceWithEndpoints } from '../helpers/objects.js';
import { startPortero, type Portero } from '../helpers/portero.js';

const A = 'nginx.ingress.kubernetes.io';

async function listen(server: Server): Promise<AddressInfo> {
  await new Promise<void>((resolve) => server.listen(0, nextLoopbackAddress(), resolve));
  return server.address() as AddressInfo;
}

describe('ingress-nginx annotations: custom-http-errors', () => {
  let portero: Portero;
  let app: Server;
  let errors: Server;

  before(async () => {
    // The Service: 404 for /missing, 503 for /broken, 500 for /crash, 200 otherwise.
    app = createServer((req, res) => {
      const status = req.url === '/missing' ? 404 : req.url === '/broken' ? 503 : req.url === '/crash' ? 500 : 200;
      res.writeHead(status, { 'content-type': 'text/plain' });
      res.end(`app ${status}`);
    });
    // The error backend answers 200 (as a careless one would): the status must stay the Service's.
    errors = createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(`page ${req.headers['x-code']} ${req.headers['x-original-uri']} ${req.headers['x-namespace']}/${req.headers['x-ingress-name']} ${req.headers['x-service-name']}:${req.headers['x-service-port']} ${req.headers['x-format']}`);
    });
    const appAddress = await listen(app);
    const errorsAddress = await listen(errors);
    portero = await startPortero({
      flags: ['--ingress-class', 'nginx', '--controller-class', 'k8s.io/ingress-nginx'],
      files: {
        'class.yaml': [ingressClass('nginx', 'k8s.io/ingress-nginx')],
        'services.yaml': [
          ...serviceWithEndpoints({ name: 'app', endpoints: [{ address: appAddress.address, port: appAddress.port }] }),
          ...serviceWithEndpoints({ name: 'errors', endpoints: [{ address: errorsAddress.address, port: errorsAddress.port }] }),
        ],
        'ingresses.yaml': [
          ingress({ name: 'web', className: 'nginx', annotations: { [`${A}/custom-http-errors`]: '404,503', [`${A}/default-backend`]: 'errors' }, rules: [{ host: 'errors.test', paths: [{ service: 'app' }] }] }),
          ingress({ name: 'alone', className: 'nginx', annotations: { [`${A}/custom-http-errors`]: '404' }, rules: [{ host: 'alone.errors.test', paths: [{ service: 'app' }] }] }),
        ],
      },
    });
  });

  after(async () => {
    await portero?.dispose();
    await new Promise((resolve) => app?.close(resolve));
    await new Promise((resolve) => errors?.close(resolve));
  });

  const get = (path: string, host = 'errors.test') => request({ port: portero.httpPort, host, path, headers: { accept: 'application/json' } });

  test('a listed error gets the error backend page under the Service status, with the headers ingress-nginx sends', async () => {
    const missing = await get('/missing');
    assert.equal(missing.status, 404);
    assert.equal(missing.body, 'page 404 /missing default/web app:80 application/json');
    assert.equal(missing.headers['content-type'], 'text/html');
    const broken = await get('/broken');
    assert.equal(broken.status, 503);
    assert.match(broken.body, /^page 503 \/broken /);
  });

  test('other answers pass unchanged', async () => {
    const ok = await get('/');
    assert.equal(ok.status, 200);
    assert.equal(ok.body, 'app 200');
    const crash = await get('/crash');
    assert.equal(crash.status, 500);
    assert.equal(crash.body, 'app 500');
  });

  test('when the error backend cannot answer, the Service answer goes out unchanged', async () => {
    await new Promise((resolve) => errors.close(resolve));
    const missing = await get('/missing');
    assert.equal(missing.status, 404);
    assert.equal(missing.body, 'app 404');
    assert.equal((await get('/')).status, 200);
  });

  test('without default-backend the annotation is refused with a diagnostic', async () => {
    assert.equal((await get('/', 'alone.errors.test')).status, 404);
    const entry = await portero.waitForLog((line) => line.object === 'Ingress default/alone');
    assert.match(String(entry.msg), /needs the default-backend annotation/);
  });
});
