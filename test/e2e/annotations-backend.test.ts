// ingress-nginx backend annotations through real HAProxy: HTTPS, GRPC (h2c)
// and GRPCS upstreams, SNI, cookie affinity (also for an endpoint added at
// runtime, without a reload), upstream-hash-by, service-upstream, and
// invalid values refused with a diagnostic naming the annotation.

import assert from 'node:assert/strict';
import { createServer as createHttpsServer } from 'node:https';
import { createSecureServer, createServer as createH2cServer, type Http2ServerRequest, type Http2ServerResponse } from 'node:http2';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { after, before, describe, test } from 'node:test';
import { generateSelfSigned } from '../../src/tls/default-certificate.js';
import { listenOnLoopback, startBackend, type Backend, type Listening } from '../helpers/backends.js';
import { currentWorker } from '../helpers/haproxy.js';
import { request } from '../helpers/http.js';
import { ingress, ingressClass, serviceWithEndpoints, type Json } from '../helpers/objects.js';
import { eventually, startPortero, type Portero } from '../helpers/portero.js';

const A = 'nginx.ingress.kubernetes.io';

function annotated(name: string, host: string, service: string, annotations: Record<string, string>, port?: number): Json {
  return ingress({ name, className: 'nginx', annotations, rules: [{ host, paths: [{ service, ...(port ? { port } : {}) }] }] });
}

type Upstream = Listening;

/** Answers what the proxy's request looked like: HTTP version, TLS server name, ALPN. */
function describeRequest(name: string) {
  return (req: IncomingMessage | Http2ServerRequest, res: ServerResponse | Http2ServerResponse) => {
    const socket = req.socket as TLSSocket;
    const body = JSON.stringify({ name, httpVersion: req.httpVersion, url: req.url, servername: socket.servername ?? false, alpn: socket.alpnProtocol ?? false, headers: {} });
    res.writeHead(200, { 'content-type': 'application/json', 'x-backend': name });
    res.end(body);
  };
}

const listen = listenOnLoopback;

function service(name: string, endpoints: { address: string; port: number }[], clusterIP?: string, servicePort?: number): Json[] {
  const [svc, ...slices] = serviceWithEndpoints({ name, endpoints, ...(servicePort ? { servicePort } : {}) });
  if (clusterIP) (svc as { spec: Record<string, unknown> }).spec.clusterIP = clusterIP;
  return [svc!, ...slices];
}

const cookieOf = (setCookie: string[] | undefined, name = 'INGRESSCOOKIE') => setCookie?.map((line) => line.split(';')[0]!).find((pair) => pair.startsWith(`${name}=`));

