// Annotations → features, table by table: what each value gives, and which
// values are refused (the Ingress left out) or fail closed (503).

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Features } from '../../src/model/features.js';
import { settingEntries } from '../../src/dataplane/haproxy/features/settings.js';
import { patternListFile } from '../../src/dataplane/haproxy/features/source-lists.js';
import { featureLines } from '../../src/dataplane/haproxy/render-features.js';
import { ingress, serviceWithEndpoints } from '../helpers/objects.js';
import { A, refusedTable, translateWith, validTable, type RefusedRow, type ValidRow } from '../helpers/annotations.js';
import { translateJson } from '../helpers/translate.js';

const VALID: ValidRow[] = [
  ['no annotations', {}, undefined],
  ['annotations of other prefixes', { 'example.com/x': '1', 'example.org/proxy-body-size': '1k' }, undefined],
  ['force-ssl-redirect', { [`${A}/force-ssl-redirect`]: 'true' }, { httpsRedirect: true }],
  ['force-ssl-redirect false', { [`${A}/force-ssl-redirect`]: 'False' }, undefined],
  ['force-ssl-forbid-http with force-ssl-redirect: 403 instead', { [`${A}/force-ssl-redirect`]: 'true', [`${A}/force-ssl-forbid-http`]: 'true' }, { httpsRedirect: true, httpForbidden: {} }],
  ['force-ssl-forbid-http alone: nothing to forbid', { [`${A}/force-ssl-forbid-http`]: 'true' }, undefined],
  ['ssl-forbid-http (its hosts are the TLS hosts, decided with all Ingresses)', { [`${A}/ssl-forbid-http`]: 'true' }, undefined],
  ['custom-http-errors with proxy-intercept-errors false: nothing replaced', { [`${A}/custom-http-errors`]: '404', [`${A}/proxy-intercept-errors`]: 'false' }, undefined],
  ['custom-http-errors with disable-proxy-intercept-errors: nothing replaced', { [`${A}/custom-http-errors`]: '404', [`${A}/disable-proxy-intercept-errors`]: 'true', [`${A}/default-backend`]: 'errors' }, { defaultBackend: { service: 'errors' } }],
  ['proxy-intercept-errors true changes nothing', { [`${A}/custom-http-errors`]: '404', [`${A}/proxy-intercept-errors`]: 'true', [`${A}/default-backend`]: 'errors' }, { defaultBackend: { service: 'errors' }, customErrors: { codes: [404], namespace: 'default', ingress: 'web' } }],
  ['auth-tls-ocsp on fails closed', { [`${A}/auth-tls-secret`]: 'ca', [`${A}/auth-tls-ocsp`]: 'on' }, { denied: true }],
  ['auth-tls-ocsp without auth-tls-secret means nothing, as the other auth-tls-*', { [`${A}/auth-tls-ocsp`]: 'on' }, undefined],
  ['auth-tls-ocsp off changes nothing', { [`${A}/auth-tls-ocsp`]: 'off' }, undefined],
  ['annotations Portero does not apply (a warning each)', { [`${A}/enable-modsecurity`]: 'true', [`${A}/global-rate-limit`]: '100', [`${A}/http2-push-preload`]: 'true', [`${A}/ssl-ciphers`]: 'ALL' }, undefined],
  ['ssl-redirect false (decided per host, not a feature)', { [`${A}/ssl-redirect`]: 'false' }, undefined],
  ['permanent-redirect', { [`${A}/permanent-redirect`]: 'https://x.test/a?b=%20' }, { redirect: { location: 'https://x.test/a?b=%20', code: 301 } }],
  ['permanent-redirect-code', { [`${A}/permanent-redirect`]: 'http://x.test', [`${A}/permanent-redirect-code`]: '307' }, { redirect: { location: 'http://x.test', code: 307 } }],
  ['temporal-redirect wins', { [`${A}/permanent-redirect`]: 'http://p.test', [`${A}/temporal-redirect`]: 'http://t.test' }, { redirect: { location: 'http://t.test', code: 302 } }],
  ['a path as redirect: made absolute by the proxy, as nginx does', { [`${A}/permanent-redirect`]: '/elsewhere?a=1' }, { redirect: { location: '/elsewhere?a=1', code: 301, pathLocation: 'absolute' } }],
  ['a path with relative-redirects: sent as written', { [`${A}/temporal-redirect`]: '/elsewhere', [`${A}/relative-redirects`]: 'true' }, { redirect: { location: '/elsewhere', code: 302, pathLocation: 'relative' } }],
  ['relative-redirects and preserve-trailing-slash alone change nothing', { [`${A}/relative-redirects`]: 'true', [`${A}/preserve-trailing-slash`]: 'true' }, undefined],
  ['app-root', { [`${A}/app-root`]: '/app' }, { appRoot: '/app' }],
  ['proxy-body-size 8m', { [`${A}/proxy-body-size`]: '8m' }, { maxBodyBytes: 8 * 1024 * 1024 }],
  ['proxy-body-size 512K', { [`${A}/proxy-body-size`]: '512K' }, { maxBodyBytes: 512 * 1024 }],
  ['proxy-body-size 0 is no limit', { [`${A}/proxy-body-size`]: '0' }, undefined],
  ['timeouts', { [`${A}/proxy-connect-timeout`]: '3', [`${A}/proxy-read-timeout`]: '3600' }, { timeouts: { connectSeconds: 3, serverSeconds: 3600 } }],
  ['send timeout alone', { [`${A}/proxy-send-timeout`]: '120' }, { timeouts: { serverSeconds: 120 } }],
  ['allowlist, normalised and sorted', { [`${A}/allowlist-source-range`]: ' 10.0.0.0/08 ,192.168.1.1,, ::1/128' }, { allowSources: ['10.0.0.0/8', '192.168.1.1', '::1/128'] }],
  ['whitelist is the old name', { [`${A}/whitelist-source-range`]: '10.0.0.0/8' }, { allowSources: ['10.0.0.0/8'] }],
  ['denylist', { [`${A}/denylist-source-range`]: '1.2.3.4' }, { denySources: ['1.2.3.4'] }],
  ['default-backend', { [`${A}/default-backend`]: 'fallback' }, { defaultBackend: { service: 'fallback' } }],
  ['custom-http-errors', { [`${A}/custom-http-errors`]: '503, 404,404', [`${A}/default-backend`]: 'errors' }, { defaultBackend: { service: 'errors' }, customErrors: { codes: [404, 503], namespace: 'default', ingress: 'web' } }],
  ['an invalid allowlist fails closed', { [`${A}/allowlist-source-range`]: '10.0.0.0/40' }, { denied: true }],
];

