// Raw JSON → HTTPRoute and GRPCRoute (gateway-types.ts), with the API's
// defaults filled in: a route without rules gets the one rule matching every
// request, a rule without matches the match PathPrefix `/`, a path match its
// type PathPrefix, a backendRef its group '', kind Service and weight 1, a
// redirect its status 302, and so on. Values are checked by
// gateway-route-validate.ts.

import type { FieldPath } from './field-errors.js';
import { requiredInteger, requiredSpec, stringList, withOptional } from './gateway-decode.js';
import {
  GATEWAY_GROUP,
  type BackendObjectReference,
  type GRPCRoute,
  type GRPCRouteMatch,
  type GRPCRouteRule,
  type HeaderModifier,
  type HTTPBackendRef,
  type HTTPHeaderMatch,
  type HTTPPathMatch,
  type HTTPRoute,
  type HTTPRouteFilter,
  type HTTPRouteMatch,
  type HTTPRouteRule,
  type ParentReference,
  type PathModifier,
} from './gateway-types.js';
import { EMPTY_LIST, shared, type JsonObject, type Shape } from './shape.js';
import type { ObjectMeta } from './types.js';

// The API's defaults, shared by every object that takes them (decoded objects are never changed).
const DEFAULT_PATH: HTTPPathMatch = Object.freeze({ type: 'PathPrefix', value: '/' });
const DEFAULT_MATCH: HTTPRouteMatch = Object.freeze({ path: DEFAULT_PATH, headers: EMPTY_LIST as never[], queryParams: EMPTY_LIST as never[] });
const DEFAULT_MATCHES: HTTPRouteMatch[] = Object.freeze([DEFAULT_MATCH]) as HTTPRouteMatch[];
const DEFAULT_RULE: HTTPRouteRule = Object.freeze({ matches: DEFAULT_MATCHES, filters: EMPTY_LIST as never[], backendRefs: EMPTY_LIST as never[] });
const DEFAULT_RULES: HTTPRouteRule[] = Object.freeze([DEFAULT_RULE]) as HTTPRouteRule[];

function present(value: unknown): boolean {
  return value !== undefined && value !== null;
}

export function decodeHTTPRoute(shape: Shape, raw: JsonObject, metadata: ObjectMeta): HTTPRoute {
  const spec = requiredSpec(shape, raw);
  // Absent rules default to one rule that matches every request; an empty
  // list is kept as written, and refused by validation (minItems 1).
  const rules = present(spec.rules) ? shape.list(spec.rules, ['spec', 'rules']).map((value, i) => decodeHTTPRule(shape, value, ['spec', 'rules', i])) : DEFAULT_RULES;
  return {
    kind: 'HTTPRoute',
    metadata,
    spec: { parentRefs: decodeParentRefs(shape, spec.parentRefs), hostnames: stringList(shape, spec.hostnames, ['spec', 'hostnames']), rules },
  };
}

export function decodeGRPCRoute(shape: Shape, raw: JsonObject, metadata: ObjectMeta): GRPCRoute {
  // GRPCRoute's spec is optional, and its rules have no default.
  const spec = shape.object(raw.spec, ['spec']);
  const rules = shape.list(spec.rules, ['spec', 'rules']).map((value, i) => decodeGRPCRule(shape, value, ['spec', 'rules', i]));
  return {
    kind: 'GRPCRoute',
    metadata,
    spec: { parentRefs: decodeParentRefs(shape, spec.parentRefs), hostnames: stringList(shape, spec.hostnames, ['spec', 'hostnames']), rules: shared(rules) },
  };
}

function decodeParentRefs(shape: Shape, value: unknown): ParentReference[] {
  return shared(
    shape.list(value, ['spec', 'parentRefs']).map((entry, i) => {
      const at: FieldPath = ['spec', 'parentRefs', i];
      const ref = shape.object(entry, at);
      return withOptional<ParentReference>(
        { group: shape.optionalString(ref.group, [...at, 'group']) ?? GATEWAY_GROUP, kind: shape.optionalString(ref.kind, [...at, 'kind']) ?? 'Gateway', name: shape.requiredString(ref.name, [...at, 'name']) },
        {
          namespace: shape.optionalString(ref.namespace, [...at, 'namespace']),
          sectionName: shape.optionalString(ref.sectionName, [...at, 'sectionName']),
          port: shape.optionalInteger(ref.port, [...at, 'port']),
        },
      );
    }),
  );
}

