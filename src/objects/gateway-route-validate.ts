// The checks the API server applies to HTTPRoute and GRPCRoute objects
// (gateway.networking.k8s.io v1.6 standard CRDs): OpenAPI lengths,
// patterns, enums, ranges and item counts, and the CEL rules, written from
// apis/v1/httproute_types.go, grpcroute_types.go, shared_types.go and
// object_reference_types.go. The checks run on the decoded object, after
// the API's defaults were filled in, as the API server runs them.
//
// Values the API accepts pass, even where Portero may not support them (a
// RequestMirror or ExtensionRef filter, a RegularExpression match):
// translation reports those in the route's status.

import { Checks } from './checks.js';
import type { FieldError, FieldPath } from './field-errors.js';
import * as grammar from './gateway-grammar.js';
import type { BackendObjectReference, GRPCRoute, HeaderModifier, HTTPBackendRef, HTTPHeaderMatch, HTTPRoute, HTTPRouteFilter, HTTPRouteRule, ParentReference, PathModifier } from './gateway-types.js';
import { checkGroup, checkHostname, checkKind, checkNamespace, checkObjectName, checkPort, checkSectionName } from './gateway-validate.js';

const HTTP_FILTER_TYPES = ['RequestHeaderModifier', 'ResponseHeaderModifier', 'RequestMirror', 'RequestRedirect', 'URLRewrite', 'ExtensionRef', 'CORS'];
const GRPC_FILTER_TYPES = ['ResponseHeaderModifier', 'RequestHeaderModifier', 'RequestMirror', 'ExtensionRef'];
/** The filter types a rule (or a backendRef) may hold at most once; RequestMirror and ExtensionRef may repeat. */
const HTTP_SINGLE_FILTERS = ['CORS', 'RequestHeaderModifier', 'ResponseHeaderModifier', 'RequestRedirect', 'URLRewrite'];
const GRPC_SINGLE_FILTERS = ['RequestHeaderModifier', 'ResponseHeaderModifier'];
/** Each filter type and the field that holds its settings. */
const FILTER_FIELDS: readonly [string, keyof HTTPRouteFilter][] = [
  ['CORS', 'cors'],
  ['RequestHeaderModifier', 'requestHeaderModifier'],
  ['ResponseHeaderModifier', 'responseHeaderModifier'],
  ['RequestMirror', 'requestMirror'],
  ['RequestRedirect', 'requestRedirect'],
  ['URLRewrite', 'urlRewrite'],
  ['ExtensionRef', 'extensionRef'],
];
const PATH_TYPES = ['Exact', 'PathPrefix', 'RegularExpression'];
const MATCH_TYPES = ['Exact', 'RegularExpression'];
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH'];
const REDIRECT_CODES = [301, 302, 303, 307, 308];
const MAX_MATCHES_MESSAGE = 'While 16 rules and 64 matches per rule are allowed, the total number of matches across all rules in a route must be less than 128';

export function validateHTTPRoute(route: HTTPRoute): FieldError[] {
  const checks = new Checks();
  const { spec } = route;
  checkCommon(checks, spec.parentRefs, spec.hostnames);
  const rulesAt: FieldPath = ['spec', 'rules'];
  checks.minItems(rulesAt, spec.rules, 1);
  checks.maxItems(rulesAt, spec.rules, 16);
  checks.rule(rulesAt, spec.rules.reduce((sum, rule) => sum + rule.matches.length, 0) <= 128, MAX_MATCHES_MESSAGE);
  const names = new Set<string>();
  spec.rules.forEach((rule, i) => {
    if (rule.name === undefined) return;
    checks.rule([...rulesAt, i, 'name'], !names.has(rule.name), 'Rule name must be unique within the route');
    names.add(rule.name);
  });
  spec.rules.forEach((rule, i) => checkHTTPRule(checks, rule, [...rulesAt, i]));
  return checks.errors;
}

