// decodeObject: what the API server would accept or refuse, table by table,
// with the field each problem is reported on.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeObject } from '../../src/objects/decode.js';
import { formatPath } from '../../src/objects/field-errors.js';
import { ingress, type Json } from '../helpers/objects.js';

const options = { defaultNamespace: 'default', creationTimestampFor: () => '2026-01-01T00:00:00Z' };

function errorsOf(raw: unknown): string[] {
  const result = decodeObject(raw, options);
  if (result.status !== 'invalid') return [];
  return result.errors.map((error) => `${formatPath(error.path)}: ${error.message}`);
}

function withPath(path: Record<string, unknown>): Json {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name: 'x' },
    spec: { rules: [{ host: 'a.test', http: { paths: [path] } }] },
  };
}

const service = { name: 's', port: { number: 80 } };

describe('decodeObject refuses what the API server refuses', () => {
  const cases: [string, unknown, RegExp][] = [
    ['not an object', 'text', /must be an object/],
    ['no kind', { apiVersion: 'v1', metadata: { name: 'x' } }, /^kind: Required value/],
    ['no name', { apiVersion: 'v1', kind: 'Service', metadata: {}, spec: { ports: [{ port: 80 }] } }, /^metadata\.name: Required value/],
    ['a name that is not DNS', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'Web_1' }, spec: { ports: [{ port: 80 }] } }, /^metadata\.name: Invalid value/],
    ['an invalid namespace', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'a', namespace: 'a.b' }, spec: { ports: [{ port: 80 }] } }, /^metadata\.namespace/],
    ['a wrong apiVersion', { ...ingress({ name: 'a', rules: [{ host: 'a.test', paths: [{ service: 's' }] }] }), apiVersion: 'extensions/v1beta1' }, /^apiVersion: Unsupported value.*networking\.k8s\.io\/v1/],
    ['neither rules nor defaultBackend', { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'x' }, spec: {} }, /^spec: .*either `defaultBackend` or `rules`/],
    ['a relative Prefix path', withPath({ path: 'foo', pathType: 'Prefix', backend: { service } }), /paths\[0\]\.path: .*must be an absolute path/],
    ['a relative Exact path', withPath({ path: 'foo', pathType: 'Exact', backend: { service } }), /must be an absolute path/],
    ['a relative ImplementationSpecific path', withPath({ path: 'foo', pathType: 'ImplementationSpecific', backend: { service } }), /must be an absolute path/],
    ['// in a Prefix path', withPath({ path: '/a//b', pathType: 'Prefix', backend: { service } }), /must not contain '\/\/'/],
    ['/../ in an Exact path', withPath({ path: '/a/../b', pathType: 'Exact', backend: { service } }), /must not contain '\/\.\.\/'/],
    ['%2F in a Prefix path', withPath({ path: '/a%2Fb', pathType: 'Prefix', backend: { service } }), /must not contain '%2F'/],
    ['a path ending in /.', withPath({ path: '/a/.', pathType: 'Prefix', backend: { service } }), /cannot end with '\/\.'/],
    ['no pathType', withPath({ path: '/a', backend: { service } }), /pathType: Required value/],
    ['an unknown pathType', withPath({ path: '/a', pathType: 'Regex', backend: { service } }), /pathType: Unsupported value: "Regex"/],
    ['no backend', withPath({ path: '/a', pathType: 'Prefix' }), /backend: Invalid value: resource or service backend is required/],
    ['both backends', withPath({ path: '/a', pathType: 'Prefix', backend: { service, resource: { kind: 'B', name: 'b' } } }), /cannot set both resource and service/],
    ['both port name and number', withPath({ path: '/a', pathType: 'Prefix', backend: { service: { name: 's', port: { number: 80, name: 'http' } } } }), /cannot set both port name & port number/],
    ['no port', withPath({ path: '/a', pathType: 'Prefix', backend: { service: { name: 's', port: {} } } }), /port name or number is required/],
    ['port out of range', withPath({ path: '/a', pathType: 'Prefix', backend: { service: { name: 's', port: { number: 70000 } } } }), /port\.number: Invalid value: 70000/],
    ['port as a string', withPath({ path: '/a', pathType: 'Prefix', backend: { service: { name: 's', port: { number: '80' } } } }), /port\.number: must be an integer/],
    ['bad port name', withPath({ path: '/a', pathType: 'Prefix', backend: { service: { name: 's', port: { name: 'HTTP' } } } }), /port\.name: Invalid value/],
    ['bad service name', withPath({ path: '/a', pathType: 'Prefix', backend: { service: { name: 'my_svc', port: { number: 80 } } } }), /service\.name: Invalid value/],
    ['a host with a port', ingress({ name: 'a', rules: [{ host: 'a.test:80', paths: [{ service: 's' }] }] }), /rules\[0\]\.host: Invalid value/],
    ['an inner wildcard', ingress({ name: 'a', rules: [{ host: 'a.*.test', paths: [{ service: 's' }] }] }), /rules\[0\]\.host: Invalid value.*wildcard/],
    ['an IP as host', ingress({ name: 'a', rules: [{ host: '10.1.2.3', paths: [{ service: 's' }] }] }), /must be a DNS name, not an IP address/],
    ['an uppercase host', ingress({ name: 'a', rules: [{ host: 'A.test', paths: [{ service: 's' }] }] }), /lowercase RFC 1123 subdomain/],
    ['an empty http', { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'x' }, spec: { rules: [{ host: 'a.test', http: { paths: [] } }] } }, /http\.paths: Required value/],
    ['a bad TLS host', ingress({ name: 'a', tls: [{ hosts: ['bad host'] }], rules: [{ host: 'a.test', paths: [{ service: 's' }] }] }), /tls\[0\]\.hosts\[0\]: Invalid value/],
    ['class annotation disagreeing with ingressClassName', ingress({ name: 'a', className: 'x', annotations: { 'kubernetes.io/ingress.class': 'y' }, rules: [{ host: 'a.test', paths: [{ service: 's' }] }] }), /must match `ingressClassName`/],
    ['an IngressClass without controller', { apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata: { name: 'c' }, spec: {} }, /spec\.controller: Required value/],
    ['a Service port out of range', { apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { ports: [{ port: 0 }] } }, /spec\.ports\[0\]\.port/],
    ['a Service appProtocol that is not a qualified name', { apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { ports: [{ port: 80, appProtocol: 'kubernetes.io/h2c/x' }] } }, /spec\.ports\[0\]\.appProtocol: Invalid value/],
    ['a Service appProtocol with a bad prefix', { apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { ports: [{ port: 80, appProtocol: 'Kubernetes.IO/h2c' }] } }, /appProtocol: Invalid value.*prefix part/],
    ['unnamed ports on a multi-port Service', { apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { ports: [{ port: 80 }, { port: 81 }] } }, /spec\.ports\[0\]\.name: Required value/],
    ['an IPv4 slice with an IPv6 address', { apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name: 'e' }, addressType: 'IPv4', endpoints: [{ addresses: ['::1'] }] }, /must be a valid IPv4 address/],
    ['a slice without addressType', { apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name: 'e' }, endpoints: [] }, /addressType: Required value/],
    ['a TLS Secret without a key', { apiVersion: 'v1', kind: 'Secret', type: 'kubernetes.io/tls', metadata: { name: 's' }, data: { 'tls.crt': 'YQ==' } }, /tls\.key.*Required value/],
    ['a TLS Secret with bad base64', { apiVersion: 'v1', kind: 'Secret', type: 'kubernetes.io/tls', metadata: { name: 's' }, data: { 'tls.crt': '@@', 'tls.key': 'YQ==' } }, /must be base64-encoded/],
  ];
  for (const [title, raw, expected] of cases) {
    test(title, () => {
      const errors = errorsOf(raw);
      assert.ok(errors.some((error) => expected.test(error)), `expected ${expected} in ${JSON.stringify(errors)}`);
    });
  }
});

