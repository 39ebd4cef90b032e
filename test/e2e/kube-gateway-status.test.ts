// Gateway API status in Kubernetes mode, through the API test server and
// real HAProxy: the leader writes GatewayClass, Gateway and route status as
// translate computed it (conditions with observedGeneration and
// lastTransitionTime, listeners with attachedRoutes, addresses), keeps other
// controllers' entries in a route's status.parents, follows a generation
// bump, and the route's traffic flows.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { KubeApiServer } from '../kube-api-server/server.js';
import { startBackend, type Backend } from '../helpers/backends.js';
import { gateway, gatewayClass, GATEWAY_V1, httpRoute } from '../helpers/gateway-api-manifests.js';
import { whoAnswers, request } from '../helpers/http.js';
import { kubeconfigFile, startApi } from '../helpers/kube.js';
import { serviceWithEndpoints } from '../helpers/objects.js';
import { eventually, startPortero, type Portero } from '../helpers/portero.js';

const OURS = 'portero.dev/gateway-controller';
const condition = (conditions: any[] | undefined, type: string) => conditions?.find((entry) => entry.type === type);

describe('Kubernetes mode: Gateway API status', () => {
  let api: KubeApiServer;
  let portero: Portero;
  let backend: Backend;
  const get = (kind: string, name: string, namespace = 'default') => api.get(GATEWAY_V1, kind, namespace, name);

  before(async () => {
    api = await startApi();
    backend = await startBackend('app');
    for (const object of [
      ...serviceWithEndpoints({ name: 'app', endpoints: [backend] }),
      gatewayClass('portero'),
      gatewayClass('other', 'example.com/other-controller'),
      gateway('gw'),
      httpRoute('web', { hostnames: ['web.status.test'] }),
      httpRoute('broken', { hostnames: ['broken.status.test'], service: 'nonexistent' }),
    ]) {
      api.apply(object);
    }
    // Another controller's entry, which Portero must keep.
    const web = get('HTTPRoute', 'web')!;
    const foreign = { parentRef: { name: 'elsewhere' }, controllerName: 'example.com/other-controller', conditions: [{ type: 'Accepted', status: 'True', reason: 'Accepted', message: '', lastTransitionTime: '2026-01-01T00:00:00Z', observedGeneration: 1 }] };
    api.apply({ ...web, status: { parents: [foreign] } });
    portero = await startPortero({
      kube: { kubeconfig: await kubeconfigFile(api) },
      flags: ['--publish-status-address', '192.0.2.10'],
      env: { POD_NAMESPACE: 'default', POD_NAME: 'portero-0' },
    });
  });

  after(async () => {
    await portero?.dispose();
    await api?.close();
    await backend?.close();
  });

  test('GatewayClass: ours Accepted with supportedFeatures; another controller\'s untouched', async () => {
    await eventually(async () => assert.equal(condition(get('GatewayClass', 'portero', '')?.status?.conditions, 'Accepted')?.status, 'True'));
    const status = get('GatewayClass', 'portero', '')!.status;
    assert.equal(condition(status.conditions, 'Accepted').observedGeneration, 1);
    assert.match(condition(status.conditions, 'Accepted').lastTransitionTime, /^\d{4}-\d\d-\d\dT/);
    assert.ok(status.supportedFeatures.some((feature: { name: string }) => feature.name === 'HTTPRoute'));
    assert.equal(get('GatewayClass', 'other', '')?.status?.conditions, undefined);
  });

  test('Gateway: Accepted and Programmed, its listener with attachedRoutes, the published address', async () => {
    await eventually(async () => assert.equal(condition(get('Gateway', 'gw')?.status?.conditions, 'Programmed')?.status, 'True'));
    const status = get('Gateway', 'gw')!.status;
    assert.equal(condition(status.conditions, 'Accepted').status, 'True');
    assert.deepEqual(status.addresses, [{ type: 'IPAddress', value: '192.0.2.10' }]);
    assert.equal(status.listeners.length, 1);
    assert.equal(status.listeners[0].name, 'http');
    assert.equal(status.listeners[0].attachedRoutes, 2);
    assert.deepEqual(status.listeners[0].supportedKinds.map((kind: { kind: string }) => kind.kind).sort(), ['GRPCRoute', 'HTTPRoute']);
  });

  test('routes: our parent entry with Accepted and ResolvedRefs; other controllers\' entries kept; BackendNotFound answers 500', async () => {
    await eventually(async () => assert.equal(get('HTTPRoute', 'web')?.status?.parents?.length, 2));
    const parents = get('HTTPRoute', 'web')!.status.parents;
    assert.equal(parents[0].controllerName, 'example.com/other-controller');
    assert.equal(parents[0].conditions[0].lastTransitionTime, '2026-01-01T00:00:00Z');
    const ours = parents.find((entry: { controllerName: string }) => entry.controllerName === OURS);
    assert.equal(ours.parentRef.name, 'gw');
    assert.equal(condition(ours.conditions, 'Accepted').status, 'True');
    assert.equal(condition(ours.conditions, 'ResolvedRefs').status, 'True');
    assert.equal(await whoAnswers(portero.httpPort, 'web.status.test', '/'), 'app');
    await eventually(async () => assert.equal(condition(get('HTTPRoute', 'broken')?.status?.parents?.[0]?.conditions, 'ResolvedRefs')?.reason, 'BackendNotFound'));
    assert.equal((await request({ port: portero.httpPort, host: 'broken.status.test', path: '/' })).status, 500);
  });

  test('a generation bump: the conditions follow with the new observedGeneration; lastTransitionTime kept while the status holds', async () => {
    const before = condition(get('HTTPRoute', 'web')!.status.parents.find((entry: { controllerName: string }) => entry.controllerName === OURS).conditions, 'Accepted');
    const web = get('HTTPRoute', 'web')!;
    api.apply({ ...web, spec: { ...web.spec, hostnames: ['web.status.test', 'www.status.test'] }, status: undefined });
    const generation = get('HTTPRoute', 'web')!.metadata.generation;
    assert.equal(generation, 2);
    await eventually(async () => {
      const ours = get('HTTPRoute', 'web')!.status.parents.find((entry: { controllerName: string }) => entry.controllerName === OURS);
      assert.equal(condition(ours.conditions, 'Accepted').observedGeneration, 2);
      assert.equal(condition(ours.conditions, 'Accepted').lastTransitionTime, before.lastTransitionTime);
    });
    assert.equal(await whoAnswers(portero.httpPort, 'www.status.test', '/'), 'app');
  });
});
