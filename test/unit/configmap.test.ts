// The ingress-nginx ConfigMap (--configmap): each key through its grammar
// (a bad value is reported and ignored, never fatal), its effect on the
// annotations of every Ingress (the annotation replaces the global value),
// and the lines it renders, which HAProxy accepts.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { renderConfig } from '../../src/dataplane/haproxy/render-config.js';
import { BackendNames, misfit, structureFor } from '../../src/dataplane/haproxy/structure.js';
import type { GlobalSettings } from '../../src/model/globals.js';
import type { Model } from '../../src/model/model.js';
import { readConfigMap } from '../../src/translate/configmap.js';
import { classifyConfigMapKey } from '../../src/cli/migrate/configmap-keys.js';
import { assertHaproxyAccepts, withTestCertificate } from '../helpers/annotations.js';
import { translateJson } from '../helpers/translate.js';

const REF = { kind: 'ConfigMap' as const, namespace: 'ingress-nginx', name: 'ingress-nginx-controller' };

function configMap(data: Record<string, string>) {
  return { kind: 'ConfigMap' as const, metadata: { namespace: REF.namespace, name: REF.name, creationTimestamp: '', labels: {}, annotations: {} }, data };
}

function read(data: Record<string, string>) {
  return readConfigMap(configMap(data), REF);
}

