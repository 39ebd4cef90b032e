// The Gateway API conformance tests of request mirroring
// (kubernetes-sigs/gateway-api conformance/tests/httproute-request-mirror,
// httproute-request-multiple-mirrors, httproute-request-percentage-mirror,
// .go and .yaml), on the suite's base manifests (the same-namespace Gateway,
// Services infra-backend-v1/-v2/-v3 with real echo backends on loopback).
// Each case runs twice, as gateway-conformance-more.test.ts runs its cases:
// - Kubernetes mode: one Portero against the in-repo API test server; the
//   case's objects are applied, its status read back from the API, its
//   requests sent through real HAProxy, then the objects deleted;
// - standalone mode: one Portero on a directory of manifests, the case's
//   objects written as a file, the same requests; and `portero check
//   --manifests` on the same objects, which must report the same status.
// The Gateway's address is 127.0.6.1 (127.0.6.0/24 is this file's).
//
// The suite reads the mirror's echo-server log ("Echoing back request made to
// <path>"); here the mirror backend records what it received, and each case
// asserts that it received the copy (same method and path) while the answer
// came from infra-backend-v1 with the header modifications the suite expects.
// The percentage test sends 600 requests per mirror and accepts a count
// within 5 standard deviations of the binomial mean (the suite: 500 requests
// within 5% of the mean, up to 5 tries), which never flakes and still tells
// 20% from 35% or 50%.
//
// Reconstructed: the paths of httproute-request-mirror.yaml (/mirror and
// /mirror-and-modify-headers, as the .go file names them; the stored .yaml is
// an older one with a mirrored-backend Service).
//
// Also proved (Portero's own, the spec's ResolvedRefs rules for a mirror's
// backendRef): a mirror to a missing Service reports BackendNotFound, one to
// another namespace without a ReferenceGrant RefNotPermitted, and sends no
// copy while the route keeps serving; with the grant, the copy is sent.
//
// not ported: httproute-request-mirror.go HTTPRouteBackendRequestMirror (a RequestMirror on a backendRef) — HTTPRouteBackendRequestMirror is not claimed: such a rule answers 500, UnsupportedValue (docs/gateway-api.md)
// not ported: grpcroute-request-mirror — GRPCRouteRequestMirror is not claimed (the data plane's HTTP client speaks HTTP/1.1 only)

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { KubeApiServer } from '../../kube-api-server/server.js';
import { startBackend, type Backend } from '../../helpers/backends.js';
import { GATEWAY_V1 } from '../../helpers/gateway-api-manifests.js';
import { APP, CLASS, INFRA, OURS, backend, checkedView, deleteIfPresent, expectRoute, from, grant, gw, http, kubeView, ns, parent, prefix, route, service, type View } from '../../helpers/gateway-conformance.js';
import { request } from '../../helpers/http.js';
import { kubeconfigFile, startApi, tempDir } from '../../helpers/kube.js';
import type { Json } from '../../helpers/objects.js';
import { eventually, startPortero, type Portero } from '../../helpers/portero.js';

const GATEWAY = '127.0.6.1';
const NAMES = ['infra-backend-v1', 'infra-backend-v2', 'infra-backend-v3'] as const;
type Name = (typeof NAMES)[number];
type Backends = Record<Name, Backend>;

function base(backends: Backends): Json[] {
  return [
    ns(INFRA, 'infra'),
    ns(APP, 'backend'),
    { apiVersion: GATEWAY_V1, kind: 'GatewayClass', metadata: { name: CLASS }, spec: { controllerName: OURS } },
    gw('same-namespace', GATEWAY, [http('http', from('Same'))]),
    ...NAMES.flatMap((name) => service(INFRA, name, backends[name])),
    // A Service in another namespace, for the ReferenceGrant case.
    ...service(APP, 'app-backend-v1', backends['infra-backend-v3']),
  ];
}