const REFUSED: RefusedRow[] = [
  ['a boolean that is not one', { [`${A}/force-ssl-redirect`]: 'yes' }, /must be true or false/],
  ['ssl-redirect that is not a boolean', { [`${A}/ssl-redirect`]: 'maybe' }, /must be true or false/],
  ['ssl-forbid-http that is not a boolean', { [`${A}/ssl-forbid-http`]: 'yes' }, /must be true or false/],
  ['proxy-intercept-errors that is not a boolean', { [`${A}/proxy-intercept-errors`]: 'off' }, /must be true or false/],
  ['a protocol-relative redirect (another host)', { [`${A}/permanent-redirect`]: '//elsewhere.test/x' }, /absolute http/],
  ['a redirect path with a space', { [`${A}/permanent-redirect`]: '/a b' }, /absolute http/],
  ['a relative path as redirect', { [`${A}/permanent-redirect`]: 'elsewhere' }, /absolute http/],
  ['enable-rewrite-log that is not a boolean (checked, then ignored)', { [`${A}/enable-rewrite-log`]: 'on' }, /must be true or false/],
  ['relative-redirects that is not a boolean', { [`${A}/relative-redirects`]: 'yes' }, /must be true or false/],
  ['a redirect with a space', { [`${A}/permanent-redirect`]: 'https://x.test/a b' }, /absolute http/],
  ['a redirect with a quote', { [`${A}/permanent-redirect`]: "https://x.test/'" }, /absolute http/],
  ['a redirect with nginx variables', { [`${A}/permanent-redirect`]: 'https://$host/x' }, /absolute http/],
  ['a redirect with a line break', { [`${A}/permanent-redirect`]: 'https://x.test/\nbind :1' }, /absolute http/],
  ['a javascript: URL', { [`${A}/permanent-redirect`]: 'javascript:alert(1)' }, /absolute http/],
  ['a redirect code HAProxy cannot send', { [`${A}/permanent-redirect`]: 'http://x.test', [`${A}/permanent-redirect-code`]: '300' }, /must be one of/],
  ['app-root without /', { [`${A}/app-root`]: 'app' }, /absolute path/],
  ['app-root with a quote', { [`${A}/app-root`]: "/a'b" }, /absolute path/],
  ['a size with a unit nginx does not know', { [`${A}/proxy-body-size`]: '1t' }, /must be a size/],
  ['a negative timeout', { [`${A}/proxy-read-timeout`]: '-1' }, /between 1 and 86400/],
  ['a timeout with a unit', { [`${A}/proxy-read-timeout`]: '60s' }, /whole number/],
  ['custom-http-errors without default-backend', { [`${A}/custom-http-errors`]: '404' }, /needs the default-backend annotation/],
  ['custom-http-errors with a success status', { [`${A}/custom-http-errors`]: '200', [`${A}/default-backend`]: 'errors' }, /not an error status/],
  ['a default-backend that is not a Service name', { [`${A}/default-backend`]: 'ns/name' }, /name of a Service/],
  ['a snippet', { [`${A}/server-snippet`]: 'location / { }' }, /Snippet directives are disabled/],
];

