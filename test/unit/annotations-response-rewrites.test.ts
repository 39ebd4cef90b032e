// satisfy, proxy-redirect-from/-to, proxy-cookie-domain and proxy-cookie-path:
// annotation values → features (translate), features → backend lines
// (render), and the rewrite expressions against a transcription of nginx's
// own algorithm (ngx_http_proxy_module.c: proxy_redirect's prefix match,
// the Refresh header's first `url=`, proxy_cookie_*'s attribute parsing),
// run as HAProxy's replace-header runs them.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import * as c from '../../src/dataplane/haproxy/config-lines.js';
import { accessLines } from '../../src/dataplane/haproxy/features/access.js';
import { responseRewriteLines } from '../../src/dataplane/haproxy/features/response-rewrites.js';
import type { BasicAuth, ExternalAuth, Features } from '../../src/model/features.js';
import { generateSelfSigned } from '../../src/tls/default-certificate.js';
import { inspectKeyPair } from '../../src/tls/inspect.js';
import { A, assertHaproxyAccepts, featuresOf, refusedTable, translateWith, validTable } from '../helpers/annotations.js';
import { ingress, serviceWithEndpoints } from '../helpers/objects.js';
import { translateJson } from '../helpers/translate.js';

const rewrites = (value: Features['responseRewrites']): Features => ({ responseRewrites: value });

describe('proxy-redirect-*, proxy-cookie-* → features', () => {
  validTable([
    ['proxy-redirect from and to', { [`${A}/proxy-redirect-from`]: 'hello.com', [`${A}/proxy-redirect-to`]: 'goodbye.com' }, rewrites({ redirect: { from: 'hello.com', to: 'goodbye.com' } })],
    ['a URL with a port, a query and percent-escapes', { [`${A}/proxy-redirect-from`]: 'http://svc:8080/a%20b?x=1', [`${A}/proxy-redirect-to`]: 'https://app.example.com/' }, rewrites({ redirect: { from: 'http://svc:8080/a%20b?x=1', to: 'https://app.example.com/' } })],
    ['a replacement starting with ~ is literal (only the text to replace can be a regular expression in nginx)', { [`${A}/proxy-redirect-from`]: 'http://a/', [`${A}/proxy-redirect-to`]: '~user/' }, rewrites({ redirect: { from: 'http://a/', to: '~user/' } })],
    ['proxy-redirect-from off (ingress-nginx default): nothing', { [`${A}/proxy-redirect-from`]: 'off', [`${A}/proxy-redirect-to`]: 'goodbye.com' }, undefined],
    ['proxy-redirect-from default: nothing (only ingress-nginx\'s own upstream name)', { [`${A}/proxy-redirect-from`]: 'default', [`${A}/proxy-redirect-to`]: 'goodbye.com' }, undefined],
    ['proxy-redirect-to off: nothing', { [`${A}/proxy-redirect-from`]: 'hello.com', [`${A}/proxy-redirect-to`]: 'off' }, undefined],
    ['proxy-redirect-from without -to: nothing (-to defaults to off)', { [`${A}/proxy-redirect-from`]: 'hello.com' }, undefined],
    ['proxy-redirect-to without -from: nothing (-from defaults to off)', { [`${A}/proxy-redirect-to`]: 'goodbye.com' }, undefined],
    ['proxy-cookie-domain', { [`${A}/proxy-cookie-domain`]: 'localhost example.org' }, rewrites({ cookieDomain: { from: 'localhost', to: 'example.org' } })],
    ['proxy-cookie-domain: leading dots left out, spaces around trimmed', { [`${A}/proxy-cookie-domain`]: ' .Svc.Internal \t .example.org ' }, rewrites({ cookieDomain: { from: 'Svc.Internal', to: 'example.org' } })],
    ['proxy-cookie-path', { [`${A}/proxy-cookie-path`]: '/one/ /' }, rewrites({ cookiePath: { from: '/one/', to: '/' } })],
    ['proxy-cookie-domain and -path off', { [`${A}/proxy-cookie-domain`]: 'off', [`${A}/proxy-cookie-path`]: 'off' }, undefined],
    [
      'all three together',
      { [`${A}/proxy-redirect-from`]: 'http://a/', [`${A}/proxy-redirect-to`]: '/', [`${A}/proxy-cookie-domain`]: 'a b', [`${A}/proxy-cookie-path`]: '/x/ /y/' },
      rewrites({ redirect: { from: 'http://a/', to: '/' }, cookieDomain: { from: 'a', to: 'b' }, cookiePath: { from: '/x/', to: '/y/' } }),
    ],
  ]);

  refusedTable([
    ['a regular expression (proxy-redirect-from ~)', { [`${A}/proxy-redirect-from`]: '~^http://(.*)$', [`${A}/proxy-redirect-to`]: 'https://$1' }, /regular expressions/],
    ['an nginx variable (proxy-redirect-to $host)', { [`${A}/proxy-redirect-from`]: 'http://svc/', [`${A}/proxy-redirect-to`]: 'https://$host/' }, /nginx variables/],
    ['a quote', { [`${A}/proxy-redirect-from`]: "http://a'/", [`${A}/proxy-redirect-to`]: '/' }, /must be a URL/],
    ['a space', { [`${A}/proxy-redirect-from`]: 'http://a/ b', [`${A}/proxy-redirect-to`]: '/' }, /must be a URL/],
    ['a sample expression', { [`${A}/proxy-redirect-from`]: 'http://a/', [`${A}/proxy-redirect-to`]: '%[src]' }, /must be a URL/],
    ['a # (never part of a Location prefix here)', { [`${A}/proxy-redirect-from`]: 'http://a/#x', [`${A}/proxy-redirect-to`]: '/' }, /must be a URL/],
    ['a bad -to checked even with -from off', { [`${A}/proxy-redirect-from`]: 'off', [`${A}/proxy-redirect-to`]: 'a"b' }, /must be a URL/],
    ['proxy-cookie-domain with one value', { [`${A}/proxy-cookie-domain`]: 'localhost' }, /two values/],
    ['proxy-cookie-domain with three values', { [`${A}/proxy-cookie-domain`]: 'a b c' }, /two values/],
    ['proxy-cookie-domain with a regular expression', { [`${A}/proxy-cookie-domain`]: '~^(.+)\\.internal$ $1.example.org' }, /regular expressions/],
    ['proxy-cookie-domain with an attribute', { [`${A}/proxy-cookie-domain`]: 'a b;Secure' }, /domain name/],
    ['proxy-cookie-path with a relative path', { [`${A}/proxy-cookie-path`]: 'one /' }, /absolute path/],
    ['proxy-cookie-path with an attribute', { [`${A}/proxy-cookie-path`]: '/one/ /;HttpOnly' }, /absolute path/],
    ['proxy-cookie-path with a variable', { [`${A}/proxy-cookie-path`]: '/one/ $uri' }, /nginx variables/],
  ]);
});