describe('ConfigMap keys', () => {
  const accepted: [Record<string, string>, Partial<GlobalSettings>, Record<string, string>?][] = [
    [{ 'proxy-body-size': '8m' }, {}, { 'proxy-body-size': '8m' }],
    [{ 'load-balance': 'ewma' }, {}, { 'load-balance': 'ewma' }],
    [{ 'load-balance': 'least_connections' }, {}, { 'load-balance': 'least_connections' }],
    [{ 'proxy-connect-timeout': '3', 'proxy-read-timeout': '120s' }, { connectSeconds: 3, serverSeconds: 120 }],
    [{ 'proxy-send-timeout': '30' }, { serverSeconds: 60 }],
    [{ 'ssl-redirect': 'false', 'force-ssl-redirect': 'true' }, {}, { 'ssl-redirect': 'false', 'force-ssl-redirect': 'true' }],
    [{ 'http-redirect-code': '301' }, { redirectCode: 301 }],
    [{ 'http-redirect-code': '308' }, {}],
    [{ hsts: 'true' }, { hsts: { maxAgeSeconds: 31536000, includeSubdomains: true, preload: false } }],
    [{ hsts: 'true', 'hsts-max-age': '600', 'hsts-include-subdomains': 'false', 'hsts-preload': 'true' }, { hsts: { maxAgeSeconds: 600, includeSubdomains: false, preload: true } }],
    [{ hsts: 'false', 'hsts-max-age': '600' }, {}],
    [{ 'ssl-protocols': 'TLSv1.3' }, { tlsVersions: { min: 'TLSv1.3', max: 'TLSv1.3' } }],
    [{ 'ssl-protocols': 'TLSv1.2' }, { tlsVersions: { min: 'TLSv1.2', max: 'TLSv1.2' } }],
    [{ 'ssl-ciphers': 'ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384' }, { ciphers: 'ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384' }],
    [{ 'ssl-session-tickets': 'true' }, { tlsSessions: { tickets: true } }],
    [{ 'ssl-session-tickets': 'false', 'ssl-session-cache': 'true' }, {}],
    [{ 'ssl-session-cache': 'false' }, { tlsSessions: { cacheOff: true } }],
    [{ 'ssl-session-cache-size': '10m', 'ssl-session-timeout': '30m' }, { tlsSessions: { cacheSessions: 40000, lifetimeSeconds: 1800 } }],
    [{ 'ssl-session-timeout': '300' }, { tlsSessions: { lifetimeSeconds: 300 } }],
    [{ 'use-http2': 'false' }, { tlsSessions: { http1Only: true } }],
    [{ 'use-http2': 'true' }, {}],
    [{ 'skip-access-log-http-statuses': '^2..' }, { skipLogStatuses: '^2..' }],
    [{ 'skip-access-log-http-statuses': '200' }, { skipLogStatuses: '200' }],
    [{ 'skip-access-log-http-statuses': '' }, {}],
    [{ 'use-proxy-protocol': 'true' }, { proxyProtocol: true }],
    [{ 'keep-alive': '75', 'upstream-keepalive-timeout': '60' }, { keepAliveSeconds: 75 }],
    [
      { 'use-forwarded-headers': 'true', 'proxy-real-ip-cidr': '10.0.0.0/8, 192.168.1.1' },
      { forwarded: { trusted: ['10.0.0.0/8', '192.168.1.1'], realIp: true, header: 'x-forwarded-for', keepForwardedHeaders: true, appendForwardedFor: false } },
    ],
    [
      { 'enable-real-ip': 'true', 'forwarded-for-header': 'CF-Connecting-IP', 'proxy-real-ip-cidr': '173.245.48.0/20' },
      { forwarded: { trusted: ['173.245.48.0/20'], realIp: true, header: 'cf-connecting-ip', keepForwardedHeaders: false, appendForwardedFor: false } },
    ],
    [{ 'block-cidrs': '10.1.0.0/16,10.2.0.1' }, { blockSources: ['10.1.0.0/16', '10.2.0.1'] }],
    [{ 'whitelist-source-range': '10.0.0.0/8', 'denylist-source-range': '10.9.0.0/16' }, {}, { 'whitelist-source-range': '10.0.0.0/8', 'denylist-source-range': '10.9.0.0/16' }],
  ];
  for (const [data, globals, defaults] of accepted) {
    test(`accepted: ${JSON.stringify(data)}`, () => {
      const result = read(data);
      assert.deepEqual(result.globals, globals);
      assert.deepEqual(result.annotationDefaults, defaults ?? {});
    });
  }

  const refused: [string, string][] = [
    ['proxy-body-size', '8 megabytes'],
    ['load-balance', 'random'],
    ['proxy-connect-timeout', '5m'],
    ['proxy-read-timeout', '-1'],
    ['ssl-redirect', 'yes'],
    ['http-redirect-code', '303'],
    ['hsts', 'on'],
    ['ssl-protocols', 'SSLv3 TLSv1.2'],
    ['ssl-protocols', 'TLSv1 TLSv1.1'],
    ['ssl-ciphers', 'HIGH:!aNULL'],
    ['ssl-session-cache-size', '10 m'],
    ['ssl-session-timeout', '2d'],
    ['ssl-session-timeout', '10m;'],
    ['use-http2', 'no'],
    ['skip-access-log-http-statuses', "^2..' }\n  stats socket /tmp/x"],
    ['skip-access-log-http-statuses', '(2|2)*(2|2)*$'],
    ['skip-access-log-http-statuses', '^2xx'],
    ['ssl-ciphers', "ECDHE-RSA-AES128-GCM-SHA256'\n  stats socket /tmp/x"],
    ['forwarded-for-header', 'X-Forwarded-For\nX: y'],
    ['forwarded-for-header', 'a b'],
    ['block-cidrs', '10.0.0.0/33'],
    ['whitelist-source-range', 'example.com'],
    ['keep-alive', '75 ; global'],
  ];
  for (const [key, value] of refused) {
    test(`refused and ignored: ${key}: ${JSON.stringify(value)}`, () => {
      const result = read({ [key]: value });
      assert.deepEqual(result.globals, {});
      assert.deepEqual(result.annotationDefaults, {});
      const problem = result.diagnostics.find((diagnostic) => diagnostic.field === `data[${JSON.stringify(key)}]`);
      assert.ok(problem, JSON.stringify(result.diagnostics));
      assert.equal(problem.severity, 'warning');
      assert.match(problem.message, /the key is ignored$/);
    });
  }

  test('unknown and ignored keys are reported, never fatal', () => {
    const result = read({ 'no-such-key': 'x', 'log-format-upstream': '$remote_addr', 'proxy-body-size': '1m' });
    assert.deepEqual(result.annotationDefaults, { 'proxy-body-size': '1m' });
    const messages = result.diagnostics.map((diagnostic) => `${diagnostic.field} ${diagnostic.message}`);
    assert.ok(messages.some((message) => message.startsWith('data["no-such-key"] not a key Portero reads')), messages.join('\n'));
    assert.ok(messages.some((message) => message.startsWith('data["log-format-upstream"] accepted and ignored')), messages.join('\n'));
  });

  test('a missing ConfigMap is a warning and leaves the defaults', () => {
    const result = readConfigMap(undefined, REF);
    assert.deepEqual(result.globals, {});
    assert.match(result.diagnostics[0]!.message, /not found/);
  });

  test('portero migrate says supported for every key Portero reads', () => {
    for (const key of ['proxy-connect-timeout', 'ssl-redirect', 'use-forwarded-headers', 'block-cidrs', 'keep-alive', 'allow-snippet-annotations']) {
      assert.equal(classifyConfigMapKey(key, '1').status, 'supported', key);
    }
  });
});

