// ingress-nginx's own e2e cases for CORS (test/e2e/annotations/cors.go),
// ported to real requests through Portero and HAProxy: where upstream reads
// nginx.conf for a header line, the port asks for a response and reads the
// header. Each upstream case gets a host of its own on one Portero.
//
// not ported: none — every case of cors.go is ported (two assert Portero's documented differences, see below).

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startBackend, type Backend } from '../../helpers/backends.js';
import { request, type Response } from '../../helpers/http.js';
import { ingress, ingressClass, serviceWithEndpoints, type Json } from '../../helpers/objects.js';
import { startPortero, type Portero } from '../../helpers/portero.js';

const A = 'nginx.ingress.kubernetes.io';

/** One upstream case: its host and its annotations (enable-cors: "true" plus these cors-*). */
const CASES: Record<string, Record<string, string>> = {
  enable: {},
  methods: { 'cors-allow-methods': 'POST, GET' },
  'max-age': { 'cors-max-age': '200' },
  'no-credentials': { 'cors-allow-credentials': 'false' },
  origin: { 'cors-allow-origin': 'https://origin.cors.com:8080' },
  headers: { 'cors-allow-headers': 'DNT, User-Agent' },
  expose: { 'cors-expose-headers': 'X-CustomResponseHeader, X-CustomSecondHeader' },
  'multi-allow': { 'cors-allow-origin': 'https://origin.cors.com:8080, https://origin2.cors.com' },
  'multi-deny': { 'cors-allow-origin': 'http://origin2.cors.com, https://origin.com' },
  'multi-bad-entry': { 'cors-allow-origin': 'origin.cors.com:8080, https://origin2.cors.com, https://origin.com' },
  star: { 'cors-allow-origin': '*' },
  'star-extra': { 'cors-allow-origin': '*, foo.bar.com' },
  'no-match': { 'cors-allow-origin': 'https://foo.bar.com' },
  'port-required': { 'cors-allow-origin': 'http://origin.cors.com:8080, http://origin.com:8080' },
  'port-listed-without': { 'cors-allow-origin': 'https://origin2.cors.com, http://origin.com' },
  wildcard: { 'cors-allow-origin': 'http://*.origin.cors.com, http://*.origin.com:8080' },
  'wildcard-port': { 'cors-allow-origin': 'http://origin.cors.com:8080, http://*.origin.com:8080' },
  blank: { 'cors-allow-origin': '      ' },
};

const hostOf = (name: string) => `${name}.cors.foo.com`;

function corsIngress(name: string, annotations: Record<string, string>): Json {
  const prefixed = Object.fromEntries(Object.entries({ 'enable-cors': 'true', ...annotations }).map(([key, value]) => [`${A}/${key}`, value]));
  return ingress({ name, className: 'nginx', annotations: prefixed, rules: [{ host: hostOf(name), paths: [{ service: 'http-svc' }] }] });
}

