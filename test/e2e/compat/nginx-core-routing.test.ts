// ingress-nginx's own end-to-end cases for plain Ingress routing
// (kubernetes/ingress-nginx, test/e2e/ingress/: pathtype_exact.go,
// pathtype_mixed.go, pathtype_prefix.go, multiple_rules.go, without_host.go,
// deep_inspection.go), ported to real requests through Portero and HAProxy
// with the `nginx` IngressClass of a migrating cluster.
//
// Upstream tells which location answered by response headers (custom-headers
// from a ConfigMap, pathtype_exact.go) or request headers from a
// configuration-snippet (pathtype_mixed.go); both are read here the same way,
// through --configmap and --allow-snippet-annotations. multiple_rules.go reads
// nginx's $service_name through a snippet: Portero refuses nginx variables in
// snippets (docs/annotations.md, Snippets), so the port asserts which Service
// answered instead.
//
// not ported: pathtype_prefix.go "should return 404 when prefix /aaa does not match request /aaaccc" — already proved by test/e2e/paths.test.ts: "Prefix /aaa/bbb does not match /aaa/bbbxyz", "Prefix /aaa/bbb matches /aaa/bbb/", "Prefix /aaa/bbb matches subpath /aaa/bbb/ccc"
// not ported: without_host.go "should set ingress details variables for ingresses with host without IngressRuleValue, only Backend" — already proved by test/e2e/compat/nginx-routing-backends.test.ts: "with_hosts.go: should apply the annotation to the default backend" (a host without paths and a spec.defaultBackend); the $namespace/$ingress_name variables are nginx.conf text
//
// The other upstream directories without a port of their own:
// not ported: gracefulshutdown/shutdown.go, slow_requests.go, grace_period.go, k8s_async_shutdown.go — already proved by test/e2e/operations.test.ts: "readiness fails first, serving goes on through the grace period, requests in flight finish, exit 0" and test/e2e/signals.test.ts (requests in flight finish on SIGTERM); upstream's 60-150 s waits and worker-shutdown-timeout are nginx's, Portero's period is --shutdown-grace-period; grace_period.go's /healthz 500 is Portero's /readyz 503 (docs/operations.md: /healthz is liveness only)
// status/update.go: ported against the in-repo API server in nginx-core-status.test.ts
// not ported: lua/dynamic_configuration.go — nginx's Lua balancer and its log lines ("skipping reload since only backends changed"); the behaviour (endpoint and backend changes without reload) is proved by test/e2e/zero-reload.test.ts: "an endpoint added, made not ready, ready again, and removed"
// lua/dynamic_certificates.go: its certificate behaviour is ported in nginx-core-tls.test.ts (certificate_by_lua itself is nginx's)
// not ported: leaks/lua_ssl.go — a memory-leak soak of nginx's Lua certificate code (1000 hosts x 10 iterations, minutes of sleeps), nginx internals

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startBackend, type Backend } from '../../helpers/backends.js';
import { request, type Response } from '../../helpers/http.js';
import { configMap, ingress, ingressClass, serviceWithEndpoints, type Json, type PathSpec } from '../../helpers/objects.js';
import { eventually, startPortero, type Portero } from '../../helpers/portero.js';

const A = 'nginx.ingress.kubernetes.io';
const CONFIGMAP = 'ingress-nginx/ingress-nginx-controller';

/** framework.NewSingleIngress: one rule, one path (Prefix unless told), older Ingresses first by creationTimestamp. */
function single(name: string, host: string | undefined, path: Omit<PathSpec, 'service'> & { service?: string }, annotations: Record<string, string>, created: string): Json {
  const prefixed = Object.fromEntries(Object.entries(annotations).map(([key, value]) => [`${A}/${key}`, value]));
  return ingress({
    name,
    className: 'nginx',
    annotations: prefixed,
    creationTimestamp: created,
    rules: [{ ...(host !== undefined ? { host } : {}), paths: [{ pathType: 'Prefix', ...path, service: path.service ?? 'echo' }] }],
  });
}

const snippet = (pathType: string, pathHeader: string) => ({ 'configuration-snippet': `more_set_input_headers "pathType: ${pathType}";more_set_input_headers "pathheader: ${pathHeader}";` });

