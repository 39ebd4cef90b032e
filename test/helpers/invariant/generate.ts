// Random worlds and random mutations of them, biased so that every structural
// boundary gets crossed: a directed mutation (about every other step while a
// boundary is still uncovered) moves the world towards the next uncovered
// boundary (removing every wildcard host when some exist, adding one when none
// do, and so on); the other steps are random mutations, sometimes several at
// once. Which boundaries were actually crossed is decided afterwards from the
// translated models (boundaries.ts), never from the generator's intentions.

import { Rng } from './prng.js';
import {
  ALT_CLASS,
  CONTROLLER,
  EXACT_HOSTS,
  INGRESS_NAMES,
  MATERIALS,
  OTHER_CLASS,
  OTHER_CONTROLLER,
  OUR_CLASS,
  PATHS,
  SECRET_NAMES,
  SERVICE_NAMES,
  WILDCARD_HOSTS,
  cloneWorld,
  describeIngress,
  describeService,
  emptyWorld,
  tick,
  type ClassRef,
  type IngressDef,
  type PathDef,
  type PathType,
  type RuleDef,
  type SecretDef,
  type ServiceDef,
  type ServicePort,
  type World,
} from './world.js';

export interface GeneratorSettings {
  /** Servers in the pool that endpoints point at. */
  servers: number;
  /** Services in one burst: more than the 32+ spare backends. */
  burstSize: number;
  /** Bursts alive at once, at most. */
  maxBursts: number;
  /**
   * Ingresses also ask for client certificates (auth-tls-*), changed after
   * each step's mutation from a stream of their own, so that the worlds of a
   * seed are otherwise the same as without.
   */
  clientAuth?: boolean;
}

export const DEFAULT_GENERATOR: GeneratorSettings = { servers: 48, burstSize: 42, maxBursts: 2 };

/** The boundaries every fixed-seed run must cross (see boundaries.ts for how each is detected). */
export const REQUIRED_BOUNDARIES = [
  'wildcard:first',
  'wildcard:last',
  'hostless:first',
  'hostless:last',
  'hostless:added-under-catch-all',
  'hostless:removed-under-catch-all',
  'exact:first',
  'exact:last',
  'tls:first',
  'tls:last',
  'default-backend:first',
  'default-backend:last',
  'spares:exhausted',
  'class:out',
  'class:back',
  'service:appeared',
  'service:vanished',
  'secret:swapped',
  'endpoints:not-ready',
] as const;
export type Boundary = (typeof REQUIRED_BOUNDARIES)[number] | string;

export interface Mutation {
  /** Short form, for the failure report's sequence. */
  text: string;
  /** The boundary a directed mutation aims at. */
  aim?: string;
}

// ---------------------------------------------------------------------------
// Random pieces.

function randomPath(rng: Rng): PathDef {
  return {
    path: rng.pick(PATHS),
    type: rng.weighted<PathType>([[4, 'Prefix'], [3, 'Exact'], [1, 'ImplementationSpecific']]),
    service: rng.pick(SERVICE_NAMES),
    port: rng.weighted<ServicePort>([[7, 80], [3, 'http'], [1, 81]]),
  };
}

function randomHost(rng: Rng): string | undefined {
  return rng.weighted<string | undefined>([[6, rng.pick(EXACT_HOSTS)], [2, rng.pick(WILDCARD_HOSTS)], [2, undefined]]);
}

/** A rule for `host` (`null`: a host-less rule; omitted: a random host or none). */
function randomRule(rng: Rng, host: string | null = randomHost(rng) ?? null): RuleDef {
  const paths: PathDef[] = [];
  const count = rng.range(1, 3);
  for (let i = 0; i < count; i += 1) paths.push(randomPath(rng));
  return { ...(host !== null ? { host } : {}), paths };
}

function randomClass(rng: Rng): ClassRef {
  return rng.weighted<ClassRef>([
    [10, { by: 'field', name: OUR_CLASS }],
    [1, { by: 'field', name: ALT_CLASS }],
    [1, { by: 'field', name: OTHER_CLASS }],
    [1, { by: 'annotation', name: OUR_CLASS }],
    [1, { by: 'none' }],
  ]);
}

function ruleHosts(def: IngressDef): string[] {
  return [...new Set(def.rules.flatMap((rule) => (rule.host !== undefined ? [rule.host] : [])))];
}

