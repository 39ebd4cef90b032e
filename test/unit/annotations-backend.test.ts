// Backend annotations (backend-protocol, proxy-ssl-*, affinity,
// session-cookie-*, load-balance, upstream-hash-by, service-upstream) →
// features → backend lines, server options and runtime commands; and
// HAProxy accepts what is rendered.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { describe, test } from 'node:test';
import { promisify } from 'node:util';
import { backendSettingLines, serverOptions } from '../../src/dataplane/haproxy/features/backend.js';
import { planChange, type RuntimePlan } from '../../src/dataplane/haproxy/plan.js';
import { executePlan } from '../../src/dataplane/haproxy/runtime-apply.js';
import type { RuntimeApi, RuntimeCommand } from '../../src/dataplane/haproxy/runtime.js';
import { BackendNames, structureFor } from '../../src/dataplane/haproxy/structure.js';
import type { Features } from '../../src/model/features.js';
import type { Backend } from '../../src/model/model.js';
import { generateSelfSigned } from '../../src/tls/default-certificate.js';
import { inspectKeyPair } from '../../src/tls/inspect.js';
import { assertHaproxyAccepts } from '../helpers/annotations.js';
import { ingress, serviceWithEndpoints, type Json } from '../helpers/objects.js';
import { translateJson } from '../helpers/translate.js';

const A = 'nginx.ingress.kubernetes.io';
const run = promisify(execFile);

function objectsWith(annotations: Record<string, string>, addresses = ['127.0.0.2'], clusterIP?: string): Json[] {
  const [service, ...slices] = serviceWithEndpoints({ name: 'app', endpoints: addresses.map((address) => ({ address, port: 8080 })) });
  if (clusterIP !== undefined) ((service as { spec: Record<string, unknown> }).spec).clusterIP = clusterIP;
  return [service!, ...slices, ingress({ name: 'web', annotations, rules: [{ host: 'a.test', paths: [{ service: 'app' }] }] })];
}

function backendOf(annotations: Record<string, string>, clusterIP?: string): Backend | undefined {
  const { model, diagnostics } = translateJson(objectsWith(annotations, ['127.0.0.2'], clusterIP));
  assert.deepEqual(
    diagnostics.filter((d) => d.severity === 'error'),
    [],
  );
  return model.backends.find((backend) => backend.service === 'app');
}