const service = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { ports: [{ name: 'http', port: 80 }] } };
const cm = (data: Record<string, string>) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace: 'ingress-nginx', name: 'ingress-nginx-controller' }, data });
function ingress(name: string, annotations: Record<string, string> = {}, tls = false) {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name, annotations },
    spec: {
      ingressClassName: 'portero',
      rules: [{ host: `${name}.test`, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] } }],
      ...(tls ? { tls: [{ hosts: [`${name}.test`] }] } : {}),
    },
  };
}
const WITH_CONFIGMAP = { configMap: { namespace: 'ingress-nginx', name: 'ingress-nginx-controller' } };

describe('ConfigMap defaults in translate', () => {
  test('proxy-body-size applies to Ingresses without the annotation; the annotation replaces it', () => {
    const { model } = translateJson([service, cm({ 'proxy-body-size': '1k' }), ingress('plain'), ingress('big', { 'nginx.ingress.kubernetes.io/proxy-body-size': '0' }), ingress('small', { 'nginx.ingress.kubernetes.io/proxy-body-size': '10' })], WITH_CONFIGMAP);
    const bodies = model.backends.map((backend) => backend.features?.maxBodyBytes);
    assert.deepEqual(bodies.sort(), [10, 1024, undefined].sort());
  });

  test('without --configmap the ConfigMap is not read', () => {
    const { model } = translateJson([service, cm({ 'proxy-body-size': '1k', hsts: 'true' }), ingress('plain')]);
    assert.equal(model.backends[0]!.features, undefined);
    assert.equal(model.globals, undefined);
  });

  test('ssl-redirect false turns the redirect off for every TLS host; the annotation turns it back on', () => {
    const objects = [service, cm({ 'ssl-redirect': 'false' }), ingress('a', {}, true), ingress('b', { 'nginx.ingress.kubernetes.io/ssl-redirect': 'true' }, true)];
    assert.deepEqual(translateJson(objects, WITH_CONFIGMAP).model.redirectHosts, ['b.test']);
    assert.deepEqual(translateJson(objects).model.redirectHosts, ['a.test', 'b.test']);
  });

  test('force-ssl-redirect with http-redirect-code', () => {
    const { model } = translateJson([service, cm({ 'force-ssl-redirect': 'true', 'http-redirect-code': '301' }), ingress('a')], WITH_CONFIGMAP);
    assert.equal(model.backends[0]!.features?.httpsRedirect, true);
    assert.equal(model.backends[0]!.features?.httpsRedirectCode, 301);
    assert.equal(model.globals?.redirectCode, 301);
  });

  test('a global allowlist is replaced by the Ingress annotation', () => {
    const { model } = translateJson([service, cm({ 'whitelist-source-range': '10.0.0.0/8' }), ingress('a'), ingress('b', { 'nginx.ingress.kubernetes.io/allowlist-source-range': '127.0.0.1' })], WITH_CONFIGMAP);
    assert.deepEqual(model.backends.map((backend) => backend.features?.allowSources?.join(',')).sort(), ['10.0.0.0/8', '127.0.0.1']);
  });

  test('allow-snippet-annotations in the ConfigMap enables snippets like the flag', () => {
    const snippet = ingress('s', { 'nginx.ingress.kubernetes.io/configuration-snippet': 'more_set_headers "A: b";' });
    const off = translateJson([service, snippet], WITH_CONFIGMAP).diagnostics.map((d) => d.message).join('\n');
    const on = translateJson([service, cm({ 'allow-snippet-annotations': 'true' }), snippet], WITH_CONFIGMAP).diagnostics.map((d) => d.message).join('\n');
    assert.match(off, /Snippet directives are disabled/);
    assert.doesNotMatch(on, /Snippet directives are disabled/);
  });

  test('a bad value is a warning naming the ConfigMap, the key and the value; the Ingresses are served', () => {
    const { diagnostics, served } = translateJson([service, cm({ 'proxy-body-size': 'lots' }), ingress('a')], WITH_CONFIGMAP);
    assert.equal(served.length, 1);
    const problem = diagnostics.find((diagnostic) => diagnostic.object.kind === 'ConfigMap');
    assert.equal(problem?.field, 'data["proxy-body-size"]');
    assert.match(problem!.message, /value "lots"/);
  });
});