function decodeHTTPRule(shape: Shape, value: unknown, at: FieldPath): HTTPRouteRule {
  const raw = shape.object(value, at);
  const matches = shape.list(raw.matches, [...at, 'matches']);
  const rule: HTTPRouteRule = {
    // No matches (absent, or an empty list) means one match of PathPrefix `/`, as the API documents it.
    matches: matches.length === 0 ? DEFAULT_MATCHES : matches.map((match, i) => decodeHTTPMatch(shape, match, [...at, 'matches', i])),
    filters: decodeFilters(shape, raw.filters, [...at, 'filters'], false),
    backendRefs: decodeBackendRefs(shape, raw.backendRefs, [...at, 'backendRefs'], false),
  };
  const name = shape.optionalString(raw.name, [...at, 'name']);
  if (name !== undefined) rule.name = name;
  if (present(raw.timeouts)) {
    const timeouts = shape.object(raw.timeouts, [...at, 'timeouts']);
    rule.timeouts = withOptional<NonNullable<HTTPRouteRule['timeouts']>>(
      {},
      { request: shape.optionalString(timeouts.request, [...at, 'timeouts', 'request']), backendRequest: shape.optionalString(timeouts.backendRequest, [...at, 'timeouts', 'backendRequest']) },
    );
  }
  return rule;
}

function decodeHTTPMatch(shape: Shape, value: unknown, at: FieldPath): HTTPRouteMatch {
  const raw = shape.object(value, at);
  let path = DEFAULT_PATH;
  if (present(raw.path)) {
    const rawPath = shape.object(raw.path, [...at, 'path']);
    const type = shape.optionalString(rawPath.type, [...at, 'path', 'type']) ?? 'PathPrefix';
    const pathValue = shape.optionalString(rawPath.value, [...at, 'path', 'value']) ?? '/';
    if (type !== DEFAULT_PATH.type || pathValue !== DEFAULT_PATH.value) path = { type, value: pathValue };
  }
  const match: HTTPRouteMatch = {
    path,
    headers: decodeHeaderMatches(shape, raw.headers, [...at, 'headers']),
    queryParams: decodeHeaderMatches(shape, raw.queryParams, [...at, 'queryParams']),
  };
  const method = shape.optionalString(raw.method, [...at, 'method']);
  if (method !== undefined) match.method = method;
  return match;
}

/** Header and query-parameter matches: type defaults to Exact. */
function decodeHeaderMatches(shape: Shape, value: unknown, at: FieldPath): HTTPHeaderMatch[] {
  return shared(
    shape.list(value, at).map((entry, i) => {
      const match = shape.object(entry, [...at, i]);
      return {
        type: shape.optionalString(match.type, [...at, i, 'type']) ?? 'Exact',
        name: shape.requiredString(match.name, [...at, i, 'name']),
        value: shape.requiredString(match.value, [...at, i, 'value']),
      };
    }),
  );
}

function decodeGRPCRule(shape: Shape, value: unknown, at: FieldPath): GRPCRouteRule {
  const raw = shape.object(value, at);
  const matches = shape.list(raw.matches, [...at, 'matches']).map((entry, i): GRPCRouteMatch => {
    const matchAt: FieldPath = [...at, 'matches', i];
    const match = shape.object(entry, matchAt);
    const decoded: GRPCRouteMatch = { headers: decodeHeaderMatches(shape, match.headers, [...matchAt, 'headers']) };
    if (present(match.method)) {
      const method = shape.object(match.method, [...matchAt, 'method']);
      decoded.method = withOptional<NonNullable<GRPCRouteMatch['method']>>(
        { type: shape.optionalString(method.type, [...matchAt, 'method', 'type']) ?? 'Exact' },
        { service: shape.optionalString(method.service, [...matchAt, 'method', 'service']), method: shape.optionalString(method.method, [...matchAt, 'method', 'method']) },
      );
    }
    return decoded;
  });
  const rule: GRPCRouteRule = {
    matches: shared(matches),
    filters: decodeFilters(shape, raw.filters, [...at, 'filters'], true),
    backendRefs: decodeBackendRefs(shape, raw.backendRefs, [...at, 'backendRefs'], true),
  };
  const name = shape.optionalString(raw.name, [...at, 'name']);
  if (name !== undefined) rule.name = name;
  return rule;
}

