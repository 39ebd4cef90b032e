// Leader election: two Portero processes elect one leader through a Lease;
// both serve traffic, only the leader writes status; when the leader dies
// the other takes over within the lease duration, and a leader that stops
// gracefully releases the Lease at once.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { KubeApiServer } from '../kube-api-server/server.js';
import { startBackend, type Backend } from '../helpers/backends.js';
import { whoAnswers } from '../helpers/http.js';
import { kubeconfigFile, startApi } from '../helpers/kube.js';
import { appOn, ingress } from '../helpers/objects.js';
import { eventually, startPortero, type Portero } from '../helpers/portero.js';

const LEASE_DURATION_MS = 15_000;

describe('leader election', () => {
  let api: KubeApiServer;
  let app: Backend;
  const replicas: Record<string, Portero> = {};

  const holder = () => api.get('coordination.k8s.io/v1', 'Lease', 'portero-system', 'portero-leader')?.spec?.holderIdentity as string | undefined;
  const statusWritesBy = (identity: string) => api.requests.filter((entry) => entry.subresource === 'status' && entry.userAgent.includes(`(${identity})`)).length;

  before(async () => {
    api = await startApi();
    app = await startBackend('app');
    api.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'portero-system' } });
    for (const object of appOn('first.test', [app], 'first')) api.apply(object);
    const kubeconfig = await kubeconfigFile(api);
    for (const name of ['pod-a', 'pod-b']) {
      replicas[name] = await startPortero({
        kube: { kubeconfig },
        flags: ['--publish-status-address', '192.0.2.10', '--election-id', 'portero-leader'],
        env: { POD_NAMESPACE: 'portero-system', POD_NAME: name },
      });
    }
  });

  after(async () => {
    await Promise.all(Object.values(replicas).map((replica) => replica.dispose()));
    await api?.close();
    await app?.close();
  });

  let leader = '';
  let follower = '';

  test('one replica holds the Lease; both serve traffic', async () => {
    leader = await eventually(() => {
      const name = holder();
      assert.ok(name === 'pod-a' || name === 'pod-b', `holder is ${name}`);
      return name;
    });
    follower = leader === 'pod-a' ? 'pod-b' : 'pod-a';
    const lease = api.get('coordination.k8s.io/v1', 'Lease', 'portero-system', 'portero-leader');
    assert.equal(lease.spec.leaseDurationSeconds, 15);
    assert.match(lease.spec.renewTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    for (const replica of Object.values(replicas)) assert.equal(await whoAnswers(replica.httpPort, 'first.test', '/'), 'app');
  });

  test('only the leader writes status', async () => {
    api.apply(ingress({ name: 'second', rules: [{ host: 'second.test', paths: [{ service: 'app' }] }] }));
    await eventually(() => assert.equal(api.get('networking.k8s.io/v1', 'Ingress', 'default', 'second')?.status?.loadBalancer?.ingress?.[0]?.ip, '192.0.2.10'));
    assert.ok(statusWritesBy(leader) > 0);
    assert.equal(statusWritesBy(follower), 0);
  });

  test('when the leader dies, the other replica takes over within the lease duration', async () => {
    const killedAt = Date.now();
    replicas[leader]!.child.kill('SIGKILL');
    await replicas[leader]!.exit;
    // Expiry is judged on the follower's clock, from when it saw the leader's
    // last renewal: a candidate looks every retry period with jitter (2 s to
    // 4.4 s), so it may see that renewal up to 4.4 s late, and the expiry up to
    // 4.4 s late again. The bound is the lease duration plus two jittered
    // retry periods (and a second for the requests).
    const bound = LEASE_DURATION_MS + 2 * 2_000 * 2.2 + 1_000;
    await eventually(() => assert.equal(holder(), follower), bound + 5_000, 100);
    const takeover = Date.now() - killedAt;
    assert.ok(takeover <= bound, `took over after ${takeover} ms`);
    assert.equal(api.get('coordination.k8s.io/v1', 'Lease', 'portero-system', 'portero-leader').spec.leaseTransitions, 1);
    api.apply(ingress({ name: 'third', rules: [{ host: 'third.test', paths: [{ service: 'app' }] }] }));
    await eventually(() => assert.equal(api.get('networking.k8s.io/v1', 'Ingress', 'default', 'third')?.status?.loadBalancer?.ingress?.[0]?.ip, '192.0.2.10'));
    assert.ok(statusWritesBy(follower) > 0);
  });

  test('a leader that stops gracefully releases the Lease', async () => {
    await replicas[follower]!.stop('SIGTERM');
    await eventually(() => assert.equal(holder(), ''), 5_000);
  });
});