describe('satisfy → features', () => {
  validTable([
    ['satisfy all is the default: nothing', { [`${A}/satisfy`]: 'all' }, undefined],
    ['satisfy any', { [`${A}/satisfy`]: 'any' }, { satisfyAny: true }],
    ['satisfy any, spaces trimmed', { [`${A}/satisfy`]: ' any ' }, { satisfyAny: true }],
  ]);

  for (const value of ['ANY', 'some', 'any all', 'true']) {
    test(`fails closed: ${JSON.stringify(value)} (case-sensitive, as ingress-nginx's validator)`, () => {
      const { model, diagnostics } = translateWith({ [`${A}/satisfy`]: value });
      assert.deepEqual(model.backends.find((backend) => backend.service === 'app')?.features, { denied: true });
      const warning = diagnostics.find((d) => d.field === `metadata.annotations["${A}/satisfy"]`);
      assert.ok(warning, JSON.stringify(diagnostics));
      assert.equal(warning.object.name, 'web');
      assert.match(warning.message, /must be all or any/);
      assert.match(warning.message, /its paths answer 503/);
    });
  }

  test('with an allowlist and external auth, both kept: the data plane chooses', () => {
    const features = featuresOf({ [`${A}/satisfy`]: 'any', [`${A}/allowlist-source-range`]: '10.0.0.0/8', [`${A}/auth-url`]: 'http://10.0.0.9/auth' });
    assert.equal(features?.satisfyAny, true);
    assert.deepEqual(features?.allowSources, ['10.0.0.0/8']);
    assert.equal(features?.externalAuth?.path, '/auth');
  });
});

