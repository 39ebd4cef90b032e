// Which Ingress rules could have taken a request, and why each did or did
// not: read from the objects themselves and the diagnostics translate wrote
// about them (conflicts, shadowed paths, refusals), against the level and
// route the reference matcher chose. Pure.

import { splitLevelHost, type HostLevel, type Route } from '../model/model.js';
import { keyOf, refOf, type Ingress } from '../objects/types.js';
import { annotationsOf, type AnnotationSettings } from '../translate/annotations/index.js';
import type { Diagnostic } from '../translate/diagnostics.js';
import { isOurs, selectClasses, type ClassOptions } from '../translate/ingress-class.js';
import { PATH_PREFIX, safeRegex } from '../translate/regex.js';
import { normalizePath } from '../translate/routes.js';
import { compareAge, type Snapshot, type Translation } from '../translate/translate.js';
import type { ConsideredRule, RuleResult, SourceRef } from './types.js';

export interface RuleContext {
  snapshot: Snapshot;
  translation: Translation;
  classes: ClassOptions;
  annotations: AnnotationSettings;
}

function wildcardOf(host: string): string | undefined {
  const dot = host.indexOf('.');
  return dot === -1 ? undefined : `*${host.slice(dot)}`;
}

const where = (host: string) => (host === '' ? 'the rules without host' : host);

function prefixMatches(prefix: string, path: string): boolean {
  return prefix === '' || path === prefix || path.startsWith(`${prefix}/`);
}

/** The route key of a written path on a level (as routes.ts keys them), or why it has none. */
function keyOnLevel(written: string, pathType: string, regexLevel: boolean): { match: Route['match']; path: string } | { problem: string } {
  if (!regexLevel) return normalizePath(written, pathType);
  const regex = safeRegex(written, { anchoring: PATH_PREFIX });
  return regex.ok ? { match: 'regex', path: regex.pattern } : { problem: regex.problem };
}

function routeMatches(key: { match: Route['match']; path: string }, path: string): boolean {
  if (key.match === 'exact') return key.path === path;
  if (key.match === 'prefix') return prefixMatches(key.path, path);
  return new RegExp(`^(?:${key.path})`, 'i').test(path);
}

function describeKey(key: { match: Route['match']; path: string }): string {
  if (key.match === 'exact') return `Exact ${JSON.stringify(key.path)}`;
  if (key.match === 'prefix') return `Prefix ${JSON.stringify(key.path || '/')}`;
  return `regular expression ^${key.path}`;
}

/** Why a matching route lost to the chosen one. */
function lostTo(key: { match: Route['match']; path: string }, chosen: Route, regexLevel: boolean): string {
  if (regexLevel) return `${describeKey(chosen)} comes first (ingress-nginx orders regular expressions by written length, longest first)`;
  if (chosen.path.length > key.path.length) return `the longer ${describeKey(chosen)} wins`;
  return `${describeKey(chosen)} wins: Exact beats Prefix of the same length`;
}

export interface IngressRules {
  considered: ConsideredRule[];
  /** The rule of the route that decides, when an Ingress's. */
  source?: SourceRef;
}

/**
 * The rules of every Ingress on the request's host levels (its exact host,
 * the wildcard covering it, the rules without host). `level` and `route`:
 * what the reference matcher chose (undefined: nothing, or a Gateway level).
 */