describe('ingress-nginx e2e: ingress/ (path types, several rules, no host, deep inspection)', () => {
  let portero: Portero;
  const backends: Backend[] = [];

  before(async () => {
    const echo = await startBackend('echo');
    const first = await startBackend('first-service');
    const second = await startBackend('second-service');
    backends.push(echo, first, second);
    portero = await startPortero({
      flags: ['--ingress-class', 'nginx', '--controller-class', 'k8s.io/ingress-nginx', '--configmap', CONFIGMAP, '--allow-snippet-annotations'],
      files: {
        'class.yaml': [ingressClass('nginx', 'k8s.io/ingress-nginx')],
        'configmap.yaml': [configMap('ingress-nginx-controller', { 'global-allowed-response-headers': 'Pathtype,duplicated' }, 'ingress-nginx')],
        'custom-headers.yaml': [
          configMap('custom-headers-exact', { Pathtype: 'exact' }),
          configMap('custom-headers-prefix', { Pathtype: 'prefix' }),
          configMap('custom-headers-duplicated', { Pathtype: 'prefix', duplicated: 'true' }),
        ],
        'services.yaml': [
          ...serviceWithEndpoints({ name: 'echo', endpoints: [echo] }),
          ...serviceWithEndpoints({ name: 'first-service', endpoints: [first] }),
          ...serviceWithEndpoints({ name: 'second-service', endpoints: [second] }),
        ],
        'exact.yaml': [
          single('exact', 'exact.path', { path: '/exact', pathType: 'Exact' }, { 'custom-headers': 'default/custom-headers-exact' }, '2024-01-01T00:00:00Z'),
          single('exact-suffix', 'exact.path', { path: '/exact' }, { 'custom-headers': 'default/custom-headers-prefix' }, '2024-01-01T00:00:01Z'),
        ],
        'mixed.yaml': [
          single('exact-root', 'mixed.path', { path: '/', pathType: 'Exact' }, snippet('exact', '/'), '2024-01-01T00:00:00Z'),
          single('prefix-root', 'mixed.path', { path: '/' }, snippet('prefix', '/'), '2024-01-01T00:00:01Z'),
        ],
        'multiple-rules.yaml': [
          ingress({
            name: 'simh',
            className: 'nginx',
            rules: [
              { host: 'first.host', paths: [{ path: '/', pathType: 'Prefix', service: 'first-service' }] },
              { host: 'second.host', paths: [{ path: '/', pathType: 'Prefix', service: 'second-service' }] },
            ],
          }),
        ],
        'without-host.yaml': [single('default-host', undefined, { path: '/' }, {}, '2024-01-01T00:00:00Z')],
        'deep-inspection.yaml': [
          single('invalidregex', 'inspection123.com', { path: '/bla{alias /var/run/secrets/;}location ~* ^/abcd' }, {}, '2024-01-01T00:00:00Z'),
          single('valid', 'inspection123.com', { path: '/xpto' }, {}, '2024-01-01T00:00:01Z'),
        ],
      },
    });
  });

  after(async () => {
    await portero?.dispose();
    await Promise.all(backends.map((backend) => backend.close()));
  });

  const get = (host: string | undefined, path: string): Promise<Response> => request({ port: portero.httpPort, ...(host !== undefined ? { host } : {}), path });

  test('pathtype_exact.go: should choose exact location for /exact', async () => {
    const exact = await get('exact.path', '/exact');
    assert.equal(exact.status, 200);
    assert.equal(exact.headers.pathtype, 'exact');
    const suffix = await get('exact.path', '/exact/suffix');
    assert.equal(suffix.status, 200);
    assert.equal(suffix.headers.pathtype, 'prefix');

    // A newer Ingress claims the same Prefix /exact: the older one keeps it (no `duplicated` header), the newer one is warned.
    await portero.write('exact-duplicated.yaml', [single('duplicated-prefix', 'exact.path', { path: '/exact' }, { 'custom-headers': 'default/custom-headers-duplicated' }, '2024-01-01T00:00:02Z')]);
    const warning = await portero.waitForLog((line) => line.object === 'Ingress default/duplicated-prefix' && line.level === 'warn');
    assert.match(String(warning.msg), /already routed by older Ingress default\/exact-suffix/);
    const duplicated = await get('exact.path', '/exact/suffix');
    assert.equal(duplicated.status, 200);
    assert.equal(duplicated.headers.pathtype, 'prefix');
    assert.equal(duplicated.headers.duplicated, undefined);
    assert.equal((await get('exact.path', '/exact')).headers.pathtype, 'exact');
  });

  test('pathtype_mixed.go: should choose the correct location', async () => {
    const seen = async (path: string) => {
      const response = await get('mixed.path', path);
      assert.equal(response.status, 200, path);
      return { pathtype: response.echo?.headers.pathtype, pathheader: response.echo?.headers.pathheader };
    };
    assert.deepEqual(await seen('/'), { pathtype: 'exact', pathheader: '/' });
    assert.deepEqual(await seen('/bar'), { pathtype: 'prefix', pathheader: '/' });

    await portero.write('mixed-foo.yaml', [
      single('exact-foo', 'mixed.path', { path: '/foo', pathType: 'Exact' }, snippet('exact', '/foo'), '2024-01-01T00:00:02Z'),
      single('prefix-foo', 'mixed.path', { path: '/foo' }, snippet('prefix', '/foo'), '2024-01-01T00:00:03Z'),
    ]);
    await eventually(async () => assert.deepEqual(await seen('/foo'), { pathtype: 'exact', pathheader: '/foo' }));
    assert.deepEqual(await seen('/foo/bar'), { pathtype: 'prefix', pathheader: '/foo' });
    assert.deepEqual(await seen('/foobar'), { pathtype: 'prefix', pathheader: '/' });
    assert.deepEqual(await seen('/'), { pathtype: 'exact', pathheader: '/' });
  });

  test('multiple_rules.go: should set the correct $service_name NGINX variable (each host reaches its own Service)', async () => {
    const first = await get('first.host', '/exact');
    assert.equal(first.status, 200);
    assert.equal(first.echo?.name, 'first-service');
    const second = await get('second.host', '/exact');
    assert.equal(second.status, 200);
    assert.equal(second.echo?.name, 'second-service');
  });

  test('without_host.go: should set ingress details variables for ingresses without a host (a request by IP address is served)', async () => {
    // Upstream's client sends the controller's address as Host.
    const response = await get(`127.0.0.1:${portero.httpPort}`, '/');
    assert.equal(response.status, 200);
    assert.equal(response.echo?.name, 'echo');
    assert.equal(response.echo?.url, '/');
  });

  test('deep_inspection.go: should drop whole ingress if one path matches invalid regex', async () => {
    assert.equal((await get('inspection123.com', '/xpto')).status, 200);
    assert.equal((await get('inspection123.com', '/bla')).status, 404);
    assert.equal((await get('inspection123.com', '/abcd/')).status, 404);
    const refused = await portero.waitForLog((line) => line.object === 'Ingress default/invalidregex' && line.field === 'spec.rules[0].http.paths[0].path');
    assert.equal(refused.level, 'error');
  });
});