// How HAProxy's replace-header applies a rule to one header line: the whole
// value is replaced by the format, `\N` the groups, `%%` a `%`; a value the
// expression does not match is left alone.
function replaceHeader(regex: c.Safe, format: c.Safe, value: string): string {
  const found = new RegExp(regex.text.slice(1, -1)).exec(value);
  if (!found) return value;
  return format.text.slice(1, -1).replace(/\\([0-9])|%%/g, (all, digit: string | undefined) => (digit === undefined ? '%' : (found[Number(digit)] ?? '')));
}

const rewrite = (kind: c.HeaderRewriteKind, from: string, to: string, value: string) => replaceHeader(c.headerRewriteRegex(kind, from), c.headerRewriteFormat(kind, to), value);

// nginx, transcribed: proxy_redirect on Location (prefix 0) and Refresh (after the first `url=`, any case).
function nginxRedirect(header: 'location' | 'refresh', from: string, to: string, value: string): string {
  const prefix = header === 'location' ? 0 : value.toLowerCase().indexOf('url=');
  if (prefix < 0) return value;
  const start = header === 'location' ? 0 : prefix + 4;
  return value.startsWith(from, start) ? value.slice(0, start) + to + value.slice(start + from.length) : value;
}

interface CookieAttribute {
  key: string;
  value?: string;
}

// ngx_http_proxy_parse_cookie: `;`-separated, the name up to `=`, spaces (only) trimmed around both.
function parseCookie(line: string): CookieAttribute[] {
  return line.split(';').map((part) => {
    const at = part.indexOf('=');
    const key = (at < 0 ? part : part.slice(0, at)).replace(/^ +| +$/g, '');
    return at < 0 ? { key } : { key, value: part.slice(at + 1).replace(/^ +| +$/g, '') };
  });
}

const serialize = (attributes: readonly CookieAttribute[]) => attributes.map((a) => (a.value === undefined ? a.key : `${a.key}=${a.value}`)).join('; ');

// ngx_http_proxy_rewrite_cookie with one proxy_cookie_domain and one proxy_cookie_path, as a list of attributes.
function nginxCookie(line: string, domain: { from: string; to: string } | undefined, path: { from: string; to: string } | undefined): CookieAttribute[] {
  const attributes = parseCookie(line);
  if (attributes[0]!.value === undefined) return attributes;
  return attributes.map((attribute, i) => {
    const { key, value } = attribute;
    if (i === 0 || value === undefined) return attribute;
    if (domain && key.toLowerCase() === 'domain') {
      const dot = value.startsWith('.') ? '.' : '';
      if (value.slice(dot.length).toLowerCase() === domain.from.toLowerCase()) return { key, value: dot + domain.to };
    }
    if (path && key.toLowerCase() === 'path' && value.startsWith(path.from)) return { key, value: path.to + value.slice(path.from.length) };
    return attribute;
  });
}

