// HTTPRoutes against Ingresses (issue 10): the same fleet of `size`
// applications (each its own host, PathPrefix `/`, its own Service on the
// shared upstream) written once as Ingresses and once as HTTPRoutes on one
// Gateway (lib/gateway-fleet.ts), served by two Porteros side by side in the
// same invocation, so that every figure is a ratio of two measurements taken
// under the same load on the machine:
//
//   throughput   wrk on example.com in both, interleaved rounds: CPU µs per
//                request of the HAProxy processes and req/s, HTTPRoute over
//                Ingress (goal ≈ 1.0: a host served from an HTTPRoute costs
//                what the same host from an Ingress costs); callgrind
//                instructions per request when counted.
//   latency      change to traffic, as latency.ts measures it for Ingresses:
//                a new route (first 200), a changed path, an endpoint moved
//                to another upstream, the samples of both fleets interleaved;
//                and the reloads during these changes (goal 0), with the
//                reason Portero logged for each.
//   start-up     (gatewayStartup) ready and served with 10,000 of each, as
//                startup.ts measures it for the JSON lists.

import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { writeFileAtomic } from '../../src/dataplane/haproxy/files.js';
import { freePort } from '../../test/helpers/portero.js';
import { ingressObject, list, serviceObjects, writeFleet } from '../lib/fleet.js';
import { fleetRoute, writeGatewayFleet } from '../lib/gateway-fleet.js';
import { instructionsPerRequest, standaloneCopy } from '../lib/instructions.js';
import { get, haproxyMasterPid, metric, startAndWaitReady, timeToEffect, type Portero } from '../lib/portero.js';
import { measureRounds, type RoundsSample } from '../lib/rounds.js';
import { round } from '../lib/system.js';
import { distribution, type Distribution } from './latency.js';
import { medianRun, oneRun, type StartupRun } from './startup.js';

type Json = Record<string, unknown>;

export const KINDS = ['Ingress', 'HTTPRoute'] as const;
export type Kind = (typeof KINDS)[number];
export const PLURAL: Record<Kind, string> = { Ingress: 'Ingresses', HTTPRoute: 'HTTPRoutes' };

/** How each kind writes its fleet and one route: `host`, Prefix `path`, to `service` port 80. */
const FLEETS: Record<Kind, { write: (directory: string, count: number, upstreamPort: number) => Promise<string[]>; route: (name: string, host: string, path: string, service: string) => Json }> = {
  Ingress: { write: writeFleet, route: (name, host, path, service) => ingressObject(name, host, [{ path, service }]) },
  HTTPRoute: { write: writeGatewayFleet, route: fleetRoute },
};

const MEASURED_HOST = 'example.com';
const CHANGES = ['new route', 'changed path', 'endpoint change'] as const;

export interface GatewayResult {
  /** Applications in each fleet (plus the measured example.com and the latency routes). */
  routes: number;
  rounds: number;
  seconds: number;
  /** wrk on example.com, keyed by kind. */
  targets: Record<Kind, RoundsSample>;
  /** CPU per request, HTTPRoute over Ingress: 1 means the same cost. */
  cpuRatioHTTPRouteOverIngress: number;
  rpsRatioHTTPRouteOverIngress: number;
  instructions?: { Ingress: number; HTTPRoute: number; ratioHTTPRouteOverIngress: number };
  /** Change to traffic per kind and change. */
  latency: Record<Kind, Record<string, Distribution>>;
  /** Reloads during the measured changes (goal 0), per kind. */
  reloads: Record<Kind, number>;
  /** Why each of those reloads happened, as Portero logged it (reason: detail). */
  reloadDetails: Record<Kind, string[]>;
}

/** The latency fixtures: two upstreams' Services, the route whose path changes, the route whose endpoint moves. */
async function writeLatencyFixtures(directory: string, kind: Kind, ports: [number, number]): Promise<void> {
  const route = FLEETS[kind].route;
  await writeFile(join(directory, 'latency.json'), list([...serviceObjects('lat-a', [{ address: '127.0.0.1', port: ports[0] }]), ...serviceObjects('lat-b', [{ address: '127.0.0.1', port: ports[1] }])]));
  await writeFile(join(directory, 'change.json'), list([route('change', 'change.bench.test', '/v0', 'lat-a')]));
  await writeFile(join(directory, 'endpoint.json'), list([...serviceObjects('lat-ep', [{ address: '127.0.0.1', port: ports[0] }]), route('ep', 'ep.bench.test', '/', 'lat-ep')]));
}