const VALID: [string, Record<string, string>, Features | undefined][] = [
  ['backend-protocol HTTP is the default', { [`${A}/backend-protocol`]: 'HTTP' }, undefined],
  ['backend-protocol HTTPS, any case', { [`${A}/backend-protocol`]: 'https' }, { upstream: { kind: 'https' } }],
  ['backend-protocol GRPC is HTTP/2 in clear text', { [`${A}/backend-protocol`]: 'GRPC' }, { upstream: { kind: 'h2c' } }],
  ['backend-protocol H2C', { [`${A}/backend-protocol`]: 'H2C' }, { upstream: { kind: 'h2c' } }],
  ['backend-protocol GRPCS', { [`${A}/backend-protocol`]: 'GRPCS' }, { upstream: { kind: 'h2-tls' } }],
  ['SNI from the request host', { [`${A}/backend-protocol`]: 'HTTPS', [`${A}/proxy-ssl-server-name`]: 'on' }, { upstream: { kind: 'https', sni: { from: 'host' } } }],
  ['SNI from proxy-ssl-name', { [`${A}/backend-protocol`]: 'GRPCS', [`${A}/proxy-ssl-server-name`]: 'on', [`${A}/proxy-ssl-name`]: 'API.internal' }, { upstream: { kind: 'h2-tls', sni: { from: 'name', name: 'api.internal' } } }],
  ['proxy-ssl-name without proxy-ssl-server-name sends no SNI', { [`${A}/backend-protocol`]: 'HTTPS', [`${A}/proxy-ssl-name`]: 'api.internal' }, { upstream: { kind: 'https' } }],
  ['proxy-ssl-verify off', { [`${A}/backend-protocol`]: 'HTTPS', [`${A}/proxy-ssl-verify`]: 'off' }, { upstream: { kind: 'https' } }],
  ['affinity with defaults', { [`${A}/affinity`]: 'cookie' }, { affinity: { name: 'INGRESSCOOKIE' } }],
  [
    'affinity with every cookie setting',
    {
      [`${A}/affinity`]: 'cookie',
      [`${A}/affinity-mode`]: 'persistent',
      [`${A}/session-cookie-name`]: 'route',
      [`${A}/session-cookie-path`]: '/app',
      [`${A}/session-cookie-domain`]: '.Example.com',
      [`${A}/session-cookie-max-age`]: '3600',
      [`${A}/session-cookie-expires`]: '7200',
      [`${A}/session-cookie-samesite`]: 'none',
      [`${A}/session-cookie-conditional-samesite-none`]: 'true',
      [`${A}/session-cookie-secure`]: 'true',
    },
    { affinity: { name: 'route', path: '/app', domain: '.example.com', maxAgeSeconds: 3600, sameSite: 'None', secure: true } },
  ],
  ['session-cookie-expires alone becomes the lifetime', { [`${A}/affinity`]: 'cookie', [`${A}/session-cookie-expires`]: '60' }, { affinity: { name: 'INGRESSCOOKIE', maxAgeSeconds: 60 } }],
  ['cookie settings without affinity do nothing', { [`${A}/session-cookie-name`]: 'route' }, undefined],
  ['load-balance round_robin is the default', { [`${A}/load-balance`]: 'round_robin' }, undefined],
  ['load-balance ewma is least connections', { [`${A}/load-balance`]: 'ewma' }, { balance: { kind: 'leastconn' } }],
  ['load-balance least_connections is least connections', { [`${A}/load-balance`]: 'least_connections' }, { balance: { kind: 'leastconn' } }],
  ['upstream-hash-by $request_uri', { [`${A}/upstream-hash-by`]: '$request_uri' }, { balance: { kind: 'hash', by: 'uri' } }],
  ['upstream-hash-by $uri', { [`${A}/upstream-hash-by`]: '$uri' }, { balance: { kind: 'hash', by: 'path' } }],
  ['upstream-hash-by $binary_remote_addr', { [`${A}/upstream-hash-by`]: '$binary_remote_addr' }, { balance: { kind: 'hash', by: 'source' } }],
  ['upstream-hash-by $http_x_user', { [`${A}/upstream-hash-by`]: '$http_x_user' }, { balance: { kind: 'hash', by: 'header', name: 'x-user' } }],
  ['upstream-hash-by $arg_session', { [`${A}/upstream-hash-by`]: '$arg_session' }, { balance: { kind: 'hash', by: 'param', name: 'session' } }],
  ['upstream-hash-by wins over load-balance; subset is accepted', { [`${A}/upstream-hash-by`]: '$remote_addr', [`${A}/load-balance`]: 'ewma', [`${A}/upstream-hash-by-subset`]: 'true', [`${A}/upstream-hash-by-subset-size`]: '3' }, { balance: { kind: 'hash', by: 'source' } }],
  ['service-upstream', { [`${A}/service-upstream`]: 'true' }, { serviceUpstream: true }],
];

