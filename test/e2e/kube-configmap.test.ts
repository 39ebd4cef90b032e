// The ingress-nginx ConfigMap in Kubernetes mode (--configmap), through the
// API test server and real HAProxy: read at start, and a change applied on
// the running Portero. Other ConfigMaps are not read as settings. With
// --watch-namespace, the ConfigMaps next to it (add-headers, proxy-set-headers)
// are still read.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { KubeApiServer } from '../kube-api-server/server.js';
import { startBackend, type Backend } from '../helpers/backends.js';
import { request } from '../helpers/http.js';
import { kubeconfigFile, startApi } from '../helpers/kube.js';
import { configMap as sharedConfigMap, ingress, ingressClass, serviceWithEndpoints, type Json } from '../helpers/objects.js';
import { eventually, startPortero, type Portero } from '../helpers/portero.js';

const configMap = (name: string, data: Record<string, string>, namespace = 'ingress-nginx'): Json => sharedConfigMap(name, data, namespace);

describe('Kubernetes mode: the ingress-nginx ConfigMap', () => {
  let api: KubeApiServer;
  let portero: Portero;
  let app: Backend;

  before(async () => {
    api = await startApi();
    app = await startBackend('app');
    for (const object of [
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ingress-nginx' } },
      ingressClass('nginx', 'k8s.io/ingress-nginx'),
      ...serviceWithEndpoints({ name: 'app', endpoints: [app] }),
      ingress({ name: 'web', className: 'nginx', rules: [{ host: 'cm.kube.test', paths: [{ service: 'app' }] }] }),
      configMap('ingress-nginx-controller', { 'proxy-body-size': '1k', 'global-allowed-response-headers': 'X-Team' }),
      configMap('team-headers', { 'X-Team': 'blue' }, 'default'),
      // Larger than Portero keeps: named by custom-headers, it is as if missing (503).
      configMap('huge-headers', { 'X-Team': 'x'.repeat(70 * 1024) }, 'default'),
      ingress({ name: 'headers', className: 'nginx', annotations: { 'nginx.ingress.kubernetes.io/custom-headers': 'team-headers' }, rules: [{ host: 'headers.kube.test', paths: [{ service: 'app' }] }] }),
      ingress({ name: 'huge', className: 'nginx', annotations: { 'nginx.ingress.kubernetes.io/custom-headers': 'huge-headers' }, rules: [{ host: 'huge.kube.test', paths: [{ service: 'app' }] }] }),
      // Same keys, another name: never read.
      configMap('unrelated', { 'proxy-body-size': '1' }),
    ]) {
      api.apply(object);
    }
    portero = await startPortero({
      kube: { kubeconfig: await kubeconfigFile(api) },
      flags: ['--ingress-class', 'nginx', '--controller-class', 'k8s.io/ingress-nginx', '--configmap', 'ingress-nginx/ingress-nginx-controller'],
      env: { POD_NAMESPACE: 'ingress-nginx', POD_NAME: 'portero-0' },
    });
  });

  after(async () => {
    await portero?.dispose();
    await api?.close();
    await app?.close();
  });

  const post = async (bytes: number) => (await request({ port: portero.httpPort, host: 'cm.kube.test', method: 'POST', path: '/', body: 'x'.repeat(bytes) })).status;

  test('the named ConfigMap is read at start; another one is not', async () => {
    assert.equal(await post(1024), 200);
    assert.equal(await post(2048), 413);
  });

  test('a change of the ConfigMap applies on the running Portero', async () => {
    api.apply(configMap('ingress-nginx-controller', { 'proxy-body-size': '4k' }));
    await eventually(async () => assert.equal(await post(2048), 200));
    assert.equal(await post(8192), 413);
    api.apply(configMap('unrelated', { 'proxy-body-size': '2' }));
    api.apply(configMap('ingress-nginx-controller', {}));
    await eventually(async () => assert.equal(await post(8192), 200));
  });

  test('custom-headers: a ConfigMap of the Ingress\'s namespace is read and followed; one over 64 KiB is not kept', async () => {
    api.apply(configMap('ingress-nginx-controller', { 'global-allowed-response-headers': 'X-Team' }));
    await eventually(async () => assert.equal((await request({ port: portero.httpPort, host: 'headers.kube.test', path: '/' })).headers['x-team'], 'blue'));
    assert.equal((await request({ port: portero.httpPort, host: 'huge.kube.test', path: '/' })).status, 503);
    api.apply(configMap('team-headers', { 'X-Team': 'green' }, 'default'));
    await eventually(async () => assert.equal((await request({ port: portero.httpPort, host: 'headers.kube.test', path: '/' })).headers['x-team'], 'green'));
    api.apply(configMap('huge-headers', { 'X-Team': 'small' }, 'default'));
    await eventually(async () => assert.equal((await request({ port: portero.httpPort, host: 'huge.kube.test', path: '/' })).headers['x-team'], 'small'));
  });
});

describe('Kubernetes mode: --configmap outside --watch-namespace', () => {
  let api: KubeApiServer;
  let portero: Portero;
  let app: Backend;

  before(async () => {
    api = await startApi();
    app = await startBackend('app');
    for (const object of [
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ingress-nginx' } },
      ingressClass('nginx', 'k8s.io/ingress-nginx'),
      ...serviceWithEndpoints({ name: 'app', endpoints: [app] }),
      ingress({ name: 'web', className: 'nginx', rules: [{ host: 'ns.kube.test', paths: [{ service: 'app' }] }] }),
      // As ingress-nginx's documentation writes them: the header ConfigMaps next to the controller's.
      configMap('ingress-nginx-controller', { 'add-headers': 'ingress-nginx/custom-headers', 'proxy-set-headers': 'ingress-nginx/upstream-headers' }),
      configMap('custom-headers', { 'X-Served-By': 'portero' }),
      configMap('upstream-headers', { 'X-Team': 'blue' }),
    ]) {
      api.apply(object);
    }
    portero = await startPortero({
      kube: { kubeconfig: await kubeconfigFile(api) },
      flags: ['--ingress-class', 'nginx', '--controller-class', 'k8s.io/ingress-nginx', '--watch-namespace', 'default', '--configmap', 'ingress-nginx/ingress-nginx-controller'],
      env: { POD_NAMESPACE: 'ingress-nginx', POD_NAME: 'portero-0' },
    });
  });

  after(async () => {
    await portero?.dispose();
    await api?.close();
    await app?.close();
  });

  const get = () => request({ port: portero.httpPort, host: 'ns.kube.test', path: '/' });

  test('add-headers and proxy-set-headers ConfigMaps of the ConfigMap\'s namespace are read and followed', async () => {
    const first = await get();
    assert.equal(first.status, 200);
    assert.equal(first.headers['x-served-by'], 'portero', portero.logs.join('\n'));
    assert.equal(JSON.parse(first.body).headers['x-team'], 'blue');
    api.apply(configMap('custom-headers', { 'X-Served-By': 'portero-2' }));
    api.apply(configMap('upstream-headers', { 'X-Team': 'green' }));
    await eventually(async () => {
      const next = await get();
      assert.equal(next.headers['x-served-by'], 'portero-2');
      assert.equal(JSON.parse(next.body).headers['x-team'], 'green');
    });
  });
});