/** One sample of each change on one Portero; `i` numbers the sample. */
async function changeSamples(portero: Portero, kind: Kind, i: number, ports: [number, number]): Promise<Record<(typeof CHANGES)[number], number>> {
  const route = FLEETS[kind].route;
  // Written like an editor or kubectl-cp would: a temporary file renamed into place.
  const write = (name: string, items: Json[]) => writeFileAtomic(join(portero.manifests, name), list(items));
  const settle = () => sleep(150);
  const newRoute = await timeToEffect(
    () => write(`new-${i}.json`, [route(`new-${i}`, `new-${i}.bench.test`, '/', 'lat-a')]),
    async () => (await get(portero.httpPort, `new-${i}.bench.test`, '/')).status === 200,
  );
  await settle();
  const changedPath = await timeToEffect(
    () => write('change.json', [route('change', 'change.bench.test', `/v${i + 1}`, 'lat-a')]),
    async () => (await get(portero.httpPort, 'change.bench.test', `/v${i + 1}`)).status === 200,
  );
  await settle();
  const target = i % 2 === 0 ? ports[1] : ports[0];
  const endpointChange = await timeToEffect(
    () => write('endpoint.json', [...serviceObjects('lat-ep', [{ address: '127.0.0.1', port: target }]), route('ep', 'ep.bench.test', '/', 'lat-ep')]),
    async () => (await get(portero.httpPort, 'ep.bench.test', '/')).body.includes(String(target)),
  );
  await settle();
  return { 'new route': newRoute, 'changed path': changedPath, 'endpoint change': endpointChange };
}

/** The reasons of the reloads Portero logged after log line `from` (its log level must be info or lower). */
function reloadDetails(portero: Portero, from: number): string[] {
  const details: string[] = [];
  // Lines, not entries(): entries() drops any line that is not JSON, so its indices are not line indices.
  for (const line of portero.logs.slice(from)) {
    if (!line.includes('configuration applied with a reload')) continue;
    const entry = JSON.parse(line) as { reason?: unknown; detail?: unknown };
    details.push(`${String(entry.reason)}: ${String(entry.detail)}`);
  }
  return details;
}

export interface GatewayOptions {
  size: number;
  /** The upstream of the fleets and of the first latency Service; the second moves the endpoint. */
  upstreamPorts: [number, number];
  rounds: number;
  seconds: number;
  samples: number;
  countInstructions: boolean;
}

