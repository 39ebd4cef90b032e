// `bin/portero check`, run as a user runs it, on a directory of Gateway API
// objects and against the Kubernetes API test server: the status Portero
// would write for each GatewayClass, Gateway, listener and route (the same
// code Kubernetes mode writes from), the diagnostics, JSON and text, and the
// exit statuses.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { KubeApiServer } from '../kube-api-server/server.js';
import type { CheckReport } from '../../src/cli/check/report.js';
import { gateway, gatewayClass, httpRoute } from '../helpers/gateway-api-manifests.js';
import { kubeconfigFile, startApi, tempDir } from '../helpers/kube.js';
import { serviceWithEndpoints, toYaml, type Json } from '../helpers/objects.js';
import { BIN } from '../helpers/portero.js';

function portero(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env: { ...process.env, KUBECONFIG: '' }, timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof (error as { code?: unknown }).code === 'number' ? (error as { code: number }).code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

const OBJECTS: Json[] = [
  ...serviceWithEndpoints({ name: 'app', endpoints: [{ address: '127.0.0.2', port: 8080 }] }),
  gatewayClass('portero'),
  gateway('gw'),
  httpRoute('web', { hostnames: ['web.check.test'] }),
];
const BROKEN = httpRoute('broken', { service: 'nonexistent' });

describe('portero check', () => {
  let good: string;
  let bad: string;
  let api: KubeApiServer;

  before(async () => {
    good = await tempDir('portero-check-');
    bad = await tempDir('portero-check-');
    await writeFile(join(good, 'all.yaml'), toYaml(OBJECTS));
    await writeFile(join(bad, 'all.yaml'), toYaml([...OBJECTS, BROKEN]));
    api = await startApi();
    for (const object of [...OBJECTS, BROKEN]) api.apply(object);
  });

  after(async () => {
    await api?.close();
  });

  test('everything accepted and resolved: exit 0, the status in JSON as Kubernetes mode writes it', async () => {
    const run = await portero(['check', '--manifests', good, '-o', 'json']);
    assert.equal(run.code, 0, run.stderr + run.stdout);
    const report = JSON.parse(run.stdout) as CheckReport;
    assert.equal(report.gateways.length, 1);
    assert.equal(report.gateways[0]!.status.listeners[0]!.attachedRoutes, 1);
    assert.equal(report.routes[0]!.status.parents[0]!.conditions.find((c) => c.type === 'Accepted')?.status, 'True');
  });

  test('a route with a missing backend: exit 1, its condition and the diagnostic in text', async () => {
    const run = await portero(['check', '--manifests', bad]);
    assert.equal(run.code, 1);
    assert.match(run.stdout, /^Gateway default\/gw: Accepted=True, Programmed=True$/m);
    assert.match(run.stdout, /^  listener http: attachedRoutes=2; /m);
    assert.match(run.stdout, /^HTTPRoute default\/broken → default\/gw: Accepted=True, ResolvedRefs=False \(BackendNotFound: /m);
  });

  test('from the Kubernetes API with a kubeconfig', async () => {
    const run = await portero(['check', '--kubeconfig', await kubeconfigFile(api), '-o', 'json']);
    assert.equal(run.code, 1, run.stderr);
    const report = JSON.parse(run.stdout) as CheckReport;
    assert.deepEqual(report.routes.map((route) => route.name).sort(), ['broken', 'web']);
  });

  test('usage errors: exit 2', async () => {
    assert.equal((await portero(['check', '--manifests', '/nonexistent'])).code, 2);
    assert.equal((await portero(['check', '--manifests', good, '--kubeconfig', 'x'])).code, 2);
  });
});
