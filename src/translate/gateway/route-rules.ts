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

import type { GRPCRouteRule, HTTPRouteRule } from '../../objects/gateway-types.js';
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
  served: ServedRoute;
  dropped: DroppedRule[];
  /** Every invalid rule (dropped or answering 500), in rule order. */
  invalid: { index: number; problem: RuleProblem }[];
  ruleCount: number;
  /** Every rule's backendRefs resolved (dropped rules too, for ResolvedRefs), by rule index. */
  backends: BackendResolution[][];
}

interface Remembered {
  kind: RouteKind;
  httpFilters: ReadonlySet<string>;
  grpcFilters: ReadonlySet<string>;
  checkRule: RuleCheck | undefined;
  /** What resolution read from the context, in backendRef order: per Service reference, the grant's answer and the Service object. */
  reads: unknown[];
  work: RuleWork;
}

const remembered = new WeakMap<AnyRoute, Remembered>();

/** What resolveBackendRef reads from the context for this route (backends.ts: the grant, then the Service). */
function readsOf(kind: RouteKind, route: AnyRoute, context: BackendContext): unknown[] {
  const reads: unknown[] = [];
  const namespace = route.metadata.namespace;
  for (const rule of route.spec.rules as readonly (HTTPRouteRule | GRPCRouteRule)[]) {
    for (const ref of rule.backendRefs) {
      if (ref.group !== '' || ref.kind !== 'Service') continue;
      const to = ref.namespace ?? namespace;
      reads.push(context.grants.permits({ group: GATEWAY_GROUP, kind, namespace }, { group: '', kind: 'Service', namespace: to, name: ref.name }), context.services.get(`${to}/${ref.name}`));
    }
  }
  return reads;
}

function sameReads(a: readonly unknown[], b: readonly unknown[]): boolean {
  return a.length === b.length && a.every((value, i) => value === b[i]);
}

/** The check that matters most: a problem in the matches (the rule is dropped) beats one in the filters (the rule answers 500). */
function ruleProblem(builtIn: RuleProblem | undefined, extra: RuleProblem | undefined): RuleProblem | undefined {
  if (builtIn?.inMatches) return builtIn;
  if (extra?.inMatches) return extra;
  return builtIn ?? extra;
}

function computeRuleWork(kind: RouteKind, route: AnyRoute, context: RuleContext): RuleWork {
  const namespace = route.metadata.namespace;
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
    if (problem) invalid.push({ index, problem });
    if (problem?.inMatches) {
      dropped.push({ index, reason: problem.reason, message: problem.message });
      return;
    }
    const served: ServedRule<unknown> = { index, rule, backends };
    if (problem) served.fail = { reason: problem.reason, message: problem.message };
    rules.push(served);
  });
  // The kind and the rule types agree: an HTTPRoute's rules are HTTPRouteRules.
  const served = { kind, route, rules } as ServedRoute;
  return { served, dropped, invalid, ruleCount: specRules.length, backends: allBackends };
}

/** The route's rules and backends; the same object as last time when nothing it reads changed. */
export function ruleWork(kind: RouteKind, route: AnyRoute, context: RuleContext): RuleWork {
  const reads = readsOf(kind, route, context);
  const memo = remembered.get(route);
  if (memo && memo.kind === kind && memo.httpFilters === context.httpFilters && memo.grpcFilters === context.grpcFilters && memo.checkRule === context.checkRule && sameReads(memo.reads, reads)) {
    return memo.work;
  }
  const work = computeRuleWork(kind, route, context);
  remembered.set(route, { kind, httpFilters: context.httpFilters, grpcFilters: context.grpcFilters, checkRule: context.checkRule, reads, work });
  return work;
}