function decodeBackendRefs(shape: Shape, value: unknown, at: FieldPath, grpc: boolean): HTTPBackendRef[] {
  return shared(
    shape.list(value, at).map((entry, i) => {
      const raw = shape.object(entry, [...at, i]);
      return {
        ...decodeObjectRef(shape, raw, [...at, i]),
        weight: shape.optionalInteger(raw.weight, [...at, i, 'weight']) ?? 1,
        filters: decodeFilters(shape, raw.filters, [...at, i, 'filters'], grpc),
      };
    }),
  );
}

/** A backend reference: group defaults to '' (core), kind to Service. */
function decodeObjectRef(shape: Shape, raw: JsonObject, at: FieldPath): BackendObjectReference {
  return withOptional<BackendObjectReference>(
    { group: shape.optionalString(raw.group, [...at, 'group']) ?? '', kind: shape.optionalString(raw.kind, [...at, 'kind']) ?? 'Service', name: shape.requiredString(raw.name, [...at, 'name']) },
    { namespace: shape.optionalString(raw.namespace, [...at, 'namespace']), port: shape.optionalInteger(raw.port, [...at, 'port']) },
  );
}

/**
 * Filters. A GRPCRoute filter has no redirect, rewrite or CORS field: the
 * API server drops them as unknown fields, and so does decode.
 */
function decodeFilters(shape: Shape, value: unknown, at: FieldPath, grpc: boolean): HTTPRouteFilter[] {
  return shared(
    shape.list(value, at).map((entry, i) => {
      const filterAt: FieldPath = [...at, i];
      const raw = shape.object(entry, filterAt);
      const filter: HTTPRouteFilter = { type: shape.requiredString(raw.type, [...filterAt, 'type']) };
      if (present(raw.requestHeaderModifier)) filter.requestHeaderModifier = decodeHeaderModifier(shape, raw.requestHeaderModifier, [...filterAt, 'requestHeaderModifier']);
      if (present(raw.responseHeaderModifier)) filter.responseHeaderModifier = decodeHeaderModifier(shape, raw.responseHeaderModifier, [...filterAt, 'responseHeaderModifier']);
      if (present(raw.requestMirror)) filter.requestMirror = decodeMirror(shape, raw.requestMirror, [...filterAt, 'requestMirror']);
      if (present(raw.extensionRef)) {
        const ref = shape.object(raw.extensionRef, [...filterAt, 'extensionRef']);
        const refAt: FieldPath = [...filterAt, 'extensionRef'];
        filter.extensionRef = { group: shape.optionalString(ref.group, [...refAt, 'group']) ?? '', kind: shape.requiredString(ref.kind, [...refAt, 'kind']), name: shape.requiredString(ref.name, [...refAt, 'name']) };
      }
      if (grpc) return filter;
      if (present(raw.requestRedirect)) {
        const redirect = shape.object(raw.requestRedirect, [...filterAt, 'requestRedirect']);
        const redirectAt: FieldPath = [...filterAt, 'requestRedirect'];
        filter.requestRedirect = withOptional<NonNullable<HTTPRouteFilter['requestRedirect']>>(
          { statusCode: shape.optionalInteger(redirect.statusCode, [...redirectAt, 'statusCode']) ?? 302 },
          {
            scheme: shape.optionalString(redirect.scheme, [...redirectAt, 'scheme']) as 'http' | 'https' | undefined,
            hostname: shape.optionalString(redirect.hostname, [...redirectAt, 'hostname']),
            path: present(redirect.path) ? decodePathModifier(shape, redirect.path, [...redirectAt, 'path']) : undefined,
            port: shape.optionalInteger(redirect.port, [...redirectAt, 'port']),
          },
        );
      }
      if (present(raw.urlRewrite)) {
        const rewrite = shape.object(raw.urlRewrite, [...filterAt, 'urlRewrite']);
        const rewriteAt: FieldPath = [...filterAt, 'urlRewrite'];
        filter.urlRewrite = withOptional<NonNullable<HTTPRouteFilter['urlRewrite']>>(
          {},
          {
            hostname: shape.optionalString(rewrite.hostname, [...rewriteAt, 'hostname']),
            path: present(rewrite.path) ? decodePathModifier(shape, rewrite.path, [...rewriteAt, 'path']) : undefined,
          },
        );
      }
      if (present(raw.cors)) filter.cors = decodeCors(shape, raw.cors, [...filterAt, 'cors']);
      return filter;
    }),
  );
}