export async function gatewayVsIngress(work: string, options: GatewayOptions): Promise<GatewayResult> {
  const { size, upstreamPorts } = options;
  const porteros = new Map<Kind, Portero>();
  try {
    for (const kind of KINDS) {
      const directory = join(work, `gateway-${size}-${kind}`);
      await FLEETS[kind].write(directory, size, upstreamPorts[0]);
      await writeLatencyFixtures(directory, kind, upstreamPorts);
      // At info, Portero logs the reason of every reload (structure.ts misfits among them).
      porteros.set(kind, await startAndWaitReady({ manifestsDir: directory, flags: ['--log-level', 'info'] }));
    }
    const portero = (kind: Kind) => porteros.get(kind)!;
    for (const kind of KINDS) {
      const { status } = await get(portero(kind).httpPort, MEASURED_HOST, '/bench');
      if (status !== 200) throw new Error(`${kind} fleet: ${MEASURED_HOST} answers ${status}`);
    }

    const targets = (await measureRounds(
      KINDS.map((kind) => ({ name: kind, port: portero(kind).httpPort, host: MEASURED_HOST, pid: () => haproxyMasterPid(portero(kind)) })),
      options,
    )) as Record<Kind, RoundsSample>;

    let instructions: GatewayResult['instructions'];
    if (options.countInstructions) {
      const count = async (kind: Kind) => {
        const [http, https] = [await freePort(), await freePort()];
        const config = standaloneCopy(await readFile(join(portero(kind).stateDir, 'haproxy.cfg'), 'utf8'), http, https);
        return instructionsPerRequest(work, config, http, MEASURED_HOST);
      };
      const [ingress, route] = [await count('Ingress'), await count('HTTPRoute')];
      instructions = { Ingress: ingress, HTTPRoute: route, ratioHTTPRouteOverIngress: round(route / ingress, 3) };
    }

    const reloadsBefore = new Map<Kind, number>();
    const logsBefore = new Map<Kind, number>();
    for (const kind of KINDS) {
      reloadsBefore.set(kind, await metric(portero(kind), 'portero_haproxy_reloads_total'));
      logsBefore.set(kind, portero(kind).logs.length);
    }
    const values = new Map<Kind, Record<string, number[]>>(KINDS.map((kind) => [kind, Object.fromEntries(CHANGES.map((change) => [change, []]))]));
    // Interleaved, sample by sample, so that a busy moment on the machine lands on both kinds.
    for (let i = 0; i < options.samples; i += 1) {
      for (const kind of KINDS) {
        const sample = await changeSamples(portero(kind), kind, i, upstreamPorts);
        for (const change of CHANGES) values.get(kind)![change]!.push(sample[change]);
      }
    }
    const latency = {} as GatewayResult['latency'];
    const reloads = {} as GatewayResult['reloads'];
    const details = {} as GatewayResult['reloadDetails'];
    for (const kind of KINDS) {
      latency[kind] = Object.fromEntries(Object.entries(values.get(kind)!).map(([change, list]) => [change, distribution(list)]));
      reloads[kind] = (await metric(portero(kind), 'portero_haproxy_reloads_total')) - reloadsBefore.get(kind)!;
      details[kind] = reloadDetails(portero(kind), logsBefore.get(kind)!);
    }

    const cpu = (kind: Kind) => targets[kind].cpuMicrosecondsPerRequest;
    const rps = (kind: Kind) => targets[kind].requestsPerSecond;
    return {
      routes: size,
      rounds: options.rounds,
      seconds: options.seconds,
      targets,
      cpuRatioHTTPRouteOverIngress: round(cpu('HTTPRoute') / cpu('Ingress'), 3),
      rpsRatioHTTPRouteOverIngress: round(rps('HTTPRoute') / rps('Ingress'), 3),
      ...(instructions ? { instructions } : {}),
      latency,
      reloads,
      reloadDetails: details,
    };
  } finally {
    for (const running of porteros.values()) await running.dispose();
  }
}

export interface GatewayStartupResult {
  routes: number;
  /** Hosts checked per run (every hundredth and the last). */
  checked: number;
  runs: Record<Kind, StartupRun[]>;
  median: Record<Kind, StartupRun>;
  /** Served (seconds), HTTPRoute over Ingress. */
  servedRatioHTTPRouteOverIngress: number;
}

/** Start-up with `size` applications of each kind, `runs` times each, interleaved (see startup.ts for what is measured). */
export async function gatewayStartup(work: string, size: number, upstreamPort: number, runs: number, log?: (message: string) => void): Promise<GatewayStartupResult> {
  const directories = {} as Record<Kind, string>;
  let hosts: string[] = [];
  for (const kind of KINDS) {
    directories[kind] = join(work, `gateway-startup-${kind}`);
    hosts = await FLEETS[kind].write(directories[kind], size, upstreamPort);
  }
  const sample = hosts.filter((_, index) => index % 100 === 0 || index === hosts.length - 1);
  const all: Record<Kind, StartupRun[]> = { Ingress: [], HTTPRoute: [] };
  for (let pass = 1; pass <= runs; pass += 1) {
    for (const kind of KINDS) {
      log?.(`gateway: start-up with ${size.toLocaleString('en')} ${PLURAL[kind]}, run ${pass} of ${runs}`);
      all[kind].push(await oneRun(kind, { manifests: directories[kind] }, sample, upstreamPort));
    }
  }
  const median = { Ingress: medianRun(all.Ingress), HTTPRoute: medianRun(all.HTTPRoute) };
  return { routes: size, checked: sample.length, runs: all, median, servedRatioHTTPRouteOverIngress: round(median.HTTPRoute.servedSeconds / median.Ingress.servedSeconds, 3) };
}
