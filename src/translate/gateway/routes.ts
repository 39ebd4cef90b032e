// HTTPRoutes and GRPCRoutes: their rules and backends, and their attachment
// to the listeners of our Gateways.
//
// shared_types.go (ParentReference, RouteParentStatus) and the route types:
// - A parentRef of group gateway.networking.k8s.io and kind Gateway names a
//   Gateway (namespace: the route's by default). One that names a Gateway
//   that does not exist or is not of our classes gets no status from us
//   ("parent references that cannot be resolved by an implementation of this
//   API will not be added to this list").
// - `sectionName` selects the listener of that name and `port` every listener
//   on that port; with both, a listener must match both. None selected:
//   Accepted False, NoMatchingParent.
// - A selected listener accepts the route when its allowedRoutes allow the
//   route's namespace (Same / All / Selector on the Namespace's labels) and
//   kind, and the listener's and route's hostnames intersect
//   (hostnames.ts). "If 1 of 2 Gateway listeners accept attachment from the
//   referencing Route, the Route MUST be considered successfully attached";
//   if none does, the reason is NoMatchingListenerHostname when some listener
//   allowed the route but no hostname intersected, else NotAllowedByListeners.
// - Listener and Gateway conditions do not change attachment ("Listener or
//   Route status does not impact successful attachment", ListenerStatus
//   .AttachedRoutes): the count includes routes on listeners that are not
//   programmed; the router only serves programmed ones.
// - An HTTPRoute and a GRPCRoute on one listener with intersecting hostnames:
//   "the implementation MUST accept exactly one of these two routes", the
//   older (then namespace/name); the other is not accepted on that listener
//   (grpcroute_types.go, GRPCRouteSpec.Hostnames). Routes are processed
//   oldest first, so the older one is always already attached.
// - ResolvedRefs is the route's, over every rule's backendRefs
//   (backends.ts), the same on every parent; the route stays Accepted.
// - Rules: rules.ts. All rules invalid: Accepted False with the first rule's
//   reason (UnsupportedValue or IncompatibleFilters); some: Accepted True and
//   PartiallyInvalid True, reason UnsupportedValue, message "Dropped Rule ...".

import { GATEWAY_GROUP, type GRPCRoute, type HTTPRoute, type Namespace, type ParentReference } from '../../objects/gateway-types.js';
import { compareAge, condition, joinMessages, quote } from './conditions.js';
import { effectiveHostnames, hostnameSetsIntersect } from './hostnames.js';
import type { GatewayState, ListenerState } from './listeners.js';
import { namespaceLabels, selectorMatches } from './references.js';
import { ruleWork, type RuleContext, type RuleWork } from './route-rules.js';
import type { AnyRoute, BackendResolution, GatewayDiagnostic, RouteAttachment, RouteKind, RouteParentStatus, RouteResult } from './types.js';

export interface RouteContext extends RuleContext {
  controllerName: string;
  /** Our Gateways by `namespace/name`. */
  gateways: ReadonlyMap<string, GatewayState>;
  namespaces: ReadonlyMap<string, Namespace>;
}

interface ParentWork {
  index: number;
  parentRef: ParentReference;
  gateway: GatewayState;
  accepted: boolean;
  reason: string;
  message: string;
}

interface RouteWork extends RuleWork {
  kind: RouteKind;
  route: AnyRoute;
  parents: ParentWork[];
}

function gatewayOf(route: AnyRoute, parentRef: ParentReference, context: RouteContext): GatewayState | undefined {
  if (parentRef.group !== GATEWAY_GROUP || parentRef.kind !== 'Gateway') return undefined;
  return context.gateways.get(`${parentRef.namespace ?? route.metadata.namespace}/${parentRef.name}`);
}

function routeWork(kind: RouteKind, route: AnyRoute, context: RouteContext): RouteWork | undefined {
  const parents: ParentWork[] = [];
  route.spec.parentRefs.forEach((parentRef, index) => {
    const gateway = gatewayOf(route, parentRef, context);
    if (gateway) parents.push({ index, parentRef, gateway, accepted: false, reason: '', message: '' });
  });
  if (parents.length === 0) return undefined;
  // Rules and backends do not depend on the parents: reused while the route and what it reads are the same (route-rules.ts).
  return { kind, route, ...ruleWork(kind, route, context), parents };
}

