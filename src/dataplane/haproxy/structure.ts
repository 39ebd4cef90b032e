// What a loaded HAProxy configuration is made of, as far as runtime changes
// are concerned: which backends have sections, how many spare backends wait
// for new Services, and which lookups the routing rules perform. A model that
// fits the structure is applied through the runtime API; one that does not
// needs a reload (which renders a new structure).

import type { Model } from '../../model/model.js';

export interface Structure {
  /** Backend ids with a section of their own. */
  backends: ReadonlySet<string>;
  /** Spare backends `portero:spare:0` ... `portero:spare:N-1`, empty until a new Service needs one. */
  spares: number;
  /** Lookups the rules perform; only those the model at reload time needed. */
  exactLookup: boolean;
  wildcardLookup: boolean;
  redirect: boolean;
  wildcardRedirect: boolean;
}

export const SPARE_PREFIX = 'portero:spare:';

/** Spares for new Services: at least 32, and 5% of the backends, so the common "new app" change needs no reload. */
export function spareCount(backends: number): number {
  return 32 + Math.ceil(backends / 20);
}

export function lookupsFor(model: Model): Pick<Structure, 'exactLookup' | 'wildcardLookup' | 'redirect' | 'wildcardRedirect'> {
  return {
    exactLookup: model.levels.some((level) => level.routes.some((route) => route.match === 'exact')),
    wildcardLookup: model.levels.some((level) => level.host.startsWith('*.')),
    redirect: model.redirectHosts.length > 0,
    wildcardRedirect: model.redirectHosts.some((host) => host.startsWith('*.')),
  };
}

export function structureFor(model: Model): Structure {
  return { backends: new Set(model.backends.map((backend) => backend.id)), spares: spareCount(model.backends.length), ...lookupsFor(model) };
}

/** A lookup the model needs that the structure's rules do not perform; undefined when it fits. */
export function missingLookup(structure: Structure, model: Model): string | undefined {
  const needed = lookupsFor(model);
  if (needed.exactLookup && !structure.exactLookup) return 'the first Exact path needs the exact-path lookup';
  if (needed.wildcardLookup && !structure.wildcardLookup) return 'the first wildcard host needs the wildcard lookup';
  if (needed.redirect && !structure.redirect) return 'the first TLS host needs the HTTPS redirect';
  if (needed.wildcardRedirect && !structure.wildcardRedirect) return 'the first wildcard TLS host needs the wildcard redirect';
  return undefined;
}

/**
 * The HAProxy backend name of each model backend: its own section when it had
 * one at reload time, else the spare it was given since.
 */
export class BackendNames {
  constructor(
    readonly structure: Structure,
    private readonly spareOf: ReadonlyMap<string, number> = new Map(),
  ) {}

  nameOf(id: string): string | undefined {
    if (this.structure.backends.has(id)) return id;
    const spare = this.spareOf.get(id);
    return spare === undefined ? undefined : `${SPARE_PREFIX}${spare}`;
  }

  get spareAssignments(): ReadonlyMap<string, number> {
    return this.spareOf;
  }

  /**
   * Gives spares to the ids that have no name yet; undefined when the pool
   * runs out. When every id has a name already, the table is this very one.
   */
  assign(ids: readonly string[], used: number): { names: BackendNames; used: number } | undefined {
    let spareOf: Map<string, number> | undefined;
    let next = used;
    for (const id of ids) {
      if (this.nameOf(id) !== undefined || spareOf?.has(id)) continue;
      if (next >= this.structure.spares) return undefined;
      spareOf ??= new Map(this.spareOf);
      spareOf.set(id, next);
      next += 1;
    }
    return spareOf ? { names: new BackendNames(this.structure, spareOf), used: next } : { names: this, used };
  }
}