describe('ConfigMap globals in haproxy.cfg', () => {
  const everything = {
    'proxy-connect-timeout': '3',
    'proxy-read-timeout': '90',
    'keep-alive': '75',
    'http-redirect-code': '301',
    hsts: 'true',
    'hsts-preload': 'true',
    'ssl-protocols': 'TLSv1.2',
    'ssl-ciphers': 'ECDHE-RSA-AES128-GCM-SHA256',
    'use-proxy-protocol': 'true',
    'use-forwarded-headers': 'true',
    'compute-full-forwarded-for': 'true',
    'proxy-real-ip-cidr': '10.0.0.0/8',
    'block-cidrs': '192.0.2.0/24',
  };

  function modelWith(data: Record<string, string>): Model {
    return translateJson([service, cm(data), ingress('a', {}, true)], WITH_CONFIGMAP).model;
  }

  test('the rendered lines', () => {
    const model = modelWith(everything);
    const settings = { stateDir: '/s', adminSocket: '/s/admin.sock', bindAddress: '127.0.0.1', httpPort: 8080, httpsPort: 8443, hardStopAfter: '5m', maxReloads: 8 };
    const config = renderConfig(model, settings, '/s/gen-1', new BackendNames(structureFor(model)));
    const expected = [
      /^ {2}ssl-default-bind-options ssl-min-ver TLSv1\.2 ssl-max-ver TLSv1\.2 no-tls-tickets$/m,
      /^ {2}ssl-default-bind-ciphers ECDHE-RSA-AES128-GCM-SHA256$/m,
      /^ {2}timeout connect 3s$/m,
      /^ {2}timeout server 90s$/m,
      /^ {2}timeout http-keep-alive 75s$/m,
      /^ {2}bind 127\.0\.0\.1:8080 accept-proxy$/m,
      /^ {2}bind 127\.0\.0\.1:8443 accept-proxy ssl crt-list/m,
      /^ {2}acl portero_trusted src 10\.0\.0\.0\/8$/m,
      /^ {2}http-request set-src req\.hdr\(x-forwarded-for,-1\) if portero_trusted \{ req\.hdr\(x-forwarded-for,-1\) -m found \}$/m,
      // real_ip_recursive: each trusted address gives way to the one before it, up to 8.
      /^ {2}http-request set-src req\.hdr\(x-forwarded-for,-2\) if portero_trusted \{ req\.hdr\(x-forwarded-for,-2\) -m found \}$/m,
      /^ {2}http-request set-src req\.hdr\(x-forwarded-for,-8\) if portero_trusted \{ req\.hdr\(x-forwarded-for,-8\) -m found \}$/m,
      /^ {2}http-request add-header X-Forwarded-For %\[var\(txn\.peer\)\]$/m,
      /^ {2}http-request set-header X-Forwarded-Proto https if !\{ req\.hdr\(x-forwarded-proto\) -m found \}$/m,
      // use-proxy-protocol: the PROXY header's destination port; 443 on the plain HTTP port is TLS ended by the load balancer (no redirect).
      /^ {2}http-request set-header X-Forwarded-Port %\[dst_port\] if !\{ req\.hdr\(x-forwarded-port\) -m found \}$/m,
      /^ {2}http-request set-header X-Forwarded-Proto https if \{ dst_port 443 \} !\{ req\.hdr\(x-forwarded-proto\) -m found \}$/m,
      /redirect code 301 location https:.* !\{ dst_port 443 \}/,
      // use-forwarded-headers: the first entry of a trusted X-Forwarded-Host list.
      /^ {2}http-request set-header X-Forwarded-Host %\[req\.hdr\(x-forwarded-host,1\)\] if \{ req\.hdr\(x-forwarded-host\) -m found \}$/m,
      /^ {2}acl portero_block src 192\.0\.2\.0\/24$/m,
      /^ {2}http-request deny deny_status 403 if portero_block$/m,
      /^ {2}http-after-response set-header Strict-Transport-Security "max-age=31536000; includeSubDomains; preload"$/m,
      /redirect code 301 location https:/,
    ];
    for (const pattern of expected) assert.match(config, pattern);
    assert.equal((config.match(/Strict-Transport-Security/g) ?? []).length, 1, 'HSTS on the HTTPS frontend only');
    assert.doesNotMatch(config, /option forwardfor/);
  });

  test('without a ConfigMap the configuration is as before', () => {
    const model = translateJson([service, ingress('a', {}, true)]).model;
    const config = renderConfig(model, { stateDir: '/s', adminSocket: '/s/admin.sock', bindAddress: '127.0.0.1', httpPort: 8080, httpsPort: 8443, hardStopAfter: '5m', maxReloads: 8 }, '/s/gen-1', new BackendNames(structureFor(model)));
    assert.match(config, /^ {2}ssl-default-bind-options ssl-min-ver TLSv1\.2 no-tls-tickets$/m);
    assert.match(config, /^ {2}timeout connect 5s$/m);
    assert.match(config, /^ {2}option forwardfor$/m);
    assert.doesNotMatch(config, /Strict-Transport-Security|accept-proxy|pool-purge-delay/);
  });

  test('a change of the globals does not fit the loaded structure: it reloads', () => {
    const before = modelWith({ hsts: 'true' });
    assert.equal(misfit(structureFor(before), modelWith({ hsts: 'true' })), undefined);
    assert.match(misfit(structureFor(before), modelWith({ hsts: 'false' })) ?? '', /ConfigMap/);
  });

  test('TLS sessions and use-http2: tickets, cache size and lifetime, or no cache; ALPN without h2', () => {
    const settings = { stateDir: '/s', adminSocket: '/s/admin.sock', bindAddress: '127.0.0.1', httpPort: 8080, httpsPort: 8443, hardStopAfter: '5m', maxReloads: 8 };
    const render = (data: Record<string, string>) => {
      const model = modelWith(data);
      return renderConfig(model, settings, '/s/gen-1', new BackendNames(structureFor(model)));
    };
    const on = render({ 'ssl-session-tickets': 'true', 'ssl-session-cache-size': '1m', 'ssl-session-timeout': '10m', 'use-http2': 'false' });
    assert.match(on, /^ {2}ssl-default-bind-options ssl-min-ver TLSv1\.2$/m);
    assert.match(on, /^ {2}tune\.ssl\.cachesize 4000$/m);
    assert.match(on, /^ {2}tune\.ssl\.lifetime 600$/m);
    assert.match(on, /^ {2}bind 127\.0\.0\.1:8443 ssl crt-list \S+ alpn http\/1\.1$/m);
    const off = render({ 'ssl-session-cache': 'false', 'ssl-session-cache-size': '1m' });
    assert.match(off, /^ {2}tune\.ssl\.cachesize 0$/m);
    assert.match(off, /no-tls-tickets$/m);
    assert.match(off, /alpn h2,http\/1\.1$/m);
    const model = modelWith({ 'skip-access-log-http-statuses': '^2..' });
    const logged = renderConfig(model, { ...settings, accessLog: true }, '/s/gen-1', new BackendNames(structureFor(model)));
    assert.match(logged, /^ {2}http-response set-log-level silent if \{ status -m reg '\^2\.\.' \}$/m);
    assert.doesNotMatch(render({ 'skip-access-log-http-statuses': '^2..' }), /set-log-level silent/, 'nothing without --access-log');
  });

  for (const [name, data] of [['everything', everything], ['enable-real-ip only', { 'enable-real-ip': 'true', 'forwarded-for-header': 'CF-Connecting-IP' }], ['TLS 1.3 only', { 'ssl-protocols': 'TLSv1.3', 'use-forwarded-headers': 'true' }], ['TLS sessions', { 'ssl-session-tickets': 'true', 'ssl-session-cache-size': '20m', 'ssl-session-timeout': '1h', 'use-http2': 'false' }]] as const) {
    test(`HAProxy accepts the configuration: ${name} (haproxy -c)`, async () => {
      await assertHaproxyAccepts(await withTestCertificate(modelWith(data)));
    });
  }
});

