// The Kubernetes API test server itself: kubectl works against it, and it
// keeps the real API server's semantics that Portero relies on.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { stringify } from 'yaml';
import type { KubeApiServer } from '../kube-api-server/server.js';
import { jsonPatch, mergePatch, strategicMergePatch } from '../kube-api-server/patch.js';
import { kubeconfigFile, kubectl, startApi } from '../helpers/kube.js';
import { ingress } from '../helpers/objects.js';

async function call(api: KubeApiServer, method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<{ status: number; body: any }> {
  const response = await fetch(`${api.url}${path}`, { method, ...(body !== undefined ? { body: JSON.stringify(body), headers: { 'content-type': contentType } } : {}) });
  return { status: response.status, body: await response.json() };
}

/** Opens a watch and collects its events until `count` arrived or the stream ends. */
async function watchEvents(api: KubeApiServer, path: string, count: number): Promise<any[]> {
  const controller = new AbortController();
  const response = await fetch(`${api.url}${path}`, { signal: controller.signal });
  const events: any[] = [];
  let buffer = '';
  const decoder = new TextDecoder();
  try {
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const line of lines) if (line.trim()) events.push(JSON.parse(line));
      if (events.length >= count) break;
    }
  } finally {
    controller.abort();
  }
  return events;
}

