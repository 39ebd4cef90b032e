// ingress-nginx's own e2e cases for request mirroring
// (test/e2e/annotations/mirror.go), ported to real requests through Portero
// and HAProxy, run the checker's way (--ingress-class nginx
// --controller-class k8s.io/ingress-nginx). Upstream only reads nginx.conf
// (`mirror /_mirror-<uid>;`, `mirror_request_body on;`, the proxy_pass
// line); the port checks what those lines do: the mirror Service receives a
// copy with the expected method, path, Host and body, while the client's
// answer comes from the Ingress's own Service.
//
// Upstream's targets name hosts that the data plane cannot reach without DNS
// (`localhost`, `test.env.com`): the port names the mirror Service
// (`mirror.default.svc.cluster.local`), the form Portero accepts
// (docs/annotations.md, Mirroring), with upstream's path.
//
// Deliberate, documented difference: https targets are refused (warning, no
// copy sent), so upstream's "https://test.env.com/$request_uri" case is ported
// twice: its refusal, and the same URL over http to the mirror Service.
//
// Also proved here (Portero's own behaviour, documented): mirror-host, the
// refusals of the strict grammar (CVE-2025-1098 was an injection through these
// annotations), a mirror that is down changes nothing for the client, and
// adding a mirror reloads.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startBackend, type Backend } from '../../helpers/backends.js';
import { request, type Response } from '../../helpers/http.js';
import { ingress, ingressClass, serviceWithEndpoints, type Json } from '../../helpers/objects.js';
import { eventually, startPortero, type Portero } from '../../helpers/portero.js';

const A = 'nginx.ingress.kubernetes.io';
const MIRROR = 'mirror.default.svc.cluster.local';

function single(name: string, host: string, annotations: Record<string, string>): Json {
  const prefixed = Object.fromEntries(Object.entries(annotations).map(([key, value]) => [`${A}/${key}`, value]));
  return ingress({ name, className: 'nginx', annotations: prefixed, rules: [{ host, paths: [{ path: '/', service: 'http-svc' }] }] });
}

