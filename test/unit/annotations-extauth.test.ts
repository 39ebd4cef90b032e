// External authentication (auth-url and friends): annotation values →
// features, the auth URL's host → endpoints from the snapshot, and the
// rendered rules, table by table, hostile values included.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ExternalAuth, Features } from '../../src/model/features.js';
import * as c from '../../src/dataplane/haproxy/config-lines.js';
import { featureLines } from '../../src/dataplane/haproxy/render-features.js';
import { backendSettings } from '../../src/dataplane/haproxy/structure.js';
import { parseAuthUrl, parseSignin } from '../../src/translate/annotations/ext-auth.js';
import { SUPPORT } from '../../src/translate/annotations/index.js';
import { ingress, serviceWithEndpoints } from '../helpers/objects.js';
import { translateJson } from '../helpers/translate.js';

const A = 'nginx.ingress.kubernetes.io';
const URL = 'http://auth.sec.svc.cluster.local:4180/oauth2/auth';

function translateWith(annotations: Record<string, string>, extra: ReturnType<typeof serviceWithEndpoints> = []) {
  return translateJson([
    ...serviceWithEndpoints({ name: 'app', endpoints: [{ address: '127.0.0.2', port: 8080 }] }),
    ...serviceWithEndpoints({ name: 'auth', namespace: 'sec', endpoints: [{ address: '10.1.0.7', port: 4180 }, { address: '10.1.0.8', port: 4180 }], servicePort: 4180 }),
    ...extra,
    ingress({ name: 'web', annotations, rules: [{ host: 'a.test', paths: [{ service: 'app' }] }] }),
  ]);
}

function backendOf(annotations: Record<string, string>, extra: ReturnType<typeof serviceWithEndpoints> = []) {
  const { model, diagnostics } = translateWith(annotations, extra);
  return { backend: model.backends.find((candidate) => candidate.service === 'app'), diagnostics };
}

const base: ExternalAuth = {
  target: { kind: 'service', namespace: 'sec', name: 'auth', port: 4180 },
  host: 'auth.sec.svc.cluster.local:4180',
  path: '/oauth2/auth',
  method: 'GET',
  responseHeaders: [],
  signinParam: 'rd',
  alwaysSetCookie: false,
};

describe('auth-url: the URL', () => {
  const VALID: [string, string, Partial<ExternalAuth>][] = [
    ['a Service with .svc.cluster.local and a port', URL, {}],
    ['a Service with .svc, default port 80, a query', 'http://Auth.Sec.svc/check?a=1&b=%2F', { target: { kind: 'service', namespace: 'sec', name: 'auth', port: 80 }, host: 'auth.sec.svc', path: '/check?a=1&b=%2F' }],
    ['an IPv4 address', 'http://10.0.0.9:9000/', { target: { kind: 'address', address: '10.0.0.9', port: 9000 }, host: '10.0.0.9:9000', path: '/' }],
    ['an IPv6 address, no path', 'http://[fd00::1]:81', { target: { kind: 'address', address: 'fd00::1', port: 81 }, host: '[fd00::1]:81', path: '/' }],
  ];
  for (const [title, url, expected] of VALID) {
    test(title, () => {
      const parsed = parseAuthUrl(url);
      assert.ok(parsed.ok, JSON.stringify(parsed));
      const { target, host, path } = { ...base, ...expected };
      assert.deepEqual(parsed.value, { target, host, path });
    });
  }
  const REFUSED: [string, string, RegExp][] = [
    ['nginx variables', 'https://$host/oauth2/auth', /variables/],
    ['https', 'https://auth.sec.svc/x', /https/],
    ['another scheme', 'ftp://10.0.0.1/', /http/],
    ['a public DNS name', 'http://oauth.example.com/auth', /cannot be resolved/],
    ['a short Service name', 'http://auth.sec/auth', /cannot be resolved/],
    ['a quote in the path', "http://10.0.0.1/a'b", /characters/],
    ['a space', 'http://10.0.0.1/a b', /characters/],
    ['a backslash', 'http://10.0.0.1/a\\b', /characters/],
    ['a bad escape', 'http://10.0.0.1/a%zz', /characters/],
    ['a fragment', 'http://10.0.0.1/a#b', /characters/],
    ['a newline', 'http://10.0.0.1/a\nhttp-request allow', /./],
    ['port 0', 'http://10.0.0.1:0/', /range/],
    ['port 70000', 'http://10.0.0.1:70000/', /range/],
    ['an IPv6 zone', 'http://[fe80::1%25eth0]/', /./],
    ['not a URL', 'auth', /absolute/],
  ];
  for (const [title, url, message] of REFUSED) {
    test(`refused: ${title}`, () => {
      const parsed = parseAuthUrl(url);
      assert.equal(parsed.ok, false);
      if (!parsed.ok) assert.match(parsed.message, message);
    });
  }
  test('auth-signin: variables and hostile text refused', () => {
    assert.ok(parseSignin('https://login.example/start?x=1').ok);
    for (const bad of ['https://$host/oauth2/start?rd=$escaped_request_uri', 'javascript:alert(1)', 'https://a b/', "https://a/'", 'https://a/#x', '/relative']) assert.equal(parseSignin(bad).ok, false, bad);
  });
});