const httpRoute = (name: string, spec: Json) => route(name, spec, INFRA, GATEWAY_V1);
const mirrorTo = (name: string, extra: Json = {}, namespace = INFRA): Json => ({ type: 'RequestMirror', requestMirror: { backendRef: { name, namespace, port: 8080 }, ...extra } });
const MODIFY: Json = {
  type: 'RequestHeaderModifier',
  requestHeaderModifier: {
    set: [{ name: 'X-Header-Set', value: 'set-overwrites-values' }],
    add: [{ name: 'X-Header-Add', value: 'header-val-1' }, { name: 'X-Header-Add-Append', value: 'header-val-2' }],
    remove: ['X-Header-Remove'],
  },
};
const rule = (path: string, filters: Json[]): Json => ({ matches: [prefix(path)], filters, backendRefs: [backend('infra-backend-v1', { namespace: INFRA })] });
const ACCEPTED = { accepted: ['True', 'Accepted'], resolvedRefs: ['True', 'ResolvedRefs'] } as const;

let sequence = 0;

/**
 * One request of the suite's ExpectedResponse: answered by infra-backend-v1
 * with the path unchanged (and the header modifications when `modify`); the
 * copies are looked for by the unique query the request carries.
 */
async function primary(portero: Portero, path: string, modify = false): Promise<string> {
  const url = `${path}?request-id=${(sequence += 1)}`;
  const response = await request({ port: portero.httpPort, address: GATEWAY, host: 'example.com', path: url, headers: modify ? { 'X-Header-Remove': 'remove-val', 'X-Header-Add-Append': 'append-val-1' } : {} });
  assert.equal(response.status, 200, `${url}: ${response.body.slice(0, 200)}`);
  assert.equal(response.echo?.name, 'infra-backend-v1', `${url}: the answer comes from v1`);
  assert.equal(response.echo?.url, url, `${url}: path seen by v1`);
  if (modify) {
    const headers = response.echo!.headers;
    assert.equal(headers['x-header-add'], 'header-val-1');
    // The suite's echo server lists the lines of a header joined by ','; Node joins them with ', '.
    assert.equal(String(headers['x-header-add-append']).split(', ').join(','), 'append-val-1,header-val-2');
    assert.equal(headers['x-header-set'], 'set-overwrites-values');
    assert.equal(headers['x-header-remove'], undefined);
  }
  return url;
}

/** The suite's ExpectMirroredRequest: each mirror received the copy (method and path). */
async function expectMirrored(backends: Backends, url: string, mirrors: readonly Name[]): Promise<void> {
  await eventually(() => {
    for (const name of mirrors) {
      const copy = backends[name].requests.find((seen) => seen.url === url);
      assert.ok(copy, `${name} received the copy of ${url}`);
      assert.equal(copy.method, 'GET');
    }
  }, 10_000);
}

/** Requests to `path`, the first once served, then `count` more (20 at a time); the share each mirror received within 5 sigma of `shares`. */
async function expectShares(portero: Portero, backends: Backends, path: string, shares: Partial<Record<Name, number>>, count = 600): Promise<void> {
  await eventually(() => primary(portero, path), 30_000, 100);
  const run = `${path}?request-id=`;
  const first = sequence + 1;
  for (let sent = 0; sent < count; sent += 20) await Promise.all(Array.from({ length: 20 }, () => primary(portero, path)));
  const ours = (name: Name) => backends[name].requests.filter((seen) => seen.url.startsWith(run) && Number(seen.url.slice(run.length)) >= first).length;
  const within = () => {
    for (const [name, share] of Object.entries(shares) as [Name, number][]) {
      const mean = count * share;
      const sigma = Math.sqrt(count * share * (1 - share));
      const seen = ours(name);
      assert.ok(Math.abs(seen - mean) <= 5 * sigma, `${name}: ${seen} copies of ${count} requests, expected ${mean} ± ${Math.round(5 * sigma)}`);
    }
  };
  // Copies arrive after their answers: counts only grow, so the first time they are within bounds, and once more at the end.
  await eventually(within, 10_000, 50);
  within();
}

interface Case {
  name: string;
  objects: () => Json[];
  expect: (view: View) => void;
  traffic: (portero: Portero, backends: Backends) => Promise<void>;
}