describe('ingress-nginx e2e, cors.go (cors-*)', () => {
  let portero: Portero;
  let echo: Backend;

  before(async () => {
    echo = await startBackend('http-svc');
    portero = await startPortero({
      flags: ['--ingress-class', 'nginx', '--controller-class', 'k8s.io/ingress-nginx'],
      files: {
        'class.yaml': [ingressClass('nginx', 'k8s.io/ingress-nginx')],
        'echo.yaml': serviceWithEndpoints({ name: 'http-svc', endpoints: [echo] }),
        'ingresses.yaml': Object.entries(CASES).map(([name, annotations]) => corsIngress(name, annotations)),
      },
    });
  });

  after(async () => {
    await portero?.dispose();
    await echo?.close();
  });

  const get = (name: string, origin?: string): Promise<Response> => request({ port: portero.httpPort, host: hostOf(name), path: '/', ...(origin !== undefined ? { headers: { origin } } : {}) });
  const preflight = (name: string, origin?: string): Promise<Response> =>
    request({ port: portero.httpPort, host: hostOf(name), method: 'OPTIONS', path: '/', ...(origin !== undefined ? { headers: { origin } } : {}) });

  /** Upstream's "Headers().ContainsKey + ValueEqual(Access-Control-Allow-Origin)": a 200 from the Service with this origin allowed. */
  async function allows(name: string, origin: string | undefined, expected: string): Promise<void> {
    const response = await get(name, origin);
    assert.equal(response.status, 200, `${name} ${origin ?? '(no Origin)'}`);
    assert.equal(response.echo?.name, 'http-svc');
    assert.equal(response.headers['access-control-allow-origin'], expected, `${name} ${origin ?? '(no Origin)'}`);
  }

  /** Upstream's "Headers().NotContainsKey(Access-Control-Allow-Origin)": the client gets the answer, a browser would block it. */
  async function refuses(name: string, origin: string): Promise<void> {
    const response = await get(name, origin);
    assert.equal(response.status, 200, `${name} ${origin}`);
    assert.equal(response.headers['access-control-allow-origin'], undefined, `${name} ${origin}`);
    assert.equal(response.headers['access-control-allow-methods'], undefined, `${name} ${origin}`);
  }

  test('cors.go: should enable cors (ingress-nginx defaults on every answer)', async () => {
    for (const response of [await get('enable'), await preflight('enable', 'https://x.test')]) {
      assert.equal(response.headers['access-control-allow-methods'], 'GET, PUT, POST, DELETE, PATCH, OPTIONS');
      assert.equal(response.headers['access-control-allow-origin'], '*');
      assert.equal(response.headers['access-control-allow-headers'], 'DNT,Keep-Alive,User-Agent,X-Requested-With,If-Modified-Since,Cache-Control,Content-Type,Range,Authorization');
      assert.equal(response.headers['access-control-max-age'], '1728000');
      assert.equal(response.headers['access-control-allow-credentials'], 'true');
    }
    const response = await get('enable');
    assert.equal(response.status, 200);
    assert.equal(response.echo?.name, 'http-svc');
    // The preflight is answered by the proxy, as nginx's `if ($request_method = 'OPTIONS') { return 204; }`.
    assert.equal((await preflight('enable', 'https://x.test')).status, 204);
  });

  test('cors.go: should set cors methods to only allow POST, GET', async () => {
    assert.equal((await get('methods')).headers['access-control-allow-methods'], 'POST, GET');
    assert.equal((await preflight('methods', 'https://x.test')).headers['access-control-allow-methods'], 'POST, GET');
  });

  test('cors.go: should set cors max-age', async () => {
    assert.equal((await preflight('max-age', 'https://x.test')).headers['access-control-max-age'], '200');
  });

  test('cors.go: should disable cors allow credentials', async () => {
    const response = await get('no-credentials');
    assert.equal(response.headers['access-control-allow-origin'], '*');
    assert.equal(response.headers['access-control-allow-credentials'], undefined);
  });

  test('cors.go: should allow origin for cors', async () => {
    await allows('origin', 'https://origin.cors.com:8080', 'https://origin.cors.com:8080');
  });

  test('cors.go: should allow headers for cors', async () => {
    // Sent as the annotation writes it, as nginx repeats it.
    assert.equal((await get('headers')).headers['access-control-allow-headers'], 'DNT, User-Agent');
  });

  test('cors.go: should expose headers for cors', async () => {
    assert.equal((await get('expose')).headers['access-control-expose-headers'], 'X-CustomResponseHeader, X-CustomSecondHeader');
  });

  test('cors.go: should allow - single origin for multiple cors values', async () => {
    await allows('multi-allow', 'https://origin.cors.com:8080', 'https://origin.cors.com:8080');
  });

  test('cors.go: should not allow - single origin for multiple cors values', async () => {
    await refuses('multi-deny', 'http://no.origin.com');
  });

  test('cors.go: should allow correct origins - single origin for multiple cors values', async () => {
    // "origin.cors.com:8080", without a scheme, is left out with a warning naming it, as ingress-nginx
    // skips it (with an error in its log); the two others are allowed.
    await allows('multi-bad-entry', 'https://origin2.cors.com', 'https://origin2.cors.com');
    await allows('multi-bad-entry', 'https://origin.com', 'https://origin.com');
    await refuses('multi-bad-entry', 'http://origin.cors.com:8080');
    const entry = await portero.waitForLog((line) => line.object === 'Ingress default/multi-bad-entry' && line.field === `metadata.annotations["${A}/cors-allow-origin"]`);
    assert.equal(entry.level, 'warn');
    assert.match(String(entry.msg), /"origin\.cors\.com:8080" is not an origin .*left out/);
  });

  test('cors.go: should not break functionality (cors-allow-origin: *)', async () => {
    await allows('star', undefined, '*');
  });

  test('cors.go: should not break functionality - without `*`', async () => {
    await allows('enable', undefined, '*');
  });

  test('cors.go: should not break functionality with extra domain', async () => {
    await allows('star-extra', undefined, '*');
  });

  test('cors.go: should not match', async () => {
    await refuses('no-match', 'https://fooxbar.com');
  });

  test('cors.go: should allow - single origin with required port', async () => {
    await allows('port-required', 'http://origin.com:8080', 'http://origin.com:8080');
  });

  test('cors.go: should not allow - single origin with port and origin without port', async () => {
    await refuses('port-listed-without', 'http://origin.com:8080');
  });

  test('cors.go: should not allow - single origin without port and origin with required port', async () => {
    await refuses('port-required', 'http://origin.com');
  });

  test('cors.go: should allow - matching origin with wildcard origin (2 subdomains)', async () => {
    await allows('wildcard', 'http://foo.origin.cors.com', 'http://foo.origin.cors.com');
    await allows('wildcard', 'http://bar-foo.origin.cors.com', 'http://bar-foo.origin.cors.com');
  });

  test('cors.go: should not allow - unmatching origin with wildcard origin (2 subdomains)', async () => {
    await refuses('wildcard', 'http://bar.foo.origin.cors.com');
  });

  test('cors.go: should allow - matching origin+port with wildcard origin', async () => {
    await allows('wildcard-port', 'http://abc.origin.com:8080', 'http://abc.origin.com:8080');
  });

  test('cors.go: should not allow - portless origin with wildcard origin', async () => {
    await refuses('wildcard-port', 'http://abc.origin.com');
  });

  test('cors.go: should allow correct origins - missing subdomain + origin with wildcard origin and correct origin', async () => {
    await refuses('wildcard-port', 'http://origin.com:8080');
    await allows('wildcard-port', 'http://bar.origin.com:8080', 'http://bar.origin.com:8080');
  });

  test('cors.go: should allow - missing origins (should allow all origins)', async () => {
    for (const origin of ['http://origin.com', 'http://book.origin.com', 'test.origin.com']) await allows('blank', origin, '*');
  });
});
