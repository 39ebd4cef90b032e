// What a loaded HAProxy configuration can express without a reload,
// recorded when it is loaded: which capabilities its routing rules have
// (the lookups and checks rendered into the frontends), which backends have
// sections and with which settings, and how many spare backends wait for
// new Services. A model that needs anything else is a structural change and
// reloads (which renders a new structure).
//
// Adding a feature cannot forget this: the frontends are rendered from
// `Capabilities` alone (render-config.ts never sees the model there), every
// capability needs a reason in REASONS to compile, and the check that a model
// fits is one generic loop over the keys.

import { clientAuthRules, type ClientAuthRule } from './features/client-auth.js';
import { shapeKey } from './features/settings.js';
import { mirrorSettings } from './features/mirror.js';
import { isIngressPort, parseBackendId, type Backend, type Model, type Scope } from '../../model/model.js';
import type { GlobalSettings } from '../../model/globals.js';

/**
 * One canary decision rendered into the frontends: the route's backend, its
 * canary's, and the header and cookie that decide (weights are in a map and
 * change at runtime).
 */
export interface CanaryRule {
  primary: string;
  canary: string;
  header?: string;
  headerValue?: string;
  headerPattern?: string;
  cookie?: string;
}

/** Everything in the frontends' rules that depends on the model. */
export interface Capabilities {
  /** exact.map is consulted (some level has an Exact path). */
  exactLookup: boolean;
  /** The `*.` wildcard of the Host is looked up (some level is a wildcard host). */
  wildcardLookup: boolean;
  /** Gateway wildcards are looked up for names several labels deeper (HostLevel.anyDepth). */
  deepWildcardLookup: boolean;
  /** Plain HTTP to TLS hosts is redirected (redirect.map is consulted). */
  redirect: boolean;
  /** Wildcard TLS hosts redirect the hosts of their level. */
  wildcardRedirect: boolean;
  /** regex.map is consulted for levels whose paths are regular expressions (use-regex). */
  regexLookup: boolean;
  /**
   * Some route has candidates (Route.candidates): the frontends look up
   * candidates.map for routes whose map value is a route key, and load the
   * Lua that evaluates the list. Lists themselves change at runtime.
   */
  candidates: boolean;
  /** Port 443 is a TCP frontend that passes ssl-passthrough hosts on by SNI and the rest to the TLS frontend. */
  passthrough: boolean;
  /** The canary decisions, each a few rules; the loaded list must equal the model's. */
  canaries: readonly CanaryRule[];
  /** The ConfigMap's global settings rendered into the global, defaults and frontend sections; the loaded ones must equal the model's. */
  globals: GlobalSettings;
  /**
   * Client-certificate authentication per level (auth-tls-*): rendered into
   * the global section, the binds, the crt-list lines and the frontends'
   * rules and files; the loaded list must equal the model's.
   */
  clientAuth: readonly ClientAuthRule[];
  /**
   * Gateway listener ports other than 80 and 443, as `http 8080`, `https
   * 8443`: each is a frontend of its own (frontends.ts); the loaded list must
   * equal the model's.
   */
  ports: readonly string[];
  /**
   * Gateway API scopes (model.ts Scope): their addresses are bound by the
   * frontends of their ports, and a request arriving on one looks up the
   * scope's levels only; the loaded list must equal the model's.
   */
  scopes: readonly Scope[];
}

/** Why a reload is needed when a model needs a capability the loaded configuration lacks. */
const REASONS: Readonly<Record<keyof Capabilities, string>> = {
  exactLookup: 'the first Exact path needs the exact-path lookup',
  wildcardLookup: 'the first wildcard host needs the wildcard lookup',
  deepWildcardLookup: 'the first Gateway API wildcard host needs the lookup of deeper names',
  redirect: 'the first TLS host needs the HTTPS redirect',
  wildcardRedirect: 'the first wildcard TLS host needs the wildcard redirect',
  regexLookup: 'the first host with regular-expression paths needs the regex lookup',
  candidates: 'the first route with request conditions or a weighted split needs the candidate lookup',
  passthrough: 'the first ssl-passthrough host needs the TLS port to route by SNI',
  canaries: 'a canary was added or removed, or its header or cookie changed',
  globals: 'the global settings of the ingress-nginx ConfigMap changed',
  clientAuth: 'client-certificate authentication (auth-tls-*) of some host, its CA bundle or the certificate serving it changed',
  ports: 'a Gateway listener on a new port needs a frontend of its own, or the last listener on a port went away',
  scopes: 'the listener ports or addresses of Gateways changed (binds and scope rules)',
};

