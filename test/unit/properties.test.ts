// Property-based tests (fast-check):
// - for any set of Ingresses and any request, the rendered maps route the
//   request exactly where the reference matcher says the Ingress rules send it;
// - whatever strings the objects hold, translate + render never throw and
//   never emit a line that is not made of safe tokens.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { renderConfig } from '../../src/dataplane/haproxy/render-config.js';
import { backendName, renderFiles } from '../../src/dataplane/haproxy/render-files.js';
import { BackendNames, structureFor } from '../../src/dataplane/haproxy/structure.js';
import { matchRequest } from '../../src/model/match.js';
import { decodeObject } from '../../src/objects/decode.js';
import type { KubeObject } from '../../src/objects/types.js';
import { translate } from '../../src/translate/translate.js';
import { simulateMaps } from '../helpers/map-simulator.js';
import { ingress, serviceWithEndpoints, type Json } from '../helpers/objects.js';
import { BASE_OPTIONS, snapshotOf, translateJson } from '../helpers/translate.js';

const hosts = fc.constantFrom(undefined, 'a.test', 'b.test', '*.test', '*.a.test', 'x.a.test');
const segment = fc.constantFrom('a', 'b', 'ab', 'c', '');
const path = fc.array(segment, { minLength: 0, maxLength: 3 }).map((parts) => `/${parts.join('/')}`);
const pathType = fc.constantFrom('Exact', 'Prefix', 'ImplementationSpecific');
const services = ['s0', 's1', 's2', 's3'];

const ingressArb = fc.record({
  rules: fc.array(
    fc.record({
      host: hosts,
      paths: fc.array(fc.record({ path, pathType, service: fc.constantFrom(...services) }), { minLength: 1, maxLength: 4 }),
    }),
    { minLength: 1, maxLength: 3 },
  ),
  defaultBackend: fc.option(fc.constantFrom(...services), { nil: undefined }),
});

const requestHost = fc.constantFrom('a.test', 'A.TEST:80', 'b.test', 'c.test', 'x.test', 'x.a.test', 'y.a.test', 'z.y.a.test', 'test', '');
const requestPath = fc.tuple(fc.array(fc.constantFrom('a', 'b', 'ab', 'abc', 'c', ''), { maxLength: 4 }), fc.boolean()).map(([parts, query]) => `/${parts.join('/')}${query ? '?q=/a' : ''}`);

// Paths the API server refuses for Exact/Prefix (`//`) are left out of the generated objects.
function validPath(p: string, type: string): boolean {
  return type === 'ImplementationSpecific' || !p.includes('//');
}