function randomTls(rng: Rng, def: IngressDef): IngressDef['tls'] {
  const hosts = ruleHosts(def);
  if (hosts.length === 0) return [];
  const listed = rng.chance(0.7) ? rng.subset(hosts, 0.7) : undefined;
  const secretName = rng.chance(0.9) ? rng.pick(SECRET_NAMES) : undefined;
  return [{ ...(listed && listed.length > 0 ? { hosts: listed } : {}), ...(secretName ? { secretName } : {}) }];
}

function randomIngress(rng: Rng, world: World, name: string): IngressDef {
  const def: IngressDef = { name, created: tick(world), cls: randomClass(rng), rules: [], tls: [] };
  const rules = rng.range(1, 3);
  for (let i = 0; i < rules; i += 1) def.rules.push(randomRule(rng));
  if (rng.chance(0.2)) def.defaultBackend = { service: rng.pick(SERVICE_NAMES), port: rng.weighted<ServicePort>([[5, 80], [1, 'http'], [1, 81]]) };
  if (rng.chance(0.3)) def.tls = randomTls(rng, def);
  return def;
}

function randomEndpoints(rng: Rng, settings: GeneratorSettings): ServiceDef['endpoints'] {
  const count = rng.weighted([[1, 0], [6, 1], [4, 2], [2, 3]] as const);
  const servers = new Set<number>();
  while (servers.size < count) servers.add(rng.int(settings.servers));
  return [...servers].map((server) => ({ server, ready: rng.chance(0.85) }));
}

function newService(rng: Rng, world: World, name: string, settings: GeneratorSettings): ServiceDef {
  return { name, created: tick(world), endpoints: randomEndpoints(rng, settings) };
}

/** An Ingress is valid only with rules or a default backend. */
function keepValid(world: World, def: IngressDef): string {
  if (def.rules.length === 0 && !def.defaultBackend) {
    delete world.ingresses[def.name];
    return ` (${def.name} deleted: nothing left)`;
  }
  return '';
}

// ---------------------------------------------------------------------------
// The initial world.

export function initialWorld(rng: Rng, settings: GeneratorSettings = DEFAULT_GENERATOR): World {
  const world = emptyWorld();
  world.classes[OUR_CLASS] = { name: OUR_CLASS, created: tick(world), controller: CONTROLLER, isDefault: rng.chance(0.3) };
  world.classes[OTHER_CLASS] = { name: OTHER_CLASS, created: tick(world), controller: OTHER_CONTROLLER, isDefault: false };
  if (rng.chance(0.5)) world.classes[ALT_CLASS] = { name: ALT_CLASS, created: tick(world), controller: CONTROLLER, isDefault: false };
  for (const name of rng.subset(SERVICE_NAMES, 0.7)) world.services[name] = newService(rng, world, name, settings);
  for (const name of rng.subset(SECRET_NAMES, 0.7)) world.secrets[name] = { name, created: tick(world), material: rng.int(MATERIALS) };
  const ingresses = rng.range(2, 5);
  for (const name of INGRESS_NAMES.slice(0, ingresses)) world.ingresses[name] = randomIngress(rng, world, name);
  return world;
}

// ---------------------------------------------------------------------------
// Random mutations. Each changes `world` in place and returns its short form.

type Change = (rng: Rng, world: World, settings: GeneratorSettings) => string | undefined;

const ingressList = (world: World) => Object.values(world.ingresses);

const addIngress: Change = (rng, world) => {
  const free = INGRESS_NAMES.filter((name) => !world.ingresses[name]);
  if (free.length === 0) return undefined;
  const def = randomIngress(rng, world, rng.pick(free));
  world.ingresses[def.name] = def;
  return `+ing ${describeIngress(def)}`;
};

const removeIngress: Change = (rng, world) => {
  const list = ingressList(world);
  if (list.length === 0) return undefined;
  const def = rng.pick(list);
  delete world.ingresses[def.name];
  return `-ing ${def.name}`;
};