describe('auth annotations → features', () => {
  const VALID: [string, Record<string, string>, Partial<ExternalAuth>][] = [
    ['auth-url alone: GET, rd, no headers', { [`${A}/auth-url`]: URL }, {}],
    [
      'every option',
      {
        [`${A}/auth-url`]: URL,
        [`${A}/auth-method`]: 'POST',
        [`${A}/auth-response-headers`]: 'X-Auth-Request-User, x-auth-request-email,X-Auth-Request-User',
        [`${A}/auth-signin`]: 'https://login.example/oauth2/start',
        [`${A}/auth-signin-redirect-param`]: 'next',
        [`${A}/auth-request-redirect`]: 'https://app.example/',
        [`${A}/auth-always-set-cookie`]: 'true',
        [`${A}/auth-cache-key`]: '$remote_user',
        [`${A}/auth-cache-duration`]: '200 5m',
        [`${A}/auth-keepalive`]: '10',
        [`${A}/enable-global-auth`]: 'false',
      },
      {
        method: 'POST',
        responseHeaders: ['x-auth-request-user', 'x-auth-request-email'],
        signin: 'https://login.example/oauth2/start',
        signinParam: 'next',
        requestRedirect: 'https://app.example/',
        alwaysSetCookie: true,
      },
    ],
  ];
  for (const [title, annotations, expected] of VALID) {
    test(title, () => {
      const { backend, diagnostics } = backendOf(annotations);
      assert.deepEqual(diagnostics, []);
      assert.deepEqual(backend?.features, { externalAuth: { ...base, ...expected } });
      assert.deepEqual(backend?.authEndpoints, [
        { address: '10.1.0.7', port: 4180 },
        { address: '10.1.0.8', port: 4180 },
      ]);
    });
  }

  const FAIL_CLOSED: [string, Record<string, string>][] = [
    ['auth-url with a variable', { [`${A}/auth-url`]: 'https://$host/oauth2/auth' }],
    ['auth-url with a DNS name', { [`${A}/auth-url`]: 'http://oauth.example.com/' }],
    ['auth-method PATCH', { [`${A}/auth-url`]: URL, [`${A}/auth-method`]: 'PATCH' }],
    ['auth-method lowercase', { [`${A}/auth-url`]: URL, [`${A}/auth-method`]: 'get' }],
    ['auth-response-headers with a bad name', { [`${A}/auth-url`]: URL, [`${A}/auth-response-headers`]: 'X-User, X User' }],
    ['auth-response-headers naming Content-Length', { [`${A}/auth-url`]: URL, [`${A}/auth-response-headers`]: 'Content-Length' }],
    ['auth-signin with a variable', { [`${A}/auth-url`]: URL, [`${A}/auth-signin`]: 'https://$host/oauth2/start?rd=$escaped_request_uri' }],
    ['auth-signin-redirect-param with =', { [`${A}/auth-url`]: URL, [`${A}/auth-signin-redirect-param`]: 'a=b' }],
    ['auth-request-redirect with a variable', { [`${A}/auth-url`]: URL, [`${A}/auth-request-redirect`]: '$request_uri' }],
    ['auth-proxy-set-headers', { [`${A}/auth-url`]: URL, [`${A}/auth-proxy-set-headers`]: 'sec/auth-headers' }],
  ];
  for (const [title, annotations] of FAIL_CLOSED) {
    test(`fail closed (503, warning): ${title}`, () => {
      const { backend, diagnostics } = backendOf(annotations);
      assert.equal(backend?.features?.denied, true);
      assert.ok(diagnostics.some((d) => d.severity === 'warning' && /answer 503/.test(d.message)));
    });
  }

  test('every auth annotation is known, none unknown', () => {
    for (const name of ['auth-url', 'auth-method', 'auth-response-headers', 'auth-signin', 'auth-signin-redirect-param', 'auth-request-redirect', 'auth-always-set-cookie', 'auth-cache-key', 'auth-cache-duration', 'auth-keepalive', 'auth-keepalive-requests', 'auth-keepalive-timeout', 'auth-keepalive-share-vars', 'auth-proxy-set-headers', 'enable-global-auth', 'auth-snippet']) {
      assert.ok(Object.hasOwn(SUPPORT, name), name);
    }
  });
});

