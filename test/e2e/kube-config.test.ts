// Reaching the API: in-cluster config from a service-account directory
// (HTTPS with the cluster CA, a bearer token that rotates), kubeconfig with
// client certificates, and errors that name the API path and the Status.

import assert from 'node:assert/strict';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { KubeApiServer } from '../kube-api-server/server.js';
import { startBackend, type Backend } from '../helpers/backends.js';
import { whoAnswers } from '../helpers/http.js';
import { b64, kubeconfigFile, makePki, tempDir, type Pki } from '../helpers/kube.js';
import { appOn, ingress } from '../helpers/objects.js';
import { eventually, startPortero, type Portero } from '../helpers/portero.js';

let pki: Pki;
let app: Backend;

before(async () => {
  pki = await makePki();
  app = await startBackend('app');
});

after(async () => {
  await app?.close();
});

function seed(api: KubeApiServer, name: string): void {
  for (const object of appOn(`${name}.config.test`, [app], name)) api.apply(object);
}

describe('in-cluster config', () => {
  let api: KubeApiServer;
  let portero: Portero;
  let accountDir: string;
  const tokens = ['token-1'];

  before(async () => {
    api = await new KubeApiServer({ tls: pki.server, tokens, bookmarkIntervalMs: 200 }).start();
    seed(api, 'incluster');
    accountDir = await tempDir('portero-serviceaccount-');
    await writeFile(join(accountDir, 'token'), 'token-1\n');
    await writeFile(join(accountDir, 'ca.crt'), pki.ca.cert);
    await writeFile(join(accountDir, 'namespace'), 'default\n');
    portero = await startPortero({
      kube: {},
      flags: ['--publish-status-address', '192.0.2.10'],
      env: { KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: new URL(api.url).port, PORTERO_SERVICE_ACCOUNT_DIR: accountDir },
    });
  });

  after(async () => {
    await portero?.dispose();
    await api?.close();
    await rm(accountDir, { recursive: true, force: true });
  });

  test('reads the token and the cluster CA from the service-account directory', async () => {
    assert.equal(await whoAnswers(portero.httpPort, 'incluster.config.test', '/'), 'app');
    await portero.waitForLog((entry) => String(entry.source ?? '').startsWith('in-cluster service account'));
  });

  test('a rotated token is read again', async () => {
    tokens.splice(0, tokens.length, 'token-2');
    await writeFile(join(accountDir, 'token'), 'token-2\n');
    api.closeWatches();
    api.apply(ingress({ name: 'rotated', rules: [{ host: 'rotated.config.test', paths: [{ service: 'app' }] }] }));
    await eventually(async () => assert.equal(await whoAnswers(portero.httpPort, 'rotated.config.test', '/'), 'app'), 20_000);
    assert.ok(api.requests.some((entry) => entry.status === 401), 'the old token was refused at least once');
  });
});

describe('kubeconfig with a client certificate and the CA as data', () => {
  let api: KubeApiServer;
  let portero: Portero;

  before(async () => {
    api = await new KubeApiServer({ tls: pki.server, clientCA: pki.ca.cert, tokens: [], bookmarkIntervalMs: 200 }).start();
    seed(api, 'clientcert');
    const kubeconfig = await kubeconfigFile(api, { 'client-certificate-data': b64(pki.client.cert), 'client-key-data': b64(pki.client.key) }, { 'certificate-authority-data': b64(pki.ca.cert) });
    portero = await startPortero({ kube: { kubeconfig }, flags: ['--publish-status-address', '192.0.2.10'] });
  });

  after(async () => {
    await portero?.dispose();
    await api?.close();
  });

  test('authenticates with the certificate and verifies the server with the CA', async () => {
    assert.equal(await whoAnswers(portero.httpPort, 'clientcert.config.test', '/'), 'app');
    assert.ok(api.requests.every((entry) => entry.status !== 401));
  });
});

describe('kubeconfig with files, a token file and insecure-skip-tls-verify', () => {
  let api: KubeApiServer;
  let portero: Portero;
  let directory: string;

  before(async () => {
    api = await new KubeApiServer({ tls: pki.server, tokens: ['from-file'], bookmarkIntervalMs: 200 }).start();
    seed(api, 'insecure');
    directory = await tempDir('portero-kubeconfig-files-');
    await mkdir(join(directory, 'secrets'));
    await writeFile(join(directory, 'secrets', 'token'), 'from-file');
    const path = join(directory, 'config');
    await writeFile(path, api.kubeconfig({ tokenFile: 'secrets/token' }, { 'insecure-skip-tls-verify': true }));
    portero = await startPortero({ kube: { kubeconfig: path }, flags: ['--publish-status-address', '192.0.2.10'] });
  });

  after(async () => {
    await portero?.dispose();
    await api?.close();
    await rm(directory, { recursive: true, force: true });
  });

  test('reads the token file relative to the kubeconfig', async () => {
    assert.equal(await whoAnswers(portero.httpPort, 'insecure.config.test', '/'), 'app');
  });
});

describe('errors', () => {
  test('a refused token is reported with the API path and the Status message, and Portero keeps trying', async () => {
    const api = await new KubeApiServer({ tls: pki.server, tokens: ['right'] }).start();
    const kubeconfig = await kubeconfigFile(api, { token: 'wrong' }, { 'certificate-authority-data': b64(pki.ca.cert) });
    const portero = await startPortero({ kube: { kubeconfig }, noWait: true });
    try {
      const entry = await portero.waitForLog((line) => line.msg === 'watch failed; retrying');
      assert.match(String(entry.err), /^GET \/apis?\/[^:]+: 401 Unauthorized: Unauthorized$/);
      assert.notEqual(await portero.health('/readyz'), 200);
      assert.equal(portero.child.exitCode, null);
    } finally {
      await portero.dispose();
      await api.close();
    }
  });

  test('without any kubeconfig or in-cluster environment, Portero says what to pass', async () => {
    const portero = await startPortero({ kube: {}, noWait: true, env: { KUBERNETES_SERVICE_HOST: '', KUBERNETES_SERVICE_PORT: '' } });
    try {
      const result = await portero.exit;
      assert.equal(result.code, 1);
      assert.match(portero.logs.join('\n'), /pass --kubeconfig FILE or set KUBECONFIG/);
    } finally {
      await portero.dispose();
    }
  });
});
