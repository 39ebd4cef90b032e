// Random worlds and changes for the Gateway API invariant test, from a seeded
// PRNG: a seed and a step count give the same sequence every time. Changes
// are biased towards what the running Portero must get right without a
// fresh start: routes appearing, changing and vanishing on shared hosts and
// paths, conditions and weights changing under a route, filters appearing
// (a featured backend: structural), Services and endpoints coming and going,
// a second listener and a Gateway with an address of its own (new scopes),
// an Ingress on a Gateway host, wildcard or no host (Ingress before Gateway).

import type { Rng } from '../invariant/prng.js';
import { cloneWorld, describeRoute, MISSING_SERVICE, PATHS, ROUTE_HOSTS, SERVICE_NAMES, type BackendRefDef, type FilterDef, type MatchDef, type RouteDef, type RuleDef, type World } from './world.js';

/** Test servers in the pool: endpoints of the Services. */
export const SERVERS = 4;
const ROUTE_NAMES = ['r0', 'r1', 'r2', 'r3', 'r4', 'r5'] as const;

function match(rng: Rng): MatchDef {
  const out: MatchDef = {};
  if (rng.chance(0.85)) out.path = rng.pick(PATHS);
  if (rng.chance(0.25)) out.header = rng.pick(['one', 'two']);
  if (rng.chance(0.15)) out.query = '1';
  if (rng.chance(0.15)) out.method = 'POST';
  return out;
}

function backendRefs(rng: Rng): BackendRefDef[] {
  const count = rng.weighted<number>([[5, 1], [3, 2], [1, 3]]);
  const refs: BackendRefDef[] = [];
  for (let i = 0; i < count; i += 1) {
    const service = rng.chance(0.12) ? MISSING_SERVICE : rng.pick(SERVICE_NAMES);
    const weight = count === 1 && rng.chance(0.7) ? undefined : rng.weighted<0 | 1 | 3>([[1, 0], [3, 1], [2, 3]]);
    refs.push(weight === undefined ? { service } : { service, weight });
  }
  return refs;
}

function filter(rng: Rng, matches: readonly MatchDef[], kinds: readonly FilterDef['type'][] = ['header', 'redirect', 'rewrite']): FilterDef {
  const kind = rng.pick(kinds);
  if (kind === 'header') return { type: 'header', value: rng.pick(['red', 'green', 'blue']) };
  if (kind === 'redirect') return { type: 'redirect', hostname: rng.pick(['moved.test', 'other.test']), code: rng.pick([301, 302] as const) };
  // ReplacePrefixMatch needs a PathPrefix match on every match of the rule.
  const prefixOnly = matches.length > 0 && matches.every((m) => m.path?.[0] === 'PathPrefix');
  const path = prefixOnly && rng.chance(0.6) ? { kind: 'prefix' as const, value: rng.pick(['/v', '/']) } : { kind: 'full' as const, value: rng.pick(['/full', '/v/w']) };
  return { type: 'rewrite', path, ...(rng.chance(0.3) ? { hostname: 'rewritten.test' } : {}) };
}

function rule(rng: Rng): RuleDef {
  const matches = rng.chance(0.15) ? [] : Array.from({ length: rng.weighted<number>([[4, 1], [1, 2]]) }, () => match(rng));
  const chosen = rng.chance(0.2) ? filter(rng, matches) : undefined;
  // A redirect answers by itself; a rule with only a redirect names no backends.
  const backends = chosen?.type === 'redirect' ? [] : rng.chance(0.04) ? [] : backendRefs(rng);
  return { matches, backends, ...(chosen ? { filter: chosen } : {}) };
}

function hostnames(rng: Rng): string[] {
  const count = rng.weighted<number>([[2, 0], [4, 1], [2, 2]]);
  return [...new Set(Array.from({ length: count }, () => rng.pick(ROUTE_HOSTS)))];
}

function parent(rng: Rng): RouteDef['parent'] {
  return rng.weighted<RouteDef['parent']>([[6, 'gw'], [1, 'gw/http'], [1, 'gw/wild'], [2, 'own']]);
}

function newRoute(rng: Rng, name: string, created: number): RouteDef {
  return { name, created, parent: parent(rng), hostnames: hostnames(rng), rules: Array.from({ length: rng.range(1, 3) }, () => rule(rng)) };
}

export function initialWorld(rng: Rng): World {
  const world: World = { services: new Map(), routes: new Map(), wildListener: rng.chance(0.5), ownGateway: true, created: 10 };
  // s0..s2 exist with one or two endpoints; s3 appears later, if ever.
  SERVICE_NAMES.slice(0, 3).forEach((name, index) => world.services.set(name, rng.chance(0.4) ? [index, (index + 1) % SERVERS] : [index]));
  for (const name of ROUTE_NAMES.slice(0, 2)) {
    world.routes.set(name, newRoute(rng, name, world.created));
    world.created += 1;
  }
  return world;
}

