// custom-headers through real HAProxy: the response headers of a ConfigMap
// named by the annotation, allowed by the ingress-nginx ConfigMap's
// global-allowed-response-headers, on every answer of the Ingress's paths;
// anything wrong (missing ConfigMap, a header not allowed, another
// namespace, a value with an nginx variable) answers 503 for that Ingress only.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startBackend, type Backend } from '../helpers/backends.js';
import { request } from '../helpers/http.js';
import { configMap, ingress, ingressClass, serviceWithEndpoints, type Json } from '../helpers/objects.js';
import { eventually, startPortero, type Portero } from '../helpers/portero.js';

const A = 'nginx.ingress.kubernetes.io';

/** custom-headers and upstream-vhost on values.ch.test, with these values. */
function valuesObjects(team: string, upstream: string): Json[] {
  return [
    configMap('values-headers', { 'X-Team': team }),
    ingress({ name: 'values', className: 'nginx', annotations: { [`${A}/custom-headers`]: 'values-headers', [`${A}/upstream-vhost`]: upstream }, rules: [{ host: 'values.ch.test', paths: [{ service: 'app' }] }] }),
  ];
}

function withHeaders(name: string, host: string, value?: string): Json {
  return ingress({ name, className: 'nginx', annotations: value === undefined ? {} : { [`${A}/custom-headers`]: value }, rules: [{ host, paths: [{ service: 'app' }] }] });
}

describe('ingress-nginx annotations: custom-headers', () => {
  let portero: Portero;
  let app: Backend;

  before(async () => {
    app = await startBackend('app');
    portero = await startPortero({
      flags: ['--ingress-class', 'nginx', '--controller-class', 'k8s.io/ingress-nginx', '--configmap', 'ingress-nginx/ingress-nginx-controller'],
      files: {
        'class.yaml': [ingressClass('nginx', 'k8s.io/ingress-nginx')],
        'controller.yaml': [configMap('ingress-nginx-controller', { 'global-allowed-response-headers': 'X-Frame-Options, X-Team' }, 'ingress-nginx')],
        'app.yaml': serviceWithEndpoints({ name: 'app', endpoints: [app] }),
        'maps.yaml': [
          configMap('team-headers', { 'X-Frame-Options': 'DENY', 'X-Team': 'blue 100%' }),
          configMap('secret-headers', { 'X-Secret': 'leak' }),
          configMap('variable-headers', { 'X-Team': '$host' }),
          configMap('team-headers', { 'X-Team': 'other-namespace' }, 'other'),
        ],
        'values.yaml': valuesObjects('one', 'one.internal'),
        'ingresses.yaml': [
          withHeaders('ok', 'ok.ch.test', 'team-headers'),
          withHeaders('qualified', 'qualified.ch.test', 'default/team-headers'),
          withHeaders('not-allowed', 'notallowed.ch.test', 'secret-headers'),
          withHeaders('missing', 'missing.ch.test', 'no-such-map'),
          withHeaders('cross', 'cross.ch.test', 'other/team-headers'),
          withHeaders('variable', 'variable.ch.test', 'variable-headers'),
          withHeaders('plain', 'plain.ch.test'),
        ],
      },
    });
  });

  after(async () => {
    await portero?.dispose();
    await app?.close();
  });

  test('the ConfigMap\'s headers are set on the Ingress\'s answers, replacing the Service\'s', async () => {
    for (const host of ['ok.ch.test', 'qualified.ch.test']) {
      const response = await request({ port: portero.httpPort, host, path: '/', headers: { 'x-echo-set-header': 'X-Team: red' } });
      assert.equal(response.status, 200, host);
      assert.equal(response.headers['x-frame-options'], 'DENY', host);
      assert.equal(response.headers['x-team'], 'blue 100%', host);
    }
    const plain = await request({ port: portero.httpPort, host: 'plain.ch.test', path: '/' });
    assert.equal(plain.status, 200);
    assert.equal(plain.headers['x-frame-options'], undefined);
  });

  test('a header not in global-allowed-response-headers, a missing ConfigMap, another namespace or an nginx variable: 503 for that Ingress, with a diagnostic', async () => {
    for (const host of ['notallowed.ch.test', 'missing.ch.test', 'cross.ch.test', 'variable.ch.test']) {
      const response = await request({ port: portero.httpPort, host, path: '/' });
      assert.equal(response.status, 503, host);
      assert.equal(response.headers['x-secret'], undefined, host);
    }
    const logged = (text: string) => portero.waitForLog((entry) => JSON.stringify(entry).includes(text));
    await logged('header X-Secret is not allowed');
    await logged('ConfigMap default/no-such-map not found');
    await logged("the ConfigMap must be in the Ingress's namespace");
    await logged('the value of X-Team holds characters');
  });

  test('new header values and a new upstream-vhost go through settings.map: no reload', async () => {
    const reloads = async () => (await portero.metric('portero_haproxy_reloads_total{reason="structural"}')) ?? 0;
    const host = 'values.ch.test';
    // Served since the start (values.yaml): the reloads counted so far are settled.
    assert.equal((await request({ port: portero.httpPort, host, path: '/' })).headers['x-team'], 'one');
    const before = await reloads();
    const write = (team: string, upstream: string) => portero.write('values.yaml', valuesObjects(team, upstream));
    for (const [team, upstream] of [['two 50% %[src]', 'two.internal:8080'], ['three #x', 'three.internal']] as const) {
      await write(team, upstream);
      await eventually(async () => {
        const response = await request({ port: portero.httpPort, host, path: '/' });
        assert.equal(response.headers['x-team'], team, 'the value as written, never evaluated');
        assert.equal(response.echo?.headers.host, upstream);
      });
    }
    assert.equal(await reloads(), before, 'values are map entries');
    await portero.filesSynced();
  });

  test('on a running Portero: the ConfigMap changed, the allowlist widened, the annotation removed', async () => {
    await portero.write('maps.yaml', [configMap('team-headers', { 'X-Team': 'green' }), configMap('secret-headers', { 'X-Secret': 'now-allowed' })]);
    await eventually(async () => {
      const response = await request({ port: portero.httpPort, host: 'ok.ch.test', path: '/' });
      assert.equal(response.headers['x-team'], 'green');
      assert.equal(response.headers['x-frame-options'], undefined);
    });
    await portero.write('controller.yaml', [configMap('ingress-nginx-controller', { 'global-allowed-response-headers': 'X-Team,X-Secret' }, 'ingress-nginx')]);
    await eventually(async () => {
      const response = await request({ port: portero.httpPort, host: 'notallowed.ch.test', path: '/' });
      assert.equal(response.status, 200);
      assert.equal(response.headers['x-secret'], 'now-allowed');
    });
    await portero.write('ingresses.yaml', [withHeaders('ok', 'ok.ch.test')]);
    await eventually(async () => {
      const response = await request({ port: portero.httpPort, host: 'ok.ch.test', path: '/' });
      assert.equal(response.status, 200);
      assert.equal(response.headers['x-team'], undefined);
    });
  });
});