export function validateGRPCRoute(route: GRPCRoute): FieldError[] {
  const checks = new Checks();
  const { spec } = route;
  checkCommon(checks, spec.parentRefs, spec.hostnames);
  const rulesAt: FieldPath = ['spec', 'rules'];
  checks.maxItems(rulesAt, spec.rules, 16);
  checks.rule(rulesAt, spec.rules.reduce((sum, rule) => sum + rule.matches.length, 0) <= 128, MAX_MATCHES_MESSAGE);
  spec.rules.forEach((rule, i) => {
    const at: FieldPath = [...rulesAt, i];
    checkSectionName(checks, [...at, 'name'], rule.name);
    checks.maxItems([...at, 'matches'], rule.matches, 8);
    rule.matches.forEach((match, j) => {
      const matchAt: FieldPath = [...at, 'matches', j];
      const { method } = match;
      if (method) {
        const methodAt: FieldPath = [...matchAt, 'method'];
        checks.oneOf([...methodAt, 'type'], method.type, MATCH_TYPES);
        checks.rule(methodAt, method.service !== undefined || method.method !== undefined, "One or both of 'service' or 'method' must be specified");
        const exact = method.type === 'Exact';
        checks.text([...methodAt, 'service'], method.service, { max: 1024, ...(exact ? { grammar: grammar.grpcService } : {}) });
        checks.text([...methodAt, 'method'], method.method, { max: 1024, ...(exact ? { grammar: grammar.grpcMethod } : {}) });
      }
      checkHeaderMatches(checks, match.headers, [...matchAt, 'headers'], 4096);
    });
    checkFilters(checks, rule.filters, [...at, 'filters'], true);
    checkBackendRefs(checks, rule.backendRefs, [...at, 'backendRefs'], true);
  });
  return checks.errors;
}

/** parentRefs and hostnames, the same on every route kind. */
function checkCommon(checks: Checks, parentRefs: readonly ParentReference[], hostnames: readonly string[]): void {
  const at: FieldPath = ['spec', 'parentRefs'];
  checks.maxItems(at, parentRefs, 32);
  parentRefs.forEach((ref, i) => {
    checkGroup(checks, [...at, i, 'group'], ref.group);
    checkKind(checks, [...at, i, 'kind'], ref.kind);
    checkNamespace(checks, [...at, i, 'namespace'], ref.namespace);
    checkObjectName(checks, [...at, i, 'name'], ref.name);
    checkSectionName(checks, [...at, i, 'sectionName'], ref.sectionName);
    checkPort(checks, [...at, i, 'port'], ref.port);
  });
  // The standard channel's two CEL rules on references to one parent (the
  // same group, kind, name, and namespace as written: an absent namespace
  // differs from one that names the route's own).
  const parentOf = (ref: ParentReference) => JSON.stringify([ref.group, ref.kind, ref.name, ref.namespace || '']);
  const sectionOf = (ref: ParentReference) => ref.sectionName || '';
  parentRefs.forEach((ref, i) => {
    const earlier = parentRefs.slice(0, i).filter((other) => parentOf(other) === parentOf(ref));
    if (earlier.length === 0) return;
    if (!checks.rule([...at, i], earlier.every((other) => (sectionOf(other) === '') === (sectionOf(ref) === '')), 'sectionName must be specified when parentRefs includes 2 or more references to the same parent')) return;
    checks.rule([...at, i], !earlier.some((other) => sectionOf(other) === sectionOf(ref)), 'sectionName must be unique when parentRefs includes 2 or more references to the same parent');
  });
  checks.maxItems(['spec', 'hostnames'], hostnames, 16);
  hostnames.forEach((hostname, i) => checkHostname(checks, ['spec', 'hostnames', i], hostname));
}