const REFUSED: [string, Record<string, string>, string, RegExp][] = [
  ['an unknown protocol', { [`${A}/backend-protocol`]: 'SPDY' }, 'backend-protocol', /must be one of HTTP, HTTPS, GRPC, H2C, GRPCS/],
  ['AUTO_HTTP', { [`${A}/backend-protocol`]: 'auto_http' }, 'backend-protocol', /AUTO_HTTP is not supported/],
  ['FCGI', { [`${A}/backend-protocol`]: 'FCGI' }, 'backend-protocol', /FCGI is not supported/],
  ['proxy-ssl-verify on', { [`${A}/backend-protocol`]: 'HTTPS', [`${A}/proxy-ssl-verify`]: 'on' }, 'proxy-ssl-verify', /proxy-ssl-secret/],
  ['proxy-ssl-verify yes', { [`${A}/proxy-ssl-verify`]: 'yes' }, 'proxy-ssl-verify', /must be on or off/],
  ['proxy-ssl-secret', { [`${A}/proxy-ssl-secret`]: 'default/ca' }, 'proxy-ssl-secret', /not supported yet/],
  ['proxy-ssl-name with a space', { [`${A}/proxy-ssl-server-name`]: 'on', [`${A}/proxy-ssl-name`]: 'a b' }, 'proxy-ssl-name', /DNS name/],
  ['proxy-ssl-name with an expression', { [`${A}/proxy-ssl-server-name`]: 'on', [`${A}/proxy-ssl-name`]: 'req.hdr(x)' }, 'proxy-ssl-name', /DNS name/],
  ['affinity other than cookie', { [`${A}/affinity`]: 'ip' }, 'affinity', /must be cookie/],
  ['affinity-mode', { [`${A}/affinity`]: 'cookie', [`${A}/affinity-mode`]: 'sticky' }, 'affinity-mode', /balanced or persistent/],
  ['a cookie name with a semicolon', { [`${A}/affinity`]: 'cookie', [`${A}/session-cookie-name`]: 'a;b' }, 'session-cookie-name', /letters, digits/],
  ['a cookie name with a quote', { [`${A}/affinity`]: 'cookie', [`${A}/session-cookie-name`]: 'a"b' }, 'session-cookie-name', /letters, digits/],
  ['a relative cookie path', { [`${A}/affinity`]: 'cookie', [`${A}/session-cookie-path`]: 'app' }, 'session-cookie-path', /absolute path/],
  ['a cookie path with an attribute', { [`${A}/affinity`]: 'cookie', [`${A}/session-cookie-path`]: '/a; Secure' }, 'session-cookie-path', /absolute path/],
  ['a cookie domain with a space', { [`${A}/affinity`]: 'cookie', [`${A}/session-cookie-domain`]: 'a b.com' }, 'session-cookie-domain', /DNS name/],
  ['a cookie lifetime with a unit', { [`${A}/affinity`]: 'cookie', [`${A}/session-cookie-max-age`]: '1h' }, 'session-cookie-max-age', /whole number/],
  ['SameSite of another kind', { [`${A}/affinity`]: 'cookie', [`${A}/session-cookie-samesite`]: 'Sometimes' }, 'session-cookie-samesite', /None, Lax or Strict/],
  ['load-balance of another kind', { [`${A}/load-balance`]: 'random' }, 'load-balance', /round_robin, ewma or least_connections/],
  ['hashing by a cookie (no balance hash in HAProxy 2.6)', { [`${A}/upstream-hash-by`]: '$cookie_session' }, 'upstream-hash-by', /not supported by HAProxy 2\.6/],
  ['hashing by a combination', { [`${A}/upstream-hash-by`]: '$host$request_uri' }, 'upstream-hash-by', /must be one of/],
  ['hashing by a bare word', { [`${A}/upstream-hash-by`]: 'uri whole' }, 'upstream-hash-by', /must be one of/],
  ['service-upstream that is not a boolean', { [`${A}/service-upstream`]: 'yes' }, 'service-upstream', /true or false/],
];

describe('backend annotations → features', () => {
  for (const [title, annotations, expected] of VALID) {
    test(title, () => assert.deepEqual(backendOf(annotations)?.features, expected));
  }

  for (const [title, annotations, name, message] of REFUSED) {
    test(`refused: ${title}`, () => {
      const { model, diagnostics } = translateJson(objectsWith(annotations));
      const error = diagnostics.find((d) => d.severity === 'error');
      assert.ok(error, 'an error diagnostic');
      assert.equal(error.object.name, 'web');
      assert.equal(error.field, `metadata.annotations["${A}/${name}"]`);
      assert.match(error.message, message);
      assert.equal(model.levels.length, 0);
    });
  }

  test('service-upstream: one server, the ClusterIP at the Service port', () => {
    assert.deepEqual(backendOf({ [`${A}/service-upstream`]: 'true' }, '10.96.0.15')?.endpoints, [{ address: '10.96.0.15', port: 80 }]);
    // Without the annotation, the pods.
    assert.deepEqual(backendOf({}, '10.96.0.15')?.endpoints, [{ address: '127.0.0.2', port: 8080 }]);
    // A headless Service keeps its pod addresses, as in ingress-nginx.
    assert.deepEqual(backendOf({ [`${A}/service-upstream`]: 'true' }, 'None')?.endpoints, [{ address: '127.0.0.2', port: 8080 }]);
  });
});

