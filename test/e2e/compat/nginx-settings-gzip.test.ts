// ingress-nginx's e2e cases for response compression (use-gzip and its
// gzip-* keys), ported: one Portero (class nginx, controller
// k8s.io/ingress-nginx, --configmap) whose ConfigMap each case changes on
// the running process, as upstream does with UpdateNginxConfigMapData. The
// upstream cases check nginx.conf and then a request; here the request alone
// says whether the ConfigMap took effect (eventually, then the assertions).
// The backend plays httpbun's /xml, /html and /bytes/N.
//
// Upstream: test/e2e/settings/gzip.go. Also large-client-header-buffers (no upstream case: ingress-nginx's
// default takes 32 KiB of header, which HAProxy's default buffers do not).
//
// Deliberate differences (docs/configuration.md): "should set gzip_disable to msie6" — its Netscape 4 agent
// (Mozilla/4.8) gets no compression from HAProxy, which never compresses for Mozilla/4 agents but MSIE 6 SP2+;
// "should set gzip_min_length to 100" — HAProxy 2.6 has no minimum
// size, so /bytes/99 is compressed too; the case asserts that, and the warning Portero gives for gzip-min-length.

import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { listenOnLoopback } from '../../helpers/backends.js';
import { request, type Response } from '../../helpers/http.js';
import { configMap, ingress, ingressClass, serviceWithEndpoints } from '../../helpers/objects.js';
import { eventually, startPortero, type Portero } from '../../helpers/portero.js';

const HOST = 'gzip';

/** httpbun's three pages the cases fetch. */
function startHttpbun(): Promise<{ address: string; port: number; close(): Promise<void> }> {
  // Node's own limit (16 KiB, 431 above) would refuse the large-header case before Portero's is seen.
  const server: Server = createServer({ maxHeaderSize: 64 * 1024 }, (req, res) => {
    req.resume();
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const bytes = /^\/bytes\/([0-9]{1,6})$/.exec(path);
    if (bytes) {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.end(Buffer.alloc(Number(bytes[1]), 'a'));
    } else if (path === '/html') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(`<!DOCTYPE html><html><body>${'<p>Herman Melville - Moby-Dick</p>'.repeat(40)}</body></html>`);
    } else {
      res.writeHead(200, { 'content-type': 'application/xml' });
      res.end(`<?xml version='1.0' encoding='us-ascii'?><slideshow>${'<slide><title>Wake up to WonderWidgets!</title></slide>'.repeat(40)}</slideshow>`);
    }
  });
  return listenOnLoopback(server);
}

