// The ingress-nginx ConfigMap (--configmap) through real HAProxy, in
// manifests mode: the global body limit and an annotation replacing it,
// HSTS on HTTPS only, ssl-redirect off globally, a bad value reported and
// ignored, and a live change of the ConfigMap. Started as a migrating
// cluster runs Portero: class nginx, controller k8s.io/ingress-nginx.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { generateSelfSigned } from '../../src/tls/default-certificate.js';
import { startBackend, type Backend } from '../helpers/backends.js';
import { request } from '../helpers/http.js';
import { ingress, ingressClass, serviceWithEndpoints, tlsSecret, type Json } from '../helpers/objects.js';
import { eventually, startPortero, type Portero } from '../helpers/portero.js';

const A = 'nginx.ingress.kubernetes.io';

function configMap(data: Record<string, string>): Json {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace: 'ingress-nginx', name: 'ingress-nginx-controller' }, data };
}

function annotated(name: string, host: string, annotations: Record<string, string>, extra: Partial<Parameters<typeof ingress>[0]> = {}): Json {
  return ingress({ name, className: 'nginx', annotations, rules: [{ host, paths: [{ service: 'app' }] }], ...extra });
}

const FIRST = {
  'proxy-body-size': '1k',
  'ssl-redirect': 'false',
  hsts: 'true',
  'hsts-max-age': '600',
  'proxy-read-timeout': 'sixty',
  'no-such-key': 'x',
};

describe('the ingress-nginx ConfigMap (--configmap)', () => {
  let portero: Portero;
  let app: Backend;

  before(async () => {
    app = await startBackend('app');
    const site = await generateSelfSigned('tls.cm.test', ['tls.cm.test'], 30);
    portero = await startPortero({
      flags: ['--ingress-class', 'nginx', '--controller-class', 'k8s.io/ingress-nginx', '--configmap', 'ingress-nginx/ingress-nginx-controller'],
      files: {
        'class.yaml': [ingressClass('nginx', 'k8s.io/ingress-nginx')],
        'configmap.yaml': [configMap(FIRST)],
        'app.yaml': serviceWithEndpoints({ name: 'app', endpoints: [app] }),
        'secret.yaml': [tlsSecret('site', site.cert, site.key)],
        'ingresses.yaml': [
          annotated('plain', 'plain.cm.test', {}),
          annotated('big', 'big.cm.test', { [`${A}/proxy-body-size`]: '8k' }),
          annotated('tls', 'tls.cm.test', {}, { tls: [{ hosts: ['tls.cm.test'], secretName: 'site' }] }),
          // Legacy class annotation, no spec.ingressClassName: served under class takeover.
          ingress({ name: 'legacy', className: null, annotations: { 'kubernetes.io/ingress.class': 'nginx' }, rules: [{ host: 'legacy.cm.test', paths: [{ service: 'app' }] }] }),
          ingress({ name: 'other', className: null, annotations: { 'kubernetes.io/ingress.class': 'traefik' }, rules: [{ host: 'other.cm.test', paths: [{ service: 'app' }] }] }),
          annotated('redirected', 'redirected.cm.test', { [`${A}/ssl-redirect`]: 'true' }, { tls: [{ hosts: ['redirected.cm.test'], secretName: 'site' }] }),
        ],
      },
    });
  });

  after(async () => {
    await portero?.dispose();
    await app?.close();
  });

  const post = (host: string, bytes: number) => request({ port: portero.httpPort, host, method: 'POST', path: '/', body: 'x'.repeat(bytes) });

  test('proxy-body-size: the global limit answers 413 on Ingresses without the annotation', async () => {
    assert.equal((await post('plain.cm.test', 1025)).status, 413);
    assert.equal((await post('plain.cm.test', 1024)).status, 200);
  });

  test('an annotation replaces the global proxy-body-size', async () => {
    assert.equal((await post('big.cm.test', 4096)).status, 200);
    assert.equal((await post('big.cm.test', 8193)).status, 413);
  });

  test('ssl-redirect "false" globally: TLS hosts serve plain HTTP; the annotation turns the redirect back on', async () => {
    assert.equal((await request({ port: portero.httpPort, host: 'tls.cm.test', path: '/' })).status, 200);
    assert.equal((await request({ port: portero.httpPort, host: 'redirected.cm.test', path: '/' })).status, 308);
  });

  test('hsts: Strict-Transport-Security on HTTPS responses only', async () => {
    const https = await request({ port: portero.httpsPort, tls: true, host: 'tls.cm.test', path: '/' });
    assert.equal(https.status, 200);
    assert.equal(https.headers['strict-transport-security'], 'max-age=600; includeSubDomains');
    const http = await request({ port: portero.httpPort, host: 'tls.cm.test', path: '/' });
    assert.equal(http.headers['strict-transport-security'], undefined);
  });

  test('a bad value and an unknown key are reported once, naming the key and value; the rest applies', async () => {
    await portero.waitForLog((entry) => entry.field === 'data["proxy-read-timeout"]' && String(entry.msg).includes('"sixty"') && String(entry.msg).includes('the key is ignored'));
    await portero.waitForLog((entry) => entry.field === 'data["no-such-key"]');
    const count = portero.entries().filter((entry) => entry.field === 'data["proxy-read-timeout"]').length;
    assert.equal(count, 1);
    // Still served with the default server timeout.
    assert.equal((await request({ port: portero.httpPort, host: 'plain.cm.test', path: '/delay?ms=1200' })).status, 200);
  });

  test('class takeover: the nginx IngressClass and the legacy kubernetes.io/ingress.class: nginx annotation are served', async () => {
    assert.equal((await request({ port: portero.httpPort, host: 'plain.cm.test', path: '/' })).status, 200);
    assert.equal((await request({ port: portero.httpPort, host: 'legacy.cm.test', path: '/' })).status, 200);
    assert.equal((await request({ port: portero.httpPort, host: 'other.cm.test', path: '/' })).status, 404);
  });

  test('a live change of the ConfigMap applies (with a reload for the globals)', async () => {
    await portero.write('configmap.yaml', [configMap({ 'proxy-body-size': '2k', 'proxy-read-timeout': '1', 'http-redirect-code': '301' })]);
    await eventually(async () => assert.equal((await post('plain.cm.test', 1500)).status, 200));
    assert.equal((await post('plain.cm.test', 2049)).status, 413);
    // ssl-redirect is back to its default (true), with the code of http-redirect-code.
    await eventually(async () => assert.equal((await request({ port: portero.httpPort, host: 'tls.cm.test', path: '/' })).status, 301));
    const https = await request({ port: portero.httpsPort, tls: true, host: 'tls.cm.test', path: '/' });
    assert.equal(https.headers['strict-transport-security'], undefined);
    // proxy-read-timeout 1: a slower upstream gets 504.
    assert.equal((await request({ port: portero.httpPort, host: 'plain.cm.test', path: '/delay?ms=2500' })).status, 504);
    await portero.waitForLog((entry) => String(entry.msg).startsWith('resolved:') && entry.field === 'data["proxy-read-timeout"]');
  });
});