describe('backend features → lines and server options', () => {
  const backend = (features: Features): Backend => ({ id: 'ns_app_80.0123456789', namespace: 'ns', service: 'app', port: 80, endpoints: [], features });
  const LINES: [string, Features, string[]][] = [
    ['round robin without features', {}, ['  balance roundrobin']],
    ['least connections', { balance: { kind: 'leastconn' } }, ['  balance leastconn']],
    ['the whole URI, consistently', { balance: { kind: 'hash', by: 'uri' } }, ['  balance uri whole', '  hash-type consistent']],
    ['the path', { balance: { kind: 'hash', by: 'path' } }, ['  balance uri', '  hash-type consistent']],
    ['the source', { balance: { kind: 'hash', by: 'source' } }, ['  balance source', '  hash-type consistent']],
    ['a header', { balance: { kind: 'hash', by: 'header', name: 'x-user' } }, ['  balance hdr(x-user)', '  hash-type consistent']],
    ['a parameter', { balance: { kind: 'hash', by: 'param', name: 'sid' } }, ['  balance url_param sid', '  hash-type consistent']],
    ['a cookie with defaults; the key is the Service port', { affinity: { name: 'INGRESSCOOKIE' } }, [
      '  balance roundrobin',
      '  cookie INGRESSCOOKIE insert indirect nocache httponly dynamic',
      '  dynamic-cookie-key ns_app_80',
      "  http-after-response replace-header Set-Cookie '^(INGRESSCOOKIE=[^;]*(;.*)?)$' '\\1; Secure' if { ssl_fc }",
    ]],
    [
      'a cookie name with a dot is matched literally when made Secure on HTTPS',
      { affinity: { name: 'route.id' } },
      ['  balance roundrobin', '  cookie route.id insert indirect nocache httponly dynamic', '  dynamic-cookie-key ns_app_80', "  http-after-response replace-header Set-Cookie '^(route\\.id=[^;]*(;.*)?)$' '\\1; Secure' if { ssl_fc }"],
    ],
    [
      'a cookie with every attribute',
      { affinity: { name: 'route', path: '/app', domain: '.example.com', maxAgeSeconds: 60, sameSite: 'Strict', secure: true } },
      ['  balance roundrobin', '  cookie route insert indirect nocache httponly dynamic secure domain .example.com attr "SameSite=Strict" attr "Max-Age=60" attr "Path=/app"', '  dynamic-cookie-key ns_app_80'],
    ],
  ];
  for (const [title, features, lines] of LINES) test(title, () => assert.deepEqual(backendSettingLines(backend(features)), lines));

  const OPTIONS: [string, Features, string | undefined][] = [
    ['none for HTTP', {}, undefined],
    ['HTTPS', { upstream: { kind: 'https' } }, 'ssl verify none'],
    ['HTTPS with the request host as SNI', { upstream: { kind: 'https', sni: { from: 'host' } } }, 'ssl verify none sni req.hdr(host),field(1,:),lower'],
    ['GRPCS with a fixed SNI', { upstream: { kind: 'h2-tls', sni: { from: 'name', name: 'api.internal' } } }, 'ssl verify none sni str(api.internal) alpn h2'],
    ['GRPC', { upstream: { kind: 'h2c' } }, 'proto h2'],
  ];
  for (const [title, features, text] of OPTIONS) test(`server options: ${title}`, () => assert.equal(serverOptions(features)?.text, text));

  test('a value that slipped past the annotation grammars is never rendered', () => {
    assert.throws(() => backendSettingLines(backend({ affinity: { name: 'a b' } })));
    assert.throws(() => backendSettingLines(backend({ affinity: { name: 'a', path: '/a"; attr "x' } })));
    assert.throws(() => backendSettingLines(backend({ affinity: { name: 'a', domain: 'a.com secure' } })));
    assert.throws(() => backendSettingLines(backend({ balance: { kind: 'hash', by: 'header', name: 'x) if' } })));
    assert.throws(() => backendSettingLines(backend({ balance: { kind: 'hash', by: 'param', name: 'a b' } })));
    assert.throws(() => serverOptions({ upstream: { kind: 'https', sni: { from: 'name', name: 'a) crt /etc/x' } } }));
  });
});

