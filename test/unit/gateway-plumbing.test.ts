// The Gateway API kinds through the plumbing: trimmed when read off the API,
// kept by the store, in snapshots and metrics, and declared in the
// permissions the RBAC rules must allow.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { snapshotOf as storeSnapshot } from '../../src/cli/controller.js';
import { isDiscovery, permissionFor, requestAttributes } from '../../src/kube/permissions.js';
import { decodeObject } from '../../src/objects/decode.js';
import { KINDS, type KubeObject } from '../../src/objects/types.js';
import { StatusOnlyBatch } from '../../src/source/kube/status-only.js';
import { trimUnread } from '../../src/source/kube/trim.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { Store } from '../../src/store/store.js';
import { Metrics } from '../../src/telemetry/metrics.js';
import { snapshotOf } from '../../src/translate/translate.js';
import { gateway, gatewayClass, grpcRoute, httpRoute, namespace, referenceGrant } from '../helpers/gateway-api-manifests.js';

const options = { defaultNamespace: 'default', creationTimestampFor: () => '2026-01-01T00:00:00Z' };

function decoded(raw: Record<string, unknown>): KubeObject {
  const result = decodeObject(raw, options);
  assert.equal(result.status, 'ok', JSON.stringify(result));
  return (result as { object: KubeObject }).object;
}

const objects = () => [namespace('team-a'), gatewayClass('portero'), gateway('gw'), httpRoute('web'), grpcRoute('rpc'), referenceGrant('g', 'team-a', 'default')].map(decoded);

describe('trimUnread', () => {
  test('a Namespace keeps its name, identity and labels only', () => {
    const raw = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'a', uid: 'u', resourceVersion: '7', creationTimestamp: '2026-01-01T00:00:00Z', labels: { team: 'a' }, annotations: { big: 'x' }, finalizers: ['f'] }, spec: { finalizers: ['kubernetes'] }, status: { phase: 'Active' } };
    assert.deepEqual(trimUnread(raw), { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'a', uid: 'u', resourceVersion: '7', creationTimestamp: '2026-01-01T00:00:00Z', labels: { team: 'a' } } });
  });

  test('Gateway API objects lose their status; Ingresses keep theirs (status writes read it)', () => {
    const route = { ...httpRoute('web'), status: { parents: [{ controllerName: 'x' }] } };
    assert.equal(trimUnread(route).status, undefined);
    assert.deepEqual(trimUnread({ kind: 'Ingress', metadata: {}, status: { loadBalancer: {} } }).status, { loadBalancer: {} });
  });
});

describe('store, snapshots and metrics', () => {
  test('the store keeps every kind; both snapshotOf read them', () => {
    const store = new Store();
    for (const object of objects()) store.upsert(object);
    const fromStore = storeSnapshot(store);
    const fromList = snapshotOf(objects());
    for (const snapshot of [fromStore, fromList]) {
      assert.deepEqual(
        [snapshot.namespaces, snapshot.gatewayClasses, snapshot.gateways, snapshot.httpRoutes, snapshot.grpcRoutes, snapshot.referenceGrants].map((list) => list?.map((object) => object.kind)),
        [['Namespace'], ['GatewayClass'], ['Gateway'], ['HTTPRoute'], ['GRPCRoute'], ['ReferenceGrant']],
      );
    }
    assert.equal(store.get('Gateway', 'default', 'gw')?.spec.gatewayClassName, 'portero');
    assert.equal(store.get('Namespace', '', 'team-a')?.metadata.labels.team, undefined);
    assert.equal(store.get('Namespace', '', 'team-a')?.metadata.labels['kubernetes.io/metadata.name'], 'team-a');
  });

  test('portero_objects has a series for every kind', async () => {
    const metrics = new Metrics();
    metrics.setObjects(Object.fromEntries(KINDS.map((kind, i) => [kind, i])) as Record<(typeof KINDS)[number], number>);
    const text = (await metrics.render()).body;
    for (const [i, kind] of KINDS.entries()) assert.ok(text.includes(`portero_objects{kind="${kind}"} ${i}`), kind);
  });
});

describe('status-only updates', () => {
  test('a Gateway API object whose status alone changed (its resourceVersion, once trimmed) reaches the store in a batch', async () => {
    const store = new Store({ debounceMs: 1, maxDelayMs: 5 });
    const batch = new StatusOnlyBatch(store, 5, 20);
    const at = (resourceVersion: string, path = '/') => decoded({ ...httpRoute('web', { path }), metadata: { name: 'web', resourceVersion } });
    store.upsert(at('1'));
    assert.equal(batch.offer(at('2')), true, 'held');
    assert.equal(store.get('HTTPRoute', 'default', 'web')?.metadata.resourceVersion, '1');
    await sleep(60);
    assert.equal(store.get('HTTPRoute', 'default', 'web')?.metadata.resourceVersion, '2', 'released');
    assert.equal(batch.offer(at('3', '/other')), false, 'a spec change is not held');
    assert.equal(batch.offer(decoded({ ...referenceGrant('g', 'team-a', 'default'), metadata: { name: 'g', namespace: 'team-a', resourceVersion: '9' } })), false, 'ReferenceGrants have no status');
    batch.stop();
  });
});

describe('permissions', () => {
  const allowed = (method: string, path: string) => permissionFor(requestAttributes(method, path)!, 'portero-system') !== undefined;

  test('reading the Gateway API kinds and Namespaces, and writing the status of four of them, is declared', () => {
    for (const resource of ['gatewayclasses', 'gateways', 'httproutes', 'grpcroutes', 'referencegrants']) {
      assert.ok(allowed('GET', `/apis/gateway.networking.k8s.io/v1/${resource}?watch=true`), resource);
      assert.ok(allowed('GET', `/apis/gateway.networking.k8s.io/v1beta1/${resource}?limit=1`), resource);
    }
    for (const resource of ['gateways', 'httproutes', 'grpcroutes']) assert.ok(allowed('PATCH', `/apis/gateway.networking.k8s.io/v1/namespaces/a/${resource}/x/status`), resource);
    assert.ok(allowed('PUT', '/apis/gateway.networking.k8s.io/v1/gatewayclasses/x/status'));
    assert.ok(!allowed('PATCH', '/apis/gateway.networking.k8s.io/v1/namespaces/a/referencegrants/x/status'));
    assert.ok(!allowed('PATCH', '/apis/gateway.networking.k8s.io/v1/namespaces/a/httproutes/x'), 'routes themselves are never written');
    assert.ok(allowed('GET', '/api/v1/namespaces?watch=1'));
  });

  test('discovery requests are told apart from resource requests', () => {
    for (const path of ['/version', '/api', '/api/v1', '/apis', '/apis/gateway.networking.k8s.io', '/apis/gateway.networking.k8s.io/v1', '/apis/gateway.networking.k8s.io/v1beta1?timeout=32s']) assert.ok(isDiscovery('GET', path), path);
    for (const path of ['/api/v1/namespaces', '/apis/gateway.networking.k8s.io/v1/gateways', '/api/v1/nodes/n']) assert.ok(!isDiscovery('GET', path), path);
    assert.ok(!isDiscovery('POST', '/apis'));
  });
});
