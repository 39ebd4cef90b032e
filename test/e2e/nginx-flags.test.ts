// ingress-nginx's controller arguments on a real Portero: the arguments of
// its deploy manifest start Portero, each one without an effect is logged
// once with why, and --disable-catch-all leaves out catch-all Ingresses (a
// default backend, no rules) while the others serve. The catch-all cases
// port ingress-nginx's test/e2e/settings/disable_catch_all.go.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startBackend, type Backend } from '../helpers/backends.js';
import { request } from '../helpers/http.js';
import { ingress, ingressClass, serviceWithEndpoints } from '../helpers/objects.js';
import { eventually, startPortero, type Portero } from '../helpers/portero.js';

describe('ingress-nginx controller flags', () => {
  let portero: Portero;
  let app: Backend;
  let fallback: Backend;

  before(async () => {
    app = await startBackend('app');
    fallback = await startBackend('fallback');
    portero = await startPortero({
      flags: [
        '--ingress-class=nginx',
        '--controller-class=k8s.io/ingress-nginx',
        '--validating-webhook=:8443',
        '--validating-webhook-certificate=/usr/local/certificates/cert',
        '--validating-webhook-key=/usr/local/certificates/key',
        '--enable-metrics=false',
        '--disable-catch-all=true',
        '--shutdown-grace-period=0',
      ],
      files: {
        'class.yaml': [ingressClass('nginx', 'k8s.io/ingress-nginx')],
        'services.yaml': [...serviceWithEndpoints({ name: 'app', endpoints: [app] }), ...serviceWithEndpoints({ name: 'fallback', endpoints: [fallback] })],
        'ingresses.yaml': [
          ingress({ name: 'web', className: 'nginx', rules: [{ host: 'web.flags.test', paths: [{ service: 'app' }] }] }),
          ingress({ name: 'catch-all', className: 'nginx', defaultBackend: { service: 'fallback' } }),
          ingress({ name: 'with-default', className: 'nginx', defaultBackend: { service: 'fallback' }, rules: [{ host: 'other.flags.test', paths: [{ path: '/x', service: 'app' }] }] }),
        ],
      },
    });
  });

  after(async () => {
    await portero?.dispose();
    await app?.close();
    await fallback?.close();
  });

  test('each flag without an effect is logged once, with the flag and why', async () => {
    const webhook = await portero.waitForLog((line) => line.msg === 'ingress-nginx flag accepted with no effect' && line.flag === '--validating-webhook');
    assert.equal(webhook.level, 'warn');
    assert.match(String(webhook.reason), /ValidatingWebhookConfiguration/);
    const flags = portero.entries().filter((line) => line.msg === 'ingress-nginx flag accepted with no effect').map((line) => line.flag);
    assert.deepEqual(flags.sort(), ['--validating-webhook', '--validating-webhook-certificate', '--validating-webhook-key']);
  });

  test('disable_catch_all.go: should ignore catch all Ingress', async () => {
    const served = await request({ port: portero.httpPort, host: 'web.flags.test', path: '/' });
    assert.equal(served.status, 200);
    assert.equal(served.echo?.name, 'app');
    assert.equal((await request({ port: portero.httpPort, host: 'nowhere.flags.test', path: '/' })).status, 404, 'no catch-all');
    const warning = await portero.waitForLog((line) => line.object === 'Ingress default/catch-all' && line.field === 'spec.defaultBackend');
    assert.match(String(warning.msg), /--disable-catch-all/);
  });

  test('disable_catch_all.go: should allow Ingress with both a default backend and rules', async () => {
    const rule = await request({ port: portero.httpPort, host: 'other.flags.test', path: '/x' });
    assert.equal(rule.echo?.name, 'app');
    const unmatched = await request({ port: portero.httpPort, host: 'other.flags.test', path: '/' });
    assert.equal(unmatched.status, 200, 'its default backend answers its own host');
    assert.equal(unmatched.echo?.name, 'fallback');
    assert.equal((await request({ port: portero.httpPort, host: 'nowhere.flags.test', path: '/' })).status, 404, 'but not other hosts');
  });

  test('disable_catch_all.go: should delete Ingress updated to catch-all', async () => {
    const foo = (rules: boolean) => ingress({ name: 'foo', className: 'nginx', ...(rules ? { rules: [{ host: 'foo.flags.test', paths: [{ service: 'app' }] }] } : { defaultBackend: { service: 'app' } }) });
    await portero.write('foo.yaml', [foo(true)]);
    await eventually(async () => assert.equal((await request({ port: portero.httpPort, host: 'foo.flags.test', path: '/' })).status, 200));
    await portero.write('foo.yaml', [foo(false)]);
    await eventually(async () => assert.equal((await request({ port: portero.httpPort, host: 'foo.flags.test', path: '/' })).status, 404));
    await portero.waitForLog((line) => line.object === 'Ingress default/foo' && line.field === 'spec.defaultBackend' && /--disable-catch-all/.test(String(line.msg)));
    assert.equal((await request({ port: portero.httpPort, host: 'web.flags.test', path: '/' })).status, 200, 'the others still serve');
  });
});

// ingress-nginx's test/e2e/settings/namespace_selector.go, in manifests mode:
// the Namespaces are objects of the directory.
describe('--watch-namespace-selector', () => {
  let portero: Portero;
  let app: Backend;
  const namespace = (name: string, labels: Record<string, string>) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } });

  before(async () => {
    app = await startBackend('app');
    portero = await startPortero({
      flags: ['--ingress-class=nginx', '--controller-class=k8s.io/ingress-nginx', '--watch-namespace-selector=foo=bar'],
      files: {
        'class.yaml': [ingressClass('nginx', 'k8s.io/ingress-nginx')],
        'namespaces.yaml': [namespace('not-matched', {}), namespace('matched', { foo: 'bar' })],
        'apps.yaml': ['not-matched', 'matched'].flatMap((ns) => [
          ...serviceWithEndpoints({ name: 'echo', namespace: ns, endpoints: [app] }),
          ingress({ name: ns, namespace: ns, className: 'nginx', rules: [{ host: ns === 'matched' ? 'foo' : 'bar', paths: [{ service: 'echo' }] }] }),
        ]),
      },
    });
  });

  after(async () => {
    await portero?.dispose();
    await app?.close();
  });

  test('namespace_selector.go: should ignore Ingress of namespace without label foo=bar and accept those of namespace with label foo=bar', async () => {
    await eventually(async () => assert.equal((await request({ port: portero.httpPort, host: 'foo', path: '/' })).status, 200));
    assert.equal((await request({ port: portero.httpPort, host: 'bar', path: '/' })).status, 404);
    await portero.write('namespaces.yaml', [namespace('not-matched', { foo: 'bar' }), namespace('matched', { foo: 'bar' })]);
    await eventually(async () => assert.equal((await request({ port: portero.httpPort, host: 'bar', path: '/' })).status, 200));
    assert.equal((await request({ port: portero.httpPort, host: 'foo', path: '/' })).status, 200);
  });
});
