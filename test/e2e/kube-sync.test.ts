// Kubernetes mode through the API test server and real HAProxy: initial
// sync, create / update / delete of every kind reaching traffic, a rotated
// Secret, --watch-namespace, and kubectl as the client that makes changes.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { generateSelfSigned } from '../../src/tls/default-certificate.js';
import type { KubeApiServer } from '../kube-api-server/server.js';
import { startBackend, type Backend } from '../helpers/backends.js';
import { request, whoAnswers } from '../helpers/http.js';
import { kubeconfigFile, kubectl, startApi } from '../helpers/kube.js';
import { ingress, ingressClass, serviceWithEndpoints, tlsSecret, toYaml, type Json } from '../helpers/objects.js';
import { eventually, startPortero, type Portero } from '../helpers/portero.js';

const commonName = (response: { certificate?: { subject?: { CN?: string | string[] } } }) => String(response.certificate?.subject?.CN ?? '');

describe('Kubernetes mode: sync and changes', () => {
  let api: KubeApiServer;
  let portero: Portero;
  let kubeconfig: string;
  const backends: Record<string, Backend> = {};
  const apply = (objects: Json[]) => objects.forEach((object) => api.apply(object));

  before(async () => {
    api = await startApi();
    kubeconfig = await kubeconfigFile(api);
    for (const name of ['one', 'two', 'three']) backends[name] = await startBackend(name);
    apply([
      ingressClass('portero', 'portero.dev/ingress-controller'),
      ...serviceWithEndpoints({ name: 'one', endpoints: [backends.one!] }),
      ...serviceWithEndpoints({ name: 'two', endpoints: [backends.two!] }),
      ingress({ name: 'initial', rules: [{ host: 'initial.kube.test', paths: [{ service: 'one' }] }] }),
    ]);
    portero = await startPortero({ kube: { kubeconfig }, flags: ['--publish-status-address', '192.0.2.10'], env: { POD_NAMESPACE: 'default', POD_NAME: 'portero-0' } });
  });

  after(async () => {
    await portero?.dispose();
    await api?.close();
    await Promise.all(Object.values(backends).map((backend) => backend.close()));
  });

  test('objects present at start are served once Portero is ready', async () => {
    assert.equal(await whoAnswers(portero.httpPort, 'initial.kube.test', '/'), 'one');
  });

  test('Ingress create, update and delete reach traffic', async () => {
    apply([ingress({ name: 'web', rules: [{ host: 'web.kube.test', paths: [{ path: '/a', service: 'one' }] }] })]);
    await eventually(async () => assert.equal(await whoAnswers(portero.httpPort, 'web.kube.test', '/a'), 'one'));
    apply([ingress({ name: 'web', rules: [{ host: 'web.kube.test', paths: [{ path: '/a', service: 'two' }] }] })]);
    await eventually(async () => assert.equal(await whoAnswers(portero.httpPort, 'web.kube.test', '/a'), 'two'));
    api.delete('networking.k8s.io/v1', 'Ingress', 'default', 'web');
    await eventually(async () => assert.equal(await whoAnswers(portero.httpPort, 'web.kube.test', '/a'), 'status:404'));
  });

  test('Service and EndpointSlice create, update and delete reach traffic', async () => {
    apply([ingress({ name: 'svc', rules: [{ host: 'svc.kube.test', paths: [{ service: 'three' }] }] })]);
    await eventually(async () => assert.equal(await whoAnswers(portero.httpPort, 'svc.kube.test', '/'), 'status:503'));
    apply(serviceWithEndpoints({ name: 'three', endpoints: [backends.three!] }));
    await eventually(async () => assert.equal(await whoAnswers(portero.httpPort, 'svc.kube.test', '/'), 'three'));
    // The endpoint moves to another pod.
    apply(serviceWithEndpoints({ name: 'three', endpoints: [backends.two!] }).filter((object) => object.kind === 'EndpointSlice').map((slice) => ({ ...slice, metadata: { ...(slice.metadata as object), name: 'three-0' } })));
    await eventually(async () => assert.equal(await whoAnswers(portero.httpPort, 'svc.kube.test', '/'), 'two'));
    api.delete('discovery.k8s.io/v1', 'EndpointSlice', 'default', 'three-0');
    await eventually(async () => assert.equal(await whoAnswers(portero.httpPort, 'svc.kube.test', '/'), 'status:503'));
    api.delete('v1', 'Service', 'default', 'three');
    await eventually(async () => assert.equal(await whoAnswers(portero.httpPort, 'svc.kube.test', '/'), 'status:503'));
  });

  test('IngressClass changes decide what is served', async () => {
    apply([ingress({ name: 'classy', className: 'edge', rules: [{ host: 'classy.kube.test', paths: [{ service: 'one' }] }] })]);
    assert.equal(await whoAnswers(portero.httpPort, 'classy.kube.test', '/'), 'status:404');
    apply([ingressClass('edge', 'portero.dev/ingress-controller')]);
    await eventually(async () => assert.equal(await whoAnswers(portero.httpPort, 'classy.kube.test', '/'), 'one'));
    api.delete('networking.k8s.io/v1', 'IngressClass', '', 'edge');
    await eventually(async () => assert.equal(await whoAnswers(portero.httpPort, 'classy.kube.test', '/'), 'status:404'));
  });

  test('a TLS Secret is served, rotated and removed', async () => {
    const first = await generateSelfSigned('tls.kube.test', ['tls.kube.test'], 30);
    const second = await generateSelfSigned('tls.kube.test v2', ['tls.kube.test'], 30);
    apply([
      tlsSecret('tls', first.cert, first.key),
      ingress({ name: 'tls', tls: [{ hosts: ['tls.kube.test'], secretName: 'tls' }], rules: [{ host: 'tls.kube.test', paths: [{ service: 'one' }] }] }),
    ]);
    await eventually(async () => assert.equal(commonName(await request({ port: portero.httpsPort, host: 'tls.kube.test', tls: true })), 'tls.kube.test'));
    apply([tlsSecret('tls', second.cert, second.key)]);
    await eventually(async () => assert.equal(commonName(await request({ port: portero.httpsPort, host: 'tls.kube.test', tls: true })), 'tls.kube.test v2'));
    api.delete('v1', 'Secret', 'default', 'tls');
    await eventually(async () => assert.equal(commonName(await request({ port: portero.httpsPort, host: 'tls.kube.test', tls: true })), 'Portero Default Certificate'));
  });

  test('Secrets of every type are watched; of the others only basic-auth credentials are kept', async () => {
    api.apply({ apiVersion: 'v1', kind: 'Secret', type: 'Opaque', metadata: { name: 'opaque' }, stringData: { password: 'hunter2' } });
    await eventually(() => assert.ok(api.requests.some((entry) => entry.resource === 'secrets' && entry.verb === 'watch')));
    const secretRequests = api.requests.filter((entry) => entry.resource === 'secrets');
    assert.ok(secretRequests.length > 0);
    for (const entry of secretRequests) assert.equal(entry.query.fieldSelector, undefined);
    // An auth Secret added, changed to hold no credentials (dropped from the store), and back.
    const auth = (data: Record<string, string>) => api.apply({ apiVersion: 'v1', kind: 'Secret', type: 'Opaque', metadata: { name: 'auth' }, stringData: data });
    const hash = '{SHA}' + createHash('sha1').update('pw').digest('base64');
    const basic = { authorization: `Basic ${Buffer.from('u:pw').toString('base64')}` };
    apply([ingress({ name: 'auth', annotations: { 'nginx.ingress.kubernetes.io/auth-type': 'basic', 'nginx.ingress.kubernetes.io/auth-secret': 'auth' }, rules: [{ host: 'auth.kube.test', paths: [{ service: 'one' }] }] })]);
    await eventually(async () => assert.equal((await request({ port: portero.httpPort, host: 'auth.kube.test', headers: basic })).status, 503));
    auth({ auth: `u:${hash}\n` });
    await eventually(async () => assert.equal((await request({ port: portero.httpPort, host: 'auth.kube.test', headers: basic })).status, 200));
    auth({ unrelated: 'x' });
    await eventually(async () => assert.equal((await request({ port: portero.httpPort, host: 'auth.kube.test', headers: basic })).status, 503));
  });

  test('kubectl apply and delete reach traffic', async () => {
    const manifest = toYaml([ingress({ name: 'from-kubectl', rules: [{ host: 'kubectl.kube.test', paths: [{ path: '/k', service: 'two' }] }] })]);
    assert.match(await kubectl(kubeconfig, ['apply', '--validate=false', '-f', '-'], manifest), /ingress.networking.k8s.io\/from-kubectl created/);
    await eventually(async () => assert.equal(await whoAnswers(portero.httpPort, 'kubectl.kube.test', '/k'), 'two'));
    const changed = manifest.replace('/k', '/changed');
    assert.match(await kubectl(kubeconfig, ['apply', '--validate=false', '-f', '-'], changed), /configured/);
    await eventually(async () => assert.equal(await whoAnswers(portero.httpPort, 'kubectl.kube.test', '/changed'), 'two'));
    assert.match(await kubectl(kubeconfig, ['get', 'ingress', 'from-kubectl', '-o', 'jsonpath={.status.loadBalancer.ingress[0].ip}']), /^192\.0\.2\.10$/);
    await kubectl(kubeconfig, ['delete', 'ingress', 'from-kubectl']);
    await eventually(async () => assert.equal(await whoAnswers(portero.httpPort, 'kubectl.kube.test', '/changed'), 'status:404'));
  });

  test('lists and watches every kind with bookmarks, resuming from the last resourceVersion', async () => {
    const watches = api.requests.filter((entry) => entry.verb === 'watch');
    for (const resource of ['ingresses', 'ingressclasses', 'services', 'endpointslices', 'secrets']) {
      const forResource = watches.filter((entry) => entry.resource === resource);
      assert.ok(forResource.length > 0, `no watch on ${resource}`);
      for (const entry of forResource) {
        assert.equal(entry.query.allowWatchBookmarks, 'true');
        assert.ok(Number(entry.query.timeoutSeconds) >= 300 && Number(entry.query.timeoutSeconds) < 600);
        assert.match(entry.query.resourceVersion ?? '', /^\d+$/);
      }
    }
  });
});

