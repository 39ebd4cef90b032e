// Which rules of a route Portero can serve as written.
//
// The API's enums say: "Unknown values here must result in the implementation
// setting the Accepted Condition for the Route to `status: False`, with a
// Reason of `UnsupportedValue`" (httproute_types.go: PathMatchType,
// HeaderMatchType, QueryParamMatchType, HTTPMethod, HTTPRouteFilter.Type,
// HTTPPathModifier.Type, HTTPRequestRedirectFilter.Scheme and StatusCode).
// HTTPRouteRule.Filters narrows that to the rule: "implementations SHOULD
// consider the Route Rules with this configuration invalid. If all Route
// Rules in a Route are invalid, the entire Route would be considered invalid.
// If only a portion of Route Rules are invalid, implementations MUST set the
// "PartiallyInvalid" condition for the Route" (shared_types.go,
// RouteConditionPartiallyInvalid: message prefix "Dropped Rule", Accepted
// stays True). Incompatible filters (RequestRedirect with URLRewrite) use the
// IncompatibleFilters reason.
//
// A filter type Portero does not implement is treated as an unknown value:
// the rule is invalid. Such a rule is not silently skipped: "If a reference
// to a custom filter type cannot be resolved, the filter MUST NOT be skipped.
// Instead, requests that would have been processed by that filter MUST
// receive a HTTP error response" (HTTPRouteFilter.Type, about ExtensionRef),
// so when the rule's matches are valid the router answers 500 for them; only
// a rule whose matches cannot be built is left out.
//
// Which filters Portero implements is an option; by default (and as
// serve.ts serves them) the core filters and the extended ones the data
// plane renders (filter-features.ts): RequestHeaderModifier,
// ResponseHeaderModifier, RequestRedirect, URLRewrite, CORS (with the
// spec's semantics, cors-filter.ts, not ingress-nginx's enable-cors) and
// RequestMirror on a rule (mirror-filter.ts) for HTTPRoute; the two header
// modifiers for GRPCRoute. RequestMirror on a backendRef or on a GRPCRoute
// (the data plane's HTTP client speaks HTTP/1.1 only), ExtensionRef
// (Portero defines no extension kinds) and ExternalAuth (experimental) are
// not.

import type { GRPCRouteRule, HTTPRouteFilter, HTTPRouteRule } from '../../objects/gateway-types.js';
import { quote } from './conditions.js';
import { corsFeature } from './cors-filter.js';
import type { AnyRoute, RouteKind } from './types.js';

export interface RuleProblem {
  /** UnsupportedValue, IncompatibleFilters, or the check's own reason. */
  reason: string;
  field: string;
  message: string;
  /** The problem is in the matches, which cannot be built: the rule is left out. Otherwise its requests answer 500. */
  inMatches: boolean;
}

export interface RuleCheckContext {
  kind: RouteKind;
  route: AnyRoute;
  rule: HTTPRouteRule | GRPCRouteRule;
  index: number;
  /** `spec.rules[i]`. */
  field: string;
}

/** An extra check the router supplies (regular expressions, header values): a problem makes the rule invalid. */
export type RuleCheck = (context: RuleCheckContext) => RuleProblem | undefined;

export const DEFAULT_HTTP_FILTERS: readonly string[] = ['RequestHeaderModifier', 'ResponseHeaderModifier', 'RequestRedirect', 'URLRewrite', 'CORS', 'RequestMirror'];
export const DEFAULT_GRPC_FILTERS: readonly string[] = ['RequestHeaderModifier', 'ResponseHeaderModifier'];

/** Filter types the API defines (standard and experimental channels). */
const API_HTTP_FILTERS = new Set(['RequestHeaderModifier', 'ResponseHeaderModifier', 'RequestMirror', 'RequestRedirect', 'URLRewrite', 'ExtensionRef', 'CORS', 'ExternalAuth']);
const API_GRPC_FILTERS = new Set(['RequestHeaderModifier', 'ResponseHeaderModifier', 'RequestMirror', 'ExtensionRef']);

const PATH_TYPES = new Set(['Exact', 'PathPrefix', 'RegularExpression']);
const VALUE_MATCH_TYPES = new Set(['Exact', 'RegularExpression']);
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH']);
const REDIRECT_CODES = new Set([301, 302, 303, 307, 308]);
const PATH_MODIFIERS = new Set(['ReplaceFullPath', 'ReplacePrefixMatch']);

function unsupported(field: string, message: string, inMatches: boolean): RuleProblem {
  return { reason: 'UnsupportedValue', field, message, inMatches };
}

