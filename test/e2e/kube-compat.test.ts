// Against a minimal API server that refuses field selectors and PATCH,
// Portero still reads TLS Secrets (it lists Secrets without a selector and
// decides by type itself) and still writes status (with read-modify-write
// PUTs).

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { generateSelfSigned } from '../../src/tls/default-certificate.js';
import type { KubeApiServer } from '../kube-api-server/server.js';
import { startBackend, type Backend } from '../helpers/backends.js';
import { request } from '../helpers/http.js';
import { kubeconfigFile, startApi } from '../helpers/kube.js';
import { ingress, serviceWithEndpoints, tlsSecret } from '../helpers/objects.js';
import { eventually, startPortero, type Portero } from '../helpers/portero.js';

describe('a minimal API server', () => {
  let api: KubeApiServer;
  let portero: Portero;
  let app: Backend;

  before(async () => {
    api = await startApi({ minimal: true });
    app = await startBackend('app');
    const certificate = await generateSelfSigned('compat.test', ['compat.test'], 30);
    for (const object of [
      ...serviceWithEndpoints({ name: 'app', endpoints: [app] }),
      tlsSecret('compat', certificate.cert, certificate.key),
      { apiVersion: 'v1', kind: 'Secret', type: 'Opaque', metadata: { name: 'compat' , namespace: 'kube-system' }, stringData: { 'tls.crt': 'not for us', 'tls.key': 'x' } },
      ingress({ name: 'compat', tls: [{ hosts: ['compat.test'], secretName: 'compat' }], rules: [{ host: 'compat.test', paths: [{ service: 'app' }] }] }),
    ]) api.apply(object);
    portero = await startPortero({ kube: { kubeconfig: await kubeconfigFile(api) }, flags: ['--publish-status-address', '192.0.2.10'] });
  });

  after(async () => {
    await portero?.dispose();
    await api?.close();
    await app?.close();
  });

  test('TLS Secrets are read without a field selector', async () => {
    const response = await request({ port: portero.httpsPort, host: 'compat.test', tls: true });
    assert.equal(response.certificate?.subject?.CN, 'compat.test');
    const secrets = api.requests.filter((entry) => entry.resource === 'secrets');
    assert.ok(secrets.length > 0);
    for (const entry of secrets) assert.equal(entry.query.fieldSelector, undefined);
  });

  test('status is written with PUT when PATCH is refused', async () => {
    await eventually(() => assert.equal(api.get('networking.k8s.io/v1', 'Ingress', 'default', 'compat')?.status?.loadBalancer?.ingress?.[0]?.ip, '192.0.2.10'));
    assert.ok(api.requests.some((entry) => entry.verb === 'update' && entry.subresource === 'status' && entry.status === 200));
  });
});