function checkHTTPRule(checks: Checks, rule: HTTPRouteRule, at: FieldPath): void {
  checkSectionName(checks, [...at, 'name'], rule.name);
  checks.maxItems([...at, 'matches'], rule.matches, 64);
  rule.matches.forEach((match, j) => {
    const matchAt: FieldPath = [...at, 'matches', j];
    checkPathMatch(checks, match.path, [...matchAt, 'path']);
    checkHeaderMatches(checks, match.headers, [...matchAt, 'headers'], 4096);
    checkHeaderMatches(checks, match.queryParams, [...matchAt, 'queryParams'], 1024);
    checks.oneOf([...matchAt, 'method'], match.method, METHODS);
  });
  checkFilters(checks, rule.filters, [...at, 'filters'], false);
  checkBackendRefs(checks, rule.backendRefs, [...at, 'backendRefs'], false);
  checks.rule(at, !(rule.backendRefs.length > 0 && rule.filters.some((filter) => filter.requestRedirect)), 'RequestRedirect filter must not be used together with backendRefs');
  // ReplacePrefixMatch replaces what a PathPrefix match matched: the rule must
  // have exactly one match, of type PathPrefix. As the API's rules are written
  // (exists_one), they apply when exactly one filter, or exactly one
  // backendRef, carries such a modifier.
  const onePrefixMatch = rule.matches.length === 1 && rule.matches[0]!.path.type === 'PathPrefix';
  const replacesPrefix = (filter: HTTPRouteFilter, field: 'requestRedirect' | 'urlRewrite') =>
    filter[field]?.path?.type === 'ReplacePrefixMatch' && filter[field]?.path?.replacePrefixMatch !== undefined;
  for (const [field, name] of [['requestRedirect', 'RequestRedirect'], ['urlRewrite', 'URLRewrite']] as const) {
    if (rule.filters.filter((filter) => replacesPrefix(filter, field)).length === 1) {
      checks.rule(at, onePrefixMatch, `When using ${name} filter with path.replacePrefixMatch, exactly one PathPrefix match must be specified`);
    }
    if (rule.backendRefs.filter((ref) => ref.filters.filter((filter) => replacesPrefix(filter, field)).length === 1).length === 1) {
      checks.rule(at, onePrefixMatch, `${name === 'URLRewrite' ? 'Within backendRefs, When' : 'Within backendRefs, when'} using ${name} filter with path.replacePrefixMatch, exactly one PathPrefix match must be specified`);
    }
  }
  if (rule.timeouts) {
    const { request, backendRequest } = rule.timeouts;
    const requestOk = checks.text([...at, 'timeouts', 'request'], request, { grammar: grammar.duration });
    const backendOk = checks.text([...at, 'timeouts', 'backendRequest'], backendRequest, { grammar: grammar.duration });
    if (requestOk && backendOk && request !== undefined && backendRequest !== undefined) {
      const requestMs = grammar.durationMs(request)!;
      checks.rule([...at, 'timeouts'], requestMs === 0 || grammar.durationMs(backendRequest)! <= requestMs, 'backendRequest timeout cannot be longer than request timeout');
    }
  }
}

function checkPathMatch(checks: Checks, path: HTTPRouteRule['matches'][number]['path'], at: FieldPath): void {
  if (!checks.oneOf([...at, 'type'], path.type, PATH_TYPES)) return;
  if (!checks.text([...at, 'value'], path.value, { max: 1024 })) return;
  if (path.type === 'RegularExpression') return;
  const value = path.value;
  const valueAt: FieldPath = [...at, 'value'];
  const rule = (ok: boolean, problem: string) => checks.rule(valueAt, ok, `${problem} when type one of ['Exact', 'PathPrefix']`);
  if (!rule(value.startsWith('/'), "value must be an absolute path and start with '/'")) return;
  for (const sequence of ['//', '/./', '/../', '%2f', '%2F', '#']) rule(!value.includes(sequence), `must not contain '${sequence}'`);
  for (const suffix of ['/..', '/.']) rule(!value.endsWith(suffix), `must not end with '${suffix}'`);
  const [problem] = grammar.httpPath(value);
  if (problem !== undefined) checks.rule(valueAt, false, `${problem} for types ['Exact', 'PathPrefix']`);
}

/** Header (or query parameter) matches: listType=map keyed by name. */
function checkHeaderMatches(checks: Checks, matches: readonly HTTPHeaderMatch[], at: FieldPath, maxValue: number): void {
  checks.maxItems(at, matches, 16);
  matches.forEach((match, i) => {
    checks.oneOf([...at, i, 'type'], match.type, MATCH_TYPES);
    checks.text([...at, i, 'name'], match.name, { min: 1, max: 256, grammar: grammar.headerName });
    checks.text([...at, i, 'value'], match.value, { min: 1, max: maxValue });
  });
  checks.unique(at, matches, (match) => match.name, 'name');
}

function checkFilters(checks: Checks, filters: readonly HTTPRouteFilter[], at: FieldPath, grpc: boolean): void {
  checks.maxItems(at, filters, 16);
  const types = filters.map((filter) => filter.type);
  if (!grpc) {
    checks.rule(at, !(types.includes('RequestRedirect') && types.includes('URLRewrite')), 'May specify either httpRouteFilterRequestRedirect or httpRouteFilterRequestRewrite, but not both');
  }
  for (const single of grpc ? GRPC_SINGLE_FILTERS : HTTP_SINGLE_FILTERS) {
    checks.rule(at, types.filter((type) => type === single).length <= 1, `${single} filter cannot be repeated`);
  }
  filters.forEach((filter, i) => checkFilter(checks, filter, [...at, i], grpc));
}