describe('class takeover', () => {
  test('--ingress-class nginx --controller-class k8s.io/ingress-nginx serves the nginx IngressClass and the legacy annotation', () => {
    const nginxClass = { apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata: { name: 'nginx' }, spec: { controller: 'k8s.io/ingress-nginx' } };
    const byName = { ...ingress('a'), spec: { ...ingress('a').spec, ingressClassName: 'nginx' } };
    const { ingressClassName: _dropped, ...legacySpec } = ingress('b').spec;
    const legacy = { ...ingress('b', { 'kubernetes.io/ingress.class': 'nginx' }), spec: legacySpec };
    const other = { ...ingress('c', { 'kubernetes.io/ingress.class': 'traefik' }), spec: legacySpec };
    const options = { ingressClass: 'nginx', controllerClass: 'k8s.io/ingress-nginx' };
    assert.deepEqual(translateJson([service, nginxClass, byName, legacy, other], options).served.map((ref) => ref.name).sort(), ['a', 'b']);
    // Without the IngressClass object too: --ingress-class names the class.
    assert.deepEqual(translateJson([service, byName, legacy], options).served.map((ref) => ref.name).sort(), ['a', 'b']);
  });
});

describe('--ingress-class-by-name', () => {
  test('the --ingress-class name is ours even when its IngressClass names another controller', () => {
    const otherClass = { apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata: { name: 'named' }, spec: { controller: 'k8s.io/other-class' } };
    const byName = { ...ingress('a'), spec: { ...ingress('a').spec, ingressClassName: 'named' } };
    const options = { ingressClass: 'named', controllerClass: 'k8s.io/ingress-nginx' };
    assert.deepEqual(translateJson([service, otherClass, byName], options).served.map((ref) => ref.name), []);
    assert.deepEqual(translateJson([service, otherClass, byName], { ...options, ingressClassByName: true }).served.map((ref) => ref.name), ['a']);
  });
});