describe('ingress-nginx annotations: backends (protocol, affinity, hashing, service-upstream)', () => {
  let portero: Portero;
  let tls: Upstream;
  let h2c: Upstream;
  let h2tls: Upstream;
  let one: Backend;
  let two: Backend;
  let three: Backend;
  let cluster: Backend;

  before(async () => {
    const certificate = await generateSelfSigned('upstream.internal', ['upstream.internal'], 30);
    tls = await listen(createHttpsServer({ cert: certificate.cert, key: certificate.key }, describeRequest('tls')));
    h2c = await listen(createH2cServer(describeRequest('h2c')));
    h2tls = await listen(createSecureServer({ cert: certificate.cert, key: certificate.key }, describeRequest('h2tls')));
    [one, two, three, cluster] = await Promise.all([startBackend('one'), startBackend('two'), startBackend('three'), startBackend('cluster')]);
    portero = await startPortero({
      flags: ['--ingress-class', 'nginx', '--controller-class', 'k8s.io/ingress-nginx'],
      files: {
        'class.yaml': [ingressClass('nginx', 'k8s.io/ingress-nginx')],
        'services.yaml': [
          ...service('tls', [tls]),
          ...service('h2c', [h2c]),
          ...service('h2tls', [h2tls]),
          ...service('hashed', [one, two]),
          // The ClusterIP is a loopback address serving the Service port; the pod address is another backend.
          ...service('clustered', [one], cluster.address, cluster.port),
        ],
        'sticky.yaml': service('sticky', [one, two]),
        'ingresses.yaml': [
          annotated('https', 'https.be.test', 'tls', { [`${A}/backend-protocol`]: 'HTTPS' }),
          annotated('https-sni', 'sni.be.test', 'tls', { [`${A}/backend-protocol`]: 'HTTPS', [`${A}/proxy-ssl-server-name`]: 'on' }),
          annotated('https-name', 'name.be.test', 'tls', { [`${A}/backend-protocol`]: 'HTTPS', [`${A}/proxy-ssl-server-name`]: 'on', [`${A}/proxy-ssl-name`]: 'upstream.internal' }),
          annotated('grpc', 'grpc.be.test', 'h2c', { [`${A}/backend-protocol`]: 'GRPC' }),
          annotated('grpcs', 'grpcs.be.test', 'h2tls', { [`${A}/backend-protocol`]: 'GRPCS' }),
          annotated('sticky', 'sticky.be.test', 'sticky', { [`${A}/affinity`]: 'cookie', [`${A}/session-cookie-samesite`]: 'Lax', [`${A}/session-cookie-max-age`]: '600' }),
          annotated('hashed', 'hash.be.test', 'hashed', { [`${A}/upstream-hash-by`]: '$request_uri' }),
          annotated('clustered', 'cluster.be.test', 'clustered', { [`${A}/service-upstream`]: 'true' }, cluster.port),
          annotated('bad-protocol', 'badproto.be.test', 'tls', { [`${A}/backend-protocol`]: 'FCGI' }),
          annotated('bad-hash', 'badhash.be.test', 'hashed', { [`${A}/upstream-hash-by`]: '$cookie_user' }),
          annotated('bad-verify', 'badverify.be.test', 'tls', { [`${A}/backend-protocol`]: 'HTTPS', [`${A}/proxy-ssl-verify`]: 'on' }),
        ],
      },
    });
  });

  after(async () => {
    await portero?.dispose();
    await Promise.all([tls, h2c, h2tls, one, two, three, cluster].map((server) => server?.close()));
  });

  test('backend-protocol HTTPS: the endpoint is reached over TLS without verification and, by default, without SNI', async () => {
    const response = await request({ port: portero.httpPort, host: 'https.be.test', path: '/x' });
    assert.equal(response.status, 200);
    assert.equal(response.echo?.name, 'tls');
    assert.equal((response.echo as unknown as { servername: unknown }).servername, false);
  });

  test('proxy-ssl-server-name on: SNI is the request host, or proxy-ssl-name', async () => {
    const host = await request({ port: portero.httpPort, host: 'sni.be.test:80', path: '/' });
    assert.equal(host.status, 200);
    assert.equal((host.echo as unknown as { servername: unknown }).servername, 'sni.be.test');
    const named = await request({ port: portero.httpPort, host: 'name.be.test', path: '/' });
    assert.equal((named.echo as unknown as { servername: unknown }).servername, 'upstream.internal');
  });

  test('backend-protocol GRPC: HTTP/2 in clear text to the endpoint', async () => {
    const response = await request({ port: portero.httpPort, host: 'grpc.be.test', path: '/svc.Echo/Say' });
    assert.equal(response.status, 200);
    assert.equal(response.echo?.name, 'h2c');
    assert.equal(response.echo?.httpVersion, '2.0');
  });

  test('backend-protocol GRPCS: HTTP/2 over TLS (ALPN h2) to the endpoint', async () => {
    const response = await request({ port: portero.httpPort, host: 'grpcs.be.test', path: '/svc.Echo/Say' });
    assert.equal(response.status, 200);
    assert.equal(response.echo?.name, 'h2tls');
    assert.equal(response.echo?.httpVersion, '2.0');
    assert.equal((response.echo as unknown as { alpn: unknown }).alpn, 'h2');
  });

  test('affinity cookie: a cookie is set, requests with it stick; an endpoint added at runtime gets its cookie too, without a reload', async () => {
    const first = await request({ port: portero.httpPort, host: 'sticky.be.test', path: '/' });
    assert.equal(first.status, 200);
    const setCookie = first.headers['set-cookie']?.[0] ?? '';
    assert.match(setCookie, /^INGRESSCOOKIE=[0-9a-f]{16}; path=\/; HttpOnly; SameSite=Lax; Max-Age=600$/);
    const cookie = cookieOf(first.headers['set-cookie'])!;
    for (let i = 0; i < 6; i += 1) {
      const again = await request({ port: portero.httpPort, host: 'sticky.be.test', path: `/${i}`, headers: { cookie } });
      assert.equal(again.echo?.name, first.echo?.name, 'the same endpoint');
      assert.equal(again.headers['set-cookie'], undefined, 'a valid cookie is not set again');
    }

    const worker = await currentWorker(portero.stateDir);
    await portero.write('sticky.yaml', service('sticky', [one, two, three]));
    // Round robin without a cookie reaches the new endpoint, which must set a cookie of its own.
    const fromThree = await eventually(async () => {
      const response = await request({ port: portero.httpPort, host: 'sticky.be.test', path: '/' });
      assert.equal(response.echo?.name, 'three');
      return response;
    });
    const threeCookie = cookieOf(fromThree.headers['set-cookie']);
    assert.match(threeCookie ?? '', /^INGRESSCOOKIE=[0-9a-f]{16}$/, `a cookie value for the added endpoint: ${String(fromThree.headers['set-cookie'])}`);
    assert.notEqual(threeCookie, cookie);
    for (let i = 0; i < 4; i += 1) {
      const again = await request({ port: portero.httpPort, host: 'sticky.be.test', path: '/', headers: { cookie: threeCookie! } });
      assert.equal(again.echo?.name, 'three');
    }
    // The old cookie still leads to its endpoint.
    assert.equal((await request({ port: portero.httpPort, host: 'sticky.be.test', path: '/', headers: { cookie } })).echo?.name, first.echo?.name);
    assert.equal(await currentWorker(portero.stateDir), worker, 'no reload');
  });

  test('upstream-hash-by $request_uri: the same URI always reaches the same endpoint', async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 16; i += 1) {
      const path = `/item/${i}?v=${i * 7}`;
      const answers = new Set<string>();
      for (let j = 0; j < 3; j += 1) answers.add((await request({ port: portero.httpPort, host: 'hash.be.test', path })).echo?.name ?? 'none');
      assert.equal(answers.size, 1, `${path} reached ${[...answers].join(', ')}`);
      seen.add([...answers][0]!);
    }
    assert.deepEqual([...seen].sort(), ['one', 'two'], 'different URIs spread over both endpoints');
  });

  test('service-upstream: the Service ClusterIP is the only server', async () => {
    for (let i = 0; i < 3; i += 1) assert.equal((await request({ port: portero.httpPort, host: 'cluster.be.test', path: '/' })).echo?.name, 'cluster');
  });

  test('invalid values leave the Ingress out, with an error naming the annotation', async () => {
    const cases: [string, string, RegExp][] = [
      ['badproto.be.test', 'backend-protocol', /FCGI is not supported/],
      ['badhash.be.test', 'upstream-hash-by', /not supported by HAProxy 2\.6/],
      ['badverify.be.test', 'proxy-ssl-verify', /proxy-ssl-secret/],
    ];
    for (const [host, name, message] of cases) {
      assert.equal((await request({ port: portero.httpPort, host, path: '/' })).status, 404);
      const entry = await portero.waitForLog((line) => line.field === `metadata.annotations["${A}/${name}"]`);
      assert.equal(entry.level, 'error');
      assert.match(String(entry.msg), message);
      assert.match(String(entry.msg), /the Ingress is not served/);
    }
  });
});
