// ingress-nginx's own end-to-end cases for default backends and custom
// error pages, ported to Portero (kubernetes/ingress-nginx, test/e2e/):
// annotations/default_backend.go, annotations/customhttperrors.go and
// defaultbackend/with_hosts.go, through real HAProxy with the `nginx`
// IngressClass of a migrating cluster. The other routing annotations are in
// nginx-routing.test.ts.
//
// customhttperrors.go checks nginx.conf text (error_page and @custom_
// locations) as the annotation changes; here each step is checked by what
// clients get instead. Deliberate, documented differences
// (docs/annotations.md, Default backend and custom errors):
// - custom-http-errors needs the default-backend annotation (upstream's first
//   steps use the global default backend, which Portero never asks for pages);
// - the status of an error page stays the Service's;
// - a request the default-backend Service serves in place of a Service
//   without endpoints reaches it as sent: ingress-nginx adds X-Code: 503,
//   X-Ingress-Name and X-Service-Name (default_backend.go reads them), Portero
//   does not, so the path and the client's X-Request-ID are asserted.
//
// not ported here: defaultbackend/default_backend.go, custom_default_backend.go, ssl.go, custom_error_pages.go — no annotation of this port; they are ported or listed in nginx-core-backends.test.ts
// not ported: customhttperrors.go, "ignoring duplicate values per server" — counts nginx's @custom_ locations in nginx.conf; both Ingresses' pages are asserted instead

import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { nextLoopbackAddress, startBackend, type Backend } from '../../helpers/backends.js';
import { request, type Response } from '../../helpers/http.js';
import { ingress, ingressClass, serviceWithEndpoints, type Json } from '../../helpers/objects.js';
import { eventually, startPortero, type Portero } from '../../helpers/portero.js';

const A = 'nginx.ingress.kubernetes.io';

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ server: Server; address: AddressInfo }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, nextLoopbackAddress(), resolve));
  return { server, address: server.address() as AddressInfo };
}

/** An error backend as ingress-nginx's custom-error-pages: a page naming itself and what it was told. */
function errorPages(name: string) {
  return (req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end(`${name} code=${String(req.headers['x-code'])} ingress=${String(req.headers['x-ingress-name'])} uri=${String(req.headers['x-original-uri'])}`);
  };
}

const CUSTOM_HOST = 'customerrors.foo.com';

function customErrors(name: string, path: string, codes: string, errorBackend: string): Json {
  return ingress({
    name,
    className: 'nginx',
    annotations: { [`${A}/custom-http-errors`]: codes, [`${A}/default-backend`]: errorBackend },
    rules: [{ host: CUSTOM_HOST, paths: [{ path, pathType: 'Prefix', service: 'statuses' }] }],
  });
}