const editIngress: Change = (rng, world) => {
  const list = ingressList(world);
  if (list.length === 0) return undefined;
  const def = rng.pick(list);
  const edit = rng.weighted<string>([
    [3, 'add-rule'],
    [2, 'remove-rule'],
    [4, 'change-path'],
    [2, 'add-path'],
    [1, 'default'],
    [1, 'tls'],
  ]);
  switch (edit) {
    case 'add-rule':
      def.rules.push(randomRule(rng));
      break;
    case 'remove-rule':
      if (def.rules.length === 0) return undefined;
      def.rules.splice(rng.int(def.rules.length), 1);
      break;
    case 'change-path': {
      const rule = def.rules.length > 0 ? rng.pick(def.rules) : undefined;
      if (!rule || rule.paths.length === 0) return undefined;
      const index = rng.int(rule.paths.length);
      const path = rule.paths[index]!;
      const fresh = randomPath(rng);
      const field = rng.pick(['path', 'type', 'service', 'port'] as const);
      rule.paths[index] = { ...path, [field]: fresh[field] };
      break;
    }
    case 'add-path': {
      const rule = def.rules.length > 0 ? rng.pick(def.rules) : undefined;
      if (!rule) return undefined;
      rule.paths.push(randomPath(rng));
      break;
    }
    case 'default':
      if (def.defaultBackend) delete def.defaultBackend;
      else def.defaultBackend = { service: rng.pick(SERVICE_NAMES), port: 80 };
      break;
    case 'tls':
      def.tls = def.tls.length > 0 ? [] : randomTls(rng, def);
      break;
  }
  return `~ing ${edit} ${describeIngress(def)}${keepValid(world, def)}`;
};

const switchClass: Change = (rng, world) => {
  const list = ingressList(world);
  if (list.length === 0) return undefined;
  const def = rng.pick(list);
  const before = def.cls;
  def.cls = before.by === 'field' && before.name === OUR_CLASS ? { by: 'field', name: OTHER_CLASS } : { by: 'field', name: OUR_CLASS };
  return `~ing class ${def.name} → ${def.cls.by === 'field' ? def.cls.name : ''}`;
};

const serviceAppear: Change = (rng, world, settings) => {
  const free = SERVICE_NAMES.filter((name) => !world.services[name]);
  if (free.length === 0) return undefined;
  const def = newService(rng, world, rng.pick(free), settings);
  world.services[def.name] = def;
  return `+svc ${describeService(def)}`;
};

const serviceVanish: Change = (rng, world) => {
  const list = Object.values(world.services);
  if (list.length === 0) return undefined;
  const def = rng.pick(list);
  delete world.services[def.name];
  return `-svc ${def.name}`;
};

const endpointsChange: Change = (rng, world, settings) => {
  const list = Object.values(world.services);
  if (list.length === 0) return undefined;
  const def = rng.pick(list);
  const how = rng.weighted<string>([[3, 'replace'], [3, 'toggle-ready'], [1, 'none-ready'], [2, 'add']]);
  switch (how) {
    case 'replace':
      def.endpoints = randomEndpoints(rng, settings);
      break;
    case 'toggle-ready': {
      if (def.endpoints.length === 0) return undefined;
      const endpoint = rng.pick(def.endpoints);
      endpoint.ready = !endpoint.ready;
      break;
    }
    case 'none-ready':
      for (const endpoint of def.endpoints) endpoint.ready = false;
      break;
    case 'add': {
      const server = rng.int(settings.servers);
      if (def.endpoints.some((endpoint) => endpoint.server === server)) return undefined;
      def.endpoints.push({ server, ready: true });
      break;
    }
  }
  return `~svc ${how} ${describeService(def)}`;
};

const secretChange: Change = (rng, world) => {
  const name = rng.pick(SECRET_NAMES);
  const def = world.secrets[name];
  if (!def) {
    world.secrets[name] = { name, created: tick(world), material: rng.int(MATERIALS) };
    return `+secret ${name} material ${world.secrets[name]!.material}`;
  }
  if (rng.chance(0.3)) {
    delete world.secrets[name];
    return `-secret ${name}`;
  }
  def.material = (def.material + 1 + rng.int(MATERIALS - 1)) % MATERIALS;
  return `~secret ${name} material ${def.material}`;
};

const classChange: Change = (rng, world) => {
  const how = rng.weighted<string>([[3, 'alt'], [3, 'default'], [1, 'takeover']]);
  const ours = world.classes[OUR_CLASS];
  switch (how) {
    case 'alt':
      if (world.classes[ALT_CLASS]) {
        delete world.classes[ALT_CLASS];
        return `-class ${ALT_CLASS}`;
      }
      world.classes[ALT_CLASS] = { name: ALT_CLASS, created: tick(world), controller: CONTROLLER, isDefault: false };
      return `+class ${ALT_CLASS}`;
    case 'default':
      if (!ours) return undefined;
      ours.isDefault = !ours.isDefault;
      return `~class ${OUR_CLASS} default=${ours.isDefault}`;
    case 'takeover':
      // The IngressClass named like --ingress-class belongs to another controller, or to us again.
      if (!ours) return undefined;
      ours.controller = ours.controller === CONTROLLER ? OTHER_CONTROLLER : CONTROLLER;
      return `~class ${OUR_CLASS} controller=${ours.controller === CONTROLLER ? 'ours' : 'other'}`;
  }
  return undefined;
};

