// use-gzip and the gzip-* keys of the ingress-nginx ConfigMap: read into
// GlobalSettings.compression (each value through its grammar; keys HAProxy
// 2.6 cannot honour are warned about), rendered into the HTTP frontends, and
// accepted by HAProxy (haproxy -c).

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { renderConfig } from '../../src/dataplane/haproxy/render-config.js';
import { BackendNames, structureFor } from '../../src/dataplane/haproxy/structure.js';
import { classifyConfigMapKey } from '../../src/cli/migrate/configmap-keys.js';
import { readConfigMap } from '../../src/translate/configmap.js';
import { DEFAULT_GZIP_TYPES } from '../../src/translate/configmap-gzip.js';
import { assertHaproxyAccepts, withTestCertificate } from '../helpers/annotations.js';
import { translateJson } from '../helpers/translate.js';

const REF = { kind: 'ConfigMap' as const, namespace: 'ingress-nginx', name: 'ingress-nginx-controller' };
const read = (data: Record<string, string>) =>
  readConfigMap({ kind: 'ConfigMap', metadata: { namespace: REF.namespace, name: REF.name, creationTimestamp: '', labels: {}, annotations: {} }, data }, REF);
const warnings = (data: Record<string, string>) => read(data).diagnostics.map((d) => `${d.field}: ${d.message}`).join('\n');

const objects = (data: Record<string, string>) => [
  { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { ports: [{ name: 'http', port: 80 }] } },
  { apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace: REF.namespace, name: REF.name }, data },
];
const SETTINGS = { stateDir: '/s', adminSocket: '/s/admin.sock', bindAddress: '127.0.0.1', httpPort: 8080, httpsPort: 8443, hardStopAfter: '5m', maxReloads: 8 };

describe('use-gzip and gzip-*', () => {
  test('off unless use-gzip is true; the other keys alone are reported as without effect', () => {
    assert.equal(read({}).globals.compression, undefined);
    assert.equal(read({ 'use-gzip': 'false', 'gzip-types': 'text/css' }).globals.compression, undefined);
    assert.match(warnings({ 'gzip-types': 'text/css' }), /gzip-types has no effect unless use-gzip is "true"/);
  });
  test("ingress-nginx's default types, with text/html as nginx always adds it", () => {
    assert.deepEqual(read({ 'use-gzip': 'true' }).globals.compression, { types: [...DEFAULT_GZIP_TYPES, 'text/html'] });
  });
  test('gzip-types replaces the list (text/html kept); a bad entry keeps the default list, with a warning', () => {
    assert.deepEqual(read({ 'use-gzip': 'true', 'gzip-types': 'Application/JSON  text/css' }).globals.compression?.types, ['application/json', 'text/css', 'text/html']);
    assert.deepEqual(read({ 'use-gzip': 'true', 'gzip-types': 'text/css "x"' }).globals.compression?.types, [...DEFAULT_GZIP_TYPES, 'text/html']);
    assert.match(warnings({ 'use-gzip': 'true', 'gzip-types': 'text/css "x"' }), /data\["gzip-types"\]: value .*"\\"x\\"" is not a MIME type/);
  });
  test('gzip-disable: msie6 and patterns of the safe subset; others left out with a warning', () => {
    const compression = read({ 'use-gzip': 'true', 'gzip-disable': 'msie6 Lynx\\/2 bad"quote' }).globals.compression;
    assert.equal(compression?.msie6, true);
    assert.deepEqual(compression?.disableUserAgents, ['Lynx/2']);
    assert.match(warnings({ 'use-gzip': 'true', 'gzip-disable': 'bad"quote' }), /pattern "bad\\"quote" may contain only/);
  });
  test('gzip-disable patterns read as block-user-agents reads its regular expressions: a space as `\\ `, a leading ^ kept; ^ alone renders', () => {
    assert.deepEqual(read({ 'use-gzip': 'true', 'gzip-disable': 'MSIE\\ 5 ^Lynx ^' }).globals.compression?.disableUserAgents, ['MSIE 5', '^Lynx', '^']);
    const model = translateJson(objects({ 'use-gzip': 'true', 'gzip-disable': '^' }), { configMap: { namespace: REF.namespace, name: REF.name } }).model;
    assert.match(renderConfig(model, SETTINGS, '/s/gen-1', new BackendNames(structureFor(model))), /-m reg -i '\^' \}$/m);
  });
  test('gzip-level and gzip-min-length are accepted and said to be ignored; bad values are refused', () => {
    assert.match(warnings({ 'use-gzip': 'true', 'gzip-level': '4' }), /gzip-level.*libslz/);
    assert.match(warnings({ 'use-gzip': 'true', 'gzip-min-length': '100' }), /gzip-min-length.*no minimum size/);
    assert.match(warnings({ 'use-gzip': 'true', 'gzip-level': '12' }), /between 1 and 9/);
  });
  test('portero migrate reports the keys as read', () => {
    for (const key of ['use-gzip', 'gzip-types']) assert.equal(classifyConfigMapKey(key, 'x').status, 'supported', key);
    for (const key of ['gzip-disable', 'gzip-level', 'gzip-min-length']) assert.equal(classifyConfigMapKey(key, '1').status, 'difference', key);
  });
});

