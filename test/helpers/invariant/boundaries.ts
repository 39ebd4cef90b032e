// Which structural boundaries a step crossed, decided from the translated
// models of the step before and after (and, for the spare backends, from why
// the data plane reloaded), never from what the generator meant to do. A
// fixed-seed run asserts at the end that it crossed every required boundary,
// so it cannot silently stop covering one.

import type { Model } from '../../../src/model/model.js';
import type { Facts } from './expect.js';
import type { Hints } from './generate.js';

const hasWildcard = (model: Model) => model.levels.some((level) => level.host.startsWith('*.'));
const hasHostless = (model: Model) => model.levels.some((level) => level.host === '');
const hasExact = (model: Model) => model.levels.some((level) => level.routes.some((route) => route.match === 'exact'));
const hasTls = (model: Model) => model.redirectHosts.length > 0;
const hasWildcardTls = (model: Model) => model.redirectHosts.some((host) => host.startsWith('*.'));
/** A level that asks clients for a certificate (its own crt-list line, the session cache off). */
const asks = (auth: { verify: string }) => auth.verify !== 'off';
/** Requests that match no level get something other than a plain 404. */
const catchAll = (model: Model) => model.catchAll.kind !== 'not-found';

export class BoundaryTracker {
  /** Boundary → the first step that crossed it. */
  readonly covered = new Map<string, number>();
  /** How often each boundary was crossed. */
  readonly counts = new Map<string, number>();
  /** Ingresses that left Portero's classes while still existing (so that coming back counts). */
  private readonly wentOut = new Set<string>();

  /** Records the boundaries crossed from `before` to `after`; `reloads` are the reload reasons seen during the step. */
  record(step: number, before: Facts, after: Facts, reloads: readonly string[]): string[] {
    const crossed = detect(before, after, reloads, this.wentOut);
    for (const boundary of crossed) {
      if (!this.covered.has(boundary)) this.covered.set(boundary, step);
      this.counts.set(boundary, (this.counts.get(boundary) ?? 0) + 1);
    }
    return crossed;
  }

  missing(required: readonly string[]): string[] {
    return required.filter((boundary) => !this.covered.has(boundary));
  }
}

function edge(out: string[], name: string, before: boolean, after: boolean): void {
  if (!before && after) out.push(`${name}:first`);
  if (before && !after) out.push(`${name}:last`);
}

export function detect(before: Facts, after: Facts, reloads: readonly string[], wentOut: Set<string>): string[] {
  const out: string[] = [];
  const a = before.model;
  const b = after.model;
  edge(out, 'wildcard', hasWildcard(a), hasWildcard(b));
  edge(out, 'hostless', hasHostless(a), hasHostless(b));
  edge(out, 'exact', hasExact(a), hasExact(b));
  edge(out, 'tls', hasTls(a), hasTls(b));
  edge(out, 'wildcard-tls', hasWildcardTls(a), hasWildcardTls(b));
  edge(out, 'default-backend', before.defaults > 0, after.defaults > 0);
  edge(out, 'catch-all', catchAll(a), catchAll(b));
  edge(out, 'client-auth', (a.clientAuth ?? []).length > 0, (b.clientAuth ?? []).length > 0);
  edge(out, 'client-certificates', (a.clientAuth ?? []).some(asks), (b.clientAuth ?? []).some(asks));
  // The case of defects 1 and M1: the host-less level comes or goes while the catch-all is not a plain 404.
  if (catchAll(a) && catchAll(b) && hasHostless(a) !== hasHostless(b)) out.push(hasHostless(b) ? 'hostless:added-under-catch-all' : 'hostless:removed-under-catch-all');
  if (reloads.includes('spares-exhausted')) out.push('spares:exhausted');
  for (const reason of reloads) out.push(`reload:${reason}`);

  for (const key of after.ingresses) {
    if (!before.ingresses.has(key)) continue;
    if (before.served.has(key) && !after.served.has(key)) {
      wentOut.add(key);
      out.push('class:out');
    }
    if (!before.served.has(key) && after.served.has(key) && wentOut.has(key)) {
      wentOut.delete(key);
      out.push('class:back');
    }
  }
  for (const key of before.ingresses) if (!after.ingresses.has(key)) wentOut.delete(key);

  for (const key of after.referenced) {
    if (!before.referenced.has(key)) continue;
    if (!before.services.has(key) && after.services.has(key)) out.push('service:appeared');
    if (before.services.has(key) && !after.services.has(key)) out.push('service:vanished');
  }
  for (const entry of after.notReady) if (!before.notReady.has(entry)) out.push('endpoints:not-ready');

  const oldCertificates = new Map(a.certificates.map((certificate) => [certificate.id, certificate.pem]));
  for (const certificate of b.certificates) {
    const pem = oldCertificates.get(certificate.id);
    if (pem !== undefined && pem !== certificate.pem) out.push('secret:swapped');
  }
  return [...new Set(out)];
}

/** What the generator may know about the current world (see generate.ts). */
export function hintsOf(facts: Facts): Hints {
  const model = facts.model;
  const local = (key: string) => (key.startsWith('default/') ? key.slice('default/'.length) : undefined);
  return {
    wildcard: hasWildcard(model),
    hostless: hasHostless(model),
    exact: hasExact(model),
    tls: hasTls(model),
    defaultBackend: facts.defaults > 0,
    catchAll: catchAll(model),
    referenced: [...facts.referenced].map(local).filter((name): name is string => name !== undefined),
    served: [...facts.served].map(local).filter((name): name is string => name !== undefined),
    certificates: model.certificates.map((certificate) => certificate.id).filter((id) => id.startsWith('default_')).map((id) => id.slice('default_'.length)),
  };
}