describe('Kubernetes API test server', () => {
  let api: KubeApiServer;
  let kubeconfig: string;
  const ING = '/apis/networking.k8s.io/v1/namespaces/default/ingresses';

  before(async () => {
    api = await startApi();
    kubeconfig = await kubeconfigFile(api);
  });

  after(async () => {
    await api?.close();
  });

  test('kubectl create, get, replace, apply and delete', async () => {
    const manifest = stringify(ingress({ name: 'k', rules: [{ host: 'k.test', paths: [{ service: 's' }] }] }));
    assert.match(await kubectl(kubeconfig, ['create', '--validate=false', '-f', '-'], manifest), /ingress.networking.k8s.io\/k created/);
    assert.match(await kubectl(kubeconfig, ['get', 'ingresses']), /^NAME\s+AGE\nk\s+/);
    assert.match(await kubectl(kubeconfig, ['replace', '--validate=false', '-f', '-'], manifest.replace('k.test', 'r.test')), /replaced/);
    assert.equal(await kubectl(kubeconfig, ['get', 'ing', 'k', '-o', 'jsonpath={.spec.rules[0].host}']), 'r.test');
    assert.match(await kubectl(kubeconfig, ['apply', '--validate=false', '-f', '-'], manifest.replace('k.test', 'a.test')), /configured/);
    assert.equal(await kubectl(kubeconfig, ['get', 'ing', 'k', '-o', 'jsonpath={.spec.rules[0].host} {.metadata.generation}']), 'a.test 3');
    assert.match(await kubectl(kubeconfig, ['delete', 'ingress', 'k']), /deleted/);
    await assert.rejects(kubectl(kubeconfig, ['get', 'ingress', 'k']), /NotFound|not found/);
  });

  test('kubectl apply merges lists by key (strategic merge patch)', async () => {
    const daemonset = (env: { name: string; value: string }[], image: string) =>
      stringify({
        apiVersion: 'apps/v1',
        kind: 'DaemonSet',
        metadata: { name: 'd' },
        spec: { selector: { matchLabels: { app: 'd' } }, template: { metadata: { labels: { app: 'd' } }, spec: { containers: [{ name: 'main', image, env }, { name: 'side', image: 'side:1' }] } } },
      });
    await kubectl(kubeconfig, ['apply', '--validate=false', '-f', '-'], daemonset([{ name: 'A', value: '1' }, { name: 'B', value: '2' }], 'img:1'));
    await kubectl(kubeconfig, ['apply', '--validate=false', '-f', '-'], daemonset([{ name: 'A', value: '1' }, { name: 'C', value: '3' }], 'img:2'));
    const stored = api.get('apps/v1', 'DaemonSet', 'default', 'd');
    assert.deepEqual(stored.spec.template.spec.containers.map((c: any) => c.name), ['main', 'side']);
    assert.deepEqual(stored.spec.template.spec.containers[0].env.map((e: any) => e.name), ['A', 'C']);
    assert.equal(stored.spec.template.spec.containers[0].image, 'img:2');
  });

  test('list: items without kind, resourceVersion semantics, pagination', async () => {
    for (const name of ['p1', 'p2', 'p3']) api.apply(ingress({ name, defaultBackend: { service: 's' } }));
    const first = await call(api, 'GET', `${ING}?limit=2`);
    assert.equal(first.body.items.length, 2);
    assert.equal(first.body.items[0].kind, undefined);
    const rest = await call(api, 'GET', `${ING}?limit=2&continue=${first.body.metadata.continue}`);
    assert.equal(rest.body.items.length, 1);
    assert.equal((await call(api, 'GET', `${ING}?resourceVersion=999999999`)).status, 504);
  });

  test('watch: replay from a version, selector transitions, bookmarks, 410 after compaction', async () => {
    const start = (await call(api, 'GET', ING)).body.metadata.resourceVersion;
    api.apply({ ...(ingress({ name: 'w', defaultBackend: { service: 's' } }) as any), metadata: { name: 'w', labels: { team: 'a' } } });
    api.apply({ ...(ingress({ name: 'w', defaultBackend: { service: 's' } }) as any), metadata: { name: 'w', labels: { team: 'b' } } });
    const events = await watchEvents(api, `${ING}?watch=true&resourceVersion=${start}&labelSelector=team%3Da&allowWatchBookmarks=true`, 3);
    assert.deepEqual(events.map((event) => event.type), ['ADDED', 'DELETED', 'BOOKMARK']);
    assert.equal(events[0].object.kind, 'Ingress');
    api.compact();
    const expired = await watchEvents(api, `${ING}?watch=true&resourceVersion=${start}`, 1);
    assert.equal(expired[0].type, 'ERROR');
    assert.equal(expired[0].object.code, 410);
  });

  test('writes: 409 on a stale version, no-op updates, generation, the status subresource', async () => {
    const created = (await call(api, 'POST', ING, ingress({ name: 's', defaultBackend: { service: 's' } }))).body;
    assert.equal(created.metadata.generation, 1);
    const stale = { ...created, spec: { ...created.spec, ingressClassName: 'x' } };
    assert.equal((await call(api, 'PUT', `${ING}/s`, stale)).status, 200);
    assert.equal((await call(api, 'PUT', `${ING}/s`, stale)).status, 409);
    const current = api.get('networking.k8s.io/v1', 'Ingress', 'default', 's');
    assert.equal(current.metadata.generation, 2);
    const same = await call(api, 'PUT', `${ING}/s`, current);
    assert.equal(same.body.metadata.resourceVersion, current.metadata.resourceVersion, 'an update that changes nothing keeps the version');
    const withStatus = await call(api, 'PUT', `${ING}/s`, { ...current, status: { loadBalancer: { ingress: [{ ip: '1.2.3.4' }] } } });
    assert.equal(withStatus.body.status, undefined, 'the main resource ignores status');
    const status = await call(api, 'PATCH', `${ING}/s/status`, { status: { loadBalancer: { ingress: [{ ip: '1.2.3.4' }] } }, spec: { ingressClassName: 'ignored' } }, 'application/merge-patch+json');
    assert.equal(status.body.status.loadBalancer.ingress[0].ip, '1.2.3.4');
    assert.equal(status.body.spec.ingressClassName, 'x', '/status ignores everything but status');
    assert.equal(status.body.metadata.generation, 2);
    const precondition = await call(api, 'PATCH', `${ING}/s/status`, { metadata: { resourceVersion: '1' }, status: {} }, 'application/merge-patch+json');
    assert.equal(precondition.status, 409);
  });

  test('Leases and namespaces', async () => {
    const lease = await call(api, 'PUT', '/apis/coordination.k8s.io/v1/namespaces/default/leases/l', { metadata: { name: 'l' }, spec: { holderIdentity: 'a' } });
    assert.equal(lease.status, 201, 'Leases may be created by PUT');
    assert.equal((await call(api, 'POST', '/api/v1/namespaces/nowhere/services', { metadata: { name: 'x' } })).status, 404);
    const created = await call(api, 'POST', '/api/v1/namespaces', { metadata: { name: 'labelled', labels: { 'kubernetes.io/metadata.name': 'wrong' } } });
    assert.deepEqual(created.body.metadata.labels, { 'kubernetes.io/metadata.name': 'labelled' }, 'every Namespace carries its name label');
  });
});

