// ingress-nginx's own end-to-end case for Ingress status (kubernetes/
// ingress-nginx, test/e2e/status/update.go), ported to Portero in Kubernetes
// mode against the in-repo API test server, with the `nginx` IngressClass of
// a migrating cluster and --publish-status-address.
//
// Upstream points the controller at a `kubectl proxy`, kills the proxy,
// clears the Ingress status and deletes the leader-election ConfigMap, then
// starts the proxy again on the same port and waits for the status to come
// back. Here a TCP proxy in front of the API server plays kubectl proxy's
// part; Portero's leader election is a Lease (docs/kubernetes.md), which is
// what gets deleted. Upstream's 30 s and 10 s sleeps are replaced by waiting
// for the status itself.

import assert from 'node:assert/strict';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { KubeApiServer } from '../../kube-api-server/server.js';
import { startBackend, type Backend } from '../../helpers/backends.js';
import { request } from '../../helpers/http.js';
import { kubeconfigFile, startApi } from '../../helpers/kube.js';
import { ingress, ingressClass, serviceWithEndpoints } from '../../helpers/objects.js';
import { eventually, freePort, startPortero, type Portero } from '../../helpers/portero.js';

/** A plain TCP proxy to the API server that can be stopped and started again on the same port, as upstream's kubectl proxy. */
class ApiProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  constructor(
    readonly port: number,
    private readonly target: number,
  ) {}

  async start(): Promise<void> {
    const server = createServer((client) => {
      const upstream = connect(this.target, '127.0.0.1');
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', resolve);
    });
    this.server = server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    if (server) await new Promise((resolve) => server.close(resolve));
  }
}

const HOST = 'status-update';

describe('ingress-nginx e2e: status/update.go', () => {
  let api: KubeApiServer;
  let proxy: ApiProxy;
  let portero: Portero;
  let echo: Backend;

  const status = () => api.get('networking.k8s.io/v1', 'Ingress', 'default', HOST)?.status?.loadBalancer?.ingress ?? [];

  before(async () => {
    api = await startApi();
    echo = await startBackend('echo');
    for (const object of [
      ingressClass('nginx', 'k8s.io/ingress-nginx'),
      ...serviceWithEndpoints({ name: 'echo', endpoints: [echo] }),
      ingress({ name: HOST, className: 'nginx', rules: [{ host: HOST, paths: [{ path: '/', pathType: 'Prefix', service: 'echo' }] }] }),
    ]) api.apply(object);
    proxy = new ApiProxy(await freePort(), Number(new URL(api.url).port));
    await proxy.start();
    const kubeconfig = await kubeconfigFile(api, {}, { server: `http://127.0.0.1:${proxy.port}` });
    portero = await startPortero({
      kube: { kubeconfig },
      flags: ['--ingress-class', 'nginx', '--controller-class', 'k8s.io/ingress-nginx', '--publish-status-address', '1.1.0.0'],
      env: { POD_NAMESPACE: 'default', POD_NAME: 'portero-0' },
    });
  });

  after(async () => {
    await portero?.dispose();
    await proxy?.stop();
    await api?.close();
    await echo?.close();
  });

  test('update.go: should update status field after client-go reconnection', async () => {
    await eventually(() => assert.deepEqual(status(), [{ ip: '1.1.0.0' }]), 30_000);
    assert.equal((await request({ port: portero.httpPort, host: HOST })).echo?.name, 'echo');

    // The API becomes unreachable; meanwhile the status is cleared and the leader lock deleted.
    await proxy.stop();
    api.apply({ ...ingress({ name: HOST, className: 'nginx', rules: [{ host: HOST, paths: [{ path: '/', pathType: 'Prefix', service: 'echo' }] }] }), status: { loadBalancer: { ingress: [] } } });
    assert.deepEqual(status(), []);
    assert.ok(api.get('coordination.k8s.io/v1', 'Lease', 'default', 'portero-leader'), 'Portero held the leader Lease');
    api.delete('coordination.k8s.io/v1', 'Lease', 'default', 'portero-leader');
    // Traffic does not depend on the API.
    assert.equal((await request({ port: portero.httpPort, host: HOST })).echo?.name, 'echo');

    // The API comes back on the same address: the status is written again.
    await proxy.start();
    await eventually(() => assert.deepEqual(status(), [{ ip: '1.1.0.0' }]), 60_000, 100);
  });
});