function canaryRules(model: Model): CanaryRule[] {
  const rules: CanaryRule[] = [];
  for (const level of model.levels) {
    for (const route of level.routes) {
      const canary = route.canary;
      if (!canary || route.target.kind !== 'backend') continue;
      const { target, weight: _weight, ...decision } = canary;
      rules.push({ primary: route.target.id, canary: target.id, ...decision });
    }
  }
  // A level copied for a server-alias shares its routes' backends: one rule per backend.
  const unique = [...new Map(rules.map((rule) => [rule.primary, rule])).values()];
  return unique.sort((a, b) => (a.primary < b.primary ? -1 : a.primary > b.primary ? 1 : 0));
}

const NO_GLOBALS: GlobalSettings = Object.freeze({});

/** A boolean capability fits when the loaded one has it too; a list fits when it is the same list. */
function fits(needed: Capabilities[keyof Capabilities], loaded: Capabilities[keyof Capabilities]): boolean {
  if (typeof needed === 'boolean') return !needed || loaded === true;
  return JSON.stringify(needed) === JSON.stringify(loaded);
}

export function capabilitiesFor(model: Model): Capabilities {
  return {
    exactLookup: model.levels.some((level) => level.routes.some((route) => route.match === 'exact')),
    wildcardLookup: model.levels.some((level) => level.host.startsWith('*.')),
    deepWildcardLookup: model.levels.some((level) => level.anyDepth === true),
    redirect: model.redirectHosts.length > 0,
    wildcardRedirect: model.redirectHosts.some((host) => host.startsWith('*.')),
    regexLookup: model.levels.some((level) => level.regex),
    candidates: model.levels.some((level) => level.routes.some((route) => (route.candidates?.length ?? 0) > 0)),
    passthrough: (model.passthrough ?? []).length > 0,
    canaries: canaryRules(model),
    globals: model.globals ?? NO_GLOBALS,
    clientAuth: clientAuthRules(model),
    ports: [...new Set((model.scopes ?? []).filter((scope) => !isIngressPort(scope.port, scope.protocol)).map((scope) => `${scope.protocol} ${scope.port}`))].sort(),
    scopes: model.scopes ?? [],
  };
}

/**
 * What a backend section holds besides its servers (which change at
 * runtime): its features, which render-features.ts turns into lines, less
 * the values its rules read from settings.map (features/settings.ts). Equal
 * settings mean the section can serve the backend; a spare has the settings
 * of a backend without features (`''`).
 */
export function backendSettings(backend: Pick<Backend, 'features' | 'authEndpoints' | 'backupEndpoints' | 'mirrorEndpoints'> | undefined): string {
  if (!backend?.features) return '';
  const list = (endpoints: readonly { address: string; port: number }[]) => endpoints.map((endpoint) => `${endpoint.address}:${endpoint.port}`).join(',');
  // The auth service's addresses are arguments of the auth rule (features/ext-auth.ts): a change reloads.
  const auth = backend.authEndpoints ? ` auth=${list(backend.authEndpoints)}` : '';
  // So are the error backend's, with custom-http-errors (features/custom-errors.ts).
  const errors = backend.features.customErrors ? ` errors=${list(backend.backupEndpoints ?? [])}` : '';
  // And the mirrors' (features/mirror.ts).
  return `${shapeKey(backend.features)}${auth}${errors}${mirrorSettings(backend.mirrorEndpoints)}`;
}

export interface Structure {
  capabilities: Capabilities;
  /** Backend ids with a section of their own, with the section's settings. */
  backends: ReadonlyMap<string, string>;
  /** Spare backends `portero:spare:0` ... `portero:spare:N-1`, empty until a new Service needs one. */
  spares: number;
}

export const SPARE_PREFIX = 'portero:spare:';

/** Spares for new Services: at least 32, and 5% of the backends, so the common "new app" change needs no reload. */
export function spareCount(backends: number): number {
  return 32 + Math.ceil(backends / 20);
}

export function structureFor(model: Model): Structure {
  return {
    capabilities: capabilitiesFor(model),
    backends: new Map(model.backends.map((backend) => [backend.id, backendSettings(backend)])),
    spares: spareCount(model.backends.length),
  };
}

function backendMisfit(structure: Structure, backends: readonly Backend[]): string | undefined {
  for (const backend of backends) {
    const loaded = structure.backends.get(backend.id);
    if (loaded !== undefined && loaded !== backendSettings(backend)) return `the settings of backend ${backend.id} changed`;
  }
  return undefined;
}

// Backend lists are immutable and shared between models while no backend changes.
const backendChecks = new WeakMap<readonly Backend[], { structure: Structure; misfit: string | undefined }>();

/** Why the model does not fit the structure; undefined when it fits (new backends aside: BackendNames.assign finds them a section). */
export function misfit(structure: Structure, model: Model): string | undefined {
  const needed = capabilitiesFor(model);
  for (const key of Object.keys(needed) as (keyof Capabilities)[]) {
    if (!fits(needed[key], structure.capabilities[key])) return REASONS[key];
  }
  const memo = backendChecks.get(model.backends);
  if (memo?.structure === structure) return memo.misfit;
  const result = backendMisfit(structure, model.backends);
  backendChecks.set(model.backends, { structure, misfit: result });
  return result;
}

