// ingress-nginx's e2e cases for the ConfigMap keys add-headers,
// proxy-set-headers, hide-headers, block-user-agents, block-referers,
// no-tls-redirect-locations, service-upstream and proxy-next-upstream*,
// ported to real HAProxy and real requests. One Portero (class nginx,
// controller k8s.io/ingress-nginx, --configmap) whose ConfigMap, and the
// ConfigMaps it names, the cases change on the running process, as the
// upstream tests do with UpdateNginxConfigMapData: never a restart.
//
// Upstream: test/e2e/settings/{add_headers,custom_header,global_access_block,no_tls_redirect_locations,
// proxy_next_upstream}.go and test/e2e/annotations/{serviceupstream,proxy}.go.
//
// not ported: global_access_block.go "should block CIDRs defined in the ConfigMap" — block-cidrs is ported in nginx-settings-forwarding.test.ts.

import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { listenOnLoopback, startBackend, type Backend, type Listening } from '../../helpers/backends.js';
import { request } from '../../helpers/http.js';
import { configMap, ingress, ingressClass, serviceWithEndpoints, type Json } from '../../helpers/objects.js';
import { eventually, startPortero, type Portero } from '../../helpers/portero.js';

const A = 'nginx.ingress.kubernetes.io';
const CONFIGMAP = 'ingress-nginx/ingress-nginx-controller';
const settings = (data: Record<string, string>) => [configMap('ingress-nginx-controller', data, 'ingress-nginx')];

function routed(name: string, host: string, path: string, service: string, annotations: Record<string, string> = {}, extra: { port?: number; tls?: boolean } = {}): Json {
  return ingress({
    name,
    className: 'nginx',
    annotations,
    rules: [{ host, paths: [{ path, service, ...(extra.port ? { port: extra.port } : {}) }] }],
    ...(extra.tls ? { tls: [{ hosts: [host] }] } : {}),
  });
}

/** A Service whose ClusterIP is `cluster` (a loopback address serving the Service port) and whose endpoint is `pod`. */
function serviceWithClusterIP(name: string, pod: { address: string; port: number }, cluster: { address: string; port: number }): Json[] {
  const [svc, ...slices] = serviceWithEndpoints({ name, endpoints: [pod], servicePort: cluster.port });
  (svc as { spec: Record<string, unknown> }).spec.clusterIP = cluster.address;
  return [svc!, ...slices];
}

