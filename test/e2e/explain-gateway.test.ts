// `portero explain` against real HAProxy for Gateway API worlds (the Gateway
// invariant test's generator: HTTPRoutes on shared hostnames and paths,
// header, query and method conditions, weights with invalid references,
// redirects and rewrites, a Gateway with an address of its own, an Ingress
// beside them): for every request of that test's request set, what HAProxy
// answers must be one of the answers the explanation allows (any share of a
// weighted split), and a request to an address nothing listens on must be
// explained as such.

import assert from 'node:assert/strict';
import { Agent } from 'node:http';
import { networkInterfaces } from 'node:os';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { explainRequest, type ExplainSetup } from '../../src/explain/explain.js';
import type { Explanation } from '../../src/explain/types.js';
import { snapshotOf, translate, type TranslateOptions } from '../../src/translate/translate.js';
import { startBackend, type Backend } from '../helpers/backends.js';
import { request } from '../helpers/http.js';
import { initialWorld, mutate, SERVERS } from '../helpers/gateway-invariant/generate.js';
import { ask, probeKey, probeSet, type Observation, type Probe } from '../helpers/gateway-invariant/reference.js';
import { GATEWAY_CONTROLLER, OWN_ADDRESS, renderWorld } from '../helpers/gateway-invariant/world.js';
import { decodeFiles } from '../helpers/invariant/expect.js';
import { MARKER_FILE, markerHost, markerObjects } from '../helpers/invariant/marker.js';
import { Rng } from '../helpers/invariant/prng.js';
import { translateOptionsFor } from '../helpers/invariant/settings.js';
import { CONTROLLER } from '../helpers/invariant/world.js';
import { toYaml } from '../helpers/objects.js';
import { eventually, startPortero, type Portero } from '../helpers/portero.js';

/** Why the observation is not one of the answers the explanation allows; undefined when it is. */
function disagreement(explanation: Explanation, observed: Observation, serverNames: ReadonlyMap<string, string>): string | undefined {
  if (explanation.decision.kind === 'no-listener') return /ECONNREFUSED/.test(observed.error ?? '') ? undefined : 'explained: nothing listens';
  if (observed.error !== undefined) return `error ${observed.error}`;
  const { answer } = explanation;
  if (explanation.targets.length <= 1 && answer.status !== null) {
    if (observed.status !== answer.status) return `status ${observed.status}, explained ${answer.status}`;
    if (answer.location !== undefined && observed.location !== answer.location) return `Location ${observed.location}, explained ${answer.location}`;
    return observed.backend === undefined ? undefined : `answered by ${observed.backend}, explained: Portero answers`;
  }
  // Any share: a backend's ready endpoint, or the status a target answers by itself.
  for (const target of explanation.targets) {
    if (target.status !== null && observed.status === target.status && observed.backend === undefined) return undefined;
    const servers = (target.backend?.endpoints ?? []).map((endpoint) => serverNames.get(endpoint) ?? endpoint);
    if (target.status === null && observed.status === 200 && servers.includes(observed.backend ?? '')) return undefined;
  }
  return `${observed.status} from ${observed.backend ?? '(Portero)'} is none of the explained targets`;
}

describe('portero explain says what HAProxy does, for Gateway API routes', () => {
  const pool: Backend[] = [];
  let marker: Backend;
  const running: Portero[] = [];
  before(async () => {
    for (let index = 0; index < SERVERS; index += 1) pool.push(await startBackend(`srv${index}`));
    marker = await startBackend('marker');
  });
  after(async () => {
    for (const portero of running) await portero.stop();
    await Promise.all([...pool, marker].map((backend) => backend.close()));
  });

  for (const [seed, steps] of [[2, 8], [7, 3], [9, 12]] as const) {
    test(`every request of the Gateway request set, seed ${seed} after ${steps} changes`, { timeout: 120_000 }, async () => {
      const rng = new Rng(seed);
      let world = initialWorld(rng);
      for (let step = 0; step < steps; step += 1) world = mutate(rng, world).world;
      const env = { endpoint: (server: number) => ({ address: pool[server]!.address, port: pool[server]!.port }) };
      const objects = new Map<string, unknown[]>(renderWorld(world, env));
      objects.set(MARKER_FILE, markerObjects(0, 'applied', marker));
      const files = new Map([...objects].map(([name, list]) => [name, toYaml(list as Record<string, unknown>[])]));
      const portero = await startPortero({ files: Object.fromEntries(files), flags: ['--haproxy-metrics-port', '0'] });
      running.push(portero);
      await eventually(async () => {
        const response = await request({ port: portero.httpPort, host: markerHost(0, 'applied'), path: '/', timeoutMs: 5000 });
        assert.equal(response.headers['x-backend'], 'marker');
      }, 30_000);
      const fallbackPem = await readFile(join(portero.stateDir, 'default-cert.pem'), 'utf8');
      // The options Portero runs with (src/cli/main.ts), as the Gateway invariant test gives them.
      const options: TranslateOptions = {
        ...translateOptionsFor({ defaultBackendService: false, watchIngressWithoutClass: false, pathNormalization: false }, fallbackPem, new Date()),
        gatewayControllerName: GATEWAY_CONTROLLER,
        localAddresses: Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((entry) => entry.address)),
        gatewayPorts: { http: portero.httpPort, https: portero.httpsPort, reserved: [{ port: portero.healthPort, flag: '--health-port' }] },
      };
      const snapshot = snapshotOf(decodeFiles(files));
      const setup: ExplainSetup = {
        translation: translate(snapshot, options),
        snapshot,
        classes: { ingressClass: 'portero', controllerClass: CONTROLLER, watchIngressWithoutClass: false },
        ports: { http: portero.httpPort, https: portero.httpsPort },
      };
      const serverNames = new Map(pool.map((backend) => [`${backend.address}:${backend.port}`, backend.name]));
      const agents = { shared: new Agent({ keepAlive: true, maxSockets: 4 }), own: new Agent({ keepAlive: true, maxSockets: 2 }) };
      const wrong: string[] = [];
      const kinds = new Map<string, number>();
      try {
        for (const probe of probeSet() as Probe[]) {
          const explanation = explainRequest(setup, {
            method: probe.method,
            url: `http://${probe.on === 'own' ? OWN_ADDRESS : '127.0.0.1'}:${portero.httpPort}${probe.path}`,
            headers: [['Host', probe.host], ...probe.headers.map(([name, value]) => [name, value] as [string, string])],
            ...(probe.on === 'own' ? { address: OWN_ADDRESS } : {}),
          });
          const kind = `${explanation.decision.kind}${explanation.candidates ? '+candidates' : ''}`;
          kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
          const observed = await ask(portero.httpPort, probe, agents);
          const why = disagreement(explanation, observed, serverNames);
          if (why !== undefined) wrong.push(`${probeKey(probe)}: ${why} (${explanation.decision.reason})`);
        }
      } finally {
        agents.shared.destroy();
        agents.own.destroy();
      }
      console.log(`seed ${seed}: ${[...kinds].map(([kind, count]) => `${kind}×${count}`).join(' ')}`);
      assert.deepEqual(wrong, []);
      assert.ok((kinds.get('route+candidates') ?? 0) > 0, 'some requests were decided by candidates');
    });
  }
});