describe('the rewrite expressions do what nginx does', () => {
  test('proxy_redirect: examples', () => {
    assert.equal(rewrite('location', 'hello.com', 'goodbye.com', 'hello.com/a?b=c'), 'goodbye.com/a?b=c');
    assert.equal(rewrite('location', 'http://svc:8080/', 'https://app.example/', 'http://svc:8080/x'), 'https://app.example/x');
    assert.equal(rewrite('location', 'http://svc:8080/', 'https://app.example/', 'http://svc:8080'), 'http://svc:8080');
    // Case-sensitive, at the start only; regular expression characters are literal.
    assert.equal(rewrite('location', 'hello.com', 'x', 'Hello.com/a'), 'Hello.com/a');
    assert.equal(rewrite('location', 'hello.com', 'x', 'http://hello.com/a'), 'http://hello.com/a');
    assert.equal(rewrite('location', 'a.c', 'x', 'abc/'), 'abc/');
    assert.equal(rewrite('location', '/a(b)*?[c]+', '/%41', '/a(b)*?[c]+/d'), '/%41/d');
    assert.equal(rewrite('refresh', 'hello.com', 'goodbye.com', '5; URL=hello.com/r'), '5; URL=goodbye.com/r');
    // The first url= only, as nginx's ngx_strcasestrn.
    assert.equal(rewrite('refresh', 'hello.com', 'x', '0; url=other; url=hello.com'), '0; url=other; url=hello.com');
  });

  test('proxy_redirect: random Location and Refresh values, as nginx', () => {
    const piece = fc.constantFrom('hello.com', 'http://', 'HELLO.COM', 'url=', 'URL=', 'uRl=', ';', ' ', '5', '/', '?a=1', '%20', 'h', '.', '*', '(', ')', '[', '$');
    const text = fc.array(piece, { maxLength: 8 }).map((parts) => parts.join(''));
    const literal = fc.array(fc.constantFrom('hello.com', 'http://', '/', 'h', '.', '*', '(', '[', 'url='), { minLength: 1, maxLength: 3 }).map((parts) => parts.join(''));
    fc.assert(
      fc.property(literal, literal, text, fc.constantFrom('location' as const, 'refresh' as const), (from, to, value, header) => {
        assert.equal(rewrite(header, from, to, value), nginxRedirect(header, from, to, value));
      }),
      { numRuns: 3000 },
    );
  });

  test('proxy_cookie_*: examples', () => {
    assert.equal(rewrite('cookie-domain', 'localhost', 'example.org', 'a=1; Domain=LocalHost; Path=/'), 'a=1; Domain=example.org; Path=/');
    assert.equal(rewrite('cookie-domain', 'localhost', 'example.org', 'a=1;domain = .localhost ;Secure'), 'a=1;domain = .example.org ;Secure');
    assert.equal(rewrite('cookie-domain', 'localhost', 'example.org', 'a=1; Domain=localhost.org'), 'a=1; Domain=localhost.org');
    // The cookie's own name=value is never an attribute.
    assert.equal(rewrite('cookie-domain', 'localhost', 'example.org', 'domain=localhost'), 'domain=localhost');
    assert.equal(rewrite('cookie-path', '/one/', '/', 'a=1; Path=/one/two; Expires=Wed, 21 Oct 2015 07:28:00 GMT'), 'a=1; Path=/two; Expires=Wed, 21 Oct 2015 07:28:00 GMT');
    assert.equal(rewrite('cookie-path', '/one/', '/', 'a=1; Path=/One/two'), 'a=1; Path=/One/two');
    assert.equal(rewrite('cookie-path', '/one/', '/', 'path=/one/; a=b'), 'path=/one/; a=b');
  });

  test('proxy_cookie_*: random Set-Cookie lines, as nginx (up to the spacing nginx normalises)', () => {
    const name = fc.constantFrom('a', 'domain', 'Domain', 'DOMAIN', 'path', 'Path', 'Secure', 'x y', '');
    const value = fc.constantFrom('localhost', '.LocalHost', '..localhost', 'localhost.org', 'xlocalhost', '/one/', '/one', '/one/two', '/ONE/x', '', 'a=b', ' localhost ', ' /one/x ');
    const space = fc.constantFrom('', ' ', '  ');
    const attribute = fc.tuple(space, name, space, fc.option(fc.tuple(space, value), { nil: undefined })).map(([s1, n, s2, v]) => `${s1}${n}${s2}${v === undefined ? '' : `=${v[0]}${v[1]}`}`);
    // At most one Domain and one Path attribute (a browser keeps one; nginx would rewrite each, these rules the first).
    const line = fc.tuple(fc.constantFrom('a=1', 'domain=localhost', 'path=/one/', 'novalue', ''), fc.array(attribute, { maxLength: 5 })).filter(([, attributes]) => {
      const keys = attributes.map((a) => parseCookie(`x=y;${a}`)[1]!.key.toLowerCase());
      return keys.filter((k) => k === 'domain').length <= 1 && keys.filter((k) => k === 'path').length <= 1;
    }).map(([first, attributes]) => [first, ...attributes].join(';'));
    const domain = { from: 'localhost', to: 'example.org' };
    const path = { from: '/one/', to: '/' };
    fc.assert(
      fc.property(line, (cookie) => {
        const ours = rewrite('cookie-path', path.from, path.to, rewrite('cookie-domain', domain.from, domain.to, cookie));
        assert.equal(serialize(parseCookie(ours)), serialize(nginxCookie(cookie, domain, path)), cookie);
      }),
      { numRuns: 3000 },
    );
  });

  test('the data plane checks every text again', () => {
    for (const bad of ["a'b", 'a b', 'a\\b', 'a"b', 'a\nb', '${HOME}', '#x', '']) {
      assert.throws(() => c.headerRewriteRegex('location', bad), c.UnsafeValueError, bad);
      assert.throws(() => c.headerRewriteFormat('location', bad), c.UnsafeValueError, bad);
    }
    // `%` is doubled in the replacement: never a log-format expression.
    assert.equal(c.headerRewriteFormat('location', '/%[src]').text, "'/%%[src]\\1'");
  });
});