function checkFilter(filter: HTTPRouteFilter, field: string, supported: ReadonlySet<string>, known: ReadonlySet<string>, prefixMatchOnly: boolean): RuleProblem | undefined {
  if (!supported.has(filter.type)) {
    const what = known.has(filter.type) ? 'is not supported by Portero' : 'is not a filter type of the Gateway API';
    return unsupported(`${field}.type`, `filter type ${quote(filter.type)} ${what}`, false);
  }
  const path = filter.requestRedirect?.path ?? filter.urlRewrite?.path;
  const pathField = `${field}.${filter.requestRedirect ? 'requestRedirect' : 'urlRewrite'}.path`;
  if (path && !PATH_MODIFIERS.has(path.type)) return unsupported(`${pathField}.type`, `path modifier type ${quote(path.type)} is not supported`, false);
  if (path?.type === 'ReplacePrefixMatch' && !prefixMatchOnly) {
    return unsupported(`${pathField}.type`, 'ReplacePrefixMatch needs the rule to have exactly one match, of type PathPrefix', false);
  }
  // Origins and header names outside what the data plane renders: the status says so, as the router answers 500.
  const cors = filter.cors && corsFeature(filter.cors, `${field}.cors`);
  if (cors && !cors.ok) return unsupported(cors.field, cors.message, false);
  const redirect = filter.requestRedirect;
  if (redirect) {
    if (redirect.scheme !== undefined && redirect.scheme !== 'http' && redirect.scheme !== 'https') {
      return unsupported(`${field}.requestRedirect.scheme`, `redirect scheme ${quote(String(redirect.scheme))} is not supported`, false);
    }
    if (!REDIRECT_CODES.has(redirect.statusCode)) {
      return unsupported(`${field}.requestRedirect.statusCode`, `redirect status code ${redirect.statusCode} is not supported`, false);
    }
  }
  return undefined;
}

function checkFilters(filters: readonly HTTPRouteFilter[], field: string, supported: ReadonlySet<string>, known: ReadonlySet<string>, prefixMatchOnly: boolean): RuleProblem | undefined {
  for (const [index, filter] of filters.entries()) {
    const problem = checkFilter(filter, `${field}[${index}]`, supported, known, prefixMatchOnly);
    if (problem) return problem;
  }
  if (filters.some((filter) => filter.type === 'RequestRedirect') && filters.some((filter) => filter.type === 'URLRewrite')) {
    return { reason: 'IncompatibleFilters', field, message: 'RequestRedirect and URLRewrite cannot be combined', inMatches: false };
  }
  return undefined;
}

export function checkHttpRule(rule: HTTPRouteRule, field: string, supported: ReadonlySet<string>): RuleProblem | undefined {
  for (const [m, match] of rule.matches.entries()) {
    const at = `${field}.matches[${m}]`;
    if (!PATH_TYPES.has(match.path.type)) return unsupported(`${at}.path.type`, `path match type ${quote(match.path.type)} is not supported`, true);
    for (const [h, header] of match.headers.entries()) {
      if (!VALUE_MATCH_TYPES.has(header.type)) return unsupported(`${at}.headers[${h}].type`, `header match type ${quote(header.type)} is not supported`, true);
    }
    for (const [q, query] of match.queryParams.entries()) {
      if (!VALUE_MATCH_TYPES.has(query.type)) return unsupported(`${at}.queryParams[${q}].type`, `query parameter match type ${quote(query.type)} is not supported`, true);
    }
    if (match.method !== undefined && !METHODS.has(match.method)) return unsupported(`${at}.method`, `method ${quote(match.method)} is not supported`, true);
  }
  const prefixMatchOnly = rule.matches.length === 1 && rule.matches[0]?.path.type === 'PathPrefix';
  const problem = checkFilters(rule.filters, `${field}.filters`, supported, API_HTTP_FILTERS, prefixMatchOnly);
  if (problem) return problem;
  for (const [b, backend] of rule.backendRefs.entries()) {
    const at = `${field}.backendRefs[${b}].filters`;
    const backendProblem = checkFilters(backend.filters, at, supported, API_HTTP_FILTERS, prefixMatchOnly);
    if (backendProblem) return backendProblem;
    // HTTPRouteBackendRequestMirror is not implemented: the copy would depend on the backend chosen.
    const mirror = backend.filters.findIndex((filter) => filter.type === 'RequestMirror');
    if (mirror >= 0) return unsupported(`${at}[${mirror}].type`, 'RequestMirror on a backendRef is not supported by Portero; put it on the rule', false);
  }
  return undefined;
}

export function checkGrpcRule(rule: GRPCRouteRule, field: string, supported: ReadonlySet<string>): RuleProblem | undefined {
  for (const [m, match] of rule.matches.entries()) {
    const at = `${field}.matches[${m}]`;
    if (match.method && !VALUE_MATCH_TYPES.has(match.method.type)) return unsupported(`${at}.method.type`, `method match type ${quote(match.method.type)} is not supported`, true);
    for (const [h, header] of match.headers.entries()) {
      if (!VALUE_MATCH_TYPES.has(header.type)) return unsupported(`${at}.headers[${h}].type`, `header match type ${quote(header.type)} is not supported`, true);
    }
  }
  const problem = checkFilters(rule.filters, `${field}.filters`, supported, API_GRPC_FILTERS, false);
  if (problem) return problem;
  for (const [b, backend] of rule.backendRefs.entries()) {
    const backendProblem = checkFilters(backend.filters, `${field}.backendRefs[${b}].filters`, supported, API_GRPC_FILTERS, false);
    if (backendProblem) return backendProblem;
  }
  return undefined;
}
