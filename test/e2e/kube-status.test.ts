// Ingress status and Events in Kubernetes mode: --publish-status-address,
// --publish-service, node addresses (DaemonSet mode), status kept current
// and cleared when an Ingress stops being ours, Warning Events naming the
// field.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { KubeApiServer } from '../kube-api-server/server.js';
import { startBackend, type Backend } from '../helpers/backends.js';
import { kubeconfigFile, kubectl, startApi } from '../helpers/kube.js';
import { appOn, ingress } from '../helpers/objects.js';
import { eventually, startPortero, type Portero } from '../helpers/portero.js';

function statusOf(api: KubeApiServer, name: string, namespace = 'default'): unknown {
  return api.get('networking.k8s.io/v1', 'Ingress', namespace, name)?.status?.loadBalancer?.ingress ?? [];
}

describe('status with --publish-status-address', () => {
  let api: KubeApiServer;
  let portero: Portero;
  let app: Backend;
  let kubeconfig: string;

  before(async () => {
    api = await startApi();
    app = await startBackend('app');
    kubeconfig = await kubeconfigFile(api);
    for (const object of [
      ...appOn('mine.test', [app], 'mine'),
      ingress({ name: 'theirs', className: 'nginx', rules: [{ host: 'theirs.test', paths: [{ service: 'app' }] }] }),
    ]) api.apply(object);
    // Another controller's status on its own Ingress must be left alone.
    api.apply({ ...(ingress({ name: 'theirs', className: 'nginx', rules: [{ host: 'theirs.test', paths: [{ service: 'app' }] }] }) as object), status: { loadBalancer: { ingress: [{ ip: '203.0.113.7' }] } } });
    portero = await startPortero({ kube: { kubeconfig }, flags: ['--publish-status-address', '192.0.2.10,lb.example.com'], env: { POD_NAMESPACE: 'default', POD_NAME: 'portero-0' } });
  });

  after(async () => {
    await portero?.dispose();
    await api?.close();
    await app?.close();
  });

  test('is written on the Ingresses Portero serves, through the status subresource', async () => {
    await eventually(() => assert.deepEqual(statusOf(api, 'mine'), [{ ip: '192.0.2.10' }, { hostname: 'lb.example.com' }]));
    const writes = api.requests.filter((entry) => entry.resource === 'ingresses' && ['patch', 'update'].includes(entry.verb));
    assert.ok(writes.length > 0);
    for (const entry of writes) assert.equal(entry.subresource, 'status');
  });

  test("leaves other controllers' Ingresses alone", async () => {
    assert.deepEqual(statusOf(api, 'theirs'), [{ ip: '203.0.113.7' }]);
  });

  test('a new Ingress gets its status, and one that changes class loses it', async () => {
    api.apply(ingress({ name: 'later', rules: [{ host: 'later.test', paths: [{ service: 'app' }] }] }));
    await eventually(() => assert.equal((statusOf(api, 'later') as unknown[]).length, 2));
    api.apply(ingress({ name: 'later', className: 'nginx', rules: [{ host: 'later.test', paths: [{ service: 'app' }] }] }));
    await eventually(() => assert.deepEqual(statusOf(api, 'later'), []));
  });

  test('a status written by someone else is put right', async () => {
    api.apply({ ...(ingress({ name: 'mine', rules: [{ host: 'mine.test', paths: [{ service: 'app' }] }] }) as object), status: { loadBalancer: { ingress: [{ ip: '10.9.9.9' }] } } });
    await eventually(() => assert.equal((statusOf(api, 'mine') as unknown[]).length, 2));
  });

  test('an invalid Ingress gets a Warning Event naming the field; repeats are aggregated', async () => {
    api.apply({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name: 'broken' },
      spec: { ingressClassName: 'portero', rules: [{ host: 'broken.test', http: { paths: [{ path: '/a b', pathType: 'ImplementationSpecific', backend: { service: { name: 'app', port: { number: 80 } } } }] } }] },
    });
    const event = await eventually(() => {
      const found = api.store.list(api.resource('', 'events'), 'default').find((candidate) => candidate.involvedObject?.name === 'broken');
      assert.ok(found, 'no Event yet');
      return found;
    });
    assert.equal(event.type, 'Warning');
    assert.equal(event.reason, 'InvalidIngress');
    assert.equal(event.involvedObject.kind, 'Ingress');
    assert.ok(event.involvedObject.uid);
    assert.match(event.message, /^spec\.rules\[0\]\.http\.paths\[0\]\.path: /);
    const described = await kubectl(kubeconfig, ['get', 'events', '--field-selector', 'involvedObject.name=broken', '-o', 'jsonpath={.items[*].reason}']);
    assert.match(described, /InvalidIngress/);
    assert.deepEqual(statusOf(api, 'broken'), []);
  });
});