const burstAdd: Change = (rng, world, settings) => {
  if (Object.keys(world.bursts).length >= settings.maxBursts) return undefined;
  const id = world.nextBurst;
  world.nextBurst += 1;
  const servers = Array.from({ length: settings.burstSize }, () => rng.int(settings.servers));
  world.bursts[String(id)] = { id, created: tick(world), servers };
  return `+burst ${id} (${servers.length} Services and hosts)`;
};

const burstRemove: Change = (rng, world) => {
  const list = Object.values(world.bursts);
  if (list.length === 0) return undefined;
  const def = rng.pick(list);
  delete world.bursts[String(def.id)];
  return `-burst ${def.id}`;
};

const RANDOM: readonly (readonly [number, Change])[] = [
  [4, addIngress],
  [2, removeIngress],
  [8, editIngress],
  [1, switchClass],
  [2, serviceAppear],
  [2, serviceVanish],
  [3, endpointsChange],
  [2, secretChange],
  [1, classChange],
  [0.4, burstAdd],
  [0.6, burstRemove],
];

function randomMutation(rng: Rng, world: World, settings: GeneratorSettings): string {
  for (let attempt = 0; attempt < 20; attempt += 1) {
    const text = rng.weighted(RANDOM)(rng, world, settings);
    if (text !== undefined) return text;
  }
  return 'noop';
}

// ---------------------------------------------------------------------------
// Directed mutations: each moves the world across (or towards) a boundary.

/** What the generator can tell about a world without translating it (a guess; detection is exact). */
export interface Hints {
  wildcard: boolean;
  hostless: boolean;
  exact: boolean;
  tls: boolean;
  defaultBackend: boolean;
  /** The catch-all answers with something other than a plain 404. */
  catchAll: boolean;
  /** Services referenced by served Ingresses. */
  referenced: string[];
  /** Ingresses that Portero serves. */
  served: string[];
  /** Secrets whose certificate is served. */
  certificates: string[];
}

function stripRules(world: World, drop: (rule: RuleDef) => boolean, what: string): string {
  const touched: string[] = [];
  for (const def of ingressList(world)) {
    const before = def.rules.length;
    def.rules = def.rules.filter((rule) => !drop(rule));
    if (def.rules.length !== before) touched.push(`${def.name}${keepValid(world, def)}`);
  }
  return `strip ${what} from ${touched.join(', ') || 'nothing'}`;
}

function someIngress(rng: Rng, world: World, hints: Hints): IngressDef {
  const served = hints.served.map((name) => world.ingresses[name]).filter((def): def is IngressDef => def !== undefined);
  if (served.length > 0 && rng.chance(0.8)) return rng.pick(served);
  const free = INGRESS_NAMES.filter((name) => !world.ingresses[name]);
  if (free.length > 0) {
    const def: IngressDef = { name: rng.pick(free), created: tick(world), cls: { by: 'field', name: OUR_CLASS }, rules: [], tls: [] };
    world.ingresses[def.name] = def;
    return def;
  }
  const def = rng.pick(ingressList(world));
  def.cls = { by: 'field', name: OUR_CLASS };
  return def;
}

function toggleHostless(rng: Rng, world: World, hints: Hints): string {
  if (hints.hostless) return stripRules(world, (rule) => rule.host === undefined, 'host-less rules');
  const def = someIngress(rng, world, hints);
  // Random paths: with a `/` route the level's `_/` entry is that route, without one it is the
  // level's fallback; either way it shares its key with the catch-all's entry (defect 1 and M1).
  const rule = randomRule(rng, null);
  def.rules.push(rule);
  return `add host-less rule to ${describeIngress(def)}`;
}

