// ingress-nginx's own end-to-end cases for the default backend, Service
// backends, load balancing and EndpointSlices (kubernetes/ingress-nginx,
// test/e2e/: defaultbackend/default_backend.go, servicebackend/
// service_nil_backend.go, service_externalname.go, loadbalance/
// round_robin.go, configmap.go, ewma.go, leastconn.go, endpointslices/
// longname.go, topology.go), ported to real requests through Portero and
// HAProxy with the `nginx` IngressClass and ingress-nginx's ConfigMap.
//
// Upstream reads the balancer each backend uses from the Lua balancer's
// state (GetLbAlgorithm) and, for least connections, counts the answers of a
// 100 ms and an 1800 ms echo. Here the algorithm is told by what it does,
// without the clock: while requests are held on some endpoints, least
// connections sends every new request to the free one, round robin does not.
// ewma is served by least connections (docs/annotations.md, Load balancing).
//
// Deliberate, documented differences (docs/routing.md, Backends):
// - a resource backend (service_nil_backend.go) answers 503 with a warning,
//   where ingress-nginx answers 404;
// - Portero never routes to ExternalName Services: they answer 503.
//
// not ported: defaultbackend/default_backend.go "disables access logging for default backend" — enable-access-log-for-default-backend is not a key Portero reads (docs/configuration.md); its access log has every request, the default backend's too (ported case below)
// not ported: defaultbackend/custom_default_backend.go "uses custom default backend" — already proved by test/e2e/defaults.test.ts: "the flag names the Service that answers unmatched requests, by port name" (--default-backend-service)
// not ported: defaultbackend/with_hosts.go — already ported by test/e2e/compat/nginx-routing-backends.test.ts: "with_hosts.go: should apply the annotation to the default backend"
// not ported: defaultbackend/ssl.go "should return a self generated SSL certificate" — already proved by test/e2e/tls.test.ts: "unknown or missing SNI gets the generated default certificate" (Portero's certificate is named for Portero, not "Kubernetes Ingress Controller Fake Certificate")
// not ported: defaultbackend/custom_error_pages.go — checks the custom-error-pages example image's own /metrics and /debug/vars (IS_METRICS_EXPORT, METRICS_PORT), not the controller
// not ported: servicebackend/service_backend.go "should return 503 when backend service does not exist", "... when all backend service endpoints are unavailable" — already proved by test/e2e/defaults.test.ts: "a missing Service answers 503, with a warning naming the field", "a Service without endpoints answers 503"
// not ported: servicebackend/service_externalname.go "works with external name set to incomplete fqdn", "should return 200 for service type=ExternalName without a port defined", "... with a port defined", "... using a port name", "... using FQDN with trailing dot", "should update the external name after a service update" — they resolve cluster DNS or httpbin.org; Portero never routes to ExternalName Services (docs/routing.md: they answer 503, as the ported invalid-host case shows)

import assert from 'node:assert/strict';
import { createServer, type ServerResponse } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { listenOnLoopback, startBackend, type Backend } from '../../helpers/backends.js';
import { request, type Response } from '../../helpers/http.js';
import { configMap, ingress, ingressClass, serviceWithEndpoints, type Json } from '../../helpers/objects.js';
import { eventually, startPortero, type Portero } from '../../helpers/portero.js';

const CONFIGMAP = 'ingress-nginx/ingress-nginx-controller';
const LONG_NAME = 'long-name-foobar-foobar-foobar-foobar-foobar-bar-foo-bar-foobuz';

/** The controller's ConfigMap; upstream's default_backend.go turns on the access log of the default backend. */
const settings = (data: Record<string, string> = {}) => [configMap('ingress-nginx-controller', { 'enable-access-log-for-default-backend': 'true', ...data }, 'ingress-nginx')];

interface HoldingEcho {
  name: string;
  address: string;
  port: number;
  /** Requests to /hold, unanswered until released. */
  held: ServerResponse[];
  release(): void;
  close(): Promise<void>;
}

/**
 * An echo replica (answers with its name, as upstream's echo reports its
 * pod) that keeps requests to /hold open until the test releases them: the
 * connections in progress on each endpoint are exactly those it holds,
 * however slow the machine (upstream uses 100 ms and 1800 ms sleeps).
 */
async function startHoldingEcho(name: string): Promise<HoldingEcho> {
  const held: ServerResponse[] = [];
  const answer = (res: ServerResponse) => res.writeHead(200, { 'content-type': 'application/json', 'x-backend': name }).end(JSON.stringify({ name }));
  const server = createServer((req, res) => {
    if (req.url === '/hold') held.push(res);
    else answer(res);
  });
  return {
    name,
    ...(await listenOnLoopback(server)),
    held,
    release: () => {
      for (const res of held.splice(0)) answer(res);
    },
  };
}

