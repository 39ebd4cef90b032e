// Snippets through real HAProxy with --allow-snippet-annotations: the
// parsed subset acts as nginx would; a snippet outside it refuses only its
// own Ingress.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startBackend, type Backend } from '../helpers/backends.js';
import { request } from '../helpers/http.js';
import { ingress, ingressClass, serviceWithEndpoints, type Json } from '../helpers/objects.js';
import { startPortero, type Portero } from '../helpers/portero.js';

const A = 'nginx.ingress.kubernetes.io';

function on(name: string, host: string, annotations: Record<string, string>): Json {
  return ingress({ name, className: 'nginx', annotations, rules: [{ host, paths: [{ service: 'app' }] }] });
}

describe('ingress-nginx snippets, parsed (--allow-snippet-annotations)', () => {
  let portero: Portero;
  let app: Backend;

  before(async () => {
    app = await startBackend('app');
    portero = await startPortero({
      flags: ['--ingress-class', 'nginx', '--controller-class', 'k8s.io/ingress-nginx', '--allow-snippet-annotations'],
      files: {
        'class.yaml': [ingressClass('nginx', 'k8s.io/ingress-nginx')],
        'app.yaml': serviceWithEndpoints({ name: 'app', endpoints: [app] }),
        'ingresses.yaml': [
          on('headers', 'headers.snip.test', {
            [`${A}/configuration-snippet`]: 'more_set_headers "X-Frame-Options: DENY";\nproxy_set_header X-Team "payments 100%";\nmore_clear_input_headers X-Drop;',
            [`${A}/server-snippet`]: 'more_clear_headers Content-Type;',
          }),
          on('office', 'office.snip.test', { [`${A}/configuration-snippet`]: 'allow 127.0.0.30;\ndeny all;' }),
          on('gone', 'gone.snip.test', { [`${A}/configuration-snippet`]: 'return 410 "gone for good";' }),
          on('lua', 'lua.snip.test', { [`${A}/configuration-snippet`]: 'access_by_lua_block { ngx.exit(200) }' }),
        ],
      },
    });
  });

  after(async () => {
    await portero?.dispose();
    await app?.close();
  });

  test('header directives: response headers set and removed, request headers set and removed', async () => {
    const response = await request({ port: portero.httpPort, host: 'headers.snip.test', path: '/', headers: { 'x-drop': 'secret' } });
    assert.equal(response.status, 200);
    assert.equal(response.headers['x-frame-options'], 'DENY');
    assert.equal(response.headers['content-type'], undefined);
    assert.equal(response.echo?.headers['x-team'], 'payments 100%');
    assert.equal(response.echo?.headers['x-drop'], undefined);
  });

  test('allow and deny: first match wins', async () => {
    const from = async (localAddress: string) => (await request({ port: portero.httpPort, host: 'office.snip.test', path: '/', localAddress })).status;
    assert.equal(await from('127.0.0.30'), 200);
    assert.equal(await from('127.0.0.31'), 403);
  });

  test('return answers from the proxy', async () => {
    const response = await request({ port: portero.httpPort, host: 'gone.snip.test', path: '/x' });
    assert.equal(response.status, 410);
    assert.equal(response.body, 'gone for good');
  });

  test('a directive outside the subset refuses only its Ingress, naming it', async () => {
    assert.equal((await request({ port: portero.httpPort, host: 'lua.snip.test', path: '/' })).status, 404);
    const entry = await portero.waitForLog((line) => line.object === 'Ingress default/lua');
    assert.match(String(entry.msg), /blocks/);
    assert.equal((await request({ port: portero.httpPort, host: 'headers.snip.test', path: '/' })).status, 200);
  });
});
