// Manifests mode reads the Gateway API kinds and Namespaces from files like
// every other kind: they reach the store (portero_objects), in v1 and
// v1beta1; an invalid one is refused with its object, field and line, and its
// last good version kept; removing a file removes its objects.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { gateway, gatewayClass, GATEWAY_V1BETA1, grpcRoute, httpRoute, namespace, referenceGrant } from '../helpers/gateway-api-manifests.js';
import { eventually, startPortero, type Portero } from '../helpers/portero.js';

const KINDS = ['Namespace', 'GatewayClass', 'Gateway', 'HTTPRoute', 'GRPCRoute', 'ReferenceGrant'];

describe('manifests mode: Gateway API objects', () => {
  let portero: Portero;
  const counts = () => Promise.all(KINDS.map((kind) => portero.metric(`portero_objects{kind="${kind}"}`)));

  before(async () => {
    portero = await startPortero({
      files: {
        'gateway.yaml': [namespace('infra'), gatewayClass('portero'), gateway('gw', { namespace: 'infra', listeners: [{ name: 'http', port: 80, protocol: 'HTTP', allowedRoutes: { namespaces: { from: 'All' } } }] })],
        'routes.yaml': [httpRoute('web', { hostnames: ['web.test'] }), httpRoute('old', { apiVersion: GATEWAY_V1BETA1 }), grpcRoute('rpc'), referenceGrant('grant', 'infra', 'default', GATEWAY_V1BETA1)],
      },
    });
  });

  after(async () => {
    await portero?.dispose();
  });

  test('every kind is read from files, in v1 and v1beta1', async () => {
    await eventually(async () => assert.deepEqual(await counts(), [1, 1, 1, 2, 1, 1]));
  });

  test('an invalid object is refused with the object, field and line; its last good version stays', async () => {
    const bad = httpRoute('web', { hostnames: ['Web.test'] });
    await portero.write('routes.yaml', [bad, grpcRoute('rpc')]);
    const error = await portero.waitForLog((entry) => entry.file === 'routes.yaml' && entry.level === 'error');
    assert.equal(error.object, 'HTTPRoute default/web');
    assert.equal(error.field, 'spec.hostnames[0]');
    assert.match(String(error.msg), /lowercase DNS name/);
    assert.equal(typeof error.line, 'number');
    // web keeps its last good version; old and grant went with the rewrite.
    await eventually(async () => assert.deepEqual(await counts(), [1, 1, 1, 1, 1, 0]));
  });

  test('removing a file removes its objects', async () => {
    await portero.remove('routes.yaml');
    await eventually(async () => assert.deepEqual(await counts(), [1, 1, 1, 0, 0, 0]));
  });
});