describe('annotations → features', () => {
  validTable(VALID);
  refusedTable(REFUSED);

  test('routes with features get a backend of their own; equal features share it', () => {
    const objects = [
      ...serviceWithEndpoints({ name: 'app', endpoints: [{ address: '127.0.0.2', port: 8080 }] }),
      ingress({ name: 'plain', rules: [{ host: 'p.test', paths: [{ service: 'app' }] }] }),
      ingress({ name: 'one', annotations: { [`${A}/proxy-body-size`]: '1m' }, rules: [{ host: 'one.test', paths: [{ service: 'app' }] }] }),
      ingress({ name: 'two', annotations: { [`${A}/proxy-body-size`]: '1024k' }, rules: [{ host: 'two.test', paths: [{ service: 'app' }] }] }),
    ];
    const { model } = translateJson(objects);
    assert.equal(model.backends.length, 2);
    const [plain, featured] = model.backends;
    assert.equal(plain?.id, 'default_app_80');
    assert.match(featured?.id ?? '', /^default_app_80\.[0-9a-f]{10}$/);
    assert.deepEqual(featured?.endpoints, plain?.endpoints);
    const target = (host: string) => model.levels.find((level) => level.host === host)?.routes[0]?.target;
    assert.deepEqual(target('p.test'), { kind: 'backend', id: 'default_app_80' });
    assert.deepEqual(target('one.test'), { kind: 'backend', id: featured?.id });
    assert.deepEqual(target('two.test'), { kind: 'backend', id: featured?.id });
  });

  test("default-backend: a path whose Service does not exist goes to the default-backend Service's first port, with a warning saying so", () => {
    const objects = [
      ...serviceWithEndpoints({ name: 'fallback', endpoints: [{ address: '127.0.0.3', port: 8080 }] }),
      ingress({ name: 'web', annotations: { [`${A}/default-backend`]: 'fallback' }, rules: [{ host: 'a.test', paths: [{ service: 'invalid' }] }] }),
      ingress({ name: 'plain', rules: [{ host: 'b.test', paths: [{ service: 'invalid' }] }] }),
    ];
    const { model, diagnostics } = translateJson(objects);
    const target = (host: string) => model.levels.find((level) => level.host === host)?.routes[0]?.target;
    const routed = target('a.test');
    assert.equal(routed?.kind, 'backend');
    const backend = model.backends.find((candidate) => routed?.kind === 'backend' && candidate.id === routed.id);
    assert.equal(backend?.service, 'fallback');
    assert.deepEqual(backend?.endpoints, [{ address: '127.0.0.3', port: 8080 }]);
    assert.deepEqual(target('b.test'), { kind: 'unavailable' });
    const messages = diagnostics.map((diagnostic) => diagnostic.message);
    assert.ok(messages.includes('Service default/invalid not found; requests go to the default-backend Service default/fallback'), messages.join('\n'));
    assert.ok(messages.includes('Service default/invalid not found; requests answer 503'), messages.join('\n'));
  });

  test('--annotations-prefix: only annotations under that prefix are read', () => {
    const annotations = { 'ingress.kubernetes.io/proxy-body-size': '1k', [`${A}/proxy-body-size`]: '2k' };
    const { model } = translateWith(annotations, { prefix: 'ingress.kubernetes.io' });
    assert.equal(model.backends[0]?.features?.maxBodyBytes, 1024);
  });

  test('ssl-redirect false keeps plain HTTP for its hosts', () => {
    const objects = (annotations: Record<string, string>) => [
      ...serviceWithEndpoints({ name: 'app', endpoints: [{ address: '127.0.0.2', port: 8080 }] }),
      ingress({ name: 'web', annotations, tls: [{ hosts: ['a.test'], secretName: 's' }], rules: [{ host: 'a.test', paths: [{ service: 'app' }] }] }),
    ];
    assert.deepEqual(translateJson(objects({})).model.redirectHosts, ['a.test']);
    assert.deepEqual(translateJson(objects({ [`${A}/ssl-redirect`]: 'false' })).model.redirectHosts, []);
  });

  test('ssl-forbid-http: its TLS hosts leave the redirect map and answer 403 in its backend; its plain hosts stay served', () => {
    const forbid = { [`${A}/ssl-forbid-http`]: 'true' };
    const objects = [
      ...serviceWithEndpoints({ name: 'app', endpoints: [{ address: '127.0.0.2', port: 8080 }] }),
      ingress({ name: 'web', annotations: forbid, tls: [{ hosts: ['a.test', '*.w.test'], secretName: 's' }], rules: [{ host: 'a.test', paths: [{ service: 'app' }] }, { host: '*.w.test', paths: [{ service: 'app' }] }, { host: 'plain.test', paths: [{ service: 'app' }] }] }),
      ingress({ name: 'other', tls: [{ hosts: ['b.test'], secretName: 's' }], rules: [{ host: 'b.test', paths: [{ service: 'app' }] }] }),
    ];
    const { model } = translateJson(objects);
    assert.deepEqual(model.redirectHosts, ['b.test']);
    const forbidden = model.backends.find((backend) => backend.features?.httpForbidden);
    assert.deepEqual(forbidden?.features?.httpForbidden, { hosts: ['*.w.test', 'a.test'] });
    // With ssl-redirect: "false" nothing is forbidden: the hosts are served over plain HTTP.
    const off = translateJson([objects[0]!, objects[1]!, ingress({ name: 'web', annotations: { ...forbid, [`${A}/ssl-redirect`]: 'false' }, tls: [{ hosts: ['a.test'], secretName: 's' }], rules: [{ host: 'a.test', paths: [{ service: 'app' }] }] })]);
    assert.equal(off.model.backends.some((backend) => backend.features?.httpForbidden), false);
    assert.deepEqual(off.model.redirectHosts, []);
  });
});