function namespaceAllowed(listener: ListenerState, gatewayNamespace: string, routeNamespace: string, namespaces: ReadonlyMap<string, Namespace>): boolean {
  const { from, selector } = listener.listener.allowedRoutes.namespaces;
  switch (from) {
    case 'All':
      return true;
    case 'Same':
      return routeNamespace === gatewayNamespace;
    case 'Selector':
      return selector !== undefined && selectorMatches(selector, namespaceLabels(routeNamespace, namespaces.get(routeNamespace)));
    default:
      return false;
  }
}

/** The older route of the other kind whose hostnames intersect, on this listener. */
function otherKindConflict(listener: ListenerState, work: RouteWork, hostnames: RouteAttachment['hostnames']): RouteAttachment | undefined {
  const otherKind: RouteKind = work.kind === 'HTTPRoute' ? 'GRPCRoute' : 'HTTPRoute';
  return listener.attachmentsByKind[otherKind].find((attachment) => hostnameSetsIntersect(attachment.hostnames, hostnames));
}

function selectListeners(parent: ParentWork): ListenerState[] {
  const { sectionName, port } = parent.parentRef;
  return parent.gateway.listeners.filter((listener) => (sectionName === undefined || listener.listener.name === sectionName) && (port === undefined || listener.listener.port === port));
}

function describeSelection(parentRef: ParentReference): string {
  const parts = [];
  if (parentRef.sectionName !== undefined) parts.push(`named ${quote(parentRef.sectionName)}`);
  if (parentRef.port !== undefined) parts.push(`on port ${parentRef.port}`);
  return parts.length > 0 ? `no listener ${parts.join(' and ')}` : 'the Gateway has no listeners';
}

function attachParent(work: RouteWork, parent: ParentWork, context: RouteContext): void {
  const gatewayName = `${parent.gateway.gateway.metadata.namespace}/${parent.gateway.gateway.metadata.name}`;
  const selected = selectListeners(parent);
  if (selected.length === 0) {
    Object.assign(parent, { reason: 'NoMatchingParent', message: `Gateway ${gatewayName} has ${describeSelection(parent.parentRef)}` });
    return;
  }
  const refusals: string[] = [];
  let allowedSomewhere = false;
  const accepting: { listener: ListenerState; hostnames: RouteAttachment['hostnames'] }[] = [];
  for (const listener of selected) {
    const name = listener.listener.name;
    if (!listener.supportedKinds.some((kind) => kind.kind === work.kind)) {
      refusals.push(`listener ${name} does not allow ${work.kind}s`);
      continue;
    }
    if (!namespaceAllowed(listener, parent.gateway.gateway.metadata.namespace, work.route.metadata.namespace, context.namespaces)) {
      refusals.push(`listener ${name} does not allow routes from namespace ${work.route.metadata.namespace}`);
      continue;
    }
    allowedSomewhere = true;
    const hostnames = effectiveHostnames(listener.listener.hostname, work.route.spec.hostnames);
    if (hostnames !== 'any' && hostnames.length === 0) {
      refusals.push(`no route hostname matches listener ${name}'s hostname ${listener.listener.hostname}`);
      continue;
    }
    const conflict = listener.attachmentOf.has(work.served) ? undefined : otherKindConflict(listener, work, hostnames);
    if (conflict) {
      const other = conflict.route.route.metadata;
      refusals.push(`older ${conflict.route.kind} ${other.namespace}/${other.name} serves intersecting hostnames on listener ${name}`);
      continue;
    }
    accepting.push({ listener, hostnames });
  }
  if (accepting.length === 0) {
    const reason = allowedSomewhere && refusals.some((refusal) => refusal.startsWith('no route hostname')) ? 'NoMatchingListenerHostname' : 'NotAllowedByListeners';
    Object.assign(parent, { reason, message: `not accepted by Gateway ${gatewayName}: ${joinMessages(refusals)}` });
    return;
  }
  if (work.ruleCount > 0 && work.invalid.length === work.ruleCount) {
    const first = work.invalid[0]!.problem;
    Object.assign(parent, { reason: first.reason, message: `every rule is invalid: ${joinMessages(work.invalid.map(({ problem }) => `${problem.field}: ${problem.message}`))}` });
    return;
  }
  Object.assign(parent, { accepted: true, reason: 'Accepted', message: `accepted by Gateway ${gatewayName} on listeners ${accepting.map(({ listener }) => listener.listener.name).join(', ')}` });
  for (const { listener, hostnames } of accepting) {
    const existing = listener.attachmentOf.get(work.served);
    if (existing) {
      existing.parentRefs.push(parent.index);
      continue;
    }
    const attachment: RouteAttachment = { route: work.served, hostnames, parentRefs: [parent.index] };
    listener.attachedKeys.add(work.key);
    listener.attachments.push(attachment);
    listener.attachmentOf.set(work.served, attachment);
    listener.attachmentsByKind[work.kind].push(attachment);
  }
}