/** framework.NewSingleIngress: one rule, Prefix `/`. */
const single = (name: string, host: string, service: string): Json => ingress({ name, className: 'nginx', rules: [{ host, paths: [{ path: '/', pathType: 'Prefix', service }] }] });

describe('ingress-nginx e2e: defaultbackend/, servicebackend/, loadbalance/, endpointslices/', () => {
  let portero: Portero;
  const backends: Backend[] = [];
  let lb: HoldingEcho[] = [];


  before(async () => {
    const echo = await startBackend('echo');
    const long = await startBackend(LONG_NAME);
    lb = [await startHoldingEcho('echo-0'), await startHoldingEcho('echo-1'), await startHoldingEcho('echo-2')];
    const zones = [await startBackend('zone-a'), await startBackend('zone-b')];
    backends.push(echo, long, ...zones);

    // service_nil_backend.go: a path whose backend is a resource, not a Service.
    const nilBackend = single('nilbackend.svc.com', 'nilbackend.svc.com', 'unused') as { spec: { rules: { http: { paths: { backend: unknown }[] } }[] } };
    nilBackend.spec.rules[0]!.http.paths[0]!.backend = { resource: { apiGroup: 'otherobj.testingress.com', kind: 'Anything', name: 'mytest' } };

    // topology.go: EndpointSlices whose endpoints carry zone hints (topology-aware routing).
    const topology = serviceWithEndpoints({ name: 'topology', endpoints: zones });
    for (const object of topology) {
      if (object.kind !== 'EndpointSlice') continue;
      for (const [index, endpoint] of (object.endpoints as Json[]).entries()) endpoint.hints = { forZones: [{ name: index === 0 ? 'zone-a' : 'zone-b' }] };
    }

    portero = await startPortero({
      flags: ['--ingress-class', 'nginx', '--controller-class', 'k8s.io/ingress-nginx', '--configmap', CONFIGMAP, '--access-log'],
      files: {
        'class.yaml': [ingressClass('nginx', 'k8s.io/ingress-nginx')],
        'configmap.yaml': settings(),
        'services.yaml': [
          ...serviceWithEndpoints({ name: 'echo', endpoints: [echo] }),
          ...serviceWithEndpoints({ name: LONG_NAME, endpoints: [long] }),
          ...serviceWithEndpoints({ name: 'lb', endpoints: lb }),
          ...topology,
          { apiVersion: 'v1', kind: 'Service', metadata: { name: 'httpbin' }, spec: { type: 'ExternalName', externalName: 'invalid.hostname' } },
        ],
        'ingresses.yaml': [
          single('valid.svc.com', 'valid.svc.com', 'echo'),
          nilBackend,
          single('echo', 'echo', 'httpbin'),
          single('longsvcname.foo.com', 'longsvcname.foo.com', LONG_NAME),
          single('topology-svc.foo.com', 'topology-svc.foo.com', 'topology'),
          single('load-balance.com', 'load-balance.com', 'lb'),
        ],
      },
    });
  });

  after(async () => {
    await portero?.dispose();
    await Promise.all([...backends, ...lb].map((backend) => backend.close()));
  });

  const get = (host: string | undefined, path: string): Promise<Response> => request({ port: portero.httpPort, ...(host !== undefined ? { host } : {}), path });

  // defaultbackend/default_backend.go

  test('default_backend.go: should return 404 sending requests when only a default backend is running', async () => {
    for (const tls of [false, true]) {
      for (const method of ['GET', 'POST']) {
        for (const host of [undefined, 'foo.bar.com']) {
          for (const path of ['/', '/demo']) {
            const response = await request({ port: tls ? portero.httpsPort : portero.httpPort, tls, method, path, ...(host !== undefined ? { host } : { servername: '' }) });
            assert.equal(response.status, 404, `${tls ? 'HTTPS' : 'HTTP'} ${method} ${host ?? '(no host)'} ${path}`);
          }
        }
      }
    }
  });

  test('default_backend.go: enables access logging for default backend', async () => {
    // Portero does not read enable-access-log-for-default-backend (a warning says so): with --access-log every request is logged.
    assert.equal((await get('foo', '/somethingOne')).status, 404);
    const entry = await portero.waitForLog((line) => line.path === '/somethingOne');
    assert.equal(entry.status, 404);
    assert.equal(entry.host, 'foo');
  });

  // servicebackend/

  test('service_nil_backend.go: should return 404 when backend service is nil (Portero: 503, documented)', async () => {
    const valid = await get('valid.svc.com', '/');
    assert.equal(valid.status, 200);
    assert.equal(valid.echo?.name, 'echo');
    // docs/routing.md: resource backends are not supported; they answer 503 and the Ingress gets a warning.
    assert.equal((await get('nilbackend.svc.com', '/')).status, 503);
    await portero.waitForLog((line) => line.object === 'Ingress default/nilbackend.svc.com' && line.field === 'spec.rules[0].http.paths[0].backend.resource');
  });

  test('service_externalname.go: should return status 502 for service type=ExternalName with an invalid host (a 5xx)', async () => {
    // Upstream accepts any 5xx; Portero answers 503 for every ExternalName Service (docs/routing.md).
    assert.equal((await get('echo', '/get')).status, 503);
  });

  // endpointslices/

  test('longname.go: should return 200 when service name has max allowed number of characters 63', async () => {
    const response = await get('longsvcname.foo.com', '/');
    assert.equal(response.status, 200);
    assert.equal(response.echo?.name, LONG_NAME);
  });

  test('topology.go: should return 200 when service has topology hints (every ready endpoint gets requests)', async () => {
    // Portero ignores zone hints (docs/configuration.md, --enable-topology-aware-routing): upstream's "no hints" expectation, two endpoints.
    const seen = new Set<string>();
    for (let i = 0; i < 4; i += 1) {
      const response = await get('topology-svc.foo.com', '/');
      assert.equal(response.status, 200);
      seen.add(response.echo?.name ?? '');
    }
    assert.deepEqual([...seen].sort(), ['zone-a', 'zone-b']);
  });

  // loadbalance/ (last: they change the ConfigMap's load-balance, which applies to every Service above)

  test('round_robin.go: should evenly distribute requests with round-robin (default algorithm)', async () => {
    const counts = new Map<string, number>();
    for (let i = 0; i < 300; i += 1) {
      const response = await get('load-balance.com', '/');
      assert.equal(response.status, 200);
      const replica = response.echo?.name ?? '';
      assert.match(replica, /^echo-/);
      counts.set(replica, (counts.get(replica) ?? 0) + 1);
    }
    assert.deepEqual(Object.fromEntries([...counts].sort()), { 'echo-0': 100, 'echo-1': 100, 'echo-2': 100 });
  });

  /**
   * Holds `hold` requests on the lb endpoints (each endpoint keeps them
   * until released), then sends `quick` requests one after the other:
   * which endpoints held, which answered.
   */
  async function whileHeld(hold: number, quick: number): Promise<{ held: string[]; quick: string[] }> {
    const pending: Promise<unknown>[] = [];
    try {
      const held: string[] = [];
      for (let i = 0; i < hold; i += 1) {
        const before = lb.map((backend) => backend.held.length);
        pending.push(get('load-balance.com', '/hold').catch(() => undefined));
        held.push(
          await eventually(() => {
            const holder = lb.find((backend, index) => backend.held.length > before[index]!);
            if (!holder) throw new Error('the held request has not reached an endpoint');
            return holder.name;
          }),
        );
      }
      const answered: string[] = [];
      for (let i = 0; i < quick; i += 1) {
        const response = await get('load-balance.com', '/');
        assert.equal(response.status, 200);
        answered.push(response.echo?.name ?? '');
      }
      return { held, quick: answered };
    } finally {
      for (const backend of lb) backend.release();
      await Promise.all(pending);
    }
  }

  /** Least connections: with two endpoints busy, every new request goes to the third. */
  async function leastConnections(): Promise<void> {
    const { held, quick } = await whileHeld(2, 6);
    assert.equal(new Set(held).size, 2, `held on ${held.join(', ')}`);
    const free = lb.map((backend) => backend.name).find((name) => !held.includes(name))!;
    assert.deepEqual(quick, Array(6).fill(free));
  }

  /** Round robin: a busy endpoint still gets its turn. */
  async function roundRobin(): Promise<void> {
    const { held, quick } = await whileHeld(1, 3);
    assert.ok(quick.includes(held[0]!), `${held[0]} held a request and got none of ${quick.join(', ')}`);
  }

  test('leastconn.go: does not fail requests; sends fewer requests to a slower server', async () => {
    await portero.write('configmap.yaml', settings({ 'load-balance': 'least_connections' }));
    await eventually(leastConnections);
    for (let i = 0; i < 30; i += 1) assert.equal((await get('load-balance.com', '/')).status, 200);
  });

  test('configmap.go: should apply the configmap load-balance setting (ewma, served by least connections)', async () => {
    await portero.write('configmap.yaml', settings());
    await eventually(roundRobin);
    await portero.write('configmap.yaml', settings({ 'load-balance': 'ewma' }));
    await eventually(leastConnections);
  });

  test('ewma.go: does not fail requests', async () => {
    const counts = new Map<string, number>();
    for (let i = 0; i < 30; i += 1) {
      const response = await get('load-balance.com', '/');
      assert.equal(response.status, 200);
      counts.set(response.echo?.name ?? '', (counts.get(response.echo?.name ?? '') ?? 0) + 1);
    }
    assert.equal([...counts.values()].reduce((sum, count) => sum + count, 0), 30);
    assert.ok([...counts.keys()].every((name) => /^echo-[0-2]$/.test(name)));
  });
});