/** Changes a route in one way: a rule replaced, added or removed, a weight, its hostnames, its parent, a filter added, removed or given another value. */
function modifyRoute(rng: Rng, route: RouteDef): string {
  const choice = rng.weighted<string>([[4, 'rule'], [2, 'weight'], [2, 'hostnames'], [1, 'parent'], [1, 'add-rule'], [1, 'drop-rule'], [1, 'filter'], [1, 'filter-value']]);
  const index = rng.int(route.rules.length);
  const target = route.rules[index]!;
  if (choice === 'weight' && target.backends.length > 0) {
    const ref = rng.pick(target.backends);
    ref.weight = rng.pick([0, 1, 3] as const);
    return `weight of ${ref.service} in rule ${index} → ${ref.weight}`;
  }
  if (choice === 'hostnames') {
    route.hostnames = hostnames(rng);
    return `hostnames → ${route.hostnames.join(',') || 'none'}`;
  }
  if (choice === 'parent') {
    route.parent = parent(rng);
    return `parent → ${route.parent}`;
  }
  if (choice === 'add-rule' && route.rules.length < 4) {
    route.rules.push(rule(rng));
    return 'a rule added';
  }
  if (choice === 'drop-rule' && route.rules.length > 1) {
    route.rules.splice(index, 1);
    return `rule ${index} removed`;
  }
  if (choice === 'filter-value' && target.filter) {
    // The same filter with another value: a featured backend replaced by another of the same shape, whose section may be reused.
    const filter = target.filter;
    if (filter.type === 'header') filter.value = filter.value === 'red' ? 'blue' : 'red';
    else if (filter.type === 'redirect') filter.hostname = filter.hostname === 'moved.test' ? 'other.test' : 'moved.test';
    else if (filter.path.kind === 'full') filter.path.value = filter.path.value === '/full' ? '/v/w' : '/full';
    else filter.path.value = filter.path.value === '/v' ? '/' : '/v';
    return `rule ${index}'s filter changes its value`;
  }
  if (choice === 'filter') {
    // A filter appears on, or leaves, a rule that keeps its backends: a featured backend comes or goes.
    if (target.filter === undefined && target.backends.length > 0) {
      target.filter = filter(rng, target.matches, ['header', 'rewrite']);
      return `rule ${index} gets a filter`;
    }
    if (target.filter?.type !== 'redirect') {
      delete target.filter;
      return `rule ${index} loses its filter`;
    }
  }
  route.rules[index] = rule(rng);
  return `rule ${index} replaced`;
}

export interface Mutation {
  world: World;
  text: string;
}

/**
 * One step: one random change, or two or three at once (written together, so
 * Portero may take them in one apply or in several, as a user's `kubectl
 * apply -f dir/` does).
 */
export function mutate(rng: Rng, previous: World): Mutation {
  let current: Mutation = change(rng, previous);
  const more = rng.weighted<number>([[7, 0], [2, 1], [1, 2]]);
  for (let i = 0; i < more; i += 1) {
    const next = change(rng, current.world);
    current = { world: next.world, text: `${current.text}; ${next.text}` };
  }
  return current;
}

/** One random change of the world (never a no-op on purpose; the rendered files may still come out equal). */
function change(rng: Rng, previous: World): Mutation {
  const world = cloneWorld(previous);
  const routes = [...world.routes.values()];
  const free = ROUTE_NAMES.filter((name) => !world.routes.has(name));
  const missing = SERVICE_NAMES.filter((name) => !world.services.has(name));
  const kind = rng.weighted<string>([
    [free.length > 0 ? (routes.length < 3 ? 5 : 2) : 0, 'add-route'],
    [routes.length > 0 ? 7 : 0, 'modify-route'],
    [routes.length > 1 ? 2 : 0, 'remove-route'],
    [2, 'endpoints'],
    [world.services.size > 0 ? 1 : 0, 'remove-service'],
    [missing.length > 0 ? 1.5 : 0, 'add-service'],
    [0.6, 'wild-listener'],
    [0.5, 'own-gateway'],
    [0.8, 'ingress'],
  ]);
  let text: string;
  switch (kind) {
    case 'add-route': {
      const route = newRoute(rng, rng.pick(free), world.created);
      world.created += 1;
      world.routes.set(route.name, route);
      text = `add ${describeRoute(route)}`;
      break;
    }
    case 'modify-route': {
      const route = rng.pick(routes);
      const what = modifyRoute(rng, route);
      text = `modify ${route.name}: ${what} ⇒ ${describeRoute(route)}`;
      break;
    }
    case 'remove-route': {
      const route = rng.pick(routes);
      world.routes.delete(route.name);
      text = `remove route ${route.name}`;
      break;
    }
    case 'endpoints': {
      const name = rng.pick(SERVICE_NAMES);
      const servers = rng.chance(0.15) ? [] : rng.subset([0, 1, 2, 3], 0.4);
      if (servers.length === 0 && rng.chance(0.5)) servers.push(rng.int(SERVERS));
      world.services.set(name, servers);
      text = `${previous.services.has(name) ? 'endpoints of' : 'add service'} ${name} → [${servers.map((s) => `srv${s}`).join(',')}]`;
      break;
    }
    case 'remove-service': {
      const name = rng.pick([...world.services.keys()]);
      world.services.delete(name);
      text = `remove service ${name}`;
      break;
    }
    case 'add-service': {
      const name = rng.pick(missing);
      const servers = [rng.int(SERVERS)];
      world.services.set(name, servers);
      text = `add service ${name} → [srv${servers[0]}]`;
      break;
    }
    case 'wild-listener':
      world.wildListener = !world.wildListener;
      text = `${world.wildListener ? 'add' : 'remove'} the listener wild (*.w.test) of gw`;
      break;
    case 'ingress':
      if (world.ingress && rng.chance(0.4)) {
        delete world.ingress;
        text = 'remove the Ingress ing';
      } else {
        world.ingress = { host: rng.pick(['b.test', '*.w.test', ''] as const), service: rng.pick(SERVICE_NAMES), created: world.ingress?.created ?? world.created++ };
        text = `Ingress ing: ${world.ingress.host || '(no host)'} / → ${world.ingress.service}`;
      }
      break;
    default:
      world.ownGateway = !world.ownGateway;
      text = `${world.ownGateway ? 'add' : 'remove'} the Gateway own`;
  }
  return { world, text };
}