describe('Kubernetes API test server: Gateway API kinds', () => {
  let api: KubeApiServer;
  let kubeconfig: string;
  const GW = '/apis/gateway.networking.k8s.io';
  const gatewayObject = (apiVersion: string, name: string, port = 80) => ({
    apiVersion,
    kind: 'Gateway',
    metadata: { name, namespace: 'default' },
    spec: { gatewayClassName: 'portero', listeners: [{ name: 'http', port, protocol: 'HTTP' }] },
  });

  before(async () => {
    api = await startApi();
    kubeconfig = await kubeconfigFile(api);
  });

  after(async () => {
    await api?.close();
  });

  test('discovery lists the group in v1 (preferred) and v1beta1, with status subresources', async () => {
    const groups = (await call(api, 'GET', '/apis')).body.groups;
    const group = groups.find((entry: any) => entry.name === 'gateway.networking.k8s.io');
    assert.deepEqual(group.versions.map((entry: any) => entry.version), ['v1', 'v1beta1']);
    assert.equal(group.preferredVersion.version, 'v1');
    const v1 = (await call(api, 'GET', `${GW}/v1`)).body.resources.map((resource: any) => resource.name);
    assert.deepEqual(v1, ['gatewayclasses', 'gatewayclasses/status', 'gateways', 'gateways/status', 'httproutes', 'httproutes/status', 'grpcroutes', 'grpcroutes/status', 'referencegrants']);
    const v1beta1 = (await call(api, 'GET', `${GW}/v1beta1`)).body.resources.map((resource: any) => resource.name);
    assert.ok(!v1beta1.includes('grpcroutes'), 'GRPCRoute is served in v1 only');
    assert.equal((await call(api, 'GET', `${GW}/v1beta1/namespaces/default/grpcroutes`)).status, 404);
  });

  test('one object, read and watched in the version each request names; generation and status as for CRDs', async () => {
    const start = (await call(api, 'GET', `${GW}/v1/gateways`)).body.metadata.resourceVersion;
    const created = await call(api, 'POST', `${GW}/v1beta1/namespaces/default/gateways`, gatewayObject('gateway.networking.k8s.io/v1beta1', 'g'));
    assert.equal(created.status, 201);
    assert.equal(created.body.apiVersion, 'gateway.networking.k8s.io/v1beta1');
    assert.equal(created.body.metadata.generation, 1);
    assert.equal((await call(api, 'GET', `${GW}/v1/namespaces/default/gateways/g`)).body.apiVersion, 'gateway.networking.k8s.io/v1');
    const list = (await call(api, 'GET', `${GW}/v1beta1/gateways`)).body;
    assert.equal(list.apiVersion, 'gateway.networking.k8s.io/v1beta1');
    assert.equal(list.items.length, 1);
    const events = await watchEvents(api, `${GW}/v1beta1/namespaces/default/gateways?watch=true&resourceVersion=${start}`, 1);
    assert.equal(events[0].object.apiVersion, 'gateway.networking.k8s.io/v1beta1');
    const changed = await call(api, 'PUT', `${GW}/v1/namespaces/default/gateways/g`, { ...gatewayObject('gateway.networking.k8s.io/v1', 'g', 8080), status: { conditions: [] } });
    assert.equal(changed.body.metadata.generation, 2);
    assert.equal(changed.body.status, undefined, 'the main resource ignores status');
    const status = await call(api, 'PATCH', `${GW}/v1/namespaces/default/gateways/g/status`, { status: { conditions: [{ type: 'Accepted', status: 'True' }] } }, 'application/merge-patch+json');
    assert.equal(status.body.status.conditions[0].type, 'Accepted');
    assert.equal(status.body.metadata.generation, 2);
    assert.equal((await call(api, 'PUT', `${GW}/v1/namespaces/default/referencegrants/r/status`, {})).status, 404, 'ReferenceGrant has no status');
  });

  test('kubectl apply, get and delete Gateway API objects', async () => {
    const manifest = stringify(gatewayObject('gateway.networking.k8s.io/v1', 'k'));
    assert.match(await kubectl(kubeconfig, ['apply', '--validate=false', '-f', '-'], manifest), /gateway.gateway.networking.k8s.io\/k created/);
    assert.match(await kubectl(kubeconfig, ['apply', '--validate=false', '-f', '-'], manifest.replace('port: 80', 'port: 81')), /configured/);
    assert.equal(await kubectl(kubeconfig, ['get', 'gtw', 'k', '-o', 'jsonpath={.spec.listeners[0].port} {.metadata.generation}']), '81 2');
    const route = stringify({ apiVersion: 'gateway.networking.k8s.io/v1beta1', kind: 'HTTPRoute', metadata: { name: 'r' }, spec: { parentRefs: [{ name: 'k' }] } });
    assert.match(await kubectl(kubeconfig, ['create', '--validate=false', '-f', '-'], route), /httproute.gateway.networking.k8s.io\/r created/);
    assert.match(await kubectl(kubeconfig, ['get', 'httproutes.v1beta1.gateway.networking.k8s.io', '-o', 'name']), /httproute.gateway.networking.k8s.io\/r/);
    assert.match(await kubectl(kubeconfig, ['delete', 'httproute', 'r']), /deleted/);
    assert.match(await kubectl(kubeconfig, ['delete', 'gateway', 'k']), /deleted/);
  });

  test('started without the Gateway API, it answers 404 until the CRDs are installed', async () => {
    const bare = await startApi({ gatewayApi: false });
    try {
      assert.ok(!(await call(bare, 'GET', '/apis')).body.groups.some((group: any) => group.name === 'gateway.networking.k8s.io'));
      assert.equal((await call(bare, 'GET', `${GW}/v1`)).status, 404);
      assert.equal((await call(bare, 'GET', `${GW}/v1/gateways`)).status, 404);
      assert.throws(() => bare.apply(gatewayObject('gateway.networking.k8s.io/v1', 'x')), /unknown kind/);
      bare.installGatewayApi();
      assert.equal((await call(bare, 'GET', `${GW}/v1`)).status, 200);
      assert.equal((await call(bare, 'GET', `${GW}/v1/gateways`)).status, 200);
      bare.apply(gatewayObject('gateway.networking.k8s.io/v1', 'x'));
      assert.equal((await call(bare, 'GET', `${GW}/v1/namespaces/default/gateways/x`)).body.metadata.name, 'x');
    } finally {
      await bare.close();
    }
  });
});

