// Kubernetes mode at start-up with hundreds of Ingresses, as kubectl apply
// leaves them (managedFields, last-applied annotation): every one served from
// one list response per kind, and the leader's first status pass and the
// Events it sends logged as one summary line each, not a line per Ingress.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { KubeApiServer } from '../kube-api-server/server.js';
import { startBackend, type Backend } from '../helpers/backends.js';
import { whoAnswers } from '../helpers/http.js';
import { asApplied, kubeconfigFile, startApi } from '../helpers/kube.js';
import { ingress, serviceWithEndpoints } from '../helpers/objects.js';
import { eventually, startPortero, type Portero } from '../helpers/portero.js';

const GOOD = 300;
const BROKEN = 60;

function statusOf(api: KubeApiServer, name: string): unknown[] {
  return api.get('networking.k8s.io/v1', 'Ingress', 'default', name)?.status?.loadBalancer?.ingress ?? [];
}

describe('Kubernetes mode with hundreds of Ingresses', () => {
  let api: KubeApiServer;
  let portero: Portero;
  let app: Backend;
  const info = () => portero.entries().filter((entry) => entry.level !== 'debug');

  before(async () => {
    api = await startApi();
    app = await startBackend('app');
    serviceWithEndpoints({ name: 'app', endpoints: [app] }).forEach((object, index) => api.apply(asApplied(object, index)));
    for (let i = 0; i < GOOD; i += 1) api.apply(asApplied(ingress({ name: `app-${i}`, rules: [{ host: `app-${i}.scale.test`, paths: [{ service: 'app' }] }] }), i));
    // Invalid (a space in the path): each one wants a Warning Event.
    for (let i = 0; i < BROKEN; i += 1) {
      api.apply(asApplied(ingress({ name: `broken-${i}`, rules: [{ host: `broken-${i}.scale.test`, paths: [{ path: '/a b', pathType: 'ImplementationSpecific', service: 'app' }] }] }), i));
    }
    portero = await startPortero({ kube: { kubeconfig: await kubeconfigFile(api) }, flags: ['--publish-status-address', '192.0.2.10'] });
  });

  after(async () => {
    await portero?.dispose();
    await api?.close();
    await app?.close();
  });

  test('every Ingress is served, each kind read in one list response', async () => {
    for (let i = 0; i < GOOD; i += 1) assert.equal(await whoAnswers(portero.httpPort, `app-${i}.scale.test`, '/'), 'app', `app-${i}`);
    const lists = api.requests.filter((entry) => entry.verb === 'list' && entry.resource === 'ingresses');
    assert.deepEqual(lists.map((entry) => [entry.query.resourceVersion, entry.query.continue]), [['0', undefined]]);
  });

  test('the first status pass logs one summary line, each write only at debug level', async () => {
    await eventually(() => {
      for (let i = 0; i < GOOD; i += 1) assert.deepEqual(statusOf(api, `app-${i}`), [{ ip: '192.0.2.10' }], `app-${i}`);
    }, 20_000);
    const summary = await portero.waitForLog((entry) => entry.msg === 'Ingress status written');
    assert.equal(summary.level, 'info');
    assert.equal(summary.updated, GOOD);
    assert.equal(summary.failed, 0);
    assert.equal(typeof summary.durationMs, 'number');
    assert.equal(info().filter((entry) => entry.msg === 'Ingress status written').length, 1);
    assert.equal(info().filter((entry) => entry.msg === 'status updated').length, 0);
    assert.equal(portero.entries().filter((entry) => entry.msg === 'status updated').length, GOOD, 'one debug line per write');
    for (let i = 0; i < BROKEN; i += 1) assert.deepEqual(statusOf(api, `broken-${i}`), []);
  });

  test('Events at start are rate-limited, and what was dropped is one log line', async () => {
    const dropped = await portero.waitForLog((entry) => entry.msg === 'too many Events; some are dropped');
    const events = api.store.list(api.resource('', 'events'), 'default').filter((event) => String(event.involvedObject?.name).startsWith('broken-'));
    assert.ok(events.length >= 1 && events.length <= 30, `${events.length} Events written`);
    assert.equal(Number(dropped.dropped) + Number(dropped.written), BROKEN);
    assert.equal(info().filter((entry) => entry.msg === 'too many Events; some are dropped').length, 1);
    // Problems of single objects are still logged once each when they appear (by the controller, not by status).
    assert.ok(info().length < 2 * BROKEN + 30, `${info().length} log lines at info level or above`);
  });

  test('a later change writes and logs just that one', async () => {
    api.apply(asApplied(ingress({ name: 'late', rules: [{ host: 'late.scale.test', paths: [{ service: 'app' }] }] })));
    await eventually(() => assert.deepEqual(statusOf(api, 'late'), [{ ip: '192.0.2.10' }]));
    await eventually(() => {
      const summaries = info().filter((entry) => entry.msg === 'Ingress status written');
      assert.equal(summaries.length, 2);
      assert.equal(summaries[1]!.updated, 1);
    });
  });
});
