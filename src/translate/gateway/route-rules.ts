// A route's rules checked and its backendRefs resolved (the part of
// attachment that depends on the route alone, not on where it attaches),
// remembered per route object.
//
// Route objects are immutable (a change makes a new object), so the result
// can be kept with the object in a WeakMap. It also reads, per backendRef,
// whether a ReferenceGrant permits it and which Service object it names, and
// the rule checks in force: the remembered result is reused only while
// those are the same (by identity), so it is always what recomputing would
// give. The same result object matters downstream: levels.ts reuses the host
// levels of routes whose ServedRoute is the very same object.

import type { GRPCRouteRule, HTTPBackendRef, HTTPRouteFilter, HTTPRouteRule } from '../../objects/gateway-types.js';
import { GATEWAY_GROUP } from '../../objects/gateway-types.js';
import { resolveBackendRef, type BackendContext } from './backends.js';
import { checkGrpcRule, checkHttpRule, type RuleCheck, type RuleProblem } from './rules.js';
import type { AnyRoute, BackendResolution, DroppedRule, RouteKind, ServedRoute, ServedRule } from './types.js';

export interface RuleContext extends BackendContext {
  httpFilters: ReadonlySet<string>;
  grpcFilters: ReadonlySet<string>;
  checkRule?: RuleCheck;
}

export interface RuleWork {
  /** `kind/namespace/name`, and creationTimestamp in milliseconds: the sort keys of attachment, made once per route. */
  key: string;
  age: number;
  served: ServedRoute;
  dropped: DroppedRule[];
  /** Every invalid rule (dropped or answering 500), in rule order. */
  invalid: { index: number; problem: RuleProblem }[];
  ruleCount: number;
  /** Every rule's backendRefs resolved (dropped rules too, for ResolvedRefs), by rule index. */
  backends: BackendResolution[][];
  /** Every rule's RequestMirror backendRefs resolved, with their fields (for ResolvedRefs). */
  mirrors: { field: string; backend: BackendResolution }[];
}

/** A backendRef to a Service, as resolution reads it: the Service's namespace and its `namespace/name` key. */
interface ServiceRead {
  namespace: string;
  name: string;
  key: string;
}

interface Remembered {
  kind: RouteKind;
  httpFilters: ReadonlySet<string>;
  grpcFilters: ReadonlySet<string>;
  checkRule: RuleCheck | undefined;
  /** The route's backendRefs to Services, in order. */
  refs: readonly ServiceRead[];
  /** What resolution read for each of them (backends.ts: the grant's answer, then the Service object), two per ref. */
  reads: readonly unknown[];
  work: RuleWork;
}

const remembered = new WeakMap<AnyRoute, Remembered>();

function serviceReads(route: AnyRoute): ServiceRead[] {
  const refs: ServiceRead[] = [];
  for (const rule of route.spec.rules as readonly (HTTPRouteRule | GRPCRouteRule)[]) {
    for (const ref of [...rule.backendRefs, ...mirrorRefs(rule).map(({ ref }) => ref)]) {
      if (ref.group !== '' || ref.kind !== 'Service') continue;
      const namespace = ref.namespace ?? route.metadata.namespace;
      refs.push({ namespace, name: ref.name, key: `${namespace}/${ref.name}` });
    }
  }
  return refs;
}

function permitted(kind: RouteKind, route: AnyRoute, ref: ServiceRead, context: BackendContext): boolean {
  const from = route.metadata.namespace;
  // The same namespace needs no grant (references.ts); most references are such, and this runs for every route.
  return ref.namespace === from || context.grants.permits({ group: GATEWAY_GROUP, kind, namespace: from }, { group: '', kind: 'Service', namespace: ref.namespace, name: ref.name });
}

function readsOf(kind: RouteKind, route: AnyRoute, refs: readonly ServiceRead[], context: BackendContext): unknown[] {
  return refs.flatMap((ref) => [permitted(kind, route, ref, context), context.services.get(ref.key)]);
}

/** Whether resolution would read the same now, compared in place (no allocation: this runs for every unchanged route). */
function sameReads(kind: RouteKind, route: AnyRoute, memo: Remembered, context: BackendContext): boolean {
  for (let i = 0; i < memo.refs.length; i += 1) {
    const ref = memo.refs[i]!;
    if (memo.reads[2 * i] !== permitted(kind, route, ref, context) || memo.reads[2 * i + 1] !== context.services.get(ref.key)) return false;
  }
  return true;
}