describe('ingress-nginx settings: gzip', () => {
  let portero: Portero;
  let httpbun: Awaited<ReturnType<typeof startHttpbun>>;
  const settings = (data: Record<string, string>) => portero.write('configmap.yaml', [configMap('ingress-nginx-controller', data, 'ingress-nginx')]);
  const get = (path: string, headers: Record<string, string> = {}): Promise<Response> =>
    request({ port: portero.httpPort, host: HOST, path, headers: { 'accept-encoding': 'gzip', ...headers } });
  /** Waits until the ConfigMap's change shows: /xml compressed or not. */
  const xmlCompressed = (compressed: boolean) =>
    eventually(async () => assert.equal((await get('/xml')).headers['content-encoding'], compressed ? 'gzip' : undefined));

  before(async () => {
    httpbun = await startHttpbun();
    portero = await startPortero({
      flags: ['--ingress-class=nginx', '--controller-class=k8s.io/ingress-nginx', '--configmap=ingress-nginx/ingress-nginx-controller'],
      files: {
        'class.yaml': [ingressClass('nginx', 'k8s.io/ingress-nginx')],
        'configmap.yaml': [configMap('ingress-nginx-controller', {}, 'ingress-nginx')],
        'app.yaml': [
          ...serviceWithEndpoints({ name: 'httpbun', endpoints: [httpbun] }),
          ingress({ name: HOST, className: 'nginx', rules: [{ host: HOST, paths: [{ service: 'httpbun' }] }] }),
        ],
      },
    });
  });

  after(async () => {
    await portero?.dispose();
    await httpbun?.close();
  });

  test('gzip.go: should be disabled by default', async () => {
    const response = await get('/xml');
    assert.equal(response.status, 200);
    assert.equal(response.headers['content-encoding'], undefined);
  });

  test('gzip.go: should be enabled with default settings', async () => {
    await settings({ 'use-gzip': 'true' });
    await xmlCompressed(true);
    const response = await get('/xml');
    assert.equal(response.status, 200);
    assert.match(String(response.headers.vary), /accept-encoding/i);
    assert.equal((await get('/xml', { 'accept-encoding': 'identity' })).headers['content-encoding'], undefined, 'only for clients that accept gzip');
  });

  test('gzip.go: should set gzip_comp_level to 4 (accepted; libslz has one level)', async () => {
    await settings({ 'use-gzip': 'true', 'gzip-level': '4' });
    await portero.waitForLog((line) => String(line.field) === 'data["gzip-level"]' && /ignored/.test(String(line.msg)));
    const response = await get('/xml');
    assert.equal(response.status, 200);
    assert.equal(response.headers['content-encoding'], 'gzip');
  });

  test('gzip.go: should set gzip_disable to msie6', async () => {
    await settings({ 'use-gzip': 'true', 'gzip-disable': 'msie6' });
    await eventually(async () => assert.equal((await get('/xml', { 'user-agent': 'Mozilla/45.0 (compatible; MSIE 6.0; Windows NT 5.1)' })).headers['content-encoding'], undefined));
    const other = await get('/xml', { 'user-agent': 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0' });
    assert.equal(other.status, 200);
    assert.equal(other.headers['content-encoding'], 'gzip');
    // Deliberate difference: upstream expects gzip for Netscape 4's "Mozilla/4.8 [en] (Windows NT 5.1; U)"; HAProxy
    // never compresses for a Mozilla/4 agent other than MSIE 6 SP2 and later (docs/configuration.md).
    assert.equal((await get('/xml', { 'user-agent': 'Mozilla/4.8 [en] (Windows NT 5.1; U)' })).headers['content-encoding'], undefined);
  });

  test('gzip.go: should set gzip_min_length to 100 (deliberate difference: no minimum size in HAProxy 2.6)', async () => {
    await settings({ 'use-gzip': 'true', 'gzip-min-length': '100', 'gzip-types': 'application/octet-stream' });
    await eventually(async () => assert.equal((await get('/xml')).headers['content-encoding'], undefined, 'application/xml is no longer listed'));
    for (const size of [99, 100]) {
      const response = await get(`/bytes/${size}`);
      assert.equal(response.status, 200);
      assert.equal(response.headers['content-type'], 'application/octet-stream');
      assert.equal(response.headers['content-encoding'], 'gzip', `/bytes/${size}`);
    }
    await portero.waitForLog((line) => String(line.field) === 'data["gzip-min-length"]' && /no minimum size/.test(String(line.msg)));
  });

  test('gzip.go: should set gzip_types to text/html', async () => {
    await settings({ 'use-gzip': 'true', 'gzip-types': 'text/html' });
    await xmlCompressed(false);
    const html = await get('/html');
    assert.equal(html.status, 200);
    assert.match(String(html.headers['content-type']), /^text\/html/);
    assert.equal(html.headers['content-encoding'], 'gzip');
  });

  test('large-client-header-buffers: a 20 KiB cookie is refused with HAProxy\'s default buffers, taken with "4 8k" as ingress-nginx takes it', async () => {
    const cookie = { cookie: `session=${'a'.repeat(20 * 1024)}` };
    await settings({});
    await xmlCompressed(false);
    assert.equal((await get('/xml', cookie)).status, 400);
    await settings({ 'large-client-header-buffers': '4 8k' });
    await eventually(async () => assert.equal((await get('/xml', cookie)).status, 200));
  });

  test('turning use-gzip off again stops compression; a bad type is reported and the default list used', async () => {
    await settings({ 'use-gzip': 'false' });
    await xmlCompressed(false);
    await settings({ 'use-gzip': 'true', 'gzip-types': 'text/html not-a-type' });
    await xmlCompressed(true);
    await portero.waitForLog((line) => String(line.field) === 'data["gzip-types"]' && /not a MIME type/.test(String(line.msg)));
  });
});
