// default-backend: a Service of the Ingress's namespace that answers while
// the Ingress's own Service has no ready endpoint (ingress-nginx's
// semantics), through real HAProxy, as endpoints come and go at runtime.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startBackend, type Backend } from '../helpers/backends.js';
import { request } from '../helpers/http.js';
import { ingress, ingressClass, serviceWithEndpoints } from '../helpers/objects.js';
import { eventually, startPortero, type Portero } from '../helpers/portero.js';

const A = 'nginx.ingress.kubernetes.io';

describe('ingress-nginx annotations: default-backend', () => {
  let portero: Portero;
  let app: Backend;
  let fallback: Backend;

  const appObjects = (ready: boolean) => serviceWithEndpoints({ name: 'app', endpoints: [{ address: app.address, port: app.port, ready }] });

  before(async () => {
    app = await startBackend('app');
    fallback = await startBackend('fallback');
    portero = await startPortero({
      flags: ['--ingress-class', 'nginx', '--controller-class', 'k8s.io/ingress-nginx'],
      files: {
        'class.yaml': [ingressClass('nginx', 'k8s.io/ingress-nginx')],
        'app.yaml': appObjects(false),
        'fallback.yaml': serviceWithEndpoints({ name: 'fallback', endpoints: [fallback] }),
        'ingresses.yaml': [
          ingress({ name: 'web', className: 'nginx', annotations: { [`${A}/default-backend`]: 'fallback' }, rules: [{ host: 'db.test', paths: [{ service: 'app' }] }] }),
          ingress({ name: 'plain', className: 'nginx', rules: [{ host: 'plain.db.test', paths: [{ service: 'app' }] }] }),
          ingress({ name: 'missing', className: 'nginx', annotations: { [`${A}/default-backend`]: 'nothing-here' }, rules: [{ host: 'missing.db.test', paths: [{ service: 'app' }] }] }),
        ],
      },
    });
  });

  after(async () => {
    await portero?.dispose();
    await app?.close();
    await fallback?.close();
  });

  const who = async (host: string) => {
    const response = await request({ port: portero.httpPort, host, path: '/x' });
    return response.echo?.name ?? `status ${response.status}`;
  };

  test('without a ready endpoint, the default backend answers; without the annotation, 503', async () => {
    assert.equal(await who('db.test'), 'fallback');
    assert.equal(await who('plain.db.test'), 'status 503');
    assert.equal(await who('missing.db.test'), 'status 503');
  });

  test('endpoints coming and going at runtime: the Service serves while it can, the default backend otherwise, without a reload', async () => {
    const reloads = async () => (await portero.metric('portero_haproxy_reloads_total{reason="structural"}')) ?? 0;
    const before = await reloads();
    await portero.write('app.yaml', appObjects(true));
    await eventually(async () => assert.equal(await who('db.test'), 'app'));
    for (let i = 0; i < 5; i += 1) assert.equal(await who('db.test'), 'app');
    await portero.write('app.yaml', appObjects(false));
    await eventually(async () => assert.equal(await who('db.test'), 'fallback'));
    assert.equal(await reloads(), before);
  });
});