describe('ingress-nginx e2e, mirror.go (mirror-*)', () => {
  let portero: Portero;
  let echo: Backend;
  let mirror: Backend;

  before(async () => {
    echo = await startBackend('http-svc');
    mirror = await startBackend('mirror');
    portero = await startPortero({
      flags: ['--ingress-class', 'nginx', '--controller-class', 'k8s.io/ingress-nginx'],
      files: {
        'class.yaml': [ingressClass('nginx', 'k8s.io/ingress-nginx')],
        'echo.yaml': serviceWithEndpoints({ name: 'http-svc', endpoints: [echo] }),
        'mirror.yaml': serviceWithEndpoints({ name: 'mirror', endpoints: [mirror] }),
        // A Service whose only endpoint refuses connections: a mirror that is down.
        'down.yaml': serviceWithEndpoints({ name: 'down', endpoints: [{ address: '127.0.0.1', port: 9 }] }),
        'ingresses.yaml': [
          single('literal', 'literal.mirror.foo.com', { 'mirror-target': `http://${MIRROR}/mirror` }),
          single('request-uri', 'request-uri.mirror.foo.com', { 'mirror-target': `http://${MIRROR}/$request_uri` }),
          single('bare-request-uri', 'bare.mirror.foo.com', { 'mirror-target': `http://mirror.default.svc$request_uri` }),
          single('https', 'https.mirror.foo.com', { 'mirror-target': 'https://test.env.com/$request_uri' }),
          single('body-off', 'body-off.mirror.foo.com', { 'mirror-target': `http://${MIRROR}/mirror`, 'mirror-request-body': 'off' }),
          single('host', 'host.mirror.foo.com', { 'mirror-target': `http://${MIRROR}$request_uri`, 'mirror-host': 'Shadow.Example.com' }),
          single('address', 'address.mirror.foo.com', { 'mirror-target': `http://${mirror.address}:${mirror.port}/by-address$request_uri` }),
          single('down', 'down.mirror.foo.com', { 'mirror-target': 'http://down.default.svc/mirror' }),
          single('variable', 'variable.mirror.foo.com', { 'mirror-target': `http://${MIRROR}/$host` }),
          single('injection', 'injection.mirror.foo.com', { 'mirror-target': `http://${MIRROR}/x;}location /y {` }),
          single('external', 'external.mirror.foo.com', { 'mirror-target': 'http://test.env.com/mirror' }),
          single('bad-host', 'bad-host.mirror.foo.com', { 'mirror-target': `http://${MIRROR}$request_uri`, 'mirror-host': 'a"b' }),
        ],
      },
    });
  });

  after(async () => {
    await portero?.dispose();
    await echo?.close();
    await mirror?.close();
  });

  const send = (host: string, path: string, options: { method?: string; body?: string } = {}): Promise<Response> =>
    request({ port: portero.httpPort, host, path, ...(options.method ? { method: options.method } : {}), ...(options.body !== undefined ? { body: options.body, headers: { 'content-type': 'text/plain' } } : {}) });

  /** Sends a request with a marker header, answered by http-svc; returns the copy the mirror received (by the marker). */
  async function copyOf(host: string, path: string, options: { method?: string; body?: string } = {}) {
    const marker = `${host}-${Math.random().toString(36).slice(2)}`;
    const response = await eventually(async () => {
      const answer = await request({ port: portero.httpPort, host, path, method: options.method ?? 'GET', headers: { 'x-marker': marker, ...(options.body !== undefined ? { 'content-type': 'text/plain' } : {}) }, ...(options.body !== undefined ? { body: options.body } : {}) });
      assert.equal(answer.status, 200, answer.body);
      assert.equal(answer.echo?.name, 'http-svc', 'the answer comes from the Ingress\'s Service');
      return answer;
    });
    const seen = await eventually(() => {
      const found = mirror.requests.find((entry) => entry.headers['x-marker'] === marker);
      assert.ok(found, `the mirror received the copy of ${host}${path}`);
      return found;
    }, 5_000);
    return { response, seen };
  }

  test('mirror.go: should set mirror-target to http://localhost/mirror (the copy goes to /mirror with the query, Host of the target, body on by default)', async () => {
    const { response, seen } = await copyOf('literal.mirror.foo.com', '/some/path?a=1');
    assert.equal(response.echo?.url, '/some/path?a=1', 'the Service sees the request unchanged');
    assert.equal(seen.method, 'GET');
    assert.equal(seen.url, '/mirror?a=1', 'nginx\'s proxy_pass with a URI: that URI, and the request\'s arguments');
    assert.equal(seen.headers.host, MIRROR, 'the copy\'s Host is the target\'s host, as ingress-nginx sets it');
    // mirror_request_body on (the default): the body is copied.
    const post = await copyOf('literal.mirror.foo.com', '/upload', { method: 'POST', body: 'hello mirror' });
    assert.equal(post.response.echo?.body, 'hello mirror');
    assert.equal(post.seen.method, 'POST');
    assert.equal(post.seen.body, 'hello mirror', 'mirror_request_body on: the copy carries the body');
  });

  test('mirror.go: should set mirror-target to https://test.env.com/$request_uri (over http to the mirror Service: the prefix, then the request URI)', async () => {
    const { seen } = await copyOf('request-uri.mirror.foo.com', '/foo?b=2');
    assert.equal(seen.url, '//foo?b=2', 'the literal "/" then $request_uri, as nginx writes it');
    const bare = await copyOf('bare.mirror.foo.com', '/foo/bar?c=3');
    assert.equal(bare.seen.url, '/foo/bar?c=3', 'http://<svc>$request_uri: the request\'s own path and query');
    assert.equal(bare.seen.headers.host, 'mirror.default.svc');
  });

  test('mirror.go: should set mirror-target to https://test.env.com/$request_uri (deliberate difference: https targets are refused with a warning; the Ingress is served without a copy)', async () => {
    const warning = await portero.waitForLog((line) => line.object === 'Ingress default/https' && line.field === `metadata.annotations["${A}/mirror-target"]`);
    assert.match(String(warning.msg), /https mirror targets are not supported/);
    assert.equal(warning.level, 'warn');
    const before = mirror.requests.length;
    const response = await eventually(async () => {
      const answer = await send('https.mirror.foo.com', '/x');
      assert.equal(answer.status, 200);
      return answer;
    });
    assert.equal(response.echo?.name, 'http-svc');
    // A later mirrored request reaches the mirror: had this one been copied, it would have arrived first.
    await copyOf('literal.mirror.foo.com', '/after-https');
    assert.ok(!mirror.requests.slice(before).some((entry) => entry.headers.host === 'https.mirror.foo.com' || entry.url.includes('/x')), 'no copy of the https-targeted request');
  });

  test('mirror.go: should disable mirror-request-body (the copy has the method, no body)', async () => {
    const { response, seen } = await copyOf('body-off.mirror.foo.com', '/upload', { method: 'POST', body: 'secret body' });
    assert.equal(response.echo?.body, 'secret body', 'the Service gets the body');
    assert.equal(seen.method, 'POST');
    assert.equal(seen.url, '/mirror');
    assert.equal(seen.body, '', 'mirror_request_body off: no body in the copy');
  });

  test('a body the buffer cannot hold whole, or a chunked one, is not copied (no truncated copy); the Service gets it all', async () => {
    const big = 'b'.repeat(100 * 1024);
    const markers = ['big', 'chunked'].map((kind) => `${kind}-${Math.random().toString(36).slice(2)}`);
    const large = await request({ port: portero.httpPort, host: 'literal.mirror.foo.com', path: '/big', method: 'POST', headers: { 'x-marker': markers[0]!, 'content-type': 'text/plain' }, body: big });
    assert.equal(large.status, 200);
    assert.equal(large.echo?.body.length, big.length);
    const chunked = await request({ port: portero.httpPort, host: 'literal.mirror.foo.com', path: '/chunked', method: 'POST', headers: { 'x-marker': markers[1]!, 'transfer-encoding': 'chunked' }, body: 'small' });
    assert.equal(chunked.status, 200);
    assert.equal(chunked.echo?.body, 'small');
    // A later copy arrives; neither of these ever does.
    await copyOf('literal.mirror.foo.com', '/after-bodies');
    assert.ok(!mirror.requests.some((entry) => markers.includes(String(entry.headers['x-marker']))), 'no copy of a body that is not whole');
  });

  test('mirror-host sets the copy\'s Host (lowercased); an IP literal target is reached as written', async () => {
    const { seen } = await copyOf('host.mirror.foo.com', '/h');
    assert.equal(seen.headers.host, 'shadow.example.com');
    assert.equal(seen.url, '/h');
    const byAddress = await copyOf('address.mirror.foo.com', '/p?q=1');
    assert.equal(byAddress.seen.url, '/by-address/p?q=1');
    assert.equal(byAddress.seen.headers.host, mirror.address);
  });

  test('a mirror that is down changes nothing for the client', async () => {
    for (let i = 0; i < 20; i += 1) {
      const response = await eventually(async () => {
        const answer = await send('down.mirror.foo.com', `/d${i}`, { method: 'POST', body: `b${i}` });
        assert.equal(answer.status, 200);
        return answer;
      });
      assert.equal(response.echo?.name, 'http-svc');
      assert.equal(response.echo?.body, `b${i}`);
    }
  });

  test('the strict grammar: nginx variables but $request_uri, configuration text and hosts without a Service name are refused, naming Ingress, annotation and value; those Ingresses are served without a copy', async () => {
    for (const [name, annotation] of [['variable', 'mirror-target'], ['injection', 'mirror-target'], ['external', 'mirror-target'], ['bad-host', 'mirror-host']] as const) {
      const warning = await portero.waitForLog((line) => line.object === `Ingress default/${name}` && line.field === `metadata.annotations["${A}/${annotation}"]`);
      assert.equal(warning.level, 'warn', `${name}: a warning`);
      assert.match(String(warning.msg), /^value "/, `${name}: the value is named`);
    }
    for (const host of ['variable', 'injection', 'external']) {
      const response = await eventually(async () => {
        const answer = await send(`${host}.mirror.foo.com`, '/');
        assert.equal(answer.status, 200);
        return answer;
      });
      assert.equal(response.echo?.name, 'http-svc');
    }
    // An invalid mirror-host: the target's host is the copy's Host.
    const { seen } = await copyOf('bad-host.mirror.foo.com', '/bh');
    assert.equal(seen.headers.host, MIRROR);
  });

  test('adding a mirror to an Ingress reloads HAProxy, and its copies start; removing it stops them', async () => {
    const reloads = async () => (await portero.metric('portero_haproxy_reloads_total{reason="structural"}')) ?? 0;
    await portero.write('later.yaml', [single('later', 'later.mirror.foo.com', {})]);
    await eventually(async () => assert.equal((await send('later.mirror.foo.com', '/')).status, 200));
    const before = await reloads();
    await portero.write('later.yaml', [single('later', 'later.mirror.foo.com', { 'mirror-target': `http://${MIRROR}/later` })]);
    await eventually(async () => assert.ok((await reloads()) > before, 'adding a mirror reloads'));
    const { seen } = await copyOf('later.mirror.foo.com', '/x');
    assert.equal(seen.url, '/later');
    await portero.write('later.yaml', [single('later', 'later.mirror.foo.com', {})]);
    // Once the copy of a fresh request no longer arrives while a mirrored one does, the mirror is gone.
    await eventually(async () => {
      const marker = `gone-${Math.random()}`;
      const answer = await request({ port: portero.httpPort, host: 'later.mirror.foo.com', path: '/y', headers: { 'x-marker': marker } });
      assert.equal(answer.status, 200);
      await copyOf('literal.mirror.foo.com', '/probe');
      assert.ok(!mirror.requests.some((entry) => entry.headers['x-marker'] === marker), 'no copy after the mirror is removed');
    }, 15_000, 200);
  });
});
