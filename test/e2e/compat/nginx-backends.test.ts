// ingress-nginx's own e2e cases for backend annotations (test/e2e/annotations/
// of kubernetes/ingress-nginx: affinity.go, affinitymode.go, upstreamhashby.go,
// serviceupstream.go, backendprotocol.go, grpc.go, proxy.go, proxyssl.go,
// connection.go, clientbodybuffersize.go, log.go, websocket.go, and the
// snippet cases without --allow-snippet-annotations), ported to real HAProxy
// and real requests. Most upstream cases only grep nginx.conf; each is ported
// as the behaviour that text stands for. Canaries are in
// nginx-backends-canary.test.ts, snippets with the flag in
// nginx-backends-snippets.test.ts.
//
// not ported here: serviceupstream.go "when enabling in the configmap", "when enabling in the configmap and disabling in the annotations" — need --configmap; ported in nginx-settings-configmap-keys.test.ts
// not ported here: proxy.go "should build proxy next upstream using configmap values" — needs --configmap; ported in nginx-settings-configmap-keys.test.ts
// not ported: proxyssl.go (all five cases: proxy-ssl-secret with verify, ciphers, protocols, proxy-ssl-location-only) — proxy-ssl-secret is documented as refused (docs/annotations.md, Backend protocol); the refusal is asserted below
// not ported: disableaccesslog.go (disable-access-log, disable-http-access-log, disable-stream-access-log) — ConfigMap keys Portero does not read; access logs are off unless --access-log

import assert from 'node:assert/strict';
import { createServer as createHttpServer } from 'node:http';
import { createSecureServer } from 'node:http2';
import { createServer as createHttpsServer } from 'node:https';
import { connect } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { after, before, describe, test } from 'node:test';
import { WebSocket } from 'ws';
import { generateSelfSigned } from '../../../src/tls/default-certificate.js';
import { listenOnLoopback, startBackend, type Backend, type Listening } from '../../helpers/backends.js';
import { grpcCall, grpcFrame, startGrpcBackend, type GrpcBackend } from '../../helpers/grpc.js';
import { request, type Response } from '../../helpers/http.js';
import { ingress, ingressClass, serviceWithEndpoints, tlsSecret, type Json, type PathSpec } from '../../helpers/objects.js';
import { eventually, startPortero, type Portero } from '../../helpers/portero.js';

const A = 'nginx.ingress.kubernetes.io';
const ECHO = 'echo';

/** framework.NewSingleIngress: one host, one path, one Service on port 80. */
function single(name: string, host: string, path: string, service: string, annotations: Record<string, string> = {}, extra: { pathType?: string; port?: number; tls?: boolean } = {}): Json {
  return ingress({
    name,
    className: 'nginx',
    annotations,
    rules: [{ host, paths: [{ path, pathType: extra.pathType ?? 'Prefix', service, ...(extra.port ? { port: extra.port } : {}) }] }],
    ...(extra.tls ? { tls: [{ hosts: [host], secretName: 'site' }] } : {}),
  });
}

const listen = listenOnLoopback;

/** A Service whose ClusterIP is `clusterIP` (a loopback address serving the Service port). */
function serviceWithClusterIP(name: string, endpoints: { address: string; port: number }[], cluster: { address: string; port: number }): Json[] {
  const [svc, ...slices] = serviceWithEndpoints({ name, endpoints, servicePort: cluster.port });
  (svc as { spec: Record<string, unknown> }).spec.clusterIP = cluster.address;
  return [svc!, ...slices];
}

/** client-body-buffer-size values of clientbodybuffersize.go, each on a host of its own. */
const CBBS = [
  ['1000', 'cbbs-1000.foo.com'],
  ['1K', 'cbbs-1k-upper.foo.com'],
  ['1k', 'cbbs-1k.foo.com'],
  ['1m', 'cbbs-1m.foo.com'],
  ['1M', 'cbbs-1m-upper.foo.com'],
  ['1b', 'cbbs-1b.foo.com'],
] as const;

const setCookie = (response: Response) => (response.headers['set-cookie'] ?? []).join('\n');
const cookiePair = (response: Response, name: string) => response.headers['set-cookie']?.map((line) => line.split(';')[0]!).find((pair) => pair.startsWith(`${name}=`));