describe('ingress-nginx settings: header ConfigMaps, access block lists, no-tls-redirect-locations, annotation defaults', () => {
  let portero: Portero;
  let app: Backend;
  let cluster: Backend;
  let pod: Backend;
  let bad: Listening;
  let badHits = 0;

  before(async () => {
    app = await startBackend('app');
    cluster = await startBackend('cluster');
    pod = await startBackend('pod');
    bad = await listenOnLoopback(
      createServer((_req, res) => {
        badHits += 1;
        res.writeHead(502, { 'content-type': 'text/plain' });
        res.end('bad gateway from the endpoint');
      }),
    );
    portero = await startPortero({
      flags: ['--ingress-class', 'nginx', '--controller-class', 'k8s.io/ingress-nginx', '--configmap', CONFIGMAP],
      files: {
        'class.yaml': [ingressClass('nginx', 'k8s.io/ingress-nginx')],
        'configmap.yaml': settings({ 'global-allowed-response-headers': 'X-A-Custom-Header' }),
        'services.yaml': [
          ...serviceWithEndpoints({ name: 'app', endpoints: [app] }),
          ...serviceWithClusterIP('clustered', pod, cluster),
          ...serviceWithEndpoints({ name: 'flaky', endpoints: [{ address: bad.address, port: bad.port }, app] }),
        ],
        'ingresses.yaml': [
          routed('configmap-change', 'configmap-change', '/', 'app'),
          routed('configmap-key-change', 'configmap-key-change', '/', 'app'),
          routed('custom-header', 'custom-header', '/', 'app'),
          routed('own-headers', 'own-headers', '/', 'app', { [`${A}/custom-headers`]: 'default/own-headers' }),
          routed('global-access-block', 'global-access-block', '/', 'app'),
          routed('no-tls', 'no-tls-redirect-locations', '/check-no-tls', 'app', {}, { tls: true }),
          routed('serviceupstream', 'serviceupstream', '/', 'clustered', {}, { port: cluster.port }),
          routed('serviceupstream-off', 'serviceupstream-off', '/', 'clustered', { [`${A}/service-upstream`]: 'false' }, { port: cluster.port }),
          routed('next-upstream', 'proxy-next-upstream.com', '/', 'flaky'),
        ],
        'own-headers.yaml': [configMap('own-headers', { 'X-A-Custom-Header': 'from-the-ingress' })],
      },
    });
  });

  after(async () => {
    await portero?.dispose();
    await app?.close();
    await cluster?.close();
    await pod?.close();
    await bad?.close();
  });

  const get = (host: string, path = '/', headers: Record<string, string> = {}) => request({ port: portero.httpPort, host, path, headers });

  // add_headers.go

  test('add_headers.go: should reload after an update to the add-headers configmap', async () => {
    await portero.write('headers.yaml', [configMap('add-headers-1', { Foo: 'bar' })]);
    await portero.write('configmap.yaml', settings({ 'add-headers': 'default/add-headers-1' }));
    await eventually(async () => assert.equal((await get('configmap-change')).headers.foo, 'bar'));
    await portero.write('headers.yaml', [configMap('add-headers-1', { Foo: 'baz', Rar: 'quux' })]);
    await eventually(async () => {
      const response = await get('configmap-change');
      assert.equal(response.status, 200);
      assert.equal(response.headers.foo, 'baz');
      assert.equal(response.headers.rar, 'quux');
    });
  });

  test('add_headers.go: should reload when the add-headers configmap key changes', async () => {
    await portero.write('headers.yaml', [configMap('add-headers-1', { Hi: 'ho' }), configMap('add-headers-2', { Ho: 'hum' })]);
    await portero.write('configmap.yaml', settings({ 'add-headers': 'default/add-headers-1' }));
    await eventually(async () => {
      const response = await get('configmap-key-change');
      assert.equal(response.headers.hi, 'ho');
      assert.equal(response.headers.foo, undefined);
    });
    await portero.write('configmap.yaml', settings({ 'add-headers': 'default/add-headers-2' }));
    await eventually(async () => {
      const response = await get('configmap-key-change');
      assert.equal(response.headers.ho, 'hum');
      assert.equal(response.headers.hi, undefined);
    });
  });

  test('add_headers.go: should escape double quotes in the header values (add-headers and proxy-set-headers)', async () => {
    const nel = '{"report_to":"network-errors","failure_fraction":0.01,"success_fraction":0.0001}';
    await portero.write('headers.yaml', [configMap('add-headers-1', { NEL: nel }), configMap('p-h-1', { Quux: '{"ack":["quack"]}' })]);
    await portero.write('configmap.yaml', settings({ 'add-headers': 'default/add-headers-1', 'proxy-set-headers': 'default/p-h-1' }));
    await eventually(async () => {
      const response = await get('escape');
      assert.equal(response.status, 404, 'no Ingress for this host: the proxy answers, with the headers of add-headers');
      assert.equal(response.headers.nel, nel);
    });
    const response = await get('custom-header');
    assert.equal(response.status, 200);
    assert.equal(response.headers.nel, nel);
    assert.equal(response.echo?.headers.quux, '{"ack":["quack"]}');
  });

  // custom_header.go

  test('custom_header.go: Add a custom header', async () => {
    await portero.write('headers.yaml', [configMap('add-headers-configmap', { 'X-A-Custom-Header': 'customHeaderValue' })]);
    await portero.write('configmap.yaml', settings({ 'add-headers': 'default/add-headers-configmap', 'global-allowed-response-headers': 'X-A-Custom-Header' }));
    await eventually(async () => {
      const response = await get('custom-header');
      assert.equal(response.status, 200);
      assert.equal(response.headers['x-a-custom-header'], 'customHeaderValue');
    });
    // An Ingress's own custom-headers come after the http-level ones in nginx, and win.
    const own = await get('own-headers');
    assert.equal(own.status, 200);
    assert.equal(own.headers['x-a-custom-header'], 'from-the-ingress');
  });

  test('custom_header.go: Add multiple custom headers', async () => {
    await portero.write('headers.yaml', [configMap('add-headers-configmap-two', { 'X-First': 'Prepare for trouble!', 'X-Second': 'And make it double!' })]);
    await portero.write('configmap.yaml', settings({ 'add-headers': 'default/add-headers-configmap-two' }));
    await eventually(async () => {
      const response = await get('custom-header');
      assert.equal(response.status, 200);
      assert.equal(response.headers['x-first'], 'Prepare for trouble!');
      assert.equal(response.headers['x-second'], 'And make it double!');
    });
  });

  test('add-headers and proxy-set-headers naming a missing ConfigMap: a warning naming it, the other keys apply', async () => {
    await portero.write('headers.yaml', [configMap('p-h-2', { 'X-Request-Tag': 'tagged', 'X-Bad': '$host' })]);
    await portero.write('configmap.yaml', settings({ 'add-headers': 'default/nowhere', 'proxy-set-headers': 'default/p-h-2', 'hide-headers': 'X-Powered-By' }));
    await eventually(async () => {
      // The echo backend sends the response headers X-Echo-Set-Header asks for.
      const response = await get('custom-header', '/', { 'X-Echo-Set-Header': 'X-Powered-By: node, X-Kept: yes' });
      assert.equal(response.status, 200);
      assert.equal(response.echo?.headers['x-request-tag'], 'tagged');
      assert.equal(response.headers['x-powered-by'], undefined, 'hide-headers removes the endpoint\'s X-Powered-By');
      assert.equal(response.headers['x-kept'], 'yes');
      assert.equal(response.headers['x-first'], undefined);
    });
    assert.equal((await get('custom-header')).echo?.headers['x-bad'], undefined);
    await portero.waitForLog((entry) => entry.field === 'data["add-headers"]' && String(entry.msg).includes('ConfigMap default/nowhere not found'));
    await portero.waitForLog((entry) => entry.field === 'data["proxy-set-headers"]' && String(entry.msg).includes('X-Bad'));
    // The ConfigMap appears: its headers follow.
    await portero.write('headers.yaml', [configMap('p-h-2', { 'X-Request-Tag': 'tagged' }), configMap('nowhere', { 'X-Late': 'here' })]);
    await eventually(async () => assert.equal((await get('custom-header')).headers['x-late'], 'here'));
  });

  // global_access_block.go

  test('global_access_block.go: should block User-Agents defined in the ConfigMap', async () => {
    await portero.write('configmap.yaml', settings({ 'block-user-agents': '~*chrome\\/68\\.0\\.3440\\.106\\ safari\\/537\\.36,AlphaBot' }));
    const chrome = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/68.0.3440.106 Safari/537.36';
    await eventually(async () => assert.equal((await get('global-access-block', '/', { 'User-Agent': chrome })).status, 403));
    assert.equal((await get('global-access-block', '/', { 'User-Agent': 'AlphaBot' })).status, 403);
    // nginx's map compares strings ignoring case.
    assert.equal((await get('global-access-block', '/', { 'User-Agent': 'alphabot' })).status, 403);
    assert.equal((await get('global-access-block', '/', { 'User-Agent': 'AlphaBot/2' })).status, 200, 'an exact entry is the whole value');
    const iphone = 'Mozilla/5.0 (iPhone; CPU iPhone OS 11_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/11.0 Mobile/15E148 Safari/604.1';
    const allowed = await get('global-access-block', '/', { 'User-Agent': iphone });
    assert.equal(allowed.status, 200);
    assert.equal(allowed.echo?.name, 'app');
    // Every host, the proxy's own answers included.
    assert.equal((await get('no-such-host', '/', { 'User-Agent': 'AlphaBot' })).status, 403);
  });

  test('global_access_block.go: should block Referers defined in the ConfigMap', async () => {
    await portero.write('configmap.yaml', settings({ 'block-referers': '~*example\\.com,qwerty' }));
    await eventually(async () => assert.equal((await get('global-access-block', '/', { Referer: 'example.com' })).status, 403));
    assert.equal((await get('global-access-block', '/', { Referer: 'qwerty' })).status, 403);
    assert.equal((await get('global-access-block', '/', { Referer: 'qwerty123' })).status, 200);
    assert.equal((await get('global-access-block', '/')).status, 200, 'no Referer');
  });

  test('block-user-agents: an entry outside the safe regular-expression subset is skipped with a warning naming it', async () => {
    await portero.write('configmap.yaml', settings({ 'block-user-agents': '~(a+)+$,BadBot' }));
    await eventually(async () => assert.equal((await get('global-access-block', '/', { 'User-Agent': 'BadBot' })).status, 403));
    assert.equal((await get('global-access-block', '/', { 'User-Agent': 'aaaa' })).status, 200);
    await portero.waitForLog((entry) => entry.field === 'data["block-user-agents"]' && String(entry.msg).includes('"~(a+)+$"') && String(entry.msg).includes('skipped'));
  });

  // no_tls_redirect_locations.go

  test('no_tls_redirect_locations.go: Check no tls redirect locations config', async () => {
    await portero.write('configmap.yaml', settings({}));
    await eventually(async () => {
      const response = await get('no-tls-redirect-locations', '/check-no-tls');
      assert.equal(response.status, 308);
      assert.equal(response.headers.location, `https://no-tls-redirect-locations:${portero.httpsPort}/check-no-tls`);
    });
    await portero.write('configmap.yaml', settings({ 'no-tls-redirect-locations': '/check-no-tls' }));
    await eventually(async () => {
      const response = await get('no-tls-redirect-locations', '/check-no-tls');
      assert.equal(response.status, 200);
      assert.equal(response.echo?.url, '/check-no-tls');
    });
    // The key replaces ingress-nginx's default (/.well-known/acme-challenge).
    assert.equal((await get('no-tls-redirect-locations', '/.well-known/acme-challenge/token')).status, 308);
  });

  test('no-tls-redirect-locations also exempts force-ssl-redirect', async () => {
    await portero.write('configmap.yaml', settings({ 'force-ssl-redirect': 'true', 'no-tls-redirect-locations': '/open' }));
    await eventually(async () => assert.equal((await get('custom-header', '/closed')).status, 308));
    const open = await get('custom-header', '/open/x');
    assert.equal(open.status, 200);
    assert.equal(open.echo?.url, '/open/x');
  });

  // serviceupstream.go

  test('serviceupstream.go: when enabling in the configmap, should use the Service Cluster IP and Port', async () => {
    await portero.write('configmap.yaml', settings({}));
    await eventually(async () => assert.equal((await get('serviceupstream')).echo?.name, 'pod'));
    await portero.write('configmap.yaml', settings({ 'service-upstream': 'true' }));
    await eventually(async () => assert.equal((await get('serviceupstream')).echo?.name, 'cluster'));
    for (let i = 0; i < 3; i += 1) {
      const response = await get('serviceupstream');
      assert.equal(response.status, 200);
      assert.equal(response.echo?.name, 'cluster');
    }
  });

  test('serviceupstream.go: when enabling in the configmap and disabling in the annotations, should not use the Service Cluster IP and Port', async () => {
    await portero.write('configmap.yaml', settings({ 'service-upstream': 'true' }));
    await eventually(async () => assert.equal((await get('serviceupstream')).echo?.name, 'cluster'));
    const response = await get('serviceupstream-off');
    assert.equal(response.status, 200);
    assert.equal(response.echo?.name, 'pod');
  });

  // proxy_next_upstream.go (settings) and proxy.go (annotations)

  test('proxy.go: should build proxy next upstream using configmap values — deliberate difference: tries and timeout above Portero\'s bounds are ignored', async () => {
    await portero.write('configmap.yaml', settings({}));
    // Without the key a 502 of the endpoint is the answer (Portero retries connection failures only).
    await eventually(async () => {
      const statuses = await Promise.all([0, 1, 2, 3].map(async () => (await get('proxy-next-upstream.com')).status));
      assert.ok(statuses.includes(502), statuses.join(','));
    });
    await portero.write('configmap.yaml', settings({ 'proxy-next-upstream': 'timeout http_502', 'proxy-next-upstream-timeout': '999999', 'proxy-next-upstream-tries': '888888' }));
    const before = badHits;
    await eventually(async () => {
      for (let i = 0; i < 6; i += 1) {
        const response = await get('proxy-next-upstream.com');
        assert.equal(response.status, 200, 'a 502 of one endpoint is retried on the other');
        assert.equal(response.echo?.name, 'app');
      }
    });
    assert.ok(badHits > before, 'the failing endpoint was tried');
    // docs/configuration.md: the values are checked as the annotations are (tries 0-100, timeout 0-86400 s); out of range, the key is ignored with a warning.
    await portero.waitForLog((entry) => entry.field === 'data["proxy-next-upstream-tries"]' && String(entry.msg).includes('the key is ignored'));
    await portero.waitForLog((entry) => entry.field === 'data["proxy-next-upstream-timeout"]' && String(entry.msg).includes('the key is ignored'));
  });
});
