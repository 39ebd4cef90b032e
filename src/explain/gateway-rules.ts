// Which Gateway API route matches could have taken a request on a Gateway
// level, and why each did or did not. The level entries come from the very
// function translate builds levels with (translate/gateway/route-entries.ts,
// remembered per route and listener, so its candidates are the model's own
// objects): the one whose candidate decided is the match, and the others
// lost on their path, their conditions, or the spec's precedence. Routes
// that are not accepted, and rules left out, are listed as invalid. Pure.

import { conditionHolds, pathPatternMatches, type RequestParts } from '../model/match.js';
import { sameTarget, type Candidate, type Route, type Scope } from '../model/model.js';
import { hostnameMatches } from '../translate/gateway/hostnames.js';
import { listenerKey, routeEntries, type Entry } from '../translate/gateway/route-entries.js';
import type { ServedListener } from '../translate/gateway/types.js';
import type { Translation } from '../translate/translate.js';
import { describeCondition } from './render-text.js';
import type { ConsideredRule, RuleResult, SourceRef } from './types.js';

function inScope(listener: ServedListener, scope: Scope): boolean {
  return listener.port === scope.port && listener.protocol.toLowerCase() === scope.protocol && [...listener.addresses].sort().join(',') === scope.addresses.join(',');
}

function covers(hostnames: 'any' | readonly string[], host: string): boolean {
  return hostnames === 'any' || hostnames.some((pattern) => hostnameMatches(pattern, host));
}

function prefixMatches(prefix: string, path: string): boolean {
  return prefix === '' || path === prefix || path.startsWith(`${prefix}/`);
}

function pathMatches(entry: Entry, path: string): boolean {
  if (entry.match === 'exact') return entry.path === path;
  if (entry.match === 'prefix') return prefixMatches(entry.path, path);
  return pathPatternMatches(entry.path, path);
}

function writtenPath(entry: Entry): { path: string; type: string } {
  if (entry.match === 'exact') return { path: entry.path, type: 'Exact' };
  if (entry.match === 'prefix') return { path: entry.path || '/', type: 'PathPrefix' };
  return { path: entry.path, type: 'RegularExpression' };
}

/** Whether the entry is what decided: its candidate (by identity), or the plain route it became. */
function decided(entry: Entry, route: Route | undefined, chosen: Candidate | undefined): boolean {
  if (!route) return false;
  if (chosen) return chosen === entry.candidate;
  if (route.candidates?.length) return false;
  const only = entry.candidate.split.length === 1 ? entry.candidate.split[0] : undefined;
  return entry.candidate.when === undefined && only !== undefined && sameTarget(only.target, route.target) && route.match === entry.match && route.path === entry.path;
}

export interface GatewayRules {
  considered: ConsideredRule[];
  source?: SourceRef;
}

/**
 * The matches of the routes attached to the scope's listeners that name the
 * host. `route` and `chosen`: what the reference matcher chose on the level.
 */
export function gatewayRules(translation: Translation, scope: Scope | undefined, host: string, pathWithQuery: string, parts: RequestParts, route: Route | undefined, chosen: Candidate | undefined): GatewayRules {
  const attachment = translation.gateway;
  if (!attachment || !scope) return { considered: [] };
  const path = pathWithQuery.split('?')[0] ?? '';
  const considered: ConsideredRule[] = [];
  let source: SourceRef | undefined;
  const seen = new Set<Candidate>();
  for (const listener of attachment.listeners) {
    if (!inScope(listener, scope) || !(listener.hostname === undefined || hostnameMatches(listener.hostname, host) || listener.hostname === host)) continue;
    for (const attached of listener.routes) {
      if (!covers(attached.hostnames, host)) continue;
      const object = attached.route.route;
      for (const entry of routeEntries(attached.route, listener, listenerKey(listener)).entries) {
        if (seen.has(entry.candidate)) continue;
        seen.add(entry.candidate);
        const [rule, match] = entry.order.slice(-2);
        const ref: SourceRef = { kind: attached.route.kind, namespace: object.metadata.namespace, name: object.metadata.name, field: `spec.rules[${rule}].matches[${match}]` };
        const written = writtenPath(entry);
        const add = (result: RuleResult, reason: string) => considered.push({ source: ref, host: attached.hostnames === 'any' ? '' : attached.hostnames.join(','), path: written.path, pathType: written.type, result, reason });
        const listenerName = `listener ${object.metadata.namespace === listener.gateway.namespace ? '' : `${listener.gateway.namespace}/`}${listener.gateway.name}/${listener.name}`;
        if (decided(entry, route, chosen)) {
          source ??= ref;
          add('matched', `its path and conditions hold, and it comes first in the spec's precedence (${listenerName})`);
        } else if (!pathMatches(entry, path)) add('no-match', `${written.type} ${JSON.stringify(written.path)} does not match ${JSON.stringify(path)}`);
        else if (!conditionHolds(entry.candidate.when, pathWithQuery, parts)) add('no-match', `its conditions do not hold (${describeCondition(entry.candidate.when)})`);
        else add('less-specific', 'it matches, but another match comes first in the spec\'s precedence (longest path, method, most headers, most query parameters, oldest route, rule order)');
      }
    }
  }
  for (const result of attachment.routes) {
    const object = result.route;
    const hostnames = object.spec.hostnames ?? [];
    if (hostnames.length > 0 && !hostnames.some((pattern) => hostnameMatches(pattern.toLowerCase(), host) || pattern.toLowerCase() === host)) continue;
    const ref = { kind: result.kind, namespace: object.metadata.namespace, name: object.metadata.name };
    if (!result.accepted) {
      const why = result.status.parents.flatMap((parent) => parent.conditions.filter((condition) => condition.status === 'False').map((condition) => `${condition.reason}: ${condition.message}`));
      considered.push({ source: { ...ref, field: 'spec.parentRefs' }, host: hostnames.join(','), path: '', pathType: '', result: 'invalid', reason: `the route is not accepted: ${why.join('; ') || 'see its status'}` });
      continue;
    }
    for (const dropped of result.droppedRules) {
      considered.push({ source: { ...ref, field: `spec.rules[${dropped.index}]` }, host: hostnames.join(','), path: '', pathType: '', result: 'invalid', reason: `the rule is left out (${dropped.reason}): ${dropped.message}` });
    }
  }
  return { considered, ...(source ? { source } : {}) };
}