export function ingressRules(context: RuleContext, host: string, level: HostLevel | undefined, route: Route | undefined, routedPath: string | undefined): IngressRules {
  const { snapshot, translation } = context;
  const relevant = new Set([host, wildcardOf(host) ?? '', ''].filter((candidate, index) => index === 2 || candidate !== ''));
  const served = new Set(translation.served.map((ref) => keyOf(ref.namespace, ref.name)));
  const classes = selectClasses(snapshot.ingressClasses, context.classes);
  const byField = new Map<string, Diagnostic[]>();
  for (const diagnostic of translation.diagnostics) {
    const key = `${diagnostic.object.kind}|${keyOf(diagnostic.object.namespace, diagnostic.object.name)}|${diagnostic.field ?? ''}`;
    byField.set(key, [...(byField.get(key) ?? []), diagnostic]);
  }
  const diagnosticsOf = (ingress: Ingress, field: string) => byField.get(`Ingress|${keyOf(ingress.metadata.namespace, ingress.metadata.name)}|${field}`) ?? [];
  const considered: ConsideredRule[] = [];
  let source: SourceRef | undefined;
  const path = routedPath?.split('?')[0];
  // Gateway levels (scoped) hold no Ingress rule.
  const levelHost = level && splitLevelHost(level.host).scope === undefined ? level.host : undefined;

  for (const ingress of [...snapshot.ingresses].sort(compareAge)) {
    const name = keyOf(ingress.metadata.namespace, ingress.metadata.name);
    const isServed = served.has(name);
    const ours = isOurs(ingress, classes, context.classes);
    const errors = translation.diagnostics.filter((d) => d.severity === 'error' && d.object.kind === 'Ingress' && keyOf(d.object.namespace, d.object.name) === name);
    const canary = isServed && annotationsOf(ingress, context.annotations).canary !== undefined;
    ingress.spec.rules.forEach((rule, i) => {
      const ruleHost = rule.host ?? '';
      if (!relevant.has(ruleHost)) return;
      (rule.http?.paths ?? []).forEach((entry, j) => {
        const field = `spec.rules[${i}].http.paths[${j}]`;
        const pathType = entry.pathType ?? 'Prefix';
        const ref: SourceRef = { ...refOf(ingress), field };
        const add = (result: RuleResult, reason: string) => considered.push({ source: ref, host: ruleHost, path: entry.path, pathType, result, reason });
        if (!ours) return add('other-class', classReason(ingress));
        if (!isServed) return add('invalid', `the Ingress is refused: ${errors.map((d) => `${d.field ? `${d.field}: ` : ''}${d.message}`).join('; ') || 'see its diagnostics'}`);
        if (ruleHost !== levelHost) return add('other-level', levelHost === undefined ? `the request is not on ${where(ruleHost)}'s level` : `the host level ${where(levelHost)} is chosen; there is no fall-through between exact, wildcard and host-less rules`);
        const key = keyOnLevel(entry.path, pathType, level?.regex === true);
        if ('problem' in key) return add('invalid', `${where(ruleHost)} matches its paths as regular expressions, and this one cannot be: it ${key.problem}`);
        const lost = diagnosticsOf(ingress, field).find((d) => /this path is ignored$/.test(d.message));
        const matches = path !== undefined && routeMatches(key, path);
        if (canary) return add('canary', matches ? 'a canary path: it may take the request from the matching route of another Ingress (header, cookie or weight)' : `a canary path; ${describeKey(key)} does not match ${JSON.stringify(path)}`);
        if (lost) return add(/longer path/.test(lost.message) ? 'shadowed' : 'conflict', lost.message);
        if (!matches) return add('no-match', `${describeKey(key)} does not match ${JSON.stringify(path ?? '')}${key.match === 'prefix' ? ' (prefixes match whole path elements)' : ''}`);
        if (route && route.match === key.match && route.path === key.path) {
          source ??= ref;
          return add('matched', `${describeKey(key)} matches ${JSON.stringify(path)}${level?.regex ? '' : ' and is the longest match'}`);
        }
        return add('less-specific', route ? lostTo(key, route, level?.regex === true) : 'no route of the level was chosen');
      });
    });
  }
  return { considered, ...(source ? { source } : {}) };
}

function classReason(ingress: Ingress): string {
  const field = ingress.spec.ingressClassName;
  if (field !== undefined) return `spec.ingressClassName ${JSON.stringify(field)} is not one of Portero's classes`;
  const annotation = ingress.metadata.annotations['kubernetes.io/ingress.class'];
  if (annotation) return `annotation kubernetes.io/ingress.class ${JSON.stringify(annotation)} is not one of Portero's classes`;
  return 'it names no class, and no IngressClass of Portero is the default (nor is --watch-ingress-without-class set)';
}

/**
 * Who sets a default answer: the oldest served Ingress with
 * spec.defaultBackend among those with rules on the level (level-default),
 * or among all (catch-all); else --default-backend-service when given.
 */
export function fallbackSource(context: RuleContext, levelHost: string | undefined, flag: string | undefined): SourceRef | undefined {
  const served = new Set(context.translation.served.map((ref) => keyOf(ref.namespace, ref.name)));
  const owners = [...context.snapshot.ingresses]
    .filter((ingress) => served.has(keyOf(ingress.metadata.namespace, ingress.metadata.name)) && ingress.spec.defaultBackend !== undefined)
    .sort(compareAge);
  // A level's default comes from the Ingresses that route on it (canaries route nowhere); the catch-all from any.
  const onLevel =
    levelHost === undefined
      ? undefined
      : owners.find((ingress) => annotationsOf(ingress, context.annotations).canary === undefined && ingress.spec.rules.some((rule) => (rule.host ?? '') === levelHost));
  const owner = onLevel ?? owners[0];
  if (owner) return { ...refOf(owner), field: 'spec.defaultBackend' };
  if (flag !== undefined) {
    const [namespace = '', rest = ''] = flag.split('/');
    return { kind: 'Service', namespace, name: rest.split(':')[0] ?? rest, field: '--default-backend-service' };
  }
  return undefined;
}
