// src/telemetry/served.ts on hand-built models: which series each part of a
// model makes, that they go when their object goes, and that parts of a
// model that are the same objects as last time are not recomputed.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Registry } from 'prom-client';
import type { Backend, Certificate, HostLevel, Model } from '../../src/model/model.js';
import { generateSelfSigned } from '../../src/tls/default-certificate.js';
import { inspectKeyPair } from '../../src/tls/inspect.js';
import { ServedMetrics, servedDefaultSecret } from '../../src/telemetry/served.js';
import { samples } from '../helpers/promql.js';

function backend(namespace: string, service: string, port: number, endpoints: number, digest?: string): Backend {
  const id = `${namespace}_${service}_${port}${digest ? `.${digest}` : ''}`;
  return { id, namespace, service, port, endpoints: Array.from({ length: endpoints }, (_, i) => ({ address: `10.0.0.${i + 1}`, port: 8080 })) };
}

function model(parts: Partial<Model>): Model {
  return { levels: [], backends: [], catchAll: { kind: 'not-found' }, defaultCertificate: { id: 'default', pem: 'generated', hosts: [] }, certificates: [], redirectHosts: [], ...parts };
}

async function certificate(id: string, days: number): Promise<{ certificate: Certificate; notAfter: number }> {
  const made = await generateSelfSigned('served.test', ['served.test'], days);
  const inspected = inspectKeyPair(made.cert, made.key);
  assert.ok(inspected.ok);
  return { certificate: { id, pem: inspected.info.pem, hosts: ['served.test'] }, notAfter: Math.floor(inspected.info.notAfter.getTime() / 1000) };
}

async function series(registry: Registry, name: string): Promise<string[]> {
  return samples(await registry.metrics(), name)
    .map((sample) => `${Object.entries(sample.labels).map(([key, value]) => `${key}=${value}`).join(',')} ${sample.value}`)
    .sort();
}

describe('served metrics', () => {
  test('backends by section, ready endpoints per Service port, removed when gone', async () => {
    const registry = new Registry();
    const served = new ServedMetrics(registry);
    const web = backend('shop', 'web', 80, 2);
    const featured = backend('shop', 'web', 80, 2, 'abcdef0123');
    const api = backend('shop', 'api', 8080, 0);
    const sections = new Map([[web.id, web.id], [featured.id, 'portero:spare:0'], [api.id, 'portero:spare:1']]);
    served.update(model({ backends: [web, featured, api] }), { nameOf: (id) => sections.get(id) });
    assert.deepEqual(await series(registry, 'portero_backend_info'), [
      'proxy=portero:spare:0,namespace=shop,service=web,port=80 1',
      'proxy=portero:spare:1,namespace=shop,service=api,port=8080 1',
      'proxy=shop_web_80,namespace=shop,service=web,port=80 1',
    ]);
    assert.deepEqual(await series(registry, 'portero_service_ready_endpoints'), ['namespace=shop,service=api,port=8080 0', 'namespace=shop,service=web,port=80 2']);

    served.update(model({ backends: [web] }), { nameOf: (id) => sections.get(id) });
    assert.deepEqual(await series(registry, 'portero_backend_info'), ['proxy=shop_web_80,namespace=shop,service=web,port=80 1']);
    assert.deepEqual(await series(registry, 'portero_service_ready_endpoints'), ['namespace=shop,service=web,port=80 2']);
  });

  test('hosts: routes, canaries, weighted candidates, fallbacks, passthrough and the catch-all', async () => {
    const registry = new Registry();
    const served = new ServedMetrics(registry);
    const target = (id: string) => ({ kind: 'backend' as const, id });
    const levels: HostLevel[] = [
      {
        host: 'shop.example.com',
        routes: [
          { match: 'prefix', path: '', target: target('shop_web_80'), canary: { target: target('shop_web-canary_80.abcdef0123'), weight: 10 } },
          { match: 'exact', path: '/api', target: { kind: 'invalid' }, candidates: [{ split: [{ target: target('shop_api_80'), weight: 1 }, { target: target('shop_unused_80'), weight: 0 }] }] },
        ],
        fallback: { kind: 'not-found' },
      },
      { host: '*.example.com|gw-scope', routes: [], fallback: target('shop_wild_80') },
      { host: '', routes: [], fallback: target('default_fallback_80') },
    ];
    served.update(model({ levels, passthrough: [{ host: 'tls.example.com', target: target('shop_tls_443') }], catchAll: target('default_catch_80') }), undefined);
    assert.deepEqual(await series(registry, 'portero_host_service_info'), [
      'host=*.example.com,namespace=shop,service=wild,port=80 1',
      'host=_,namespace=default,service=catch,port=80 1',
      'host=_,namespace=default,service=fallback,port=80 1',
      'host=shop.example.com,namespace=shop,service=api,port=80 1',
      'host=shop.example.com,namespace=shop,service=web,port=80 1',
      'host=shop.example.com,namespace=shop,service=web-canary,port=80 1',
      'host=tls.example.com,namespace=shop,service=tls,port=443 1',
    ]);
  });

  test('certificate expiry: Secrets by namespace and name, the default one only when it is a Secret', async () => {
    const registry = new Registry();
    const served = new ServedMetrics(registry);
    const site = await certificate('shop_web-tls', 10);
    const fallback = await certificate('default', 30);
    const settings = { defaultSslCertificate: { namespace: 'infra', name: 'wildcard' }, fallbackCertificatePem: 'generated' };

    const generated = model({ certificates: [site.certificate] });
    served.update(generated, undefined, servedDefaultSecret(generated, settings));
    assert.deepEqual(await series(registry, 'portero_certificate_expiry_timestamp_seconds'), [`certificate=shop_web-tls,namespace=shop,secret=web-tls ${site.notAfter}`]);

    const fromSecret = model({ certificates: [site.certificate], defaultCertificate: fallback.certificate });
    served.update(fromSecret, undefined, servedDefaultSecret(fromSecret, settings));
    assert.deepEqual(await series(registry, 'portero_certificate_expiry_timestamp_seconds'), [
      `certificate=default,namespace=infra,secret=wildcard ${fallback.notAfter}`,
      `certificate=shop_web-tls,namespace=shop,secret=web-tls ${site.notAfter}`,
    ]);

    served.update(model({}), undefined, undefined);
    assert.deepEqual(await series(registry, 'portero_certificate_expiry_timestamp_seconds'), []);
  });

  test('parts of the model that are the same objects as last time are not described again', async () => {
    const registry = new Registry();
    const served = new ServedMetrics(registry);
    const backends = [backend('shop', 'web', 80, 1)];
    const levels: HostLevel[] = [{ host: 'a.test', routes: [], fallback: { kind: 'backend', id: 'shop_web_80' } }];
    let asked = 0;
    const names = { nameOf: (id: string) => ((asked += 1), id) };
    served.update(model({ backends, levels }), names);
    served.update(model({ backends, levels }), names);
    assert.equal(asked, 1);
    served.update(model({ backends: [backend('shop', 'web', 80, 3)], levels }), names);
    assert.equal(asked, 2);
    assert.deepEqual(await series(registry, 'portero_service_ready_endpoints'), ['namespace=shop,service=web,port=80 3']);
  });
});