describe('ingress-nginx e2e: default-backend, custom-http-errors, a default backend with hosts', () => {
  let portero: Portero;
  let echo: Backend;
  const servers: Server[] = [];

  before(async () => {
    echo = await startBackend('echo');
    // The Service of customhttperrors.go: answers the status named by the last path segment (`/else/404`), else 200.
    const statuses = await serve((req, res) => {
      const last = (req.url ?? '/').split('?')[0]!.split('/').pop() ?? '';
      const status = /^[45][0-9]{2}$/.test(last) ? Number(last) : 200;
      res.writeHead(status, { 'content-type': 'text/plain' });
      res.end(`statuses ${status}`);
    });
    const pages = await serve(errorPages('pages'));
    const fromAnnotation = await serve(errorPages('from-annotation'));
    servers.push(statuses.server, pages.server, fromAnnotation.server);
    const endpoint = (address: AddressInfo) => [{ address: address.address, port: address.port }];
    portero = await startPortero({
      flags: ['--ingress-class', 'nginx', '--controller-class', 'k8s.io/ingress-nginx'],
      files: {
        'class.yaml': [ingressClass('nginx', 'k8s.io/ingress-nginx')],
        'services.yaml': [
          ...serviceWithEndpoints({ name: 'echo', endpoints: [echo] }),
          ...serviceWithEndpoints({ name: 'statuses', endpoints: endpoint(statuses.address) }),
          ...serviceWithEndpoints({ name: 'pages', endpoints: endpoint(pages.address) }),
          ...serviceWithEndpoints({ name: 'from-annotation', endpoints: endpoint(fromAnnotation.address) }),
        ],
        'ingresses.yaml': [
          // default_backend.go: the Ingress's Service does not exist.
          ingress({ name: 'default-backend', className: 'nginx', annotations: { [`${A}/default-backend`]: 'echo' }, rules: [{ host: 'default-backend', paths: [{ path: '/', pathType: 'Prefix', service: 'invalid' }] }] }),
          // with_hosts.go: a default backend and a host without paths.
          ingress({ name: 'default-backend-annotations', className: 'nginx', annotations: { [`${A}/proxy-buffer-size`]: '8k' }, defaultBackend: { service: 'echo' }, rules: [{ host: 'foo.com' }] }),
        ],
        'custom-errors.yaml': [customErrors(CUSTOM_HOST, '/', '404,500', 'pages')],
      },
    });
  });

  after(async () => {
    await portero?.dispose();
    await echo?.close();
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  });

  const get = (host: string, path: string, headers: Record<string, string> = {}): Promise<Response> => request({ port: portero.httpPort, host, path, headers });

  // annotations/default_backend.go

  test('default_backend.go: should use a custom default backend as upstream', async () => {
    const response = await get('default-backend', '/alma/armud', { 'x-request-id': 'something-unique' });
    assert.equal(response.status, 200);
    assert.equal(response.echo?.name, 'echo');
    assert.equal(response.echo?.url, '/alma/armud');
    assert.equal(response.echo?.headers['x-request-id'], 'something-unique');
    const warning = await portero.waitForLog((line) => line.field === 'spec.rules[0].http.paths[0].backend.service.name' && String(line.msg).includes('default/invalid'));
    assert.match(String(warning.msg), /requests go to the default-backend Service default\/echo/);
  });

  // defaultbackend/with_hosts.go

  test('with_hosts.go: should apply the annotation to the default backend', async () => {
    const response = await get('foo.com', '/');
    assert.equal(response.status, 200);
    assert.equal(response.echo?.name, 'echo');
  });

  // annotations/customhttperrors.go

  test('customhttperrors.go: configures Nginx correctly (the pages follow the annotation as it changes)', async () => {
    const page = async (path: string, status: number, body: string) => {
      const response = await get(CUSTOM_HOST, path);
      assert.equal(response.status, status, `${path}: ${response.body}`);
      assert.equal(response.body, body, path);
    };
    // 404 and 500 are answered by the error backend, under the Service's status; 503 is not listed.
    await page('/404', 404, `pages code=404 ingress=${CUSTOM_HOST} uri=/404`);
    await page('/500', 500, `pages code=500 ingress=${CUSTOM_HOST} uri=/500`);
    await page('/503', 503, 'statuses 503');

    // "updating configuration when only custom-http-error value changes"
    await portero.write('custom-errors.yaml', [customErrors(CUSTOM_HOST, '/', '503', 'pages')]);
    await eventually(() => page('/503', 503, `pages code=503 ingress=${CUSTOM_HOST} uri=/503`));
    await page('/404', 404, 'statuses 404');
    await page('/500', 500, 'statuses 500');

    // "ignoring duplicate values (503 in this case) per server": a second Ingress of the host lists 503 too.
    await portero.write('custom-errors.yaml', [customErrors(CUSTOM_HOST, '/', '503', 'pages'), customErrors(`${CUSTOM_HOST}-else`, '/else', '404, 503', 'pages')]);
    await eventually(() => page('/else/404', 404, `pages code=404 ingress=${CUSTOM_HOST}-else uri=/else/404`));
    await page('/else/503', 503, `pages code=503 ingress=${CUSTOM_HOST}-else uri=/else/503`);
    await page('/503', 503, `pages code=503 ingress=${CUSTOM_HOST} uri=/503`);
    await page('/404', 404, 'statuses 404');

    // "using the custom default-backend from annotation for upstream"
    await portero.write('custom-errors.yaml', [customErrors(CUSTOM_HOST, '/', '503', 'from-annotation'), customErrors(`${CUSTOM_HOST}-else`, '/else', '404, 503', 'pages')]);
    await eventually(() => page('/503', 503, `from-annotation code=503 ingress=${CUSTOM_HOST} uri=/503`));
    await page('/else/503', 503, `pages code=503 ingress=${CUSTOM_HOST}-else uri=/else/503`);
  });
});