describe('rendered maps agree with the Ingress rules', () => {
  test('for any Ingresses and any request', () => {
    fc.assert(
      fc.property(fc.array(ingressArb, { minLength: 1, maxLength: 4 }), fc.array(fc.tuple(requestHost, requestPath), { minLength: 1, maxLength: 20 }), (specs, requests) => {
        const objects: Json[] = services.flatMap((name, i) => serviceWithEndpoints({ name, endpoints: [{ address: `10.0.0.${i + 1}`, port: 80 }] }));
        specs.forEach((spec, i) => {
          objects.push(
            ingress({
              name: `i${i}`,
              ...(spec.defaultBackend ? { defaultBackend: { service: spec.defaultBackend } } : {}),
              rules: spec.rules.map((rule) => ({ host: rule.host, paths: rule.paths.filter((p) => validPath(p.path, p.pathType)) })).filter((rule) => rule.paths.length > 0),
            }),
          );
        });
        const decoded = objects.flatMap((raw, index) => {
          const result = decodeObject(raw, { defaultNamespace: 'default', creationTimestampFor: () => new Date(Date.UTC(2026, 0, 1, 0, 0, index)).toISOString() });
          return result.status === 'ok' ? [result.object] : [];
        });
        const { model } = translate(snapshotOf(decoded), BASE_OPTIONS);
        for (const [host, p] of requests) {
          const expected = backendName(matchRequest(model, host, p)).text;
          assert.equal(simulateMaps(model, host, p), expected, `${host} ${p}`);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('arbitrary strings never reach the configuration unchecked', () => {
  const anyString = fc.oneof(fc.string({ unit: 'binary', maxLength: 40 }), fc.constantFrom('a b', 'a\nb', '#x', '"', "'", '\\', '%[src]', ';', '/a b', '*.a.test', 'a'.repeat(300)));
  test('in every field of an Ingress, a Service and an EndpointSlice', () => {
    fc.assert(
      fc.property(fc.array(anyString, { minLength: 12, maxLength: 12 }), (v) => {
        const raw: Json[] = [
          {
            apiVersion: 'networking.k8s.io/v1',
            kind: 'Ingress',
            metadata: { name: 'x', namespace: v[0] },
            spec: {
              ingressClassName: 'portero',
              tls: [{ hosts: [v[1]], secretName: v[2] }],
              rules: [{ host: v[3], http: { paths: [{ path: `/${v[4]}`, pathType: 'ImplementationSpecific', backend: { service: { name: v[5], port: { name: v[6] } } } }] } }],
            },
          },
          { apiVersion: 'v1', kind: 'Service', metadata: { name: v[5], namespace: v[0] }, spec: { ports: [{ name: v[6], port: 80 }] } },
          {
            apiVersion: 'discovery.k8s.io/v1',
            kind: 'EndpointSlice',
            metadata: { name: 'e', namespace: v[0], labels: { 'kubernetes.io/service-name': v[5] } },
            addressType: 'IPv4',
            endpoints: [{ addresses: [v[7]] }],
            ports: [{ name: v[6], port: 80 }],
          },
          ingress({ name: 'y', rules: [{ host: 'safe.test', paths: [{ path: `/${v[8]}`, pathType: 'Prefix', service: v[9] ?? 's' }] }] }),
          ingress({ name: 'z', rules: [{ host: v[10], paths: [{ path: `/${v[11]}`, pathType: 'Exact', service: 's' }] }] }),
        ];
        const objects: KubeObject[] = raw.flatMap((object) => {
          const result = decodeObject(object, { defaultNamespace: 'default', creationTimestampFor: () => '2026-01-01T00:00:00Z' });
          return result.status === 'ok' ? [result.object] : [];
        });
        const { model } = translate(snapshotOf(objects), BASE_OPTIONS);
        const settings = { stateDir: '/s', adminSocket: '/s/admin.sock', bindAddress: '127.0.0.1', httpPort: 80, httpsPort: 443, hardStopAfter: '5m', maxReloads: 8 };
        const config = renderConfig(model, settings, '/s/gen-1', new BackendNames(structureFor(model)));
        for (const line of config.split('\n')) assert.match(line, /^[\x20-\x7e]*$/);
        for (const file of renderFiles(model, '/s/gen-1')) {
          if (file.path.endsWith('.map')) {
            for (const line of file.content.split('\n').filter(Boolean)) assert.match(line, /^[\x21-\x7e]+ [\x21-\x7e]+$/);
          } else if (file.path.endsWith('.txt')) {
            for (const line of file.content.split('\n').filter(Boolean)) assert.match(line, /^[\x21-\x7e]+( [\x21-\x7e]+)*$/);
          }
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('translate is deterministic', () => {
  test('object order does not change the model', () => {
    fc.assert(
      fc.property(fc.array(ingressArb, { minLength: 1, maxLength: 4 }), fc.integer({ min: 0, max: 1000 }), (specs, seed) => {
        const objects: Json[] = specs.map((spec, i) =>
          ingress({
            name: `i${i}`,
            creationTimestamp: '2026-01-01T00:00:00Z',
            rules: spec.rules.map((rule) => ({ host: rule.host, paths: rule.paths.filter((p) => validPath(p.path, p.pathType)) })).filter((rule) => rule.paths.length > 0),
            ...(spec.defaultBackend ? { defaultBackend: { service: spec.defaultBackend } } : {}),
          }),
        );
        const valid = objects.filter((object) => decodeObject(object, { defaultNamespace: 'default', creationTimestampFor: () => '' }).status === 'ok');
        const shuffled = [...valid].sort((a, b) => ((JSON.stringify(a).length * 31 + seed) % 7) - ((JSON.stringify(b).length * 31 + seed) % 7));
        assert.deepEqual(translateJson(shuffled).model, translateJson(valid).model);
      }),
      { numRuns: 100 },
    );
  });
});

// C1: values at the edges of what the API server accepts (the longest
// namespace, Secret name, host and path; IPv6 endpoints, with a zone too)
// must all render: an object that validation accepts but a render grammar
// refuses would stop every later apply.
describe('values the API server accepts always render', () => {
  const label = (length: number, char: string) => char.repeat(length);
  const longName = (length: number) => {
    const labels: string[] = [];
    let left = length;
    while (left > 0) {
      const size = Math.min(63, left === 64 ? 62 : left);
      labels.push(label(size, String.fromCharCode(97 + (labels.length % 26))));
      left -= size + 1;
    }
    return labels.join('.').slice(0, length).replace(/\.$/, 'z');
  };
  let pem: { cert: string; key: string };
  test('the longest names, hosts and paths, and IPv6 endpoints', async () => {
    const { generateSelfSigned } = await import('../../src/tls/default-certificate.js');
    pem = await generateSelfSigned('edge.test', ['edge.test'], 30);
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 63 }),
        fc.integer({ min: 1, max: 253 }),
        fc.integer({ min: 1, max: 253 }),
        fc.integer({ min: 1, max: 1023 }),
        fc.constantFrom('fd00::1', 'fe80::1%eth0', '::ffff:10.0.0.1', '2001:db8:0:0:0:0:0:1', '10.0.0.1'),
        fc.boolean(),
        (nsLength, secretLength, hostLength, pathLength, address, wildcard) => {
          const namespace = label(nsLength, 'n');
          const secretName = longName(secretLength);
          const host = wildcard ? `*.${longName(Math.max(1, hostLength - 2))}` : longName(hostLength);
          const path = `/${'p'.repeat(pathLength)}`;
          const raw: Json[] = [
            { apiVersion: 'v1', kind: 'Secret', type: 'kubernetes.io/tls', metadata: { name: secretName, namespace }, stringData: { 'tls.crt': pem.cert, 'tls.key': pem.key } },
            { apiVersion: 'v1', kind: 'Service', metadata: { name: label(63, 's'), namespace }, spec: { ports: [{ name: 'http', port: 65535 }] } },
            {
              apiVersion: 'discovery.k8s.io/v1',
              kind: 'EndpointSlice',
              metadata: { name: 'e', namespace, labels: { 'kubernetes.io/service-name': label(63, 's') } },
              addressType: address.includes(':') && !address.startsWith('::ffff') ? 'IPv6' : address.includes(':') ? 'IPv6' : 'IPv4',
              endpoints: [{ addresses: [address] }],
              ports: [{ name: 'http', port: 65535 }],
            },
            {
              apiVersion: 'networking.k8s.io/v1',
              kind: 'Ingress',
              metadata: { name: longName(253), namespace },
              spec: {
                ingressClassName: 'portero',
                tls: [{ hosts: [host], secretName }],
                rules: [{ host, http: { paths: [{ path, pathType: 'Exact', backend: { service: { name: label(63, 's'), port: { number: 65535 } } } }, { path, pathType: 'Prefix', backend: { service: { name: label(63, 's'), port: { name: 'http' } } } }] } }],
              },
            },
          ];
          const objects = raw.flatMap((object) => {
            const result = decodeObject(object, { defaultNamespace: 'default', creationTimestampFor: () => '2026-01-01T00:00:00Z' });
            return result.status === 'ok' ? [result.object] : [];
          });
          const { model } = translate(snapshotOf(objects), BASE_OPTIONS);
          const names = new BackendNames(structureFor(model));
          const settings = { stateDir: '/s', adminSocket: '/s/admin.sock', bindAddress: '127.0.0.1', httpPort: 80, httpsPort: 443, hardStopAfter: '5m', maxReloads: 8 };
          renderConfig(model, settings, '/s/gen-1', names);
          const files = renderFiles(model, '/s/gen-1', names);
          for (const file of files) assert.ok(file.path.split('/').every((part) => Buffer.byteLength(part) <= 255), file.path);
        },
      ),
      { numRuns: 200 },
    );
  });
});