describe('auth-url: the auth Service from the snapshot', () => {
  test('a missing Service: no endpoints (500) and a warning', () => {
    const { backend, diagnostics } = backendOf({ [`${A}/auth-url`]: 'http://nope.sec.svc/x' });
    assert.deepEqual(backend?.authEndpoints, []);
    assert.ok(diagnostics.some((d) => d.severity === 'warning' && /nope not found; requests answer 500/.test(d.message)));
  });
  test('a Service port that does not exist: no endpoints and a warning', () => {
    const { backend, diagnostics } = backendOf({ [`${A}/auth-url`]: 'http://auth.sec.svc:9999/x' });
    assert.deepEqual(backend?.authEndpoints, []);
    assert.ok(diagnostics.some((d) => /no port 9999/.test(d.message)));
  });
  test('only ready endpoints', () => {
    const extra = serviceWithEndpoints({ name: 'half', namespace: 'sec', endpoints: [{ address: '10.2.0.1', port: 80, ready: false }, { address: '10.2.0.2', port: 80 }] });
    const { backend } = backendOf({ [`${A}/auth-url`]: 'http://half.sec.svc/x' }, extra);
    assert.deepEqual(backend?.authEndpoints, [{ address: '10.2.0.2', port: 80 }]);
  });
  test('a Service without ready endpoints: a warning', () => {
    const extra = serviceWithEndpoints({ name: 'none', namespace: 'sec', endpoints: [{ address: '10.2.0.1', port: 80, ready: false }] });
    const { backend, diagnostics } = backendOf({ [`${A}/auth-url`]: 'http://none.sec.svc/x' }, extra);
    assert.deepEqual(backend?.authEndpoints, []);
    assert.ok(diagnostics.some((d) => /no ready endpoints/.test(d.message)));
  });
  test('a literal address is used as written', () => {
    const { backend } = backendOf({ [`${A}/auth-url`]: 'http://192.0.2.1:8080/x' });
    assert.deepEqual(backend?.authEndpoints, [{ address: '192.0.2.1', port: 8080 }]);
  });
  test('the auth addresses are backend settings: a change reloads', () => {
    const features: Features = { externalAuth: base };
    assert.notEqual(backendSettings({ features, authEndpoints: [{ address: '10.0.0.1', port: 80 }] }), backendSettings({ features, authEndpoints: [{ address: '10.0.0.2', port: 80 }] }));
    assert.equal(backendSettings({ features: undefined }), '');
  });
});