describe('decodeObject accepts and normalizes valid objects', () => {
  test('an Ingress without namespace lands in default and keeps its fields', () => {
    const result = decodeObject(ingress({ name: 'web', rules: [{ host: '*.example.com', paths: [{ path: '/api', service: 'api', port: 'http' }] }] }), options);
    assert.equal(result.status, 'ok');
    if (result.status !== 'ok' || result.object.kind !== 'Ingress') return;
    assert.equal(result.object.metadata.namespace, 'default');
    assert.equal(result.object.metadata.creationTimestamp, '2026-01-01T00:00:00Z');
    assert.deepEqual(result.object.spec.rules[0]?.http?.paths[0], { path: '/api', pathType: 'Prefix', backend: { service: { name: 'api', port: { name: 'http' } } } });
  });

  test('a Service port keeps its appProtocol', () => {
    const result = decodeObject({ apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { ports: [{ port: 80, appProtocol: 'kubernetes.io/h2c' }] } }, options);
    assert.equal(result.status, 'ok');
    if (result.status === 'ok' && result.object.kind === 'Service') assert.equal(result.object.spec.ports[0]?.appProtocol, 'kubernetes.io/h2c');
  });

  test('ImplementationSpecific may have an empty path', () => {
    assert.deepEqual(errorsOf(withPath({ pathType: 'ImplementationSpecific', backend: { service } })), []);
  });

  test('a Secret takes stringData over data, and keeps only the TLS keys', () => {
    const result = decodeObject(
      { apiVersion: 'v1', kind: 'Secret', type: 'kubernetes.io/tls', metadata: { name: 's' }, data: { 'tls.crt': 'b2xk', 'tls.key': 'a2V5', other: 'eA==' }, stringData: { 'tls.crt': 'new' } },
      options,
    );
    assert.equal(result.status, 'ok');
    if (result.status === 'ok' && result.object.kind === 'Secret') assert.deepEqual(result.object.tls, { crt: 'new', key: 'key' });
  });

  test('other kinds and non-TLS Secrets are ignored, not refused', () => {
    assert.equal(decodeObject({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'c' } }, options).status, 'ignored');
    assert.equal(decodeObject({ apiVersion: 'v1', kind: 'Secret', type: 'Opaque', metadata: { name: 's' }, data: { a: 'eA==' } }, options).status, 'ignored');
  });

  test('ConfigMaps keep their string data (the --configmap one is read by translate)', () => {
    const result = decodeObject({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { 'proxy-body-size': '8m' } }, options);
    assert.equal(result.status, 'ok');
    if (result.status === 'ok' && result.object.kind === 'ConfigMap') assert.deepEqual(result.object.data, { 'proxy-body-size': '8m' });
  });

  test('endpoint conditions: absent ready stays unknown', () => {
    const result = decodeObject(
      { apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name: 'e' }, addressType: 'IPv4', endpoints: [{ addresses: ['10.0.0.1'] }, { addresses: ['10.0.0.2'], conditions: { ready: false } }] },
      options,
    );
    assert.equal(result.status, 'ok');
    if (result.status === 'ok' && result.object.kind === 'EndpointSlice') {
      assert.deepEqual(result.object.endpoints, [{ addresses: ['10.0.0.1'] }, { addresses: ['10.0.0.2'], ready: false }]);
    }
  });
});

