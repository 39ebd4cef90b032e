// Translate time of one change in a fleet of 10,000 (issue: a single HTTPRoute
// change recomputed the whole Gateway API translation). In-process, no
// HAProxy: the same fleet as bench/scenarios/gateway.ts (each application its
// own host, PathPrefix `/`, its own Service), written once as HTTPRoutes on one
// Gateway and once as Ingresses; then, one at a time, a route added, a route's
// path changed, a route removed, each translated with the previous model as
// the controller does. Prints the median and spread per change and kind, in
// milliseconds of CPU time.
//
//   node --import tsx bench/translate-change.ts [--size 10000] [--samples 15]

import type { Model } from '../src/model/model.js';
import type { KubeObject } from '../src/objects/types.js';
import { snapshotOf, translate, type Snapshot } from '../src/translate/translate.js';
import { BASE_OPTIONS, decodeAll } from '../test/helpers/translate.js';
import { ingressObject, serviceObjects } from './lib/fleet.js';
import { fleetRoute, gatewayObjects } from './lib/gateway-fleet.js';

type Json = Record<string, unknown>;
const args = process.argv.slice(2);
const valueOf = (flag: string, fallback: number) => {
  const index = args.indexOf(flag);
  return index === -1 ? fallback : Number(args[index + 1]);
};
const size = valueOf('--size', 10_000);
const samples = valueOf('--samples', 15);

const KINDS = {
  HTTPRoute: { route: (name: string, host: string, path: string) => fleetRoute(name, host, path, name), list: 'httpRoutes', extra: gatewayObjects },
  Ingress: { route: (name: string, host: string, path: string) => ingressObject(name, host, [{ path, service: name }]), list: 'ingresses', extra: () => [] },
} as const;
type Kind = keyof typeof KINDS;

function decodeOne(raw: Json): KubeObject {
  return decodeAll([raw])[0]!;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** One fleet of one kind, translated change after change with the previous model, as the controller does. */
function fleet(kind: Kind): (change: Change, i: number) => number {
  const { route, list, extra } = KINDS[kind];
  const raw: Json[] = [...extra()];
  for (let i = 0; i < size; i += 1) raw.push(route(`app-${i}`, `app-${i}.fleet.test`, '/'), ...serviceObjects(`app-${i}`, [{ address: '127.0.0.1', port: 8080 }]));
  let snapshot: Snapshot = snapshotOf(decodeAll(raw));
  let previous: Model | undefined;
  // CPU time of the process (user and system) during the translation: on a
  // machine shared with others, wall time mostly measures their load.
  const run = () => {
    const start = process.cpuUsage();
    const result = translate(snapshot, BASE_OPTIONS, previous);
    const used = process.cpuUsage(start);
    previous = result.model;
    return (used.user + used.system) / 1000;
  };
  run();
  run();
  // Only the changed kind's list is a new array, as in the store.
  const routes = () => [...(snapshot[list] as readonly KubeObject[])];
  const replace = (objects: KubeObject[]) => {
    snapshot = { ...snapshot, [list]: objects };
  };
  return (change, i) => {
    if (change === 'add') replace([...routes(), decodeOne(route(`new-${i}`, `new-${i}.fleet.test`, '/'))]);
    if (change === 'modify') replace(routes().map((object) => (object.metadata.name === `app-${i}` ? decodeOne(route(`app-${i}`, `app-${i}.fleet.test`, `/v${i}`)) : object)));
    if (change === 'remove') replace(routes().filter((object) => object.metadata.name !== `new-${i}`));
    return run();
  };
}

const CHANGES = ['add', 'modify', 'remove'] as const;
type Change = (typeof CHANGES)[number];

const fleets = Object.fromEntries((Object.keys(KINDS) as Kind[]).map((kind) => [kind, fleet(kind)])) as Record<Kind, ReturnType<typeof fleet>>;
const times = Object.fromEntries((Object.keys(KINDS) as Kind[]).map((kind) => [kind, Object.fromEntries(CHANGES.map((change) => [change, [] as number[]]))])) as Record<Kind, Record<Change, number[]>>;
// Interleaved, change by change, so that a busy moment on the machine lands on both kinds.
for (let i = 0; i < samples; i += 1) {
  for (const change of CHANGES) for (const kind of Object.keys(KINDS) as Kind[]) times[kind][change].push(fleets[kind](change, i));
}
for (const change of CHANGES) {
  for (const kind of Object.keys(KINDS) as Kind[]) {
    const values = times[kind][change];
    console.log(`${kind.padEnd(9)} ${size}: ${change.padEnd(6)} median ${median(values).toFixed(1)} ms CPU (min ${Math.min(...values).toFixed(1)}, max ${Math.max(...values).toFixed(1)}, n=${values.length})`);
  }
}
