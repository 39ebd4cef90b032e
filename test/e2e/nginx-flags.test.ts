// ingress-nginx's controller arguments on a real Portero: the arguments of
// its deploy manifest start Portero, each one without an effect is logged
// once with why, and --disable-catch-all leaves out Ingresses with a
// default backend while the others serve.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startBackend, type Backend } from '../helpers/backends.js';
import { request } from '../helpers/http.js';
import { ingress, ingressClass, serviceWithEndpoints } from '../helpers/objects.js';
import { startPortero, type Portero } from '../helpers/portero.js';

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

  test('--disable-catch-all: Ingresses with a default backend are not served; the others are', async () => {
    const served = await request({ port: portero.httpPort, host: 'web.flags.test', path: '/' });
    assert.equal(served.status, 200);
    assert.equal(served.echo?.name, 'app');
    assert.equal((await request({ port: portero.httpPort, host: 'nowhere.flags.test', path: '/' })).status, 404, 'no catch-all');
    assert.equal((await request({ port: portero.httpPort, host: 'other.flags.test', path: '/x' })).status, 404, 'the Ingress with a default backend is left out as a whole');
    const warning = await portero.waitForLog((line) => line.object === 'Ingress default/catch-all' && line.field === 'spec.defaultBackend');
    assert.match(String(warning.msg), /--disable-catch-all/);
  });
});