describe('decodeObject never throws', () => {
  test('a Secret type that is not a string is ignored with a readable reason (H1)', () => {
    for (const type of [{ toString: 1 }, { valueOf: null, toString: null }, ['x'], 7, true]) {
      const result = decodeObject({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, type }, options);
      assert.equal(result.status, 'ignored');
      if (result.status === 'ignored') assert.match(result.reason, /^Secret of type (an object|a list|number 7|boolean true) is neither a TLS Secret nor holds basic-auth credentials or a ca.crt$/);
    }
  });

  test('objects whose fields are objects without prototype or string conversion are refused, not thrown on', () => {
    const hostile = Object.assign(Object.create(null) as object, { toString: 1, valueOf: 1 });
    const raws: unknown[] = [
      { apiVersion: 'v1', kind: 'Service', metadata: { name: hostile, namespace: hostile, labels: hostile }, spec: { ports: [{ port: hostile, targetPort: hostile }] } },
      { apiVersion: hostile, kind: hostile },
      { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'a', creationTimestamp: hostile }, spec: { rules: hostile, tls: [hostile] } },
      { apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name: 'e' }, addressType: hostile, endpoints: [{ addresses: [hostile] }] },
      Object.create(null) as unknown,
    ];
    for (const raw of raws) assert.notEqual(decodeObject(raw, options).status, 'ok');
  });
});

describe('EndpointSlice addresses the API server refuses (ValidateNonSpecialIP)', () => {
  const slice = (addressType: string, address: string): Json => ({
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: 'e' },
    addressType,
    endpoints: [{ addresses: [address] }],
  });
  const refused: [string, string, RegExp][] = [
    ['IPv4', '0.0.0.0', /unspecified/],
    ['IPv4', '169.254.169.254', /link-local/],
    ['IPv4', '224.0.0.1', /multicast/],
    ['IPv4', '239.255.255.250', /multicast/],
    ['IPv6', '::', /unspecified/],
    ['IPv6', 'fe80::1', /link-local/],
    ['IPv6', 'febf::1', /link-local/],
    ['IPv6', 'ff02::1', /multicast/],
    ['IPv6', '::ffff:127.0.1.2', /IPv4-mapped/],
    ['IPv6', '::ffff:10.0.0.1', /IPv4-mapped/],
    ['IPv6', 'fe80::1%lo', /zone/],
    ['IPv6', '2001:db8::1%eth0', /zone/],
  ];
  for (const [addressType, address, reason] of refused) {
    test(`${address} is refused, naming the address`, () => {
      const errors = errorsOf(slice(addressType, address));
      assert.equal(errors.length, 1, JSON.stringify(errors));
      assert.ok(errors[0]!.startsWith(`endpoints[0].addresses[0]: Invalid value: ${JSON.stringify(address)}: `), errors[0]);
      assert.match(errors[0]!, reason);
    });
  }

  test('loopback is accepted: local backends in manifests mode; the API server refuses it before Kubernetes mode sees it', () => {
    for (const [addressType, address] of [['IPv4', '127.0.0.1'], ['IPv4', '127.0.1.2'], ['IPv6', '::1']] as const) {
      assert.equal(decodeObject(slice(addressType, address), options).status, 'ok');
    }
  });

  test('ordinary pod addresses are accepted', () => {
    for (const [addressType, address] of [['IPv4', '10.244.1.7'], ['IPv4', '192.168.0.1'], ['IPv6', '2001:db8::7'], ['IPv6', 'fd00::1'], ['IPv6', 'fec0::1']] as const) {
      assert.deepEqual(errorsOf(slice(addressType, address)), []);
    }
  });
});