describe('backend features at runtime', () => {
  class Recorder {
    readonly sent: string[] = [];
    async run(commands: readonly RuntimeCommand[]): Promise<string[]> {
      this.sent.push(...commands.map((command) => command.text));
      return commands.map(() => '');
    }
    async one(text: string): Promise<string> {
      this.sent.push(text);
      return '';
    }
  }

  test('an endpoint added at runtime gets the server options, and its cookie by setting the key again before it is ready', async () => {
    const annotations = { [`${A}/backend-protocol`]: 'HTTPS', [`${A}/affinity`]: 'cookie' };
    const before = translateJson(objectsWith(annotations, ['127.0.0.2'])).model;
    const after = translateJson(objectsWith(annotations, ['127.0.0.2', '127.0.0.3'])).model;
    const plan = planChange({ model: before, names: new BackendNames(structureFor(before)), sparesUsed: 0 }, after);
    assert.equal(plan.kind, 'runtime');
    const recorder = new Recorder();
    await executePlan(plan as RuntimePlan, { runtime: recorder as unknown as RuntimeApi, genDir: '/s/gen-1', defaultCertificateId: 'default', draining: new Set() });
    const id = after.backends[0]!.id;
    assert.deepEqual(recorder.sent, [
      `add server ${id}/127.0.0.3_8080 127.0.0.3:8080 ssl verify none`,
      `set dynamic-cookie-key backend ${id} default_app_80`,
      `set server ${id}/127.0.0.3_8080 state ready`,
    ]);
  });

  test('HAProxy accepts a configuration with every backend feature (haproxy -c)', async () => {
    const generated = await generateSelfSigned('default.invalid', ['default.invalid'], 30);
    const inspected = inspectKeyPair(generated.cert, generated.key);
    assert.ok(inspected.ok);
    const variants: Record<string, string>[] = [
      { [`${A}/backend-protocol`]: 'HTTPS', [`${A}/proxy-ssl-server-name`]: 'on' },
      { [`${A}/backend-protocol`]: 'GRPCS', [`${A}/proxy-ssl-server-name`]: 'on', [`${A}/proxy-ssl-name`]: 'api.internal' },
      { [`${A}/backend-protocol`]: 'GRPC', [`${A}/upstream-hash-by`]: '$request_uri' },
      { [`${A}/upstream-hash-by`]: '$http_x_user' },
      { [`${A}/upstream-hash-by`]: '$arg_sid' },
      { [`${A}/upstream-hash-by`]: '$remote_addr' },
      { [`${A}/upstream-hash-by`]: '$uri' },
      { [`${A}/load-balance`]: 'ewma', [`${A}/service-upstream`]: 'true' },
      {
        [`${A}/affinity`]: 'cookie',
        [`${A}/session-cookie-path`]: '/app',
        [`${A}/session-cookie-domain`]: 'example.com',
        [`${A}/session-cookie-max-age`]: '60',
        [`${A}/session-cookie-samesite`]: 'Lax',
        [`${A}/session-cookie-secure`]: 'true',
      },
    ];
    const [service, ...slices] = serviceWithEndpoints({ name: 'app', endpoints: [{ address: '127.0.0.2', port: 8080 }, { address: '127.0.0.3', port: 8080 }] });
    ((service as { spec: Record<string, unknown> }).spec).clusterIP = '10.96.0.1';
    const objects = [service!, ...slices, ...variants.map((annotations, i) => ingress({ name: `v${i}`, annotations, rules: [{ host: `v${i}.test`, paths: [{ service: 'app' }] }] }))];
    const { model, diagnostics } = translateJson(objects, { fallbackCertificatePem: inspected.info.pem });
    assert.deepEqual(diagnostics.filter((d) => d.severity === 'error'), []);
    assert.equal(model.backends.length, variants.length);
    const config = await assertHaproxyAccepts(model);
    assert.match(config, /server 127\.0\.0\.2_8080 127\.0\.0\.2:8080 ssl verify none sni req\.hdr\(host\),field\(1,:\),lower\n/);
    assert.match(config, /server 10\.96\.0\.1_80 10\.96\.0\.1:80\n/);
  });
});