function resolvedRefsProblems(work: RouteWork): { field: string; backend: BackendResolution & { ok: false } }[] {
  const out: { field: string; backend: BackendResolution & { ok: false } }[] = [];
  work.backends.forEach((backends, r) => {
    backends.forEach((backend, b) => {
      if (!backend.ok) out.push({ field: `spec.rules[${r}].backendRefs[${b}]`, backend });
    });
  });
  for (const { field, backend } of work.mirrors) if (!backend.ok) out.push({ field, backend });
  return out;
}

function routeResult(work: RouteWork, context: RouteContext, diagnostics: GatewayDiagnostic[]): RouteResult {
  const meta = work.route.metadata;
  const object = { kind: work.kind, namespace: meta.namespace, name: meta.name };
  const refProblems = resolvedRefsProblems(work);
  const firstRef = refProblems[0];
  const resolvedRefs = firstRef
    ? condition(meta, 'ResolvedRefs', false, firstRef.backend.reason, joinMessages(refProblems.map(({ field, backend }) => `${field}: ${backend.message}`)))
    : condition(meta, 'ResolvedRefs', true, 'ResolvedRefs', 'all references resolved');
  const parents: RouteParentStatus[] = work.parents.map((parent) => {
    const conditions = [condition(meta, 'Accepted', parent.accepted, parent.reason, parent.message), resolvedRefs];
    if (parent.accepted && work.invalid.length > 0) {
      const summary = work.invalid.map(({ index, problem }) => `spec.rules[${index}] (${problem.message}; ${problem.inMatches ? 'left out' : 'its requests answer 500'})`);
      conditions.push(condition(meta, 'PartiallyInvalid', true, 'UnsupportedValue', `Dropped Rule${work.invalid.length > 1 ? 's' : ''}: ${joinMessages(summary)}`));
    }
    return { parentRef: parent.parentRef, controllerName: context.controllerName, conditions };
  });
  for (const parent of work.parents) {
    if (!parent.accepted) diagnostics.push({ severity: 'error', object, field: `spec.parentRefs[${parent.index}]`, message: `${parent.reason}: ${parent.message}` });
  }
  for (const { index, problem } of work.invalid) {
    diagnostics.push({ severity: 'error', object, field: problem.field, message: `${problem.message}; ${problem.inMatches ? `rule ${index} is left out` : `requests matching rule ${index} answer 500`}` });
  }
  for (const { field, backend } of refProblems) {
    const consequence = field.endsWith('requestMirror.backendRef') ? 'no copy of the requests is sent' : 'its share of requests answers 500';
    diagnostics.push({ severity: 'warning', object, field, message: `${backend.message}; ${consequence}` });
  }
  return { kind: work.kind, route: work.route, accepted: work.parents.some((parent) => parent.accepted), status: { parents }, served: work.served, droppedRules: work.dropped };
}

/** conditions.ts compareAge on the ages parsed once per route. */
function byAge(a: RouteWork, b: RouteWork): number {
  if (a.age !== b.age && !Number.isNaN(a.age) && !Number.isNaN(b.age)) return a.age - b.age;
  return compareAge(a.route.metadata, b.route.metadata);
}

/** Attaches every route to our Gateways' listeners (filling ListenerState.attachments) and returns the routes' results. */
export function attachRoutes(httpRoutes: readonly HTTPRoute[], grpcRoutes: readonly GRPCRoute[], context: RouteContext, diagnostics: GatewayDiagnostic[]): RouteResult[] {
  const works: RouteWork[] = [];
  for (const route of httpRoutes) {
    const work = routeWork('HTTPRoute', route, context);
    if (work) works.push(work);
  }
  for (const route of grpcRoutes) {
    const work = routeWork('GRPCRoute', route, context);
    if (work) works.push(work);
  }
  works.sort((a, b) => byAge(a, b) || (a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : 0));
  for (const work of works) for (const parent of work.parents) attachParent(work, parent, context);
  works.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return works.map((work) => routeResult(work, context, diagnostics));
}
