// Watch faults: expired resource versions (410), closed streams, server
// errors and silent half-dead watches. Portero must converge to the API's
// state without missing an event. Also the informer itself: a handler that
// throws never stops it.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { KubeClient } from '../../src/kube/client.js';
import { Informer } from '../../src/kube/informer.js';
import { pino } from 'pino';
import type { KubeApiServer } from '../kube-api-server/server.js';
import { startBackend, type Backend } from '../helpers/backends.js';
import { whoAnswers } from '../helpers/http.js';
import { kubeconfigFile, startApi } from '../helpers/kube.js';
import { ingress, serviceWithEndpoints } from '../helpers/objects.js';
import { eventually, startPortero, type Portero } from '../helpers/portero.js';

describe('watch faults', () => {
  let api: KubeApiServer;
  let portero: Portero;
  let app: Backend;
  const route = (name: string) => ingress({ name, rules: [{ host: `${name}.faults.test`, paths: [{ service: 'app' }] }] });
  const served = (name: string) => whoAnswers(portero.httpPort, `${name}.faults.test`, '/');

  before(async () => {
    api = await startApi();
    app = await startBackend('app');
    for (const object of [...serviceWithEndpoints({ name: 'app', endpoints: [app] }), route('keep'), route('doomed')]) api.apply(object);
    portero = await startPortero({ kube: { kubeconfig: await kubeconfigFile(api) }, flags: ['--publish-status-address', '192.0.2.10', '--watch-idle-timeout', '1s'] });
  });

  after(async () => {
    await portero?.dispose();
    await api?.close();
    await app?.close();
  });

  test('history compacted while the watches were down: relist, with deletes for what vanished', async () => {
    assert.equal(await served('doomed'), 'app');
    const listsBefore = api.requests.filter((entry) => entry.verb === 'list' && entry.resource === 'ingresses').length;
    api.delayWatches(1000);
    api.closeWatches();
    api.delete('networking.k8s.io/v1', 'Ingress', 'default', 'doomed');
    api.apply(route('born'));
    api.compact();
    await eventually(async () => {
      assert.equal(await served('doomed'), 'status:404');
      assert.equal(await served('born'), 'app');
    });
    api.delayWatches(0);
    const relists = api.requests.filter((entry) => entry.verb === 'list' && entry.resource === 'ingresses').slice(listsBefore);
    assert.ok(relists.length > 0, 'no relist');
    assert.ok(relists.every((entry) => entry.query.resourceVersion === undefined), 'the relist after 410 is a quorum read');
    assert.ok(api.requests.some((entry) => entry.verb === 'watch' && entry.status === 200));
  });

  test('streams closed again and again: no event is missed', async () => {
    for (let i = 0; i < 10; i += 1) {
      api.apply(route(`churn${i}`));
      if (i % 2 === 0) api.closeWatches();
      await sleep(20);
    }
    await eventually(async () => {
      for (let i = 0; i < 10; i += 1) assert.equal(await served(`churn${i}`), 'app');
    });
  });

  test('watches failing with 500: backoff, then convergence', async () => {
    api.failNextWatches(3, 500);
    api.closeWatches();
    api.apply(route('after-errors'));
    await eventually(async () => assert.equal(await served('after-errors'), 'app'), 20_000);
    assert.ok(api.requests.filter((entry) => entry.verb === 'watch' && entry.status === 500).length >= 3);
    await portero.waitForLog((entry) => entry.msg === 'watch failed; retrying' && typeof entry.retryInMs === 'number');
  });

  test('a watch that goes silent is re-opened by the idle watchdog', async () => {
    api.stallWatches();
    api.apply(route('after-stall'));
    await eventually(async () => assert.equal(await served('after-stall'), 'app'), 15_000);
  });

  test('in the end, Portero serves exactly what the API holds', async () => {
    const hosts = api.store.list(api.resource('networking.k8s.io', 'ingresses')).map((object) => object.metadata.name as string);
    for (const name of hosts) assert.equal(await served(name), 'app', name);
    assert.equal(await served('doomed'), 'status:404');
  });
});

describe('informer', () => {
  let api: KubeApiServer;
  let client: KubeClient;

  before(async () => {
    api = await startApi();
    client = new KubeClient({ server: api.url, insecureSkipTlsVerify: false, credentials: { token: async () => undefined }, source: 'test' });
  });

  after(async () => {
    await client?.close();
    await api?.close();
  });

  test('a handler that throws never stops the informer; list items get their kind', async () => {
    for (let i = 0; i < 7; i += 1) api.apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm${i}` }, data: { a: 'b' } });
    const seen: string[] = [];
    const removed: string[] = [];
    const informer = new Informer({
      client,
      path: '/api/v1/configmaps',
      kind: 'ConfigMap',
      apiVersion: 'v1',
      log: pino({ level: 'silent' }),
      pageSize: 3,
      handlers: {
        upsert: (object) => {
          assert.equal(object.kind, 'ConfigMap');
          seen.push(object.metadata.name);
          if (object.metadata.name === 'cm1') throw new Error('handler bug');
        },
        remove: (object) => {
          removed.push(object.metadata.name);
        },
      },
    });
    const lists = () => api.requests.filter((entry) => entry.verb === 'list' && entry.resource === 'configmaps');
    try {
      informer.start();
      await informer.synced;
      assert.equal(seen.length, 7);
      // resourceVersion=0 is answered from the watch cache, whole, whatever the limit.
      assert.deepEqual(lists().map((entry) => [entry.query.resourceVersion, entry.query.limit, entry.query.continue]), [['0', '3', undefined]]);
      api.apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm1' }, data: { a: 'changed' } });
      api.apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm-late' }, data: {} });
      await eventually(() => assert.ok(seen.includes('cm-late')));

      // After 410, a quorum relist, paginated: changes come through, and what vanished is removed.
      api.delayWatches(500);
      api.closeWatches();
      api.delete('v1', 'ConfigMap', 'default', 'cm3');
      api.apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm-relisted' }, data: {} });
      api.compact();
      await eventually(() => assert.deepEqual(removed, ['cm3']));
      await eventually(() => assert.ok(seen.includes('cm-relisted')));
      api.delayWatches(0);
      const relist = lists().slice(1);
      assert.ok(relist.every((entry) => entry.query.resourceVersion === undefined && entry.query.limit === '3'));
      assert.equal(relist.filter((entry) => entry.query.continue !== undefined).length, 2, 'pages of 3 of 8 objects');
      // Unchanged objects are not delivered again by the relist.
      assert.equal(seen.filter((name) => name === 'cm0').length, 1);
    } finally {
      await informer.stop();
    }
  });
});