describe('--watch-namespace', () => {
  let api: KubeApiServer;
  let portero: Portero;
  let app: Backend;

  before(async () => {
    api = await startApi();
    app = await startBackend('app');
    api.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-a' } });
    api.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-b' } });
    for (const namespace of ['team-a', 'team-b']) {
      for (const object of [...serviceWithEndpoints({ name: 'app', namespace, endpoints: [app] }), ingress({ name: 'app', namespace, rules: [{ host: `${namespace}.kube.test`, paths: [{ service: 'app' }] }] })]) api.apply(object);
    }
    portero = await startPortero({ kube: { kubeconfig: await kubeconfigFile(api) }, flags: ['--watch-namespace', 'team-a', '--publish-status-address', '192.0.2.10'] });
  });

  after(async () => {
    await portero?.dispose();
    await api?.close();
    await app?.close();
  });

  test('serves only the watched namespace, and asks the API for nothing else', async () => {
    assert.equal(await whoAnswers(portero.httpPort, 'team-a.kube.test', '/'), 'app');
    assert.equal(await whoAnswers(portero.httpPort, 'team-b.kube.test', '/'), 'status:404');
    const namespaced = api.requests.filter((entry) => ['ingresses', 'services', 'endpointslices', 'secrets'].includes(entry.resource ?? '') && ['list', 'watch'].includes(entry.verb));
    assert.ok(namespaced.length > 0);
    for (const entry of namespaced) assert.equal(entry.namespace, 'team-a', `${entry.verb} ${entry.path}`);
  });
});