describe('compression in haproxy.cfg', () => {
  const modelWith = (data: Record<string, string>) => translateJson(objects(data), { configMap: { namespace: REF.namespace, name: REF.name } }).model;

  test('rendered in both HTTP frontends; nothing without use-gzip', async () => {
    const model = modelWith({ 'use-gzip': 'true', 'gzip-types': 'text/css', 'gzip-disable': 'msie6 Lynx' });
    const config = await assertHaproxyAccepts(await withTestCertificate(model));
    assert.equal((config.match(/^ {2}compression type text\/css text\/html$/gm) ?? []).length, 2);
    assert.equal((config.match(/^ {2}filter compression$/gm) ?? []).length, 2);
    assert.match(config, /^ {2}http-request del-header Accept-Encoding if \{ req\.hdr\(user-agent\) -m reg 'MSIE \[4-6\]\[\.\]' \}$/m);
    assert.match(config, /^ {2}http-request del-header Accept-Encoding if \{ req\.hdr\(user-agent\) -m reg -i 'Lynx' \}$/m);
    assert.doesNotMatch(await assertHaproxyAccepts(await withTestCertificate(modelWith({}))), /compression|Accept-Encoding/);
  });
});

describe('large-client-header-buffers', () => {
  test("nginx's NUMBER SIZE becomes HAProxy's buffer size: the header plus HAProxy's 1 KiB for rewrites", () => {
    assert.equal(read({ 'large-client-header-buffers': '4 8k' }).globals.bufferBytes, 4 * 8192 + 1024);
    assert.equal(read({ 'large-client-header-buffers': '8 16k' }).globals.bufferBytes, 8 * 16384 + 1024);
  });
  test('not above the default: the default stays', () => {
    assert.equal(read({ 'large-client-header-buffers': '2 4k' }).globals.bufferBytes, undefined);
  });
  test('malformed or too large: a warning, the default stays', () => {
    assert.equal(read({ 'large-client-header-buffers': '8k' }).globals.bufferBytes, undefined);
    assert.match(warnings({ 'large-client-header-buffers': '8k' }), /must be a number of buffers and a size/);
    assert.match(warnings({ 'large-client-header-buffers': '64 8m' }), /at most 262144/);
  });
  test('rendered as tune.bufsize in the global section', () => {
    const model = translateJson([{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace: REF.namespace, name: REF.name }, data: { 'large-client-header-buffers': '4 8k' } }], { configMap: { namespace: REF.namespace, name: REF.name } }).model;
    const settings = { stateDir: '/s', adminSocket: '/s/admin.sock', bindAddress: '127.0.0.1', httpPort: 8080, httpsPort: 8443, hardStopAfter: '5m', maxReloads: 8 };
    const config = renderConfig(model, settings, '/s/gen-1', new BackendNames(structureFor(model)));
    assert.match(config, /^global\n(?: {2}.*\n)* {2}tune\.bufsize 33792\n/m);
  });
});