describe('status with --publish-service', () => {
  let api: KubeApiServer;
  let portero: Portero;

  before(async () => {
    api = await startApi();
    api.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ingress' } });
    api.apply({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'portero', namespace: 'ingress' }, spec: { type: 'LoadBalancer', ports: [{ port: 80 }] }, status: { loadBalancer: { ingress: [{ ip: '198.51.100.1' }] } } });
    api.apply(ingress({ name: 'app', defaultBackend: { service: 'app' } }));
    portero = await startPortero({ kube: { kubeconfig: await kubeconfigFile(api) }, flags: ['--publish-service', 'ingress/portero', '--status-refresh-interval', '200ms'], env: { POD_NAMESPACE: 'ingress' } });
  });

  after(async () => {
    await portero?.dispose();
    await api?.close();
  });

  test("copies the Service's load-balancer addresses, and follows them when they change", async () => {
    await eventually(() => assert.deepEqual(statusOf(api, 'app'), [{ ip: '198.51.100.1' }]));
    api.apply({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'portero', namespace: 'ingress' }, spec: { type: 'LoadBalancer', ports: [{ port: 80 }] }, status: { loadBalancer: { ingress: [{ hostname: 'lb.cloud.example' }] } } });
    await eventually(() => assert.deepEqual(statusOf(api, 'app'), [{ hostname: 'lb.cloud.example' }]));
  });
});

describe('status from the nodes Portero runs on (DaemonSet mode)', () => {
  let api: KubeApiServer;
  let portero: Portero;

  const node = (name: string, addresses: { type: string; address: string }[]) => ({ apiVersion: 'v1', kind: 'Node', metadata: { name }, status: { addresses } });
  const pod = (name: string, nodeName: string) => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'portero-system', labels: { app: 'portero', 'controller-revision-hash': name } },
    spec: { nodeName, containers: [{ name: 'portero', image: 'portero' }] },
    status: { phase: 'Running' },
  });

  before(async () => {
    api = await startApi();
    api.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'portero-system' } });
    api.apply(node('node-a', [{ type: 'InternalIP', address: '10.0.0.1' }, { type: 'ExternalIP', address: '203.0.113.1' }]));
    api.apply(node('node-b', [{ type: 'InternalIP', address: '10.0.0.2' }]));
    api.apply(node('node-c', [{ type: 'InternalIP', address: '10.0.0.3' }]));
    api.apply(pod('portero-aaaaa', 'node-a'));
    api.apply(pod('portero-bbbbb', 'node-b'));
    api.apply(ingress({ name: 'app', defaultBackend: { service: 'app' } }));
    portero = await startPortero({
      kube: { kubeconfig: await kubeconfigFile(api) },
      flags: ['--status-refresh-interval', '200ms'],
      env: { POD_NAMESPACE: 'portero-system', POD_NAME: 'portero-aaaaa' },
    });
  });

  after(async () => {
    await portero?.dispose();
    await api?.close();
  });

  test('publishes the ExternalIP (else InternalIP) of each node running a Portero pod', async () => {
    await eventually(() => assert.deepEqual(statusOf(api, 'app'), [{ ip: '10.0.0.2' }, { ip: '203.0.113.1' }]));
  });

  test('follows pods moving to other nodes', async () => {
    api.apply(pod('portero-ccccc', 'node-c'));
    await eventually(() => assert.deepEqual(statusOf(api, 'app'), [{ ip: '10.0.0.2' }, { ip: '10.0.0.3' }, { ip: '203.0.113.1' }]));
    api.delete('v1', 'Pod', 'portero-system', 'portero-bbbbb');
    await eventually(() => assert.deepEqual(statusOf(api, 'app'), [{ ip: '10.0.0.3' }, { ip: '203.0.113.1' }]));
  });
});