function checkFilter(checks: Checks, filter: HTTPRouteFilter, at: FieldPath, grpc: boolean): void {
  checks.oneOf([...at, 'type'], filter.type, grpc ? GRPC_FILTER_TYPES : HTTP_FILTER_TYPES);
  for (const [type, field] of FILTER_FIELDS) {
    const present = filter[field] !== undefined;
    checks.rule([...at, field], !(present && filter.type !== type), `filter.${field} must be nil if the filter.type is not ${type}`);
    if (grpc && !GRPC_FILTER_TYPES.includes(type)) continue;
    checks.rule([...at, field], !(!present && filter.type === type), `filter.${field} must be specified for ${type} filter.type`);
  }
  if (filter.requestHeaderModifier) checkHeaderModifier(checks, filter.requestHeaderModifier, [...at, 'requestHeaderModifier']);
  if (filter.responseHeaderModifier) checkHeaderModifier(checks, filter.responseHeaderModifier, [...at, 'responseHeaderModifier']);
  const redirect = filter.requestRedirect;
  if (redirect) {
    const redirectAt: FieldPath = [...at, 'requestRedirect'];
    checks.oneOf([...redirectAt, 'scheme'], redirect.scheme, ['http', 'https']);
    checks.text([...redirectAt, 'hostname'], redirect.hostname, { min: 1, max: 253, grammar: grammar.preciseHostname });
    if (redirect.path) checkPathModifier(checks, redirect.path, [...redirectAt, 'path']);
    checkPort(checks, [...redirectAt, 'port'], redirect.port);
    checks.oneOf([...redirectAt, 'statusCode'], redirect.statusCode, REDIRECT_CODES);
  }
  const rewrite = filter.urlRewrite;
  if (rewrite) {
    checks.text([...at, 'urlRewrite', 'hostname'], rewrite.hostname, { min: 1, max: 253, grammar: grammar.preciseHostname });
    if (rewrite.path) checkPathModifier(checks, rewrite.path, [...at, 'urlRewrite', 'path']);
  }
  const mirror = filter.requestMirror;
  if (mirror) {
    const mirrorAt: FieldPath = [...at, 'requestMirror'];
    checkBackendObjectRef(checks, mirror.backendRef, [...mirrorAt, 'backendRef']);
    checks.range([...mirrorAt, 'percent'], mirror.percent, 0, 100);
    if (mirror.fraction) {
      const numeratorOk = checks.range([...mirrorAt, 'fraction', 'numerator'], mirror.fraction.numerator, 0);
      const denominatorOk = checks.range([...mirrorAt, 'fraction', 'denominator'], mirror.fraction.denominator, 1);
      if (numeratorOk && denominatorOk) {
        checks.rule([...mirrorAt, 'fraction'], mirror.fraction.numerator <= mirror.fraction.denominator, 'numerator must be less than or equal to denominator');
      }
    }
    checks.rule(mirrorAt, !(mirror.percent !== undefined && mirror.fraction !== undefined), 'Only one of percent or fraction may be specified in HTTPRequestMirrorFilter');
  }
  if (filter.cors) checkCors(checks, filter.cors, [...at, 'cors']);
  if (filter.extensionRef) {
    checkGroup(checks, [...at, 'extensionRef', 'group'], filter.extensionRef.group);
    checkKind(checks, [...at, 'extensionRef', 'kind'], filter.extensionRef.kind);
    checkObjectName(checks, [...at, 'extensionRef', 'name'], filter.extensionRef.name);
  }
}

function checkHeaderModifier(checks: Checks, modifier: HeaderModifier, at: FieldPath): void {
  for (const list of ['set', 'add'] as const) {
    const listAt: FieldPath = [...at, list];
    checks.maxItems(listAt, modifier[list], 16);
    modifier[list].forEach((header, i) => {
      checks.text([...listAt, i, 'name'], header.name, { min: 1, max: 256, grammar: grammar.headerName });
      checks.text([...listAt, i, 'value'], header.value, { min: 1, max: 4096 });
    });
    checks.unique(listAt, modifier[list], (header) => header.name, 'name');
  }
  checks.maxItems([...at, 'remove'], modifier.remove, 16);
  checks.unique([...at, 'remove'], modifier.remove, (name) => name);
}

