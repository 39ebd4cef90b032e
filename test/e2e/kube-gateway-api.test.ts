// Kubernetes mode and the Gateway API kinds, through the API test server:
// without the CRDs Portero serves Ingresses and says so once; CRDs installed
// while it runs are picked up without a restart; objects created through the
// API reach the store (portero_objects); invalid ones are left out, loudly;
// a missing RBAC rule for them is not fatal either; --watch-namespace holds.

import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import type { KubeApiServer } from '../kube-api-server/server.js';
import { startBackend, type Backend } from '../helpers/backends.js';
import { gateway, gatewayClass, GATEWAY_V1BETA1, grpcRoute, httpRoute, namespace, referenceGrant } from '../helpers/gateway-api-manifests.js';
import { whoAnswers } from '../helpers/http.js';
import { kubeconfigFile, startApi } from '../helpers/kube.js';
import { appOn, ingressClass } from '../helpers/objects.js';
import { eventually, startPortero, type Portero } from '../helpers/portero.js';

const NOT_INSTALLED = 'Gateway API CRDs not installed; serving Ingress only';
const GATEWAY_KINDS = ['GatewayClass', 'Gateway', 'HTTPRoute', 'GRPCRoute', 'ReferenceGrant'];
const counts = async (portero: Portero, kinds: string[]) => Promise.all(kinds.map((kind) => portero.metric(`portero_objects{kind="${kind}"}`)));
// Rechecks every few hundred milliseconds, so that a test sees several of them.
const env = { POD_NAMESPACE: 'default', POD_NAME: 'portero-0', PORTERO_DISCOVERY_INTERVAL: '200ms' };
// A static status address: no node lookups (and their warnings) in these tests.
const flags = ['--publish-status-address', '192.0.2.10'];

describe('Kubernetes mode: Gateway API CRDs absent at start, installed later', () => {
  let api: KubeApiServer;
  let portero: Portero;
  let backend: Backend;

  before(async () => {
    api = await startApi({ gatewayApi: false });
    backend = await startBackend('app');
    for (const object of [ingressClass('portero', 'portero.dev/ingress-controller'), ...appOn('shop.kube.test', [backend])]) api.apply(object);
    portero = await startPortero({ kube: { kubeconfig: await kubeconfigFile(api) }, flags, env });
  });

  after(async () => {
    await portero?.dispose();
    await api?.close();
    await backend?.close();
  });

  test('without the CRDs Portero starts, serves Ingresses and logs one info line', async () => {
    assert.equal(await whoAnswers(portero.httpPort, 'shop.kube.test', '/'), 'app');
    const line = await portero.waitForLog((entry) => entry.msg === NOT_INSTALLED);
    assert.equal(line.level, 'info');
    // Several rechecks later, still one line, and no warnings about it.
    await sleep(1000);
    assert.equal(portero.entries().filter((entry) => entry.msg === NOT_INSTALLED).length, 1);
    assert.ok(!portero.entries().some((entry) => entry.level === 'warn' || entry.level === 'error'), portero.logs.join('\n'));
    assert.deepEqual(await counts(portero, GATEWAY_KINDS), [0, 0, 0, 0, 0]);
    // Namespaces are read all the same (core kind).
    assert.equal(await portero.metric('portero_objects{kind="Namespace"}'), 3);
  });

  test('once the CRDs are installed, objects created through the API reach the store', async () => {
    api.installGatewayApi();
    api.apply(namespace('team-a', { team: 'a' }));
    for (const object of [gatewayClass('portero'), gateway('gw'), httpRoute('web', { hostnames: ['web.kube.test'] }), grpcRoute('rpc'), referenceGrant('grant', 'team-a', 'default', GATEWAY_V1BETA1)]) api.apply(object);
    await eventually(async () => assert.deepEqual(await counts(portero, GATEWAY_KINDS), [1, 1, 1, 1, 1]), 15_000);
    assert.equal(await portero.metric('portero_objects{kind="Namespace"}'), 4);
    await portero.waitForLog((entry) => entry.msg === 'these kinds are served and may be listed now; reading them');
    // Through v1beta1 too, as older clients write them.
    api.apply(httpRoute('old', { apiVersion: GATEWAY_V1BETA1 }));
    await eventually(async () => assert.equal(await portero.metric('portero_objects{kind="HTTPRoute"}'), 2));
    assert.equal(await whoAnswers(portero.httpPort, 'shop.kube.test', '/'), 'app', 'Ingresses are still served');
  });

  test('changes and deletions follow; an object the API took but Portero cannot read is left out, loudly', async () => {
    api.delete('gateway.networking.k8s.io/v1', 'HTTPRoute', 'default', 'old');
    await eventually(async () => assert.equal(await portero.metric('portero_objects{kind="HTTPRoute"}'), 1));
    // The API test server does not apply the CRD's rules; Portero does.
    const bad = httpRoute('web', { hostnames: ['web.kube.test'] });
    (bad.spec as any).rules[0].matches[0].path.value = 'no-slash';
    api.apply(bad);
    const line = await portero.waitForLog((entry) => entry.msg === 'object cannot be read; it is left out' && entry.object === 'HTTPRoute default/web');
    assert.match(JSON.stringify(line.errors), /spec\.rules\[0\]\.matches\[0\]\.path\.value: Invalid value: value must be an absolute path/);
    await eventually(async () => assert.equal(await portero.metric('portero_objects{kind="HTTPRoute"}'), 0));
    api.apply(httpRoute('web'));
    await eventually(async () => assert.equal(await portero.metric('portero_objects{kind="HTTPRoute"}'), 1));
  });
});