describe('ConfigMap global auth (global-auth-*, no-auth-locations)', () => {
  test('read as auth-* values, with ingress-nginx\'s default exemption', () => {
    const settings = read({
      'global-auth-url': 'http://oauth2.auth.svc.cluster.local:4180/oauth2/auth',
      'global-auth-method': 'POST',
      'global-auth-signin': 'https://login.example/start',
      'global-auth-signin-redirect-param': 'next',
      'global-auth-response-headers': 'X-User, X-Email',
      'global-auth-always-set-cookie': 'true',
    });
    assert.deepEqual(settings.globalAuth, {
      values: {
        'auth-url': 'http://oauth2.auth.svc.cluster.local:4180/oauth2/auth',
        'auth-method': 'POST',
        'auth-signin': 'https://login.example/start',
        'auth-signin-redirect-param': 'next',
        'auth-response-headers': 'X-User,X-Email',
        'auth-always-set-cookie': 'true',
      },
      exemptPaths: ['/.well-known/acme-challenge'],
    });
    assert.deepEqual(settings.diagnostics, []);
    assert.deepEqual(read({ 'global-auth-url': 'http://10.0.0.1/auth', 'no-auth-locations': '/health, /.well-known/acme-challenge' }).globalAuth?.exemptPaths, ['/health', '/.well-known/acme-challenge']);
  });

  const refused: [Record<string, string>, string, boolean][] = [
    // [data, key named in the warning, global auth still on]
    [{ 'global-auth-url': 'https://$host/auth' }, 'global-auth-url', false],
    [{ 'global-auth-url': 'http://auth.example.com/x' }, 'global-auth-url', false],
    [{ 'global-auth-url': 'http://10.0.0.1/a', 'global-auth-method': 'PATCH' }, 'global-auth-method', true],
    [{ 'global-auth-url': 'http://10.0.0.1/a', 'global-auth-signin': 'javascript:alert(1)' }, 'global-auth-signin', true],
    [{ 'global-auth-url': 'http://10.0.0.1/a', 'global-auth-response-headers': 'X-Ok, bad header' }, 'global-auth-response-headers', true],
    [{ 'global-auth-url': 'http://10.0.0.1/a', 'no-auth-locations': 'not-a-path' }, 'no-auth-locations', true],
    [{ 'global-auth-url': 'http://10.0.0.1/a', 'global-auth-snippet': 'proxy_set_header X 1;' }, 'global-auth-snippet', true],
  ];
  for (const [data, key, on] of refused) {
    test(`refused: ${JSON.stringify(data)} names ${key}`, () => {
      const settings = read(data);
      assert.ok(settings.diagnostics.some((d) => d.field === `data[${JSON.stringify(key)}]`), JSON.stringify(settings.diagnostics));
      assert.equal(settings.globalAuth !== undefined, on);
      for (const value of Object.values(settings.globalAuth?.values ?? {})) assert.ok(!value.includes('$') && !value.includes(' '), value);
    });
  }

  test('every global-auth key is classified by portero migrate as read', () => {
    for (const key of ['global-auth-url', 'global-auth-signin', 'global-auth-response-headers', 'no-auth-locations']) {
      assert.notEqual(classifyConfigMapKey(key, 'x').status, 'ignored', key);
      assert.notEqual(classifyConfigMapKey(key, 'x').status, 'unknown', key);
    }
  });
});
