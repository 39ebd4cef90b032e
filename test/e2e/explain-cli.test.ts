// `bin/portero explain` as a user runs it: from the Kubernetes API with a
// kubeconfig (the in-repo API test server; EndpointSlices are listed, so the
// ready endpoints are named), from manifests, the exit statuses, and usage
// errors.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Explanation } from '../../src/explain/types.js';
import type { KubeApiServer } from '../kube-api-server/server.js';
import { kubeconfigFile, startApi, tempDir } from '../helpers/kube.js';
import { ingress, serviceWithEndpoints, toYaml, type Json } from '../helpers/objects.js';
import { BIN, eventually, startPortero } from '../helpers/portero.js';

function explain(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, 'explain', ...args], { env: { ...process.env, KUBECONFIG: '' }, timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof (error as { code?: unknown }).code === 'number' ? (error as { code: number }).code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

// The API server sets creationTimestamp itself (to the second): names that sort in creation order keep "oldest wins" the same either way.
const OBJECTS: Json[] = [
  ...serviceWithEndpoints({ name: 'shop', endpoints: [{ address: '10.1.0.1', port: 8080 }, { address: '10.1.0.2', port: 8080, ready: false }] }),
  ingress({ name: 'a-shop', creationTimestamp: '2025-01-01T00:00:00Z', rules: [{ host: 'shop.example.com', paths: [{ path: '/', service: 'shop' }, { path: '/cart', pathType: 'Exact', service: 'shop' }] }] }),
  ingress({ name: 'b-late', creationTimestamp: '2025-02-01T00:00:00Z', rules: [{ host: 'shop.example.com', paths: [{ path: '/cart', pathType: 'Exact', service: 'shop' }] }] }),
];

describe('bin/portero explain', () => {
  let api: KubeApiServer;
  let directory: string;
  before(async () => {
    directory = await tempDir('portero-explain-');
    await writeFile(join(directory, 'all.yaml'), toYaml(OBJECTS));
    api = await startApi();
    for (const object of OBJECTS) api.apply(object);
  });
  after(async () => {
    await api?.close();
  });

  test('from the Kubernetes API: the route, the conflict, and the endpoints from EndpointSlices', async () => {
    const run = await explain(['--kubeconfig', await kubeconfigFile(api), '-o', 'json', 'http://shop.example.com/cart']);
    assert.equal(run.code, 0, run.stderr);
    const explanation = JSON.parse(run.stdout) as Explanation;
    assert.deepEqual(explanation.route?.source, { kind: 'Ingress', namespace: 'default', name: 'a-shop', field: 'spec.rules[0].http.paths[1]' });
    assert.deepEqual(explanation.considered.map((rule) => `${rule.source.name} ${rule.result}`), ['a-shop less-specific', 'a-shop matched', 'b-late conflict']);
    assert.deepEqual(explanation.targets[0]?.backend?.endpoints, ['10.1.0.1:8080']);
    assert.deepEqual(explanation.targets[0]?.backend?.notReady, ['10.1.0.2']);
  });

  test('from manifests, in text; exit 1 when no route takes the request', async () => {
    const routed = await explain(['--manifests', directory, '-X', 'POST', 'http://shop.example.com/cart']);
    assert.equal(routed.code, 0, routed.stderr);
    assert.match(routed.stdout, /^POST http:\/\/shop\.example\.com\/cart\n  matched: route exact "\/cart" of shop\.example\.com \(Ingress default\/a-shop spec\.rules\[0\]\.http\.paths\[1\]\)$/m);
    assert.match(routed.stdout, /conflict +shop\.example\.com Exact "\/cart" +Ingress default\/b-late/);
    const unmatched = await explain(['--manifests', directory, 'http://other.example.com/']);
    assert.equal(unmatched.code, 1);
    assert.match(unmatched.stdout, /not matched: no host level matches "other\.example\.com"/);
  });

  test('--server: a running Portero with --dashboard answers /api/explain from what it serves, and follows changes', async () => {
    const portero = await startPortero({ flags: ['--dashboard'], files: { 'all.yaml': OBJECTS } });
    try {
      const server = `http://127.0.0.1:${portero.healthPort}`;
      // The URL names Portero's own HTTP port, as a request to it would.
      const run = await explain(['--server', server, '-o', 'json', `http://shop.example.com:${portero.httpPort}/cart`]);
      assert.equal(run.code, 0, run.stdout + run.stderr);
      const explanation = JSON.parse(run.stdout) as Explanation;
      assert.deepEqual(explanation.route?.source, { kind: 'Ingress', namespace: 'default', name: 'a-shop', field: 'spec.rules[0].http.paths[1]' });
      assert.deepEqual(explanation.targets[0]?.backend?.endpoints, ['10.1.0.1:8080']);
      await portero.write('more.yaml', [ingress({ name: 'c-new', rules: [{ host: 'new.example.com', paths: [{ path: '/', service: 'shop' }] }] })]);
      await eventually(async () => {
        const after = await explain(['--server', server, '-o', 'json', `http://new.example.com:${portero.httpPort}/x`]);
        assert.equal(after.code, 0, after.stdout);
        assert.equal((JSON.parse(after.stdout) as Explanation).route?.source?.name, 'c-new');
      });
    } finally {
      await portero.dispose();
    }
  });

  test('--server: without --dashboard a running Portero does not serve /api/explain', async () => {
    const portero = await startPortero({ files: { 'all.yaml': OBJECTS } });
    try {
      const run = await explain(['--server', `http://127.0.0.1:${portero.healthPort}`, 'http://shop.example.com/cart']);
      assert.equal(run.code, 2, run.stdout);
      assert.match(run.stderr, /404|--dashboard/);
    } finally {
      await portero.dispose();
    }
  });

  test('usage errors: exit 2', async () => {
    assert.equal((await explain(['--manifests', directory])).code, 2, 'no URL');
    assert.equal((await explain(['--manifests', directory, '--kubeconfig', 'x', 'http://a/'])).code, 2);
    assert.equal((await explain(['--manifests', '/nonexistent', 'http://a/'])).code, 2);
    const header = await explain(['--manifests', directory, '-H', 'no colon', 'http://a/']);
    assert.equal(header.code, 2);
    assert.match(header.stderr, /Name: value/);
  });
});