function decodeHeaderModifier(shape: Shape, value: unknown, at: FieldPath): HeaderModifier {
  const raw = shape.object(value, at);
  const headers = (list: unknown, listAt: FieldPath) =>
    shared(
      shape.list(list, listAt).map((entry, i) => {
        const header = shape.object(entry, [...listAt, i]);
        return { name: shape.requiredString(header.name, [...listAt, i, 'name']), value: shape.requiredString(header.value, [...listAt, i, 'value']) };
      }),
    );
  return { set: headers(raw.set, [...at, 'set']), add: headers(raw.add, [...at, 'add']), remove: stringList(shape, raw.remove, [...at, 'remove']) };
}

function decodePathModifier(shape: Shape, value: unknown, at: FieldPath): PathModifier {
  const raw = shape.object(value, at);
  return withOptional<PathModifier>(
    { type: shape.requiredString(raw.type, [...at, 'type']) },
    { replaceFullPath: shape.optionalString(raw.replaceFullPath, [...at, 'replaceFullPath']), replacePrefixMatch: shape.optionalString(raw.replacePrefixMatch, [...at, 'replacePrefixMatch']) },
  );
}

function decodeMirror(shape: Shape, value: unknown, at: FieldPath): NonNullable<HTTPRouteFilter['requestMirror']> {
  const raw = shape.object(value, at);
  if (!present(raw.backendRef)) shape.fail([...at, 'backendRef'], 'Required value');
  const mirror: NonNullable<HTTPRouteFilter['requestMirror']> = { backendRef: decodeObjectRef(shape, shape.object(raw.backendRef, [...at, 'backendRef']), [...at, 'backendRef']) };
  const percent = shape.optionalInteger(raw.percent, [...at, 'percent']);
  if (percent !== undefined) mirror.percent = percent;
  if (present(raw.fraction)) {
    const fraction = shape.object(raw.fraction, [...at, 'fraction']);
    mirror.fraction = {
      numerator: requiredInteger(shape, fraction.numerator, [...at, 'fraction', 'numerator']),
      denominator: shape.optionalInteger(fraction.denominator, [...at, 'fraction', 'denominator']) ?? 100,
    };
  }
  return mirror;
}

function decodeCors(shape: Shape, value: unknown, at: FieldPath): NonNullable<HTTPRouteFilter['cors']> {
  const raw = shape.object(value, at);
  return withOptional<NonNullable<HTTPRouteFilter['cors']>>(
    {
      allowOrigins: stringList(shape, raw.allowOrigins, [...at, 'allowOrigins']),
      allowMethods: stringList(shape, raw.allowMethods, [...at, 'allowMethods']),
      allowHeaders: stringList(shape, raw.allowHeaders, [...at, 'allowHeaders']),
      exposeHeaders: stringList(shape, raw.exposeHeaders, [...at, 'exposeHeaders']),
      // The API's default: browsers cache a preflight answer for 5 seconds.
      maxAge: shape.optionalInteger(raw.maxAge, [...at, 'maxAge']) ?? 5,
    },
    { allowCredentials: shape.optionalBoolean(raw.allowCredentials, [...at, 'allowCredentials']) },
  );
}