describe('Kubernetes mode: Gateway API present at start, with --watch-namespace', () => {
  let api: KubeApiServer;
  let portero: Portero;

  before(async () => {
    api = await startApi();
    for (const name of ['apps', 'other']) api.apply(namespace(name));
    for (const object of [gatewayClass('portero'), gateway('gw', { namespace: 'apps' }), gateway('gw', { namespace: 'other' }), httpRoute('web', { namespace: 'apps' }), httpRoute('web', { namespace: 'other' })]) api.apply(object);
    portero = await startPortero({ kube: { kubeconfig: await kubeconfigFile(api) }, flags: [...flags, '--watch-namespace', 'apps'], env });
  });

  after(async () => {
    await portero?.dispose();
    await api?.close();
  });

  test('objects present at start are in the store once Portero is ready; namespaced kinds only from the watched namespace', async () => {
    assert.deepEqual(await counts(portero, ['GatewayClass', 'Gateway', 'HTTPRoute', 'Namespace']), [1, 1, 1, 5]);
    assert.ok(!portero.entries().some((entry) => entry.msg === NOT_INSTALLED));
    const paths = api.requests.filter((entry) => entry.path.includes('gateway.networking.k8s.io') && entry.query.watch === 'true').map((entry) => entry.path);
    assert.ok(paths.includes('/apis/gateway.networking.k8s.io/v1/namespaces/apps/httproutes'), paths.join(', '));
    assert.ok(paths.includes('/apis/gateway.networking.k8s.io/v1/gatewayclasses'), paths.join(', '));
  });
});

describe('Kubernetes mode: no RBAC permission for the Gateway API kinds', () => {
  let api: KubeApiServer;
  let portero: Portero;
  let backend: Backend;
  let allow: () => void;

  before(async () => {
    api = await startApi();
    backend = await startBackend('app');
    for (const object of [ingressClass('portero', 'portero.dev/ingress-controller'), ...appOn('shop.kube.test', [backend]), gatewayClass('portero'), gateway('gw')]) api.apply(object);
    allow = api.forbid('/gateway.networking.k8s.io/');
    portero = await startPortero({ kube: { kubeconfig: await kubeconfigFile(api) }, flags, env });
  });

  after(async () => {
    await portero?.dispose();
    await api?.close();
    await backend?.close();
  });

  test('Portero starts and serves Ingresses, with one warning per kind it may not list', async () => {
    assert.equal(await whoAnswers(portero.httpPort, 'shop.kube.test', '/'), 'app');
    await sleep(800);
    const warnings = portero.entries().filter((entry) => entry.msg === 'no permission to list this kind (RBAC, see deploy/); its objects are not read until it is granted');
    assert.deepEqual(warnings.map((entry) => entry.kind).sort(), [...GATEWAY_KINDS].sort());
    assert.deepEqual(await counts(portero, ['GatewayClass', 'Gateway']), [0, 0]);
  });

  test('once the permission is granted, the objects are read', async () => {
    allow();
    await eventually(async () => assert.deepEqual(await counts(portero, ['GatewayClass', 'Gateway']), [1, 1]), 15_000);
  });
});