function directed(aim: string, rng: Rng, world: World, hints: Hints, settings: GeneratorSettings): string | undefined {
  const family = aim.split(':')[0];
  switch (family) {
    case 'wildcard':
      if (hints.wildcard) return stripRules(world, (rule) => rule.host?.startsWith('*.') ?? false, 'wildcard rules');
      {
        const def = someIngress(rng, world, hints);
        def.rules.push(randomRule(rng, rng.pick(WILDCARD_HOSTS)));
        return `add wildcard rule to ${describeIngress(def)}`;
      }
    case 'hostless':
      if (aim !== 'hostless:first' && aim !== 'hostless:last' && !hints.catchAll) {
        const def = someIngress(rng, world, hints);
        const present = SERVICE_NAMES.filter((name) => world.services[name]);
        def.defaultBackend = { service: present.length > 0 ? rng.pick(present) : rng.pick(SERVICE_NAMES), port: 80 };
        return `add default backend (for a catch-all) to ${describeIngress(def)}`;
      }
      return toggleHostless(rng, world, hints);
    case 'exact':
      if (hints.exact) {
        const touched: string[] = [];
        for (const def of ingressList(world)) {
          for (const rule of def.rules) for (const path of rule.paths) if (path.type === 'Exact') path.type = 'Prefix';
          touched.push(def.name);
        }
        return `Exact paths become Prefix in ${touched.join(', ')}`;
      }
      {
        const def = someIngress(rng, world, hints);
        const path: PathDef = { ...randomPath(rng), type: 'Exact' };
        if (def.rules.length === 0) def.rules.push({ host: rng.pick(EXACT_HOSTS), paths: [path] });
        else rng.pick(def.rules).paths.push(path);
        return `add Exact path to ${describeIngress(def)}`;
      }
    case 'tls':
      if (hints.tls) {
        for (const def of ingressList(world)) def.tls = [];
        return 'remove every TLS section';
      }
      {
        const def = someIngress(rng, world, hints);
        if (ruleHosts(def).length === 0) def.rules.push(randomRule(rng, rng.pick([...EXACT_HOSTS, ...WILDCARD_HOSTS])));
        def.tls = [{ hosts: [rng.pick(ruleHosts(def))], secretName: rng.pick(SECRET_NAMES) }];
        return `add TLS to ${describeIngress(def)}`;
      }
    case 'default-backend':
      if (hints.defaultBackend) {
        const touched: string[] = [];
        for (const def of ingressList(world)) {
          if (!def.defaultBackend) continue;
          delete def.defaultBackend;
          touched.push(`${def.name}${keepValid(world, def)}`);
        }
        return `remove default backends from ${touched.join(', ')}`;
      }
      {
        const def = someIngress(rng, world, hints);
        def.defaultBackend = { service: rng.pick(SERVICE_NAMES), port: 80 };
        return `add default backend to ${describeIngress(def)}`;
      }
    case 'spares':
      if (Object.keys(world.bursts).length >= settings.maxBursts) return burstRemove(rng, world, settings);
      return burstAdd(rng, world, settings);
    case 'class': {
      const out = ingressList(world).filter((def) => def.cls.by === 'field' && def.cls.name === OTHER_CLASS);
      if (aim === 'class:back' && out.length > 0) {
        const def = rng.pick(out);
        def.cls = { by: 'field', name: OUR_CLASS };
        return `~ing class ${def.name} back → ${OUR_CLASS}`;
      }
      const served = hints.served.map((name) => world.ingresses[name]).filter((def): def is IngressDef => def !== undefined);
      if (served.length === 0) return addIngress(rng, world, settings);
      const def = rng.pick(served);
      def.cls = { by: 'field', name: OTHER_CLASS };
      return `~ing class ${def.name} → ${OTHER_CLASS}`;
    }
    case 'service': {
      const present = hints.referenced.filter((name) => world.services[name]);
      const absent = hints.referenced.filter((name) => !world.services[name] && (SERVICE_NAMES as readonly string[]).includes(name));
      if (aim === 'service:appeared' && absent.length > 0) {
        const def = newService(rng, world, rng.pick(absent), settings);
        def.endpoints = def.endpoints.length > 0 ? def.endpoints : [{ server: rng.int(settings.servers), ready: true }];
        world.services[def.name] = def;
        return `+svc ${describeService(def)}`;
      }
      if (present.length > 0) {
        const name = rng.pick(present);
        delete world.services[name];
        return `-svc ${name}`;
      }
      return editIngress(rng, world, settings);
    }
    case 'secret': {
      const used = hints.certificates.map((name) => world.secrets[name]).filter((def): def is SecretDef => def !== undefined);
      if (used.length > 0) {
        const def = rng.pick(used);
        def.material = (def.material + 1 + rng.int(MATERIALS - 1)) % MATERIALS;
        return `~secret ${def.name} material ${def.material}`;
      }
      // No certificate is served yet: a served Ingress gets TLS with a Secret that exists.
      const name = rng.pick(SECRET_NAMES);
      world.secrets[name] ??= { name, created: tick(world), material: rng.int(MATERIALS) };
      const def = someIngress(rng, world, hints);
      if (ruleHosts(def).length === 0) def.rules.push(randomRule(rng, rng.pick(EXACT_HOSTS)));
      def.tls = [{ hosts: [rng.pick(ruleHosts(def))], secretName: name }];
      return `add TLS with Secret ${name} to ${describeIngress(def)}`;
    }
    case 'endpoints': {
      const candidates = hints.referenced.map((name) => world.services[name]).filter((def): def is ServiceDef => def !== undefined && def.endpoints.some((endpoint) => endpoint.ready));
      if (candidates.length === 0) return serviceAppear(rng, world, settings);
      const def = rng.pick(candidates);
      rng.pick(def.endpoints.filter((endpoint) => endpoint.ready)).ready = false;
      return `~svc not-ready ${describeService(def)}`;
    }
  }
  return undefined;
}