describe('features → backend lines', () => {
  test('response rewrites: one replace-header rule per header, only when asked', () => {
    assert.deepEqual(responseRewriteLines(undefined), []);
    assert.deepEqual(responseRewriteLines({ redirect: { from: 'http://a.b/', to: '/' }, cookieDomain: { from: 'a.b', to: 'c.d' }, cookiePath: { from: '/x/', to: '/' } }), [
      "  http-response replace-header Location '^http\\:\\/\\/a\\.b\\/(.*)$' '/\\1'",
      "  http-response replace-header Refresh '^((?:[^Uu]|[Uu](?![Rr][Ll]=))*[Uu][Rr][Ll]=)http\\:\\/\\/a\\.b\\/(.*)$' '\\1/\\2'",
      "  http-response replace-header Set-Cookie '^([^;=]*=[^;]*;(?:[^;]*;)*? *[Dd][Oo][Mm][Aa][Ii][Nn] *= *\\.?)[Aa]\\.[Bb]( *(?:;.*)?)$' '\\1c.d\\2'",
      "  http-response replace-header Set-Cookie '^([^;=]*=[^;]*;(?:[^;]*;)*? *[Pp][Aa][Tt][Hh] *= *)\\/x\\/(.*)$' '\\1/\\2'",
    ]);
  });

  const basic: BasicAuth = { realm: 'R', secret: 'default/users', users: [{ name: 'six', hash: '$6$salt$IxDD3jeSOb5eB1CX5LBsqZFVkJdido3OUILO5Ifz5iwMuTS4XMS130MTSuDDl3aCI6WouIL9AjRbLCelDCy.g.' }] };
  const external: ExternalAuth = { target: { kind: 'address', address: '10.0.0.9', port: 80 }, host: '10.0.0.9', path: '/auth', method: 'GET', responseHeaders: ['x-user'], signinParam: 'rd', alwaysSetCookie: false };
  const context = { section: 'ns_app_80.0123456789', genDir: '/g', authEndpoints: [{ address: '10.0.0.9', port: 80 }] };

  test('satisfy any with fewer than two kinds of checks: the rules of satisfy all', () => {
    for (const features of [{ basicAuth: basic }, { allowSources: ['10.0.0.0/8'], denySources: ['10.1.0.0/16'] }, { externalAuth: external }] as Features[]) {
      assert.deepEqual(accessLines({ ...features, satisfyAny: true }, context), accessLines(features, context));
    }
  });

  test('satisfy any with an allowlist and basic auth: the first check that lets in ends the checking', () => {
    const lines = accessLines({ allowSources: ['10.0.0.0/8'], basicAuth: basic, satisfyAny: true }, context);
    assert.deepEqual(lines, [
      '  acl portero_allow src -f /g/sources/ns_app_80.0123456789.allow',
      '  http-request set-var(txn.portero_access) bool(1) if portero_allow',
      lines[2],
      "  http-request return status 401 content-type text/plain string \"401 Unauthorized\" hdr WWW-Authenticate 'Basic realm=\"R\"' if !{ var(txn.portero_access) -m bool }",
      '  http-request del-header Authorization',
    ]);
    // The crypt check runs only for a request not already let in.
    assert.match(lines[2]!, /^ {2}http-request set-var\(txn\.portero_access\) bool\(1\) if !\{ var\(txn\.portero_access\) -m bool \} \{ http_auth\(portero:auth:[0-9a-f]{16}\) \}$/);
  });

  test('satisfy any with lists and external auth: the auth service is asked only when the lists do not let in', () => {
    assert.deepEqual(accessLines({ allowSources: ['10.0.0.0/8'], denySources: ['10.1.0.0/16'], externalAuth: { ...external, signin: 'https://login.test/' }, satisfyAny: true }, context), [
      '  acl portero_deny src -f /g/sources/ns_app_80.0123456789.deny',
      '  acl portero_allow src -f /g/sources/ns_app_80.0123456789.allow',
      '  http-request set-var(txn.portero_access) bool(1) if portero_allow !portero_deny',
      '  http-request del-header x-user if { var(txn.portero_access) -m bool }',
      "  http-request lua.portero_auth '10.0.0.9:80' '10.0.0.9' '/auth' GET x-user '-' if !{ var(txn.portero_access) -m bool }",
      '  http-request set-var(txn.portero_access) bool(1) if { var(txn.portero_auth_status) -m int ge 200 } { var(txn.portero_auth_status) -m int lt 300 }',
      '  http-request return status 500 content-type text/plain string "500 Internal Server Error" if !{ var(txn.portero_access) -m bool } !{ var(txn.portero_auth_status) -m int 401 } !{ var(txn.portero_auth_status) -m int 403 }',
      "  http-request redirect location 'https://login.test/?rd=%[ssl_fc,iif(https,http)]://%[req.hdr(host)]%[pathq,url_enc]' code 302 if !{ var(txn.portero_access) -m bool } { var(txn.portero_auth_status) -m int 401 }",
      '  http-request return status 403 content-type text/plain string "403 Forbidden" if !{ var(txn.portero_access) -m bool }',
    ]);
  });

  test('satisfy all with basic auth and auth-signin: basic auth refuses with the sign-in redirect (nginx\'s error_page 401)', () => {
    const lines = accessLines({ basicAuth: basic, externalAuth: { ...external, signin: 'https://login.test/' } }, context);
    assert.match(lines[0]!, /^ {2}http-request redirect location 'https:\/\/login\.test\/\?rd=.*' code 302 unless \{ http_auth\(portero:auth:[0-9a-f]{16}\) \}$/);
    assert.equal(lines[1], '  http-request del-header Authorization');
    // Without auth-signin, the 401 with the challenge, as before.
    assert.match(accessLines({ basicAuth: basic, externalAuth: external }, context)[0]!, /^ {2}http-request return status 401 .* hdr WWW-Authenticate 'Basic realm="R"' unless/);
  });

  test('HAProxy accepts the rules; an Ingress without the annotations has none of them', async () => {
    const generated = await generateSelfSigned('default.invalid', ['default.invalid'], 30);
    const inspected = inspectKeyPair(generated.cert, generated.key);
    assert.ok(inspected.ok);
    const annotations = {
      [`${A}/satisfy`]: 'any',
      [`${A}/allowlist-source-range`]: '10.0.0.0/8',
      [`${A}/denylist-source-range`]: '10.1.0.0/16',
      [`${A}/auth-url`]: 'http://10.0.0.9/auth',
      [`${A}/auth-signin`]: 'https://login.test/start',
      [`${A}/proxy-redirect-from`]: 'http://svc/',
      [`${A}/proxy-redirect-to`]: 'https://app.example/',
      [`${A}/proxy-cookie-domain`]: 'svc.internal app.example',
      [`${A}/proxy-cookie-path`]: '/one/ /',
    };
    const objects = (withAnnotations: boolean) => [
      ...serviceWithEndpoints({ name: 'app', endpoints: [{ address: '127.0.0.2', port: 8080 }] }),
      ingress({ name: 'plain', rules: [{ host: 'plain.test', paths: [{ service: 'app' }] }] }),
      ...(withAnnotations ? [ingress({ name: 'web', annotations, rules: [{ host: 'a.test', paths: [{ service: 'app' }] }] })] : []),
    ];
    const config = await assertHaproxyAccepts(translateJson(objects(true), { fallbackCertificatePem: inspected.info.pem }).model);
    // Only the annotated Ingress's section has the rules.
    const sections = config.split(/\n(?=backend )/);
    assert.deepEqual(sections.filter((section) => /replace-header|portero_access/.test(section)).length, 1);
    assert.equal(config.match(/replace-header/g)?.length, 4);
    const plain = await assertHaproxyAccepts(translateJson(objects(false), { fallbackCertificatePem: inspected.info.pem }).model);
    assert.doesNotMatch(plain, /replace-header|portero_access/);
  });
});