describe('auth rules', () => {
  const context = { httpsPort: 443 };
  const endpoints = [{ address: '10.1.0.7', port: 4180 }, { address: 'fd00::7', port: 4180 }];
  const call = "  http-request lua.portero_auth '10.1.0.7:4180,[fd00::7]:4180' 'auth.sec.svc.cluster.local:4180' '/oauth2/auth' GET '-' '-'";
  const refusals = [
    '  http-request return status 401 content-type text/plain string "401 Unauthorized" hdr www-authenticate %[var(txn.portero_auth_www)] if { var(txn.portero_auth_status) -m int 401 }',
    '  http-request return status 403 content-type text/plain string "403 Forbidden" if { var(txn.portero_auth_status) -m int 403 }',
    '  http-request return status 500 content-type text/plain string "500 Internal Server Error" unless { var(txn.portero_auth_status) -m int ge 200 } { var(txn.portero_auth_status) -m int lt 300 }',
  ];
  const cookies = '  http-response lua.portero_auth_cookies if { var(txn.portero_auth_cookies) -m found } { status 200 201 204 206 301 302 303 304 307 308 }';

  test('the plain case: ask, refuse anything but 2xx, pass the cookies on success', () => {
    assert.deepEqual(featureLines({ externalAuth: base }, context, endpoints), [call, ...refusals, cookies]);
  });
  test('no endpoints: the action gets none, and every request answers 500', () => {
    assert.equal(featureLines({ externalAuth: base }, context, [])[0], "  http-request lua.portero_auth '-' 'auth.sec.svc.cluster.local:4180' '/oauth2/auth' GET '-' '-'");
  });
  test('headers, method, redirect value, sign-in with rd appended, always-set-cookie', () => {
    const auth: ExternalAuth = { ...base, method: 'POST', responseHeaders: ['x-user', 'x-email'], signin: 'https://login.example/start?x=1', requestRedirect: 'https://app.example/%41', alwaysSetCookie: true };
    const lines = featureLines({ externalAuth: auth }, context, endpoints);
    assert.equal(lines[0], "  http-request lua.portero_auth '10.1.0.7:4180,[fd00::7]:4180' 'auth.sec.svc.cluster.local:4180' '/oauth2/auth' POST x-user,x-email 'https://app.example/%41'");
    assert.equal(lines[1], "  http-request redirect location 'https://login.example/start?x=1&rd=%[ssl_fc,iif(https,http)]://%[req.hdr(host)]%[pathq,url_enc]' code 302 if { var(txn.portero_auth_status) -m int 401 }");
    assert.match(lines[2]!, /hdr set-cookie %\[var\(txn.portero_auth_cookie\)\] hdr www-authenticate/);
    assert.equal(lines.at(-1), '  http-response lua.portero_auth_cookies if { var(txn.portero_auth_cookies) -m found }');
  });
  test('sign-in URL: the parameter is not appended twice; % is kept literal', () => {
    const lines = featureLines({ externalAuth: { ...base, signin: 'https://login.example/start?rd=https%3A%2F%2Fapp' } }, context, endpoints);
    assert.equal(lines[1], "  http-request redirect location 'https://login.example/start?rd=https%%3A%%2F%%2Fapp' code 302 if { var(txn.portero_auth_status) -m int 401 }");
  });
  test('auth comes after the access lists and before the body limit and the rewrite', () => {
    const lines = featureLines({ externalAuth: base, allowSources: ['10.0.0.0/8'], maxBodyBytes: 10, rewrite: { pattern: '/a', target: '/b' } }, context, endpoints);
    const at = (text: string) => lines.findIndex((line) => line.includes(text));
    assert.ok(at('portero_allow') < at('lua.portero_auth'));
    assert.ok(at('lua.portero_auth') < at('deny_status 413'));
    assert.ok(at('deny_status 413') < at('replace-path'));
  });
  test('hostile values never render', () => {
    for (const bad of ["a'b", 'a b', 'a\\b', '', 'a\nb']) assert.throws(() => c.luaArg(bad), c.UnsafeValueError, JSON.stringify(bad));
    assert.throws(() => featureLines({ externalAuth: { ...base, method: 'GET x' } }, context, endpoints), c.UnsafeValueError);
    assert.throws(() => featureLines({ externalAuth: { ...base, responseHeaders: ['x-a b'] } }, context, endpoints), c.UnsafeValueError);
    assert.throws(() => featureLines({ externalAuth: { ...base, path: "/a' http-request allow '" } }, context, endpoints), c.UnsafeValueError);
  });
});
