// IngressClass selection: spec.ingressClassName, the deprecated annotation,
// IngressClass objects by controller, the default-class annotation and
// --watch-ingress-without-class.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startBackend, type Backend } from '../helpers/backends.js';
import { whoAnswers } from '../helpers/http.js';
import { ingress, ingressClass, serviceWithEndpoints } from '../helpers/objects.js';
import { eventually, startPortero, type Portero } from '../helpers/portero.js';

const CONTROLLER = 'portero.dev/ingress-controller';

describe('IngressClass selection', () => {
  let portero: Portero;
  let app: Backend;

  before(async () => {
    app = await startBackend('app');
    portero = await startPortero({
      flags: ['--ingress-class', 'edge', '--controller-class', 'example.com/edge'],
      files: {
        'classes.yaml': [ingressClass('internal', 'example.com/edge'), ingressClass('public', 'k8s.io/ingress-nginx'), ingressClass('edge-lookalike', 'other.io/x')],
        'app.yaml': [
          ...serviceWithEndpoints({ name: 'app', endpoints: [app] }),
          ingress({ name: 'by-flag-name', className: 'edge', rules: [{ host: 'flag.class.test', paths: [{ service: 'app' }] }] }),
          ingress({ name: 'by-controller', className: 'internal', rules: [{ host: 'controller.class.test', paths: [{ service: 'app' }] }] }),
          ingress({ name: 'other-controller', className: 'public', rules: [{ host: 'other.class.test', paths: [{ service: 'app' }] }] }),
          ingress({ name: 'unknown-class', className: 'nope', rules: [{ host: 'unknown.class.test', paths: [{ service: 'app' }] }] }),
          ingress({
            name: 'annotation',
            className: null,
            annotations: { 'kubernetes.io/ingress.class': 'edge' },
            rules: [{ host: 'annotation.class.test', paths: [{ service: 'app' }] }],
          }),
          ingress({
            name: 'annotation-other',
            className: null,
            annotations: { 'kubernetes.io/ingress.class': 'nginx' },
            rules: [{ host: 'annotation-other.class.test', paths: [{ service: 'app' }] }],
          }),
          ingress({ name: 'no-class', className: null, rules: [{ host: 'none.class.test', paths: [{ service: 'app' }] }] }),
        ],
      },
    });
  });

  after(async () => {
    await portero?.dispose();
    await app?.close();
  });

  test('spec.ingressClassName naming --ingress-class is served', async () => {
    assert.equal(await whoAnswers(portero.httpPort, 'flag.class.test', '/'), 'app');
  });

  test('an IngressClass whose controller is --controller-class is ours', async () => {
    assert.equal(await whoAnswers(portero.httpPort, 'controller.class.test', '/'), 'app');
  });

  test("another controller's class is not served", async () => {
    assert.equal(await whoAnswers(portero.httpPort, 'other.class.test', '/'), 'status:404');
    assert.equal(await whoAnswers(portero.httpPort, 'unknown.class.test', '/'), 'status:404');
  });

  test('the deprecated kubernetes.io/ingress.class annotation is honoured', async () => {
    assert.equal(await whoAnswers(portero.httpPort, 'annotation.class.test', '/'), 'app');
    assert.equal(await whoAnswers(portero.httpPort, 'annotation-other.class.test', '/'), 'status:404');
  });

  test('an Ingress without class is not served unless a class of ours is the default', async () => {
    assert.equal(await whoAnswers(portero.httpPort, 'none.class.test', '/'), 'status:404');
    await portero.write('classes.yaml', [ingressClass('internal', 'example.com/edge', true), ingressClass('public', 'k8s.io/ingress-nginx')]);
    await eventually(async () => assert.equal(await whoAnswers(portero.httpPort, 'none.class.test', '/'), 'app'));
  });

  test('the --ingress-class name is not ours when an IngressClass of that name belongs to another controller', async () => {
    await portero.write('classes.yaml', [ingressClass('edge', 'other.io/controller')]);
    await eventually(async () => assert.equal(await whoAnswers(portero.httpPort, 'flag.class.test', '/'), 'status:404'));
  });
});

describe('--watch-ingress-without-class', () => {
  let portero: Portero;
  let app: Backend;

  before(async () => {
    app = await startBackend('app');
    portero = await startPortero({
      flags: ['--watch-ingress-without-class'],
      files: {
        'app.yaml': [
          ...serviceWithEndpoints({ name: 'app', endpoints: [app] }),
          ingress({ name: 'no-class', className: null, rules: [{ host: 'none.class.test', paths: [{ service: 'app' }] }] }),
          ingress({ name: 'other', className: 'nginx', rules: [{ host: 'other.class.test', paths: [{ service: 'app' }] }] }),
        ],
      },
    });
  });

  after(async () => {
    await portero?.dispose();
    await app?.close();
  });

  test('serves Ingresses that name no class, and still not other classes', async () => {
    assert.equal(await whoAnswers(portero.httpPort, 'none.class.test', '/'), 'app');
    assert.equal(await whoAnswers(portero.httpPort, 'other.class.test', '/'), 'status:404');
  });
});