function checkPathModifier(checks: Checks, modifier: PathModifier, at: FieldPath): void {
  checks.oneOf([...at, 'type'], modifier.type, ['ReplaceFullPath', 'ReplacePrefixMatch']);
  checks.text([...at, 'replaceFullPath'], modifier.replaceFullPath, { max: 1024 });
  checks.text([...at, 'replacePrefixMatch'], modifier.replacePrefixMatch, { max: 1024 });
  const full = modifier.replaceFullPath !== undefined;
  const prefix = modifier.replacePrefixMatch !== undefined;
  checks.rule(at, modifier.type !== 'ReplaceFullPath' || full, "replaceFullPath must be specified when type is set to 'ReplaceFullPath'");
  checks.rule(at, !full || modifier.type === 'ReplaceFullPath', "type must be 'ReplaceFullPath' when replaceFullPath is set");
  checks.rule(at, modifier.type !== 'ReplacePrefixMatch' || prefix, "replacePrefixMatch must be specified when type is set to 'ReplacePrefixMatch'");
  checks.rule(at, !prefix || modifier.type === 'ReplacePrefixMatch', "type must be 'ReplacePrefixMatch' when replacePrefixMatch is set");
}

function checkCors(checks: Checks, cors: NonNullable<HTTPRouteFilter['cors']>, at: FieldPath): void {
  const wildcardAlone = (list: readonly string[], field: string, message: string) => checks.rule([...at, field], !(list.includes('*') && list.length > 1), message);
  checks.maxItems([...at, 'allowOrigins'], cors.allowOrigins, 64);
  cors.allowOrigins.forEach((origin, i) => checks.text([...at, 'allowOrigins', i], origin, { min: 1, max: 253, grammar: grammar.corsOrigin }));
  checks.unique([...at, 'allowOrigins'], cors.allowOrigins, (origin) => origin);
  wildcardAlone(cors.allowOrigins, 'allowOrigins', "AllowOrigins cannot contain '*' alongside other origins");
  checks.maxItems([...at, 'allowMethods'], cors.allowMethods, 9);
  cors.allowMethods.forEach((method, i) => checks.oneOf([...at, 'allowMethods', i], method, [...METHODS, '*']));
  checks.unique([...at, 'allowMethods'], cors.allowMethods, (method) => method);
  wildcardAlone(cors.allowMethods, 'allowMethods', "AllowMethods cannot contain '*' alongside other methods");
  for (const field of ['allowHeaders', 'exposeHeaders'] as const) {
    checks.maxItems([...at, field], cors[field], 64);
    cors[field].forEach((name, i) => checks.text([...at, field, i], name, { min: 1, max: 256, grammar: grammar.headerName }));
    checks.unique([...at, field], cors[field], (name) => name);
  }
  // The upstream message says "methods" here too.
  wildcardAlone(cors.allowHeaders, 'allowHeaders', "AllowHeaders cannot contain '*' alongside other methods");
  checks.range([...at, 'maxAge'], cors.maxAge, 1);
}

function checkBackendObjectRef(checks: Checks, ref: BackendObjectReference, at: FieldPath): void {
  checkGroup(checks, [...at, 'group'], ref.group);
  checkKind(checks, [...at, 'kind'], ref.kind);
  checkObjectName(checks, [...at, 'name'], ref.name);
  checkNamespace(checks, [...at, 'namespace'], ref.namespace);
  checkPort(checks, [...at, 'port'], ref.port);
  checks.rule([...at, 'port'], !(ref.group === '' && ref.kind === 'Service' && ref.port === undefined), 'Must have port for Service reference');
}

function checkBackendRefs(checks: Checks, refs: readonly HTTPBackendRef[], at: FieldPath, grpc: boolean): void {
  checks.maxItems(at, refs, 16);
  refs.forEach((ref, i) => {
    checkBackendObjectRef(checks, ref, [...at, i]);
    checks.range([...at, i, 'weight'], ref.weight, 0, 1_000_000);
    checkFilters(checks, ref.filters, [...at, i, 'filters'], grpc);
  });
}
