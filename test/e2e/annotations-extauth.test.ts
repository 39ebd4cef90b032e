// External authentication (auth-url and friends) through real HAProxy, with
// a real auth service on loopback reached as a Service + EndpointSlice (or
// a literal IP): what the auth service is sent, and that only its 2xx lets a
// request through (a refusal, an error or silence never does).

import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { nextLoopbackAddress, startBackend, type Backend } from '../helpers/backends.js';
import { request } from '../helpers/http.js';
import { configMap, ingress, ingressClass, serviceWithEndpoints, type Json } from '../helpers/objects.js';
import { eventually, freePort, startPortero, type Portero } from '../helpers/portero.js';

const A = 'nginx.ingress.kubernetes.io';
const AUTH = 'http://auth.default.svc.cluster.local:4180';

interface AuthRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

interface AuthService {
  address: string;
  port: number;
  requests: AuthRequest[];
  close(): Promise<void>;
}

/** The auth service: its answer is chosen by the path of the auth URL. */
async function startAuth(): Promise<AuthService> {
  const address = nextLoopbackAddress();
  const requests: AuthRequest[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      const path = new URL(req.url ?? '/', 'http://auth').pathname;
      if (path === '/ok') {
        res.writeHead(200, { 'x-user': 'alice', 'x-email': 'alice@example.org', 'set-cookie': ['session=abc; Path=/', 'other=1'] });
      } else if (path === '/401') {
        res.writeHead(401, { 'www-authenticate': 'Bearer realm="test"', 'set-cookie': 'tried=1' });
      } else if (path === '/403') {
        res.writeHead(403);
      } else if (path === '/302') {
        res.writeHead(302, { location: 'http://elsewhere/' });
      } else {
        res.writeHead(500);
      }
      res.end('auth says hi');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, address, resolve));
  const port = (server.address() as { port: number }).port;
  return { address, port, requests, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

function protectedIngress(name: string, host: string, annotations: Record<string, string>): Json {
  return ingress({ name, className: 'nginx', annotations, rules: [{ host, paths: [{ service: 'app' }] }] });
}

describe('ingress-nginx annotations: external authentication (auth-url)', () => {
  let portero: Portero;
  let app: Backend;
  let auth: AuthService;
  let closedPort: number;

  before(async () => {
    app = await startBackend('app');
    auth = await startAuth();
    closedPort = await freePort();
    portero = await startPortero({
      flags: ['--ingress-class', 'nginx', '--controller-class', 'k8s.io/ingress-nginx'],
      files: {
        'class.yaml': [ingressClass('nginx', 'k8s.io/ingress-nginx')],
        'app.yaml': serviceWithEndpoints({ name: 'app', endpoints: [app] }),
        'auth.yaml': serviceWithEndpoints({ name: 'auth', endpoints: [{ address: auth.address, port: auth.port }], servicePort: 4180 }),
        'down.yaml': serviceWithEndpoints({ name: 'down', endpoints: [{ address: '127.0.0.1', port: closedPort }], servicePort: 80 }),
        'ingresses.yaml': [
          protectedIngress('allow', 'allow.ea.test', { [`${A}/auth-url`]: `${AUTH}/ok?from=portero`, [`${A}/auth-response-headers`]: 'X-User, X-Email, X-Missing' }),
          protectedIngress('deny401', 'deny401.ea.test', { [`${A}/auth-url`]: `${AUTH}/401` }),
          protectedIngress('deny403', 'deny403.ea.test', { [`${A}/auth-url`]: `${AUTH}/403` }),
          protectedIngress('signin', 'signin.ea.test', { [`${A}/auth-url`]: `${AUTH}/401`, [`${A}/auth-signin`]: 'https://login.example/start?x=1' }),
          protectedIngress('signin-param', 'signinparam.ea.test', {
            [`${A}/auth-url`]: `${AUTH}/401`,
            [`${A}/auth-signin`]: 'https://login.example/start',
            [`${A}/auth-signin-redirect-param`]: 'next',
          }),
          protectedIngress('down', 'down.ea.test', { [`${A}/auth-url`]: 'http://down.default.svc/ok' }),
          protectedIngress('error', 'error.ea.test', { [`${A}/auth-url`]: `${AUTH}/500` }),
          protectedIngress('redirecting', 'redirecting.ea.test', { [`${A}/auth-url`]: `${AUTH}/302` }),
          protectedIngress('literal', 'literal.ea.test', { [`${A}/auth-url`]: `http://${auth.address}:${auth.port}/ok`, [`${A}/auth-method`]: 'POST' }),
          protectedIngress('variables', 'variables.ea.test', { [`${A}/auth-url`]: 'https://$host/oauth2/auth' }),
          protectedIngress('dns', 'dns.ea.test', { [`${A}/auth-url`]: 'http://oauth.example.com/auth' }),
        ],
      },
    });
  });

  after(async () => {
    await portero?.dispose();
    await app?.close();
    await auth?.close();
  });

  test('allowed: the auth service answers 200, the upstream sees the copied headers, the client gets the auth cookies', async () => {
    const response = await request({ port: portero.httpPort, host: 'allow.ea.test', path: '/page?q=1', headers: { 'x-user': 'mallory', 'x-missing': 'forged', authorization: 'Bearer t0ken' } });
    assert.equal(response.status, 200);
    assert.equal(response.echo?.url, '/page?q=1');
    assert.equal(response.echo?.headers['x-user'], 'alice');
    assert.equal(response.echo?.headers['x-email'], 'alice@example.org');
    // A listed header the auth service did not send is removed, never left as the client wrote it.
    assert.equal(response.echo?.headers['x-missing'], undefined);
    // As ingress-nginx: Authorization reaches the upstream too.
    assert.equal(response.echo?.headers.authorization, 'Bearer t0ken');
    assert.deepEqual(response.headers['set-cookie'], ['session=abc; Path=/', 'other=1']);
  });

  test('the auth request: GET to the auth URL with the client headers and ingress-nginx\'s, no body', async () => {
    const before = auth.requests.length;
    const response = await request({ port: portero.httpPort, host: 'allow.ea.test', path: '/submit?a=b', method: 'POST', body: 'secret-body', headers: { 'content-type': 'text/plain', 'x-custom': 'yes', authorization: 'Basic abc' } });
    assert.equal(response.status, 200);
    assert.equal(response.echo?.body, 'secret-body');
    const sent = auth.requests.slice(before);
    assert.equal(sent.length, 1);
    const [ask] = sent;
    assert.equal(ask!.method, 'GET');
    assert.equal(ask!.url, '/ok?from=portero');
    assert.equal(ask!.body, '');
    assert.equal(ask!.headers.host, 'auth.default.svc.cluster.local:4180');
    assert.equal(ask!.headers['x-original-url'], 'http://allow.ea.test/submit?a=b');
    assert.equal(ask!.headers['x-original-method'], 'POST');
    assert.equal(ask!.headers['x-auth-request-redirect'], '/submit?a=b');
    assert.equal(ask!.headers['x-sent-from'], 'nginx-ingress-controller');
    assert.equal(ask!.headers['x-real-ip'], '127.0.0.1');
    assert.equal(ask!.headers['x-forwarded-for'], '127.0.0.1');
    assert.equal(ask!.headers['x-custom'], 'yes');
    assert.equal(ask!.headers.authorization, 'Basic abc');
    assert.equal(ask!.headers['content-length'] ?? '0', '0');
    assert.equal(ask!.headers['content-type'], 'text/plain');
  });

  test('denied: 401 and 403 from the auth service are the answer; the upstream never sees the request', async () => {
    const seen = app.requests.length;
    const unauthorized = await request({ port: portero.httpPort, host: 'deny401.ea.test', path: '/x' });
    assert.equal(unauthorized.status, 401);
    assert.equal(unauthorized.headers['www-authenticate'], 'Bearer realm="test"');
    // Without auth-always-set-cookie the auth cookies reach the client only on success.
    assert.equal(unauthorized.headers['set-cookie'], undefined);
    const forbidden = await request({ port: portero.httpPort, host: 'deny403.ea.test', path: '/x' });
    assert.equal(forbidden.status, 403);
    assert.equal(app.requests.length, seen);
  });

  test('auth-signin: a 401 becomes a 302 to the sign-in URL with rd (or the renamed parameter) appended', async () => {
    const response = await request({ port: portero.httpPort, host: 'signin.ea.test', path: '/a b/c?d=e'.replace(' ', '%20') });
    assert.equal(response.status, 302);
    assert.equal(response.headers.location, 'https://login.example/start?x=1&rd=http://signin.ea.test%2Fa%2520b%2Fc%3Fd%3De');
    const renamed = await request({ port: portero.httpPort, host: 'signinparam.ea.test', path: '/p' });
    assert.equal(renamed.status, 302);
    assert.equal(renamed.headers.location, 'https://login.example/start?next=http://signinparam.ea.test%2Fp');
  });

  test('auth service down, answering 500, or answering 302: 500, never the upstream', async () => {
    const seen = app.requests.length;
    for (const host of ['down.ea.test', 'error.ea.test', 'redirecting.ea.test']) {
      const response = await request({ port: portero.httpPort, host, path: '/' });
      assert.equal(response.status, 500, host);
    }
    assert.equal(app.requests.length, seen);
  });

  test('a literal IP address in auth-url, with auth-method POST', async () => {
    const before = auth.requests.length;
    const response = await request({ port: portero.httpPort, host: 'literal.ea.test', path: '/' });
    assert.equal(response.status, 200);
    assert.equal(auth.requests[before]?.method, 'POST');
  });

  test('refused values (nginx variables, a DNS name) answer 503 with a diagnostic', async () => {
    assert.equal((await request({ port: portero.httpPort, host: 'variables.ea.test', path: '/' })).status, 503);
    assert.equal((await request({ port: portero.httpPort, host: 'dns.ea.test', path: '/' })).status, 503);
    await portero.waitForLog((entry) => String(entry.msg ?? entry.message ?? JSON.stringify(entry)).includes('cannot be resolved'));
  });

  test('on a running Portero: auth added, then removed', async () => {
    await portero.write('live.yaml', [protectedIngress('live', 'live.ea.test', {})]);
    await eventually(async () => assert.equal((await request({ port: portero.httpPort, host: 'live.ea.test', path: '/' })).status, 200));
    await portero.write('live.yaml', [protectedIngress('live', 'live.ea.test', { [`${A}/auth-url`]: `${AUTH}/403` })]);
    await eventually(async () => assert.equal((await request({ port: portero.httpPort, host: 'live.ea.test', path: '/' })).status, 403));
    await portero.write('live.yaml', [protectedIngress('live', 'live.ea.test', {})]);
    await eventually(async () => assert.equal((await request({ port: portero.httpPort, host: 'live.ea.test', path: '/' })).status, 200));
  });

  test('the auth service scaling changes where subrequests go', async () => {
    const second = await startAuth();
    const reloads = () => portero.entries().filter((entry) => entry.msg === 'configuration applied with a reload').length;
    const reloadsBefore = reloads();
    try {
      await portero.write('auth.yaml', serviceWithEndpoints({ name: 'auth', endpoints: [{ address: second.address, port: second.port }], servicePort: 4180 }));
      await eventually(async () => {
        const before = second.requests.length;
        assert.equal((await request({ port: portero.httpPort, host: 'allow.ea.test', path: '/' })).status, 200);
        assert.equal(second.requests.length, before + 1);
      });
      // No endpoints: refused, never let through.
      await portero.write('auth.yaml', serviceWithEndpoints({ name: 'auth', endpoints: [], servicePort: 4180 }));
      await eventually(async () => assert.equal((await request({ port: portero.httpPort, host: 'allow.ea.test', path: '/' })).status, 500));
      // Both changes reload (the auth addresses are arguments of the rule).
      await eventually(() => assert.equal(reloads(), reloadsBefore + 2));
    } finally {
      await second.close();
    }
  });
});

function globalAuthConfigMap(data: Record<string, string>): Json {
  return configMap('ingress-nginx-controller', data, 'ingress-nginx');
}

describe('the ConfigMap\'s global-auth-url: external auth for every Ingress', () => {
  let portero: Portero;
  let app: Backend;
  let auth: AuthService;

  before(async () => {
    app = await startBackend('app');
    auth = await startAuth();
    portero = await startPortero({
      flags: ['--ingress-class', 'nginx', '--controller-class', 'k8s.io/ingress-nginx', '--configmap', 'ingress-nginx/ingress-nginx-controller'],
      files: {
        'class.yaml': [ingressClass('nginx', 'k8s.io/ingress-nginx')],
        'configmap.yaml': [globalAuthConfigMap({ 'global-auth-url': `${AUTH}/401`, 'global-auth-signin': 'https://login.example/start', 'global-auth-response-headers': 'X-User' })],
        'app.yaml': serviceWithEndpoints({ name: 'app', endpoints: [app] }),
        'auth.yaml': serviceWithEndpoints({ name: 'auth', endpoints: [{ address: auth.address, port: auth.port }], servicePort: 4180 }),
        'ingresses.yaml': [
          protectedIngress('plain', 'plain.ga.test', {}),
          protectedIngress('opted-out', 'optout.ga.test', { [`${A}/enable-global-auth`]: 'false' }),
          protectedIngress('own', 'own.ga.test', { [`${A}/auth-url`]: `${AUTH}/ok`, [`${A}/auth-response-headers`]: 'X-Email' }),
          ingress({ name: 'acme-solver', className: 'nginx', rules: [{ host: 'plain.ga.test', paths: [{ path: '/.well-known/acme-challenge/token123', pathType: 'Exact', service: 'app' }] }] }),
        ],
      },
    });
  });

  after(async () => {
    await portero?.dispose();
    await app?.close();
    await auth?.close();
  });

  test('an Ingress without auth annotations is authenticated by the global URL, with the global sign-in', async () => {
    const seen = app.requests.length;
    const response = await request({ port: portero.httpPort, host: 'plain.ga.test', path: '/p' });
    assert.equal(response.status, 302);
    assert.equal(response.headers.location, 'https://login.example/start?rd=http://plain.ga.test%2Fp');
    assert.equal(app.requests.length, seen);
  });

  test('enable-global-auth: "false" opts out; an Ingress\'s own auth-url replaces the global one entirely', async () => {
    assert.equal((await request({ port: portero.httpPort, host: 'optout.ga.test', path: '/' })).status, 200);
    const own = await request({ port: portero.httpPort, host: 'own.ga.test', path: '/', headers: { 'x-user': 'forged' } });
    assert.equal(own.status, 200);
    assert.equal(own.echo?.headers['x-email'], 'alice@example.org');
    // The global response headers are not mixed into an Ingress with its own auth.
    assert.equal(own.echo?.headers['x-user'], 'forged');
  });

  test('no-auth-locations (default /.well-known/acme-challenge): a solver Ingress is not authenticated', async () => {
    const response = await request({ port: portero.httpPort, host: 'plain.ga.test', path: '/.well-known/acme-challenge/token123' });
    assert.equal(response.status, 200);
  });

  test('on a running Portero: the global URL changed, then removed', async () => {
    await portero.write('configmap.yaml', [globalAuthConfigMap({ 'global-auth-url': `${AUTH}/ok`, 'global-auth-response-headers': 'X-User' })]);
    await eventually(async () => {
      const response = await request({ port: portero.httpPort, host: 'plain.ga.test', path: '/', headers: { 'x-user': 'forged' } });
      assert.equal(response.status, 200);
      assert.equal(response.echo?.headers['x-user'], 'alice');
    });
    await portero.write('configmap.yaml', [globalAuthConfigMap({ 'global-auth-url': 'http://auth.example.com/x' })]);
    await portero.waitForLog((entry) => JSON.stringify(entry).includes('requests are NOT authenticated globally'));
    await portero.write('configmap.yaml', [globalAuthConfigMap({})]);
    await eventually(async () => {
      const response = await request({ port: portero.httpPort, host: 'plain.ga.test', path: '/', headers: { 'x-user': 'forged' } });
      assert.equal(response.status, 200);
      assert.equal(response.echo?.headers['x-user'], 'forged');
    });
  });
});