describe('ingress-nginx e2e: backend annotations (affinity, hashing, protocols, proxy-*, logs, websocket)', () => {
  let portero: Portero;
  let echo: Backend[];
  let persist: Backend[];
  let hashed: Backend[];
  let cluster: Backend;
  let pod: Backend;
  let bad: Listening;
  let badHits = 0;
  let tls: Listening;
  let grpc: GrpcBackend;
  let grpcs: Listening;
  let auth: Listening;
  let site: { cert: string; key: string };

  before(async () => {
    echo = await Promise.all([startBackend('echo-1'), startBackend('echo-2')]);
    persist = await Promise.all(Array.from({ length: 10 }, (_, i) => startBackend(`persist-${i}`)));
    hashed = await Promise.all(Array.from({ length: 6 }, (_, i) => startBackend(`hashed-${i}`)));
    cluster = await startBackend('cluster');
    pod = await startBackend('pod');
    bad = await listen(
      createHttpServer((_req, res) => {
        badHits += 1;
        res.writeHead(502, { 'content-type': 'text/plain' });
        res.end('bad gateway from the endpoint');
      }),
    );
    const upstreamCert = await generateSelfSigned('upstream.internal', ['upstream.internal'], 30);
    tls = await listen(
      createHttpsServer({ cert: upstreamCert.cert, key: upstreamCert.key }, (req, res) => {
        res.writeHead(200, { 'content-type': 'application/json', 'x-backend': 'tls' });
        res.end(JSON.stringify({ name: 'tls', method: req.method, url: req.url, headers: req.headers, body: '', httpVersion: req.httpVersion, remotePort: 0 }));
      }),
    );
    grpc = await startGrpcBackend('grpcbin');
    // A gRPC endpoint over TLS (h2 by ALPN) that answers with the server name it was asked for.
    const secure = createSecureServer({ cert: upstreamCert.cert, key: upstreamCert.key });
    secure.on('stream', (stream, headers) => {
      stream.on('data', () => undefined);
      stream.on('end', () => {
        const servername = (stream.session?.socket as TLSSocket | undefined)?.servername ?? false;
        stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'x-backend': 'grpcs' }, { waitForTrailers: true });
        stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
        stream.end(grpcFrame(JSON.stringify({ name: 'grpcs', servername, path: headers[':path'] })));
      });
      stream.on('error', () => undefined);
    });
    grpcs = await listen(secure);
    // httpbun's /response-headers?authorization=foo: an auth service answering 200 with that header.
    auth = await listen(
      createHttpServer((_req, res) => {
        res.writeHead(200, { authorization: 'foo', 'content-type': 'text/plain' });
        res.end('ok');
      }),
    );
    site = await generateSelfSigned('foo.com', ['secure-https.foo.com', 'echo'], 30);

    const affinity = (name = 'SERVERID', more: Record<string, string> = {}) => ({ [`${A}/affinity`]: 'cookie', [`${A}/session-cookie-name`]: name, ...more });
    portero = await startPortero({
      flags: ['--ingress-class', 'nginx', '--controller-class', 'k8s.io/ingress-nginx', '--access-log'],
      files: {
        'class.yaml': [ingressClass('nginx', 'k8s.io/ingress-nginx')],
        'secret.yaml': [tlsSecret('site', site.cert, site.key)],
        'services.yaml': [
          ...serviceWithEndpoints({ name: ECHO, endpoints: echo }),
          ...serviceWithEndpoints({ name: 'hashed', endpoints: hashed }),
          ...serviceWithEndpoints({ name: 'balanced', endpoints: persist.slice(0, 5) }),
          ...serviceWithClusterIP('clustered', [pod], cluster),
          ...serviceWithEndpoints({ name: 'flaky', endpoints: [bad, echo[0]!] }),
          ...serviceWithEndpoints({ name: 'tls', endpoints: [tls] }),
          ...serviceWithEndpoints({ name: 'grpcbin', endpoints: [grpc] }),
          ...serviceWithEndpoints({ name: 'grpcbin-tls', endpoints: [grpcs] }),
        ],
        'persist.yaml': serviceWithEndpoints({ name: 'persistent', endpoints: persist.slice(0, 5) }),
        'change.yaml': [single('change.foo.com', 'change.foo.com', '/', ECHO, affinity())],
        'ingresses.yaml': [
          // affinity.go
          single('sticky.foo.com', 'sticky.foo.com', '/', ECHO, affinity()),
          single('path.foo.com', 'path.foo.com', '/something', ECHO, affinity()),
          ingress({
            name: 'morethanonerule.foo.com',
            className: 'nginx',
            annotations: affinity(),
            rules: [{ host: 'morethanonerule.foo.com', paths: ['/something', '/somewhereelse'].map((path): PathSpec => ({ path, pathType: 'Prefix', service: ECHO })) }],
          }),
          single('cookieexpires.foo.com', 'cookieexpires.foo.com', '/', ECHO, affinity('ExpiresCookie', { [`${A}/session-cookie-expires`]: '172800', [`${A}/session-cookie-max-age`]: '259200' })),
          single('useregex.foo.com', 'useregex.foo.com', '/foo/.*', ECHO, affinity('SERVERID', { [`${A}/use-regex`]: 'true', [`${A}/session-cookie-path`]: '/foo/bar' }), { pathType: 'ImplementationSpecific' }),
          single('useregexwarn.foo.com', 'useregexwarn.foo.com', '/foo/.*', ECHO, affinity('SERVERID', { [`${A}/use-regex`]: 'true' }), { pathType: 'ImplementationSpecific' }),
          single('ingress1', 'separate.foo.com', '/foo/bar', ECHO, { [`${A}/affinity`]: 'cookie' }),
          single('ingress2', 'separate.foo.com', '/foo', ECHO),
          // A rule without host, on a path of its own so that unknown hosts still get 404 on other paths.
          ingress({ name: 'default-no-host', className: 'nginx', annotations: affinity(), rules: [{ paths: [{ path: '/no-host', pathType: 'Prefix', service: ECHO }] }] }),
          ingress({ name: 'alias.foo.com', className: 'nginx', annotations: affinity('SERVERID', { [`${A}/server-alias`]: 'a1.foo.com,a2.foo.com' }), rules: [{ host: 'alias.foo.com', paths: [{ path: '/bar', pathType: 'Prefix', service: ECHO }] }] }),
          single('secure-true.foo.com', 'secure-true.foo.com', '/bar', ECHO, affinity('SERVERID', { [`${A}/session-cookie-secure`]: 'true' })),
          single('secure-false.foo.com', 'secure-false.foo.com', '/bar', ECHO, affinity('SERVERID', { [`${A}/session-cookie-secure`]: 'false' })),
          single('secure-https.foo.com', 'secure-https.foo.com', '/', ECHO, affinity('SERVERID', { [`${A}/session-cookie-secure`]: 'false' }), { tls: true }),
          // affinitymode.go (the session-cookie-name key is misspelt upstream, so the default name is used)
          single('affinity-mode-balance.com', 'affinity-mode-balance.com', '/', 'balanced', {
            [`${A}/affinity`]: 'cookie',
            [`ginx.ingress.kubernetes.io/session-cookie-name`]: 'hello-cookie',
            [`${A}/session-cookie-expires`]: '172800',
            [`${A}/session-cookie-max-age`]: '172800',
            [`${A}/ssl-redirect`]: 'false',
            [`${A}/affinity-mode`]: 'balanced',
          }),
          single('affinity-mode-persistent.com', 'affinity-mode-persistent.com', '/', 'persistent', {
            [`${A}/affinity`]: 'cookie',
            [`${A}/session-cookie-expires`]: '172800',
            [`${A}/session-cookie-max-age`]: '172800',
            [`${A}/ssl-redirect`]: 'false',
            [`${A}/affinity-mode`]: 'persistent',
          }),
          // upstreamhashby.go
          single('hash', 'upstream-hash-by.foo.com', '/', 'hashed', { [`${A}/upstream-hash-by`]: '$request_uri' }),
          single('hash-subset', 'upstream-hash-by-subset.foo.com', '/', 'hashed', { [`${A}/upstream-hash-by`]: '$request_uri', [`${A}/upstream-hash-by-subset`]: 'true', [`${A}/upstream-hash-by-subset-size`]: '3' }),
          // serviceupstream.go
          single('serviceupstream', 'serviceupstream', '/', 'clustered', { [`${A}/service-upstream`]: 'true' }, { port: cluster.port }),
          single('serviceupstream-off', 'serviceupstream-off', '/', 'clustered', { [`${A}/service-upstream`]: 'false' }, { port: cluster.port }),
          // backendprotocol.go
          single('bp-https', 'backendprotocol-https.foo.com', '/', 'tls', { [`${A}/backend-protocol`]: 'HTTPS' }),
          single('bp-grpc', 'backendprotocol-grpc.foo.com', '/', 'grpcbin', { [`${A}/backend-protocol`]: 'GRPC' }),
          single('bp-grpcs', 'backendprotocol-grpcs.foo.com', '/', 'grpcbin-tls', { [`${A}/backend-protocol`]: 'GRPCS' }),
          single('bp-fcgi', 'backendprotocol-fcgi.foo.com', '/', ECHO, { [`${A}/backend-protocol`]: 'FCGI' }),
          single('bp-ajp', 'backendprotocol-ajp.foo.com', '/', ECHO, { [`${A}/backend-protocol`]: 'AJP' }),
          // grpc.go
          single('echo', 'echo', '/', 'grpcbin', { [`${A}/backend-protocol`]: 'GRPC' }, { tls: true }),
          single('grpc-auth', 'grpc-auth.foo.com', '/', 'grpcbin', {
            [`${A}/auth-url`]: `http://${auth.address}:${auth.port}/response-headers?authorization=foo`,
            [`${A}/auth-response-headers`]: 'Authorization',
            [`${A}/backend-protocol`]: 'GRPC',
          }),
          single('grpcs-echo', 'grpcs.foo.com', '/', 'grpcbin-tls', { [`${A}/backend-protocol`]: 'GRPCS', [`${A}/proxy-ssl-server-name`]: 'on', [`${A}/proxy-ssl-name`]: 'grpcbin.default.svc.cluster.local' }),
          // proxy.go
          single('redirect-off', 'proxy-redirect-off.foo.com', '/', ECHO, { [`${A}/proxy-redirect-from`]: 'off', [`${A}/proxy-redirect-to`]: 'goodbye.com' }),
          single('redirect-default', 'proxy-redirect-default.foo.com', '/', ECHO, { [`${A}/proxy-redirect-from`]: 'default', [`${A}/proxy-redirect-to`]: 'goodbye.com' }),
          single('redirect-hello', 'proxy-redirect-hello.foo.com', '/', ECHO, { [`${A}/proxy-redirect-from`]: 'hello.com', [`${A}/proxy-redirect-to`]: 'goodbye.com' }),
          single('body-8m', 'proxy-body.foo.com', '/', ECHO, { [`${A}/proxy-body-size`]: '8m' }),
          single('body-15r', 'proxy-body-bad.foo.com', '/', ECHO, { [`${A}/proxy-body-size`]: '15r' }),
          single('timeouts', 'proxy-timeouts.foo.com', '/', ECHO, { [`${A}/proxy-connect-timeout`]: '50', [`${A}/proxy-send-timeout`]: '20', [`${A}/proxy-read-timeout`]: '20' }),
          single('timeouts-bad', 'proxy-timeouts-bad.foo.com', '/', ECHO, { [`${A}/proxy-connect-timeout`]: '50k', [`${A}/proxy-send-timeout`]: '20k', [`${A}/proxy-read-timeout`]: '20k' }),
          single('buffering', 'proxy-buffering.foo.com', '/', ECHO, { [`${A}/proxy-buffering`]: 'on', [`${A}/proxy-buffers-number`]: '8', [`${A}/proxy-buffer-size`]: '8k' }),
          single('request-buffering', 'proxy-request-buffering.foo.com', '/', ECHO, { [`${A}/proxy-request-buffering`]: 'off' }),
          single('next-upstream', 'proxy-next-upstream.foo.com', '/', 'flaky', { [`${A}/proxy-next-upstream`]: 'error timeout http_502', [`${A}/proxy-next-upstream-timeout`]: '10', [`${A}/proxy-next-upstream-tries`]: '5' }),
          single('cookies', 'proxy-cookies.foo.com', '/', ECHO, { [`${A}/proxy-cookie-domain`]: 'localhost example.org', [`${A}/proxy-cookie-path`]: '/one/ /' }),
          single('http10', 'proxy-http-version.foo.com', '/', ECHO, { [`${A}/proxy-http-version`]: '1.0' }),
          // proxyssl.go
          single('proxyssl.foo.com', 'proxyssl.foo.com', '/', ECHO, { [`${A}/proxy-ssl-secret`]: 'default/proxyssl.foo.com' }),
          // connection.go
          single('connection', 'connection.foo.com', '/', ECHO, { [`${A}/connection-proxy-header`]: 'keep-alive' }),
          // clientbodybuffersize.go
          ...CBBS.map(([size, host]) => single(`cbbs-${size.toLowerCase()}${size === '1K' || size === '1M' ? '-upper' : ''}`, host, '/', ECHO, { [`${A}/client-body-buffer-size`]: size })),
          // log.go
          single('log-off', 'log.foo.com', '/', ECHO, { [`${A}/enable-access-log`]: 'false' }),
          single('log-on', 'log-on.foo.com', '/', ECHO),
          single('rewrite-log', 'rewrite-log.foo.com', '/', ECHO, { [`${A}/enable-rewrite-log`]: 'true' }),
          // websocket.go
          single('ws', 'ws.foo.com', '/', ECHO),
          single('ws-off', 'ws-off.foo.com', '/', ECHO, { [`${A}/enable-websocket`]: 'false' }),
          // snippet.go and serversnippet.go without --allow-snippet-annotations
          single('configurationsnippet', 'configurationsnippet.foo.com', '/', ECHO, { [`${A}/configuration-snippet`]: '\n\t\t\t\tmore_set_headers "Request-Id: $req_id";' }),
          single('serversnippet', 'serversnippet.foo.com', '/', ECHO, { [`${A}/server-snippet`]: '\n\t\t\t\tmore_set_headers "Content-Length: $content_length";\n\t\t\t\tmore_set_headers "Content-Type: $content_type";' }),
        ],
      },
    });
  });

  after(async () => {
    await portero?.dispose();
    await Promise.all([...echo, ...persist, ...hashed, cluster, pod, bad, tls, grpc, grpcs, auth].map((server) => server?.close()));
  });

  const get = (host: string, path = '/', more: Partial<Parameters<typeof request>[0]> = {}) => request({ port: portero.httpPort, host, path, ...more });
  /** The error Portero logged for an annotation of an Ingress. */
  const errorFor = (ingressName: string, annotation: string) =>
    portero.waitForLog((line) => line.object === `Ingress default/${ingressName}` && line.field === `metadata.annotations["${A}/${annotation}"]` && line.level === 'error');
  /** The warning of an annotation Portero does not apply. */
  const ignoredWarning = (ingressName: string, annotation: string) =>
    portero.waitForLog((line) => line.object === `Ingress default/${ingressName}` && line.field === `metadata.annotations["${A}/${annotation}"]` && line.level === 'warn');

  /** Sends only the headers of a POST declaring `length` bytes of body, and returns the status of the answer. */
  const declaredBodyStatus = (host: string, length: number) =>
    new Promise<number>((resolve, reject) => {
      const socket = connect(portero.httpPort, '127.0.0.1', () => socket.write(`POST / HTTP/1.1\r\nHost: ${host}\r\nContent-Length: ${length}\r\n\r\n`));
      let text = '';
      socket.setTimeout(10_000, () => socket.destroy(new Error('no answer')));
      socket.on('data', (chunk: Buffer) => {
        text += chunk.toString('latin1');
        const status = /^HTTP\/1\.1 (\d{3})/.exec(text);
        if (status) {
          socket.destroy();
          resolve(Number(status[1]));
        }
      });
      socket.on('error', reject);
    });

  // affinity.go

  test('affinity.go: should set sticky cookie SERVERID', async () => {
    const response = await get('sticky.foo.com');
    assert.equal(response.status, 200);
    assert.match(setCookie(response), /SERVERID=/);
    // The cookie keeps the client on its endpoint.
    const cookie = cookiePair(response, 'SERVERID')!;
    for (let i = 0; i < 6; i += 1) assert.equal((await get('sticky.foo.com', '/', { headers: { cookie } })).echo?.name, response.echo?.name);
  });

  test('affinity.go: should change cookie name on ingress definition change', async () => {
    assert.match(setCookie(await get('change.foo.com')), /SERVERID/);
    await portero.write('change.yaml', [single('change.foo.com', 'change.foo.com', '/', ECHO, { [`${A}/affinity`]: 'cookie', [`${A}/session-cookie-name`]: 'OTHERCOOKIENAME' })]);
    await eventually(async () => assert.match(setCookie(await get('change.foo.com')), /OTHERCOOKIENAME=/));
  });

  test('affinity.go: should set the path to /something on the generated cookie', async () => {
    const response = await get('path.foo.com', '/something');
    assert.equal(response.status, 200);
    // Deliberate difference (docs/annotations.md, Session affinity): without
    // session-cookie-path the cookie's Path is /, not the Ingress path; the cookie
    // still reaches /something.
    assert.match(setCookie(response), /^SERVERID=[0-9a-f]+; path=\//);
    const cookie = cookiePair(response, 'SERVERID')!;
    assert.equal((await get('path.foo.com', '/something', { headers: { cookie } })).echo?.name, response.echo?.name);
  });

  test("affinity.go: does not set the path to / on the generated cookie if there's more than one rule referring to the same backend", async () => {
    // Deliberate difference, as above: both paths get the cookie, with Path /.
    for (const path of ['/something', '/somewhereelse']) {
      const response = await get('morethanonerule.foo.com', path);
      assert.equal(response.status, 200);
      assert.match(setCookie(response), /^SERVERID=[0-9a-f]+; path=\//);
    }
  });

  test('affinity.go: should set cookie with expires', async () => {
    const response = await get('cookieexpires.foo.com');
    assert.equal(response.status, 200);
    const line = setCookie(response);
    assert.match(line, /ExpiresCookie=/);
    assert.match(line, /Max-Age=259200/);
    // Deliberate difference: session-cookie-expires is sent as Max-Age (max-age wins when both are set), no Expires date.
    assert.doesNotMatch(line, /Expires=/i);
  });

  test('affinity.go: should work with use-regex annotation and session-cookie-path', async () => {
    const response = await get('useregex.foo.com', '/foo/bar');
    assert.equal(response.status, 200);
    assert.match(setCookie(response), /SERVERID=/);
    assert.match(setCookie(response), /Path=\/foo\/bar/);
  });

  test('affinity.go: should warn user when use-regex is true and session-cookie-path is not set', async () => {
    // Deliberate difference: ingress-nginx warns because its cookie Path would be the
    // regular expression; Portero's Path is / then (docs/annotations.md), which is valid, so
    // there is nothing to warn about. The request is served and sticky.
    const response = await get('useregexwarn.foo.com', '/foo/bar');
    assert.equal(response.status, 200);
    assert.match(setCookie(response), /^SERVERID=[0-9a-f]+; path=\//);
  });

  test('affinity.go: should not set affinity across all server locations when using separate ingresses', async () => {
    const plain = await get('separate.foo.com', '/foo');
    assert.equal(plain.status, 200);
    assert.equal(plain.headers['set-cookie'], undefined);
    const sticky = await get('separate.foo.com', '/foo/bar');
    assert.equal(sticky.status, 200);
    assert.match(setCookie(sticky), /INGRESSCOOKIE=/);
  });

  test('affinity.go: should set sticky cookie without host', async () => {
    const response = await get('any-host.example', '/no-host');
    assert.equal(response.status, 200);
    assert.match(setCookie(response), /SERVERID=/);
  });

  test('affinity.go: should work with server-alias annotation', async () => {
    for (const host of ['alias.foo.com', 'a1.foo.com', 'a2.foo.com']) {
      const response = await get(host, '/bar');
      assert.equal(response.status, 200, host);
      assert.match(setCookie(response), /SERVERID=/, host);
    }
  });

  test('affinity.go: should set secure in cookie with provided true annotation on http', async () => {
    assert.match(setCookie(await get('secure-true.foo.com', '/bar')), /; Secure/i);
  });

  test('affinity.go: should not set secure in cookie with provided false annotation on http', async () => {
    const response = await get('secure-false.foo.com', '/bar');
    assert.match(setCookie(response), /SERVERID=/);
    assert.doesNotMatch(setCookie(response), /; Secure/i);
  });

  test('affinity.go: should set secure in cookie with provided false annotation on https', async () => {
    const response = await request({ port: portero.httpsPort, tls: true, host: 'secure-https.foo.com', path: '/' });
    assert.equal(response.status, 200);
    assert.match(setCookie(response), /SERVERID=/);
    assert.match(setCookie(response), /; Secure/i);
  });

  // affinitymode.go

  test('affinitymode.go: Balanced affinity mode should balance', async () => {
    // Upstream only checks the annotations were stored; here: the Ingress is served and the
    // cookie (default name: the name annotation is misspelt upstream) carries the max-age.
    const response = await get('affinity-mode-balance.com');
    assert.equal(response.status, 200);
    assert.match(setCookie(response), /^INGRESSCOOKIE=[0-9a-f]+;.*Max-Age=172800/);
  });

  test('affinitymode.go: Check persistent affinity mode', async () => {
    const first = await get('affinity-mode-persistent.com');
    assert.equal(first.status, 200);
    const original = first.echo!.name;
    const cookie = cookiePair(first, 'INGRESSCOOKIE')!;
    // New endpoints never take over a sticky client.
    for (let replicas = 6; replicas <= 8; replicas += 1) {
      await portero.write('persist.yaml', serviceWithEndpoints({ name: 'persistent', endpoints: persist.slice(0, replicas) }));
      const newest = persist[replicas - 1]!.name;
      await eventually(async () => {
        const seen = new Set<string>();
        for (let i = 0; i < replicas; i += 1) seen.add((await get('affinity-mode-persistent.com')).echo?.name ?? 'none');
        assert.ok(seen.has(newest), `the new endpoint ${newest} serves new clients`);
      });
      assert.equal((await get('affinity-mode-persistent.com', '/', { headers: { cookie } })).echo?.name, original);
    }
    // Without endpoints: 503.
    await portero.write('persist.yaml', serviceWithEndpoints({ name: 'persistent', endpoints: [] }));
    await eventually(async () => assert.equal((await get('affinity-mode-persistent.com', '/', { headers: { cookie } })).status, 503));
    // Brand new endpoints: the old cookie leads to one of them.
    await portero.write('persist.yaml', serviceWithEndpoints({ name: 'persistent', endpoints: persist.slice(8, 10) }));
    const answered = await eventually(async () => {
      const response = await get('affinity-mode-persistent.com', '/', { headers: { cookie } });
      assert.equal(response.status, 200);
      return response.echo!.name;
    });
    assert.notEqual(answered, original);
  });

  // upstreamhashby.go

  test('upstreamhashby.go: should connect to the same pod', async () => {
    const pods = new Set<string>();
    for (let i = 0; i < 100; i += 1) pods.add((await get('upstream-hash-by.foo.com')).echo?.name ?? 'none');
    assert.equal(pods.size, 1, [...pods].join(','));
  });

  test('upstreamhashby.go: should connect to the same subset of pods', async () => {
    // Deliberate difference (docs/annotations.md, Load balancing): upstream-hash-by-subset is
    // accepted and checked, then ignored; requests are hashed over all endpoints, so one URI
    // reaches one pod where ingress-nginx spreads it over a subset of 3.
    const pods = new Set<string>();
    for (let i = 0; i < 100; i += 1) pods.add((await get('upstream-hash-by-subset.foo.com')).echo?.name ?? 'none');
    assert.equal(pods.size, 1, [...pods].join(','));
    assert.ok(hashed.some((backend) => pods.has(backend.name)));
  });

  // serviceupstream.go

  test('serviceupstream.go: when using the default value (false) and enabling in the annotations, should use the Service Cluster IP and Port', async () => {
    for (let i = 0; i < 3; i += 1) {
      const response = await get('serviceupstream');
      assert.equal(response.status, 200);
      assert.equal(response.echo?.name, 'cluster');
    }
  });

  test('serviceupstream.go: disabling in the annotations, should not use the Service Cluster IP and Port', async () => {
    const response = await get('serviceupstream-off');
    assert.equal(response.status, 200);
    assert.equal(response.echo?.name, 'pod');
  });

  // backendprotocol.go

  test('backendprotocol.go: should set backend protocol to https:// and use proxy_pass', async () => {
    const response = await get('backendprotocol-https.foo.com');
    assert.equal(response.status, 200);
    assert.equal(response.echo?.name, 'tls');
  });

  test('backendprotocol.go: should set backend protocol to grpc:// and use grpc_pass', async () => {
    const answer = await grpcCall({ url: `https://127.0.0.1:${portero.httpsPort}`, authority: 'backendprotocol-grpc.foo.com', path: '/grpcbin.GRPCBin/HeadersUnary' });
    assert.equal(answer.status, 200);
    assert.equal(answer.echo?.name, 'grpcbin');
    assert.equal(answer.trailers['grpc-status'], '0');
  });

  test('backendprotocol.go: should set backend protocol to grpcs:// and use grpc_pass', async () => {
    const answer = await grpcCall({ url: `https://127.0.0.1:${portero.httpsPort}`, authority: 'backendprotocol-grpcs.foo.com', path: '/grpcbin.GRPCBin/HeadersUnary' });
    assert.equal(answer.status, 200);
    assert.equal(answer.headers['x-backend'], 'grpcs');
    assert.equal(answer.trailers['grpc-status'], '0');
  });

  test("backendprotocol.go: should set backend protocol to '' and use fastcgi_pass / ajp_pass", async () => {
    // Deliberate difference (docs/annotations.md, Backend protocol): FCGI and AJP are refused
    // with an error naming the annotation, and the Ingress is not served.
    for (const [name, host] of [
      ['bp-fcgi', 'backendprotocol-fcgi.foo.com'],
      ['bp-ajp', 'backendprotocol-ajp.foo.com'],
    ] as const) {
      const entry = await errorFor(name, 'backend-protocol');
      assert.match(String(entry.msg), /not supported/);
      assert.equal((await get(host)).status, 404);
    }
  });

  // grpc.go

  test('grpc.go: should return OK for service with backend protocol GRPC', async () => {
    const answer = await grpcCall({ url: `https://127.0.0.1:${portero.httpsPort}`, authority: 'echo', path: '/grpcbin.GRPCBin/HeadersUnary' });
    assert.equal(answer.status, 200);
    assert.equal(answer.headers['content-type'], 'application/grpc');
    assert.equal(answer.echo?.headers['content-type'], 'application/grpc');
    assert.equal(answer.trailers['grpc-status'], '0');
  });

  test('grpc.go: authorization metadata should be overwritten by external auth response headers', async () => {
    const answer = await grpcCall({ url: `https://127.0.0.1:${portero.httpsPort}`, authority: 'grpc-auth.foo.com', path: '/grpcbin.GRPCBin/HeadersUnary', headers: { authorization: 'bar' } });
    assert.equal(answer.status, 200);
    assert.equal(answer.echo?.headers.authorization, 'foo');
  });

  test('grpc.go: should return OK for service with backend protocol GRPCS', async () => {
    // Upstream names the endpoint with a configuration-snippet (grpc_ssl_name, grpc_ssl_server_name);
    // Portero's snippets do not take those directives, so the same is asked with
    // proxy-ssl-server-name and proxy-ssl-name.
    const answer = await grpcCall({ url: `https://127.0.0.1:${portero.httpsPort}`, authority: 'grpcs.foo.com', path: '/grpcbin.GRPCBin/HeadersUnary', servername: 'grpcs.foo.com' });
    assert.equal(answer.status, 200);
    assert.equal(answer.headers['content-type'], 'application/grpc');
    const message = JSON.parse(answer.body.subarray(5).toString('utf8')) as { servername: string };
    assert.equal(message.servername, 'grpcbin.default.svc.cluster.local');
  });

  // proxy.go

  /** The Service answers with these header lines (the echo backend's X-Echo-Set-Header; a name may repeat). */
  const answering = (host: string, headers: readonly (readonly [string, string])[]) => get(host, '/', { headers: { 'x-echo-set-header': headers.map(([name, value]) => `${name}: ${value}`).join(', ') } });

  test('proxy.go: should set proxy_redirect to off', async () => {
    const response = await answering('proxy-redirect-off.foo.com', [['Location', 'goodbye.com/x'], ['Refresh', '0; url=hello.com/r']]);
    assert.equal(response.status, 200);
    assert.equal(response.headers.location, 'goodbye.com/x');
    assert.equal(response.headers.refresh, '0; url=hello.com/r');
  });

  test('proxy.go: should set proxy_redirect to default', async () => {
    // ingress-nginx's `proxy_redirect default` rewrites only its own upstream name
    // (http://upstream_balancer/), which no Service sends: every Location passes unchanged.
    const response = await answering('proxy-redirect-default.foo.com', [['Location', 'http://hello.com/x']]);
    assert.equal(response.status, 200);
    assert.equal(response.headers.location, 'http://hello.com/x');
  });

  test('proxy.go: should set proxy_redirect to hello.com goodbye.com', async () => {
    // nginx's proxy_redirect: a Location (and the URL of a Refresh) starting with the text gets the
    // replacement instead of it, the rest kept; case-sensitive, and only at the start.
    const rewritten = await answering('proxy-redirect-hello.foo.com', [['Location', 'hello.com/a/b?c=d'], ['Refresh', '5; URL=hello.com/r']]);
    assert.equal(rewritten.status, 200);
    assert.equal(rewritten.headers.location, 'goodbye.com/a/b?c=d');
    assert.equal(rewritten.headers.refresh, '5; URL=goodbye.com/r');
    for (const location of ['http://hello.com/x', 'Hello.com/x']) {
      assert.equal((await answering('proxy-redirect-hello.foo.com', [['Location', location]])).headers.location, location);
    }
    // The same Service behind an Ingress without the annotations: unchanged.
    assert.equal((await answering('log-on.foo.com', [['Location', 'hello.com/x']])).headers.location, 'hello.com/x');
  });

  test('proxy.go: should set proxy client-max-body-size to 8m', async () => {
    const small = await get('proxy-body.foo.com', '/', { method: 'POST', body: 'x'.repeat(2 * 1024 * 1024) });
    assert.equal(small.status, 200);
    assert.equal(small.echo?.body.length, 2 * 1024 * 1024);
    // One byte over: refused from the declared length, before the body is read.
    assert.equal(await declaredBodyStatus('proxy-body.foo.com', 8 * 1024 * 1024 + 1), 413);
  });

  test('proxy.go: should not set proxy client-max-body-size to incorrect value', async () => {
    // Deliberate difference (docs/annotations.md, What happens to a value): ingress-nginx drops
    // the bad value and serves the Ingress; Portero refuses the Ingress with an error naming it.
    const entry = await errorFor('body-15r', 'proxy-body-size');
    assert.match(String(entry.msg), /the Ingress is not served/);
    assert.equal((await get('proxy-body-bad.foo.com')).status, 404);
  });

  test('proxy.go: should set valid proxy timeouts', async () => {
    const response = await get('proxy-timeouts.foo.com', '/delay?ms=1500');
    assert.equal(response.status, 200);
    assert.equal(response.echo?.url, '/delay?ms=1500');
  });

  test('proxy.go: should not set invalid proxy timeouts', async () => {
    // Deliberate difference, as for the body size: the Ingress is refused, each value named.
    for (const name of ['proxy-connect-timeout', 'proxy-send-timeout', 'proxy-read-timeout']) await errorFor('timeouts-bad', name);
    assert.equal((await get('proxy-timeouts-bad.foo.com')).status, 404);
  });

  test('proxy.go: should turn on proxy-buffering', async () => {
    // Checked, no effect (docs/annotations.md, Buffers): the Ingress is served.
    const response = await get('proxy-buffering.foo.com', '/', { method: 'POST', body: 'payload' });
    assert.equal(response.status, 200);
    assert.equal(response.echo?.body, 'payload');
  });

  test('proxy.go: should turn off proxy-request-buffering', async () => {
    const response = await get('proxy-request-buffering.foo.com', '/', { method: 'POST', body: 'payload' });
    assert.equal(response.status, 200);
    assert.equal(response.echo?.body, 'payload');
  });

  test('proxy.go: should build proxy next upstream', async () => {
    const before = badHits;
    for (let i = 0; i < 8; i += 1) {
      const response = await get('proxy-next-upstream.foo.com');
      assert.equal(response.status, 200, 'a 502 of one endpoint is retried on the other');
      assert.equal(response.echo?.name, 'echo-1');
    }
    assert.ok(badHits > before, 'the failing endpoint was tried');
  });

  test('proxy.go: should setup proxy cookies', async () => {
    // proxy_cookie_domain localhost example.org: a Domain attribute equal to localhost (any case, a
    // leading dot kept) becomes example.org; proxy_cookie_path /one/ /: a Path starting with /one/
    // gets / instead of that prefix. Each Set-Cookie line on its own; the cookie's own name=value never.
    const response = await answering('proxy-cookies.foo.com', [
      ['Set-Cookie', 'a=1; Domain=localhost; Path=/one/two'],
      ['Set-Cookie', 'b=2;path=/one/ ;domain=.LocalHost;HttpOnly'],
      ['Set-Cookie', 'c=3; Domain=localhost.org; Path=/other/one/'],
      ['Set-Cookie', 'domain=localhost; Path=/one'],
    ]);
    assert.equal(response.status, 200);
    assert.deepEqual(response.headers['set-cookie'], ['a=1; Domain=example.org; Path=/two', 'b=2;path=/ ;domain=.example.org;HttpOnly', 'c=3; Domain=localhost.org; Path=/other/one/', 'domain=localhost; Path=/one']);
    // The same Service behind an Ingress without the annotations: unchanged.
    const plain = await answering('log-on.foo.com', [['Set-Cookie', 'a=1; Domain=localhost; Path=/one/two']]);
    assert.deepEqual(plain.headers['set-cookie'], ['a=1; Domain=localhost; Path=/one/two']);
  });

  test('proxy.go: should change the default proxy HTTP version', async () => {
    // Deliberate difference (docs/annotations.md, What the Service receives): accepted, HAProxy speaks HTTP/1.1.
    const response = await get('proxy-http-version.foo.com');
    assert.equal(response.status, 200);
    assert.equal(response.echo?.httpVersion, '1.1');
  });

  // proxyssl.go

  test('proxyssl.go: should set valid proxy-ssl-secret (refused: documented as not supported yet)', async () => {
    const entry = await errorFor('proxyssl.foo.com', 'proxy-ssl-secret');
    assert.match(String(entry.msg), /the Ingress is not served/);
    assert.equal((await get('proxyssl.foo.com')).status, 404);
  });

  // connection.go

  test('connection.go: set connection header to keep-alive', async () => {
    const response = await get('connection.foo.com');
    assert.equal(response.status, 200);
    // Deliberate difference (docs/annotations.md): keep-alive is HTTP/1.1's default, HAProxy
    // does not send it on; the connection to the Service is kept alive, never closed.
    assert.notEqual(response.echo?.headers.connection, 'close');
    assert.ok(response.echo?.headers.connection === undefined || response.echo?.headers.connection === 'keep-alive', String(response.echo?.headers.connection));
  });

  // clientbodybuffersize.go

  test('clientbodybuffersize.go: should set client_body_buffer_size to 1000, 1K, 1k, 1m, 1M', async () => {
    // Checked, no effect (docs/annotations.md, Buffers): each Ingress is served.
    for (const [, host] of CBBS.filter(([size]) => size !== '1b')) {
      const response = await get(host, '/', { method: 'POST', body: 'b'.repeat(4096) });
      assert.equal(response.status, 200, host);
      assert.equal(response.echo?.body.length, 4096);
    }
  });

  test('clientbodybuffersize.go: should not set client_body_buffer_size to invalid 1b', async () => {
    // Deliberate difference: the invalid value refuses the Ingress, with an error naming it.
    await errorFor('cbbs-1b', 'client-body-buffer-size');
    assert.equal((await get('cbbs-1b.foo.com')).status, 404);
  });

  // log.go

  test('log.go: set access_log off', async () => {
    assert.equal((await get('log.foo.com', '/quiet')).status, 200);
    await get('log-on.foo.com', '/after-quiet');
    await portero.waitForLog((entry) => entry.host === 'log-on.foo.com' && entry.path === '/after-quiet');
    assert.deepEqual(
      portero.entries().filter((entry) => entry.host === 'log.foo.com'),
      [],
    );
  });

  test('log.go: set rewrite_log on', async () => {
    // HAProxy has no rewrite log: enable-rewrite-log is ignored with a warning; the Ingress is served.
    assert.equal((await get('rewrite-log.foo.com')).status, 200);
    assert.match(String((await ignoredWarning('rewrite-log', 'enable-rewrite-log')).msg), /ignored/);
  });

  // websocket.go

  const echoOverWebSocket = async (host: string) => {
    const socket = new WebSocket(`ws://127.0.0.1:${portero.httpPort}/socket`, { headers: { host } });
    try {
      return await new Promise<string>((resolve, reject) => {
        socket.on('open', () => socket.send('hello'));
        socket.on('message', (data) => resolve(data.toString()));
        socket.on('error', reject);
      });
    } finally {
      socket.close();
    }
  };

  test("websocket.go: should set 'Close' in connection header for host 'foo' (plain requests and WebSocket upgrades pass)", async () => {
    assert.equal((await get('ws.foo.com')).status, 200);
    assert.match(await echoOverWebSocket('ws.foo.com'), /^echo-[12]: hello$/);
  });

  test("websocket.go: should set 'keep-alive' in connection header for host 'foo' (enable-websocket: false)", async () => {
    // enable-websocket left ingress-nginx long ago: it is unknown, ignored with a warning.
    assert.equal((await get('ws-off.foo.com')).status, 200);
    await ignoredWarning('ws-off', 'enable-websocket');
    assert.match(await echoOverWebSocket('ws-off.foo.com'), /^echo-[12]: hello$/);
  });

  // snippet.go and serversnippet.go without --allow-snippet-annotations

  test('snippet.go: set snippet "more_set_headers "Request-Id: $req_id";" in all locations (snippets disabled)', async () => {
    const entry = await errorFor('configurationsnippet', 'configuration-snippet');
    assert.match(String(entry.msg), /Snippet directives are disabled by the Ingress administrator/);
    assert.equal((await get('configurationsnippet.foo.com')).status, 404);
  });

  test('serversnippet.go: add valid directives to server via server snippet (snippets disabled)', async () => {
    const entry = await errorFor('serversnippet', 'server-snippet');
    assert.match(String(entry.msg), /Snippet directives are disabled by the Ingress administrator/);
    assert.equal((await get('serversnippet.foo.com')).status, 404);
  });
});