/**
 * The next world: a directed mutation towards `aim` when one is given, else
 * one to three random mutations.
 */
export function mutate(rng: Rng, previous: World, hints: Hints, aim: string | undefined, settings: GeneratorSettings = DEFAULT_GENERATOR): { world: World; mutation: Mutation } {
  const world = cloneWorld(previous);
  // The IngressClass named like --ingress-class taken by another controller serves nothing of ours:
  // give it back soon, or the rest of the sequence would change nothing Portero serves.
  const ours = world.classes[OUR_CLASS];
  const giveBack = ours !== undefined && ours.controller !== CONTROLLER && rng.chance(0.6);
  if (giveBack) ours.controller = CONTROLLER;
  const prefix = giveBack ? `~class ${OUR_CLASS} controller=ours ; ` : '';
  if (aim !== undefined) {
    const text = directed(aim, rng, world, hints, settings);
    if (text !== undefined) return { world, mutation: { text: `${prefix}[${aim}] ${text}`, aim } };
  }
  const count = rng.weighted([[6, 1], [3, 2], [1, 3]] as const);
  const texts: string[] = [];
  for (let i = 0; i < count; i += 1) texts.push(randomMutation(rng, world, settings));
  if (settings.clientAuth) texts.push(clientAuthChange(new Rng((rng.seed * 31 + world.clock * 2654435761) >>> 0), world));
  return { world, mutation: { text: prefix + texts.join(' ; ') } };
}

/** Client certificates of one Ingress added, changed or removed (from a stream of their own, see GeneratorSettings.clientAuth). */
function clientAuthChange(side: Rng, world: World): string {
  const list = ingressList(world);
  if (list.length === 0 || side.chance(0.4)) return 'client-auth unchanged';
  const def = side.pick(list);
  if (def.clientAuth && side.chance(0.35)) {
    delete def.clientAuth;
    return `-client-auth ${def.name}`;
  }
  // Secrets of the pool, which may not exist (then the Ingress's paths answer 503).
  def.clientAuth = { secret: side.pick(SECRET_NAMES), verify: side.pick(['on', 'optional', 'off'] as const), errorPage: side.chance(0.3), matchCn: side.chance(0.2) };
  return `~client-auth ${describeIngress(def)}`;
}

/**
 * Which boundary the next step aims at, or none (a random step). While some
 * required boundary is uncovered, about every other step aims at the
 * uncovered one aimed at least so far (so that one hard to reach cannot
 * starve the others); afterwards, about every fourth step aims at a random
 * boundary, so that long runs keep crossing all of them. `attempts` counts
 * the aims chosen so far and is updated.
 */
export function chooseAim(rng: Rng, covered: { has(boundary: string): boolean }, attempts: Map<string, number>, step: number): string | undefined {
  const uncovered = REQUIRED_BOUNDARIES.filter((boundary) => !covered.has(boundary));
  let aim: string | undefined;
  if (uncovered.length > 0) {
    if (step % 2 === 1 || rng.chance(0.25)) aim = [...uncovered].sort((a, b) => (attempts.get(a) ?? 0) - (attempts.get(b) ?? 0))[0];
  } else if (rng.chance(0.25)) aim = rng.pick(REQUIRED_BOUNDARIES);
  if (aim !== undefined) attempts.set(aim, (attempts.get(aim) ?? 0) + 1);
  return aim;
}