/** A backend that could not be given a section: HAProxy must reload. */
export interface Unassignable {
  reason: 'spares-exhausted' | 'structural';
  detail: string;
}

/** The id of the Service port a backend id serves (`ns_svc_80` of `ns_svc_80.3f9a0c1b2d`). */
function baseOf(id: string): string | undefined {
  const parts = parseBackendId(id);
  return parts ? `${parts.namespace}_${parts.service}_${parts.port}` : undefined;
}

// The loaded sections by the Service port they serve, built once per structure.
const sectionsByBase = new WeakMap<Structure, ReadonlyMap<string, readonly string[]>>();

function sectionsOf(structure: Structure, base: string): readonly string[] {
  let index = sectionsByBase.get(structure);
  if (!index) {
    const built = new Map<string, string[]>();
    for (const id of structure.backends.keys()) {
      const key = baseOf(id);
      if (key !== undefined) built.set(key, [...(built.get(key) ?? []), id]);
    }
    index = built;
    sectionsByBase.set(structure, index);
  }
  return index.get(base) ?? [];
}

/**
 * The HAProxy backend name of each model backend: its own section when it had
 * one at reload time; else a section it was given since: a spare (backends
 * without features), or the section of a backend of the same Service port
 * and the same settings that has left the model (features/settings.ts: a
 * changed timeout, body size or redirect target makes another backend id,
 * served by the same rules with other values in settings.map).
 */
export class BackendNames {
  constructor(
    readonly structure: Structure,
    private readonly spareOf: ReadonlyMap<string, number> = new Map(),
    private readonly sectionOf: ReadonlyMap<string, string> = new Map(),
  ) {}

  nameOf(id: string): string | undefined {
    if (this.structure.backends.has(id)) return id;
    const section = this.sectionOf.get(id);
    if (section !== undefined) return section;
    const spare = this.spareOf.get(id);
    return spare === undefined ? undefined : `${SPARE_PREFIX}${spare}`;
  }

  get spareAssignments(): ReadonlyMap<string, number> {
    return this.spareOf;
  }

  private takers: Map<string, string> | undefined;

  /** The backend a loaded section was given to since its own backend left (assign), if any. */
  takerOf(section: string): string | undefined {
    this.takers ??= new Map([...this.sectionOf].map(([id, given]) => [given, id]));
    return this.takers.get(section);
  }

  /**
   * Gives a section to each backend that has none yet: a spare, or the
   * loaded section of a departed backend of the same Service port and
   * settings. A section given earlier is given up when its own backend
   * comes back (and its taker looks again) or its taker leaves. When every
   * backend keeps its name, the table is this very one.
   */
  assign(backends: readonly Backend[], used: number): { names: BackendNames; used: number } | Unassignable {
    let present: Set<string> | undefined;
    const isPresent = (id: string) => (present ??= new Set(backends.map((backend) => backend.id))).has(id);
    let sectionOf: Map<string, string> | undefined;
    const drop = (id: string) => (sectionOf ??= new Map(this.sectionOf)).delete(id);
    for (const [id, section] of this.sectionOf) if (!isPresent(id) || isPresent(section)) drop(id);
    let spareOf: Map<string, number> | undefined;
    let next = used;
    for (const backend of backends) {
      const id = backend.id;
      if (this.structure.backends.has(id) || this.spareOf.has(id) || spareOf?.has(id)) continue;
      const given = (sectionOf ?? this.sectionOf).get(id);
      const settings = backendSettings(backend);
      if (given !== undefined) {
        // The settings outside the features (an auth service's addresses) may have changed.
        if (this.structure.backends.get(given) === settings) continue;
        drop(id);
      }
      if (settings === backendSettings(undefined)) {
        if (next >= this.structure.spares) return { reason: 'spares-exhausted', detail: 'the spare backends for new Services are used up' };
        (spareOf ??= new Map(this.spareOf)).set(id, next);
        next += 1;
        continue;
      }
      const taken = new Set((sectionOf ?? this.sectionOf).values());
      const base = baseOf(id);
      const free = base === undefined ? undefined : sectionsOf(this.structure, base).find((section) => !isPresent(section) && !taken.has(section) && this.structure.backends.get(section) === settings);
      if (free === undefined) return { reason: 'structural', detail: `new backend ${id} needs settings no free section has` };
      (sectionOf ??= new Map(this.sectionOf)).set(id, free);
    }
    if (!spareOf && !sectionOf) return { names: this, used };
    return { names: new BackendNames(this.structure, spareOf ?? this.spareOf, sectionOf ?? this.sectionOf), used: next };
  }
}