const CASES: Case[] = [
  {
    name: 'HTTPRouteRequestMirror (httproute-request-mirror.go): /mirror is copied to v2, answered by v1; with header modifications too',
    objects: () => [httpRoute('request-mirror', { parentRefs: [parent('same-namespace')], rules: [rule('/mirror', [mirrorTo('infra-backend-v2')]), rule('/mirror-and-modify-headers', [MODIFY, mirrorTo('infra-backend-v2')])] })],
    expect: (view) => expectRoute(view, 'request-mirror', ACCEPTED),
    traffic: async (portero, backends) => {
      await expectMirrored(backends, await eventually(() => primary(portero, '/mirror'), 30_000, 100), ['infra-backend-v2']);
      await expectMirrored(backends, await primary(portero, '/mirror-and-modify-headers', true), ['infra-backend-v2']);
    },
  },
  {
    name: 'HTTPRouteRequestMultipleMirrors (httproute-request-multiple-mirrors.go): two mirrors on a rule, v2 and v3 both get the copy',
    objects: () => [
      httpRoute('request-multiple-mirrors', {
        parentRefs: [parent('same-namespace')],
        rules: [rule('/multi-mirror', [mirrorTo('infra-backend-v2'), mirrorTo('infra-backend-v3')]), rule('/multi-mirror-and-modify-request-headers', [MODIFY, mirrorTo('infra-backend-v2'), mirrorTo('infra-backend-v3')])],
      }),
    ],
    expect: (view) => expectRoute(view, 'request-multiple-mirrors', ACCEPTED),
    traffic: async (portero, backends) => {
      await expectMirrored(backends, await eventually(() => primary(portero, '/multi-mirror'), 30_000, 100), ['infra-backend-v2', 'infra-backend-v3']);
      await expectMirrored(backends, await primary(portero, '/multi-mirror-and-modify-request-headers', true), ['infra-backend-v2', 'infra-backend-v3']);
    },
  },
  {
    name: 'HTTPRouteRequestPercentageMirror (httproute-request-percentage-mirror.go): percent 20, fraction 25/50, and 35% and 50% mirrors with header modifications',
    objects: () => [
      httpRoute('request-percentage-mirror', {
        parentRefs: [parent('same-namespace')],
        rules: [
          rule('/percent-mirror', [mirrorTo('infra-backend-v2', { percent: 20 })]),
          rule('/percent-mirror-fraction', [mirrorTo('infra-backend-v2', { fraction: { numerator: 25, denominator: 50 } })]),
          rule('/percent-multi-mirror-and-modify-headers', [MODIFY, mirrorTo('infra-backend-v2', { percent: 35 }), mirrorTo('infra-backend-v3', { percent: 50 })]),
        ],
      }),
    ],
    expect: (view) => expectRoute(view, 'request-percentage-mirror', ACCEPTED),
    traffic: async (portero, backends) => {
      await expectShares(portero, backends, '/percent-mirror', { 'infra-backend-v2': 0.2 });
      await expectShares(portero, backends, '/percent-mirror-fraction', { 'infra-backend-v2': 0.5 });
      await expectShares(portero, backends, '/percent-multi-mirror-and-modify-headers', { 'infra-backend-v2': 0.35, 'infra-backend-v3': 0.5 });
    },
  },
  {
    name: 'A mirror\'s backendRef follows the backendRef rules: a missing Service is BackendNotFound, another namespace without a ReferenceGrant RefNotPermitted; no copy, the route still serves',
    objects: () => [
      httpRoute('mirror-missing', { parentRefs: [parent('same-namespace')], rules: [rule('/mirror-missing', [mirrorTo('no-such-service')])] }),
      httpRoute('mirror-not-granted', { parentRefs: [parent('same-namespace')], rules: [rule('/mirror-not-granted', [mirrorTo('app-backend-v1', {}, APP)])] }),
    ],
    expect: (view) => {
      expectRoute(view, 'mirror-missing', { accepted: ['True', 'Accepted'], resolvedRefs: ['False', 'BackendNotFound'] });
      expectRoute(view, 'mirror-not-granted', { accepted: ['True', 'Accepted'], resolvedRefs: ['False', 'RefNotPermitted'] });
    },
    traffic: async (portero, backends) => {
      await eventually(() => primary(portero, '/mirror-missing'), 30_000, 100);
      const url = await eventually(() => primary(portero, '/mirror-not-granted'), 30_000, 100);
      // A later copy arrives (v3 mirrored from another case would be later than this): none of this request.
      assert.ok(!backends['infra-backend-v3'].requests.some((seen) => seen.url === url), 'no copy without a grant');
    },
  },
  {
    name: 'A mirror to another namespace with a ReferenceGrant is ResolvedRefs and copies',
    objects: () => [
      httpRoute('mirror-granted', { parentRefs: [parent('same-namespace')], rules: [rule('/mirror-granted', [mirrorTo('app-backend-v1', {}, APP)])] }),
      grant('mirror-grant', APP, { group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', namespace: INFRA }, { group: '', kind: 'Service' }),
    ],
    expect: (view) => expectRoute(view, 'mirror-granted', ACCEPTED),
    traffic: async (portero, backends) => {
      await expectMirrored(backends, await eventually(() => primary(portero, '/mirror-granted'), 30_000, 100), ['infra-backend-v3']);
    },
  },
];

/** After a case: the Gateway answers 404 to its paths again, so no later case passes on what it left. */
async function cleared(portero: Portero): Promise<void> {
  await eventually(async () => {
    const status = await request({ port: portero.httpPort, address: GATEWAY, host: 'example.com', path: '/mirror' }).then((response) => response.status, () => 404);
    assert.equal(status, 404, `${GATEWAY} still serves`);
  }, 30_000, 100);
}

async function startBackends(): Promise<{ backends: Backends; close: () => Promise<void> }> {
  const backends = {} as Backends;
  for (const name of NAMES) backends[name] = await startBackend(name);
  return { backends, close: async () => void (await Promise.all(NAMES.map((name) => backends[name].close()))) };
}

describe('Gateway API conformance, request mirroring, Kubernetes mode', () => {
  let api: KubeApiServer;
  let portero: Portero;
  let started: Awaited<ReturnType<typeof startBackends>>;

  before(async () => {
    started = await startBackends();
    api = await startApi();
    for (const object of base(started.backends)) api.apply(object);
    portero = await startPortero({ kube: { kubeconfig: await kubeconfigFile(api) }, env: { POD_NAMESPACE: 'default', POD_NAME: 'portero-0' } });
  });

  after(async () => {
    await portero?.dispose();
    await api?.close();
    await started?.close();
  });

  for (const testCase of CASES) {
    test(testCase.name, async () => {
      const objects = testCase.objects();
      for (const object of objects) api.apply(object);
      try {
        await eventually(() => testCase.expect(kubeView(api)), 15_000);
        await testCase.traffic(portero, started.backends);
      } finally {
        for (const object of [...objects].reverse()) deleteIfPresent(api, object);
      }
      await cleared(portero);
    });
  }
});

describe('Gateway API conformance, request mirroring, standalone mode (manifests; status by portero check)', () => {
  let portero: Portero;
  let started: Awaited<ReturnType<typeof startBackends>>;
  let root: string;

  before(async () => {
    started = await startBackends();
    root = await tempDir('portero-conformance-mirror-');
    portero = await startPortero({ files: { 'base.yaml': base(started.backends) } });
  });

  after(async () => {
    await portero?.dispose();
    await started?.close();
  });

  for (const [index, testCase] of CASES.entries()) {
    test(testCase.name, async () => {
      const objects = testCase.objects();
      testCase.expect(await checkedView(join(root, String(index)), [...base(started.backends), ...objects]));
      await portero.write('case.yaml', objects);
      try {
        await testCase.traffic(portero, started.backends);
      } finally {
        await portero.remove('case.yaml');
      }
      await cleared(portero);
    });
  }
});