describe('patch functions', () => {
  test('merge patch', () => {
    assert.deepEqual(mergePatch({ a: 1, b: { c: 2, d: 3 } }, { b: { c: null, e: 4 }, f: [1] }), { a: 1, b: { d: 3, e: 4 }, f: [1] });
  });
  test('JSON patch', () => {
    assert.deepEqual(jsonPatch({ a: [1, 2], b: 1 }, [{ op: 'add', path: '/a/-', value: 3 }, { op: 'remove', path: '/b' }, { op: 'move', from: '/a', path: '/c' }]), { c: [1, 2, 3] });
    assert.throws(() => jsonPatch({ a: 1 }, [{ op: 'test', path: '/a', value: 2 }]));
  });
  test('strategic merge patch with directives', () => {
    const target = { containers: [{ name: 'a', env: [{ name: 'X', value: '1' }, { name: 'Y', value: '2' }] }, { name: 'b' }], finalizers: ['f1'] };
    const patch = { containers: [{ name: 'a', env: [{ $patch: 'delete', name: 'Y' }, { name: 'Z', value: '3' }] }], finalizers: ['f2'] };
    assert.deepEqual(strategicMergePatch(target, patch), {
      containers: [{ name: 'a', env: [{ name: 'X', value: '1' }, { name: 'Z', value: '3' }] }, { name: 'b' }],
      finalizers: ['f1', 'f2'],
    });
  });
});