describe('features → backend rules', () => {
  const context = { httpsPort: 443 };
  const CODES = [301, 302, 303, 307, 308];
  const CODE_FROM_MAP = '  http-request set-var(txn.portero_redirect_code) str(backend|redirect-code),map_str(/nonexistent/settings.map)';
  const RULES: [string, Features, string[]][] = [
    ['nothing', {}, []],
    ['https redirect on 443 names no port', { httpsRedirect: true }, ['  http-request redirect code 308 location https://%[req.hdr(host),field(1,:),lower]%[pathq] if !{ ssl_fc } !{ path_beg /.well-known/acme-challenge/ }']],
    ['a fixed redirect: its location and code read from settings.map, one rule per code', { redirect: { location: 'https://x.test/a?b=%2F#c', code: 301 } }, [
      CODE_FROM_MAP,
      ...CODES.map((code) => `  http-request redirect location %[str(backend|location),map_str(/nonexistent/settings.map)] code ${code} if { var(txn.portero_redirect_code) -m int ${code} }`),
    ]],
    ['a path as redirect: absolute from the scheme, Host and listening port (443 and 80 named by none)', { redirect: { location: '/new', code: 301, pathLocation: 'absolute' } }, [
      CODE_FROM_MAP,
      ...CODES.flatMap((code) => [
        `  http-request redirect location 'https://%[req.hdr(host),field(1,:),lower]%[str(backend|location),map_str(/nonexistent/settings.map)]' code ${code} if { var(txn.portero_redirect_code) -m int ${code} } { ssl_fc }`,
        `  http-request redirect location 'http://%[req.hdr(host),field(1,:),lower]%[str(backend|location),map_str(/nonexistent/settings.map)]' code ${code} if { var(txn.portero_redirect_code) -m int ${code} } !{ ssl_fc }`,
      ]),
    ]],
    ['a path as redirect with relative-redirects: as written', { redirect: { location: '/new', code: 302, pathLocation: 'relative' } }, [
      CODE_FROM_MAP,
      ...CODES.map((code) => `  http-request redirect location %[str(backend|location),map_str(/nonexistent/settings.map)] code ${code} if { var(txn.portero_redirect_code) -m int ${code} }`),
    ]],
    ['app root', { appRoot: '/app' }, ["  http-request redirect code 302 location '%[ssl_fc,iif(https,http)]://%[req.hdr(host)]/app' if { path / }"]],
    ['body limit: only requests with a body read it', { maxBodyBytes: 1024 }, ['  http-request set-var(txn.portero_max_body) str(backend|max-body),map_str(/nonexistent/settings.map) if { req.hdr(content-length) -m found }', '  http-request deny deny_status 413 if { req.hdr_val(content-length),sub(txn.portero_max_body) gt 0 }']],
    ['timeouts: connect fixed, server (and tunnel above an hour) from settings.map', { timeouts: { connectSeconds: 2, serverSeconds: 7200 } }, ['  timeout connect 2s', '  http-request set-timeout server str(backend|server-timeout),map_str(/nonexistent/settings.map)', '  http-request set-timeout tunnel str(backend|tunnel-timeout),map_str(/nonexistent/settings.map)']],
    ['a server timeout under an hour leaves the tunnel timeout', { timeouts: { serverSeconds: 60 } }, ['  http-request set-timeout server str(backend|server-timeout),map_str(/nonexistent/settings.map)']],
    ['force-ssl-forbid-http: 403 for plain HTTP before the redirect', { httpsRedirect: true, httpForbidden: {} }, ['  http-request return status 403 content-type text/plain string "403 Forbidden" if !{ ssl_fc } !{ path_beg /.well-known/acme-challenge/ }', '  http-request redirect code 308 location https://%[req.hdr(host),field(1,:),lower]%[pathq] if !{ ssl_fc } !{ path_beg /.well-known/acme-challenge/ }']],
    ['ssl-forbid-http: only on the TLS hosts, exact and wildcard', { httpForbidden: { hosts: ['*.w.test', 'a.test', 'b.test'] } }, [
      '  http-request return status 403 content-type text/plain string "403 Forbidden" if !{ ssl_fc } !{ path_beg /.well-known/acme-challenge/ } { req.hdr(host),field(1,:),lower -m str a.test b.test }',
      '  http-request return status 403 content-type text/plain string "403 Forbidden" if !{ ssl_fc } !{ path_beg /.well-known/acme-challenge/ } { req.hdr(host),field(1,:),lower,regsub(^[^.]*,*) -m str *.w.test }',
    ]],
    ['denied comes first', { denied: true, maxBodyBytes: 1 }, ['  http-request return status 503 content-type text/plain string "503 Service Unavailable"', '  http-request set-var(txn.portero_max_body) str(backend|max-body),map_str(/nonexistent/settings.map) if { req.hdr(content-length) -m found }', '  http-request deny deny_status 413 if { req.hdr_val(content-length),sub(txn.portero_max_body) gt 0 }']],
  ];
  for (const [title, features, lines] of RULES) test(title, () => assert.deepEqual(featureLines(features, context), lines));

  test('source lists are pattern files of the section, one address or range per line, the denylist first', () => {
    const sources = Array.from({ length: 40 }, (_, i) => `10.0.${i}.0/24`);
    assert.deepEqual(featureLines({ allowSources: sources, denySources: ['10.0.1.7'] }, { ...context, genDir: '/s/gen-1', section: 'default_app_80.abc' }), [
      '  acl portero_deny src -f /s/gen-1/sources/default_app_80.abc.deny',
      '  http-request deny deny_status 403 if portero_deny',
      '  acl portero_allow src -f /s/gen-1/sources/default_app_80.abc.allow',
      '  http-request deny deny_status 403 if !portero_allow',
    ]);
    assert.equal(patternListFile('sources/x.allow', sources), sources.map((source) => `${source}\n`).join(''));
  });

  test('a value that slipped past the annotation grammar is never rendered', () => {
    // Values read at runtime are checked where they are written: settings.map and the source lists.
    assert.throws(() => settingEntries('section', { redirect: { location: "https://x.test/' bind", code: 301 } }));
    assert.throws(() => settingEntries('section', { redirect: { location: '//elsewhere.test/', code: 301, pathLocation: 'relative' } }));
    assert.throws(() => patternListFile('sources/x.allow', ['10.0.0.0/8 || 1']));
    assert.throws(() => patternListFile('sources/x.allow', ['10.0.0.0/8\n0.0.0.0/0']));
    assert.throws(() => patternListFile('sources/x.origins', ['^https://a[.]test$\n.*']));
    assert.throws(() => featureLines({ allowSources: ['10.0.0.0/8'] }, { ...context, section: '../x' }));
    assert.throws(() => featureLines({ appRoot: '/a\nb' }, context));
    assert.throws(() => featureLines({ httpForbidden: { hosts: ['a.test }  http-request deny'] } }, context));
  });
});