/** The check that matters most: a problem in the matches (the rule is dropped) beats one in the filters (the rule answers 500). */
function ruleProblem(builtIn: RuleProblem | undefined, extra: RuleProblem | undefined): RuleProblem | undefined {
  if (builtIn?.inMatches) return builtIn;
  if (extra?.inMatches) return extra;
  return builtIn ?? extra;
}

function computeRuleWork(kind: RouteKind, route: AnyRoute, context: RuleContext): RuleWork {
  const namespace = route.metadata.namespace;
  const allMirrors: RuleWork['mirrors'] = [];
  const dropped: DroppedRule[] = [];
  const invalid: RuleWork['invalid'] = [];
  const rules: ServedRule<unknown>[] = [];
  const allBackends: BackendResolution[][] = [];
  const specRules: readonly (HTTPRouteRule | GRPCRouteRule)[] = route.spec.rules;
  specRules.forEach((rule, index) => {
    const field = `spec.rules[${index}]`;
    const builtIn = kind === 'HTTPRoute' ? checkHttpRule(rule as HTTPRouteRule, field, context.httpFilters) : checkGrpcRule(rule as GRPCRouteRule, field, context.grpcFilters);
    const problem = ruleProblem(builtIn, context.checkRule?.({ kind, route, rule, index, field }));
    const backends: BackendResolution[] = rule.backendRefs.map((ref) => resolveBackendRef(kind, namespace, ref, context));
    allBackends.push(backends);
    // RequestMirror's backendRef follows the rules of backendRefs (grants, kind, port): HTTPRoute rules only (rules.ts).
    const mirrors = new Map<number, BackendResolution>();
    if (kind === 'HTTPRoute') {
      for (const { index: filter, ref } of mirrorRefs(rule)) {
        const backend = resolveBackendRef(kind, namespace, ref, context);
        mirrors.set(filter, backend);
        allMirrors.push({ field: `${field}.filters[${filter}].requestMirror.backendRef`, backend });
      }
    }
    if (problem) invalid.push({ index, problem });
    if (problem?.inMatches) {
      dropped.push({ index, reason: problem.reason, message: problem.message });
      return;
    }
    const served: ServedRule<unknown> = { index, rule, backends, ...(mirrors.size > 0 ? { mirrors } : {}) };
    if (problem) served.fail = { reason: problem.reason, message: problem.message };
    rules.push(served);
  });
  // The kind and the rule types agree: an HTTPRoute's rules are HTTPRouteRules.
  const served = { kind, route, rules } as ServedRoute;
  return { key: `${kind}/${namespace}/${route.metadata.name}`, age: Date.parse(route.metadata.creationTimestamp), served, dropped, invalid, ruleCount: specRules.length, backends: allBackends, mirrors: allMirrors };
}

/** The backendRefs of a rule's RequestMirror filters, as backendRefs (weight 1, no filters), with the filter's index. */
function mirrorRefs(rule: HTTPRouteRule | GRPCRouteRule): { index: number; ref: HTTPBackendRef }[] {
  const out: { index: number; ref: HTTPBackendRef }[] = [];
  (rule.filters as readonly HTTPRouteFilter[]).forEach((filter, index) => {
    if (filter.type === 'RequestMirror' && filter.requestMirror) out.push({ index, ref: { ...filter.requestMirror.backendRef, weight: 1, filters: [] } });
  });
  return out;
}

/** The route's rules and backends; the same object as last time when nothing it reads changed. */
export function ruleWork(kind: RouteKind, route: AnyRoute, context: RuleContext): RuleWork {
  const memo = remembered.get(route);
  if (memo && memo.kind === kind && memo.httpFilters === context.httpFilters && memo.grpcFilters === context.grpcFilters && memo.checkRule === context.checkRule && sameReads(kind, route, memo, context)) {
    return memo.work;
  }
  const refs = memo?.refs ?? serviceReads(route);
  const work = computeRuleWork(kind, route, context);
  remembered.set(route, { kind, httpFilters: context.httpFilters, grpcFilters: context.grpcFilters, checkRule: context.checkRule, refs, reads: readsOf(kind, route, refs, context), work });
  return work;
}
