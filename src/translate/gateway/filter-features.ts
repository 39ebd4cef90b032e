// Gateway API filters (a rule's, then a backendRef's) → GatewayFilters, the
// checked data the data plane renders. Pure.
//
// Every value passes the grammar the renderer enforces again, so an object
// can never produce a configuration HAProxy refuses: a value outside it is
// reported (the route gets Accepted=False with reason UnsupportedValue, as
// the spec asks for values an implementation does not support) and nothing
// of the rule is served. ExtensionRef is not supported and is reported the
// same way. CORS and RequestMirror have modules of their own
// (cors-filter.ts, mirror-filter.ts).

import type { GatewayFilters, GatewayRedirect, HeaderEdits, HeaderValue, PathChange } from '../../model/gateway-features.js';
import type { HeaderModifier, HTTPRouteFilter, PathModifier } from '../../objects/gateway-types.js';
import { corsFeature } from './cors-filter.js';
import { mirrorOf } from './mirror-filter.js';
import type { BackendResolution } from './types.js';

/** What the rule is served on and matched by, which some filters depend on. */
export interface FilterContext {
  /** The listener's port as the Gateway declares it, and its scheme. */
  listenerPort: number;
  listenerScheme: 'http' | 'https';
  /** The path prefix the rule's match uses (no trailing `/`, `''` for `/`), when it is a PathPrefix match. */
  matchedPrefix?: string;
  /** The rule's RequestMirror backendRefs resolved, by filter index (ServedRule.mirrors); absent for a backendRef's filters. */
  mirrors?: ReadonlyMap<number, BackendResolution>;
}

export type FilterResult = { ok: true; filters: GatewayFilters | undefined } | { ok: false; field: string; message: string };

/** Header names the renderer accepts (fieldName): a subset of RFC 7230 tokens. */
const HEADER_NAME = /^[A-Za-z0-9_.-]{1,128}$/;
/** Header values the renderer accepts (logFormatValue): printable ASCII and spaces without quotes, backslashes or `$`. */
const HEADER_VALUE = /^[\x20\x21\x23\x25-\x26\x28-\x5b\x5d-\x7e]{1,1024}$/;
/** Paths the renderer accepts in a replace-path format. */
const PATH = /^\/[A-Za-z0-9/\-._~!&()*+,;=:@%]{0,1024}$/;
const HOSTNAME = /^(?=.{1,253}$)[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?)*$/;
const CODES = new Set([301, 302, 303, 307, 308]);

class Problem extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

function header(value: HeaderValue, field: string): HeaderValue {
  if (!HEADER_NAME.test(value.name)) throw new Problem(`${field}.name`, `header name ${JSON.stringify(value.name.slice(0, 128))} is not supported (letters, digits, '-', '_' and '.')`);
  if (!HEADER_VALUE.test(value.value)) throw new Problem(`${field}.value`, 'header values must be 1 to 1024 characters of printable ASCII and spaces, without quotes, backslashes or $');
  return { name: value.name.toLowerCase(), value: value.value };
}

function edits(modifier: HeaderModifier | undefined, field: string): HeaderEdits | undefined {
  if (!modifier) return undefined;
  const set = modifier.set.map((value, index) => header(value, `${field}.set[${index}]`));
  const add = modifier.add.map((value, index) => header(value, `${field}.add[${index}]`));
  const remove = modifier.remove.map((name, index) => header({ name, value: '-' }, `${field}.remove[${index}]`).name);
  return set.length + add.length + remove.length === 0 ? undefined : { set, add, remove };
}

/** A path without its trailing slashes; `''` for `/`. */
function trimmed(path: string): string {
  return path.replace(/\/+$/, '');
}

function pathChange(modifier: PathModifier, field: string, context: FilterContext): PathChange {
  if (modifier.type === 'ReplaceFullPath') {
    const path = modifier.replaceFullPath ?? '/';
    if (!PATH.test(path)) throw new Problem(`${field}.replaceFullPath`, 'must be a path of RFC 3986 path characters (no quotes, spaces or backslashes)');
    return { kind: 'full', path };
  }
  if (modifier.type === 'ReplacePrefixMatch') {
    if (context.matchedPrefix === undefined) throw new Problem(`${field}.replacePrefixMatch`, 'needs a PathPrefix match');
    // The matched prefix becomes a regular expression of the rewrite: it must be in the same grammar.
    if (context.matchedPrefix !== '' && !PATH.test(context.matchedPrefix)) throw new Problem(`${field}.replacePrefixMatch`, 'the matched prefix holds characters a rewrite cannot use (quotes, spaces or backslashes)');
    const replacement = modifier.replacePrefixMatch ?? '/';
    if (!PATH.test(replacement)) throw new Problem(`${field}.replacePrefixMatch`, 'must be a path of RFC 3986 path characters (no quotes, spaces or backslashes)');
    return { kind: 'prefix', prefix: context.matchedPrefix, replacement: trimmed(replacement) };
  }
  throw new Problem(`${field}.type`, `path modifier type ${JSON.stringify(modifier.type)} is not supported`);
}

/** The Gateway API duration (`1h30m`, `500ms`, `0s`) in milliseconds. */
export function parseDuration(text: string): number | undefined {
  if (!/^(?:[0-9]{1,5}(?:h|m|s|ms)){1,4}$/.test(text)) return undefined;
  const units: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 };
  let total = 0;
  for (const [, amount, unit] of text.matchAll(/([0-9]+)(ms|h|m|s)/g)) total += Number(amount) * units[unit!]!;
  return total;
}

function redirectOf(filter: NonNullable<HTTPRouteFilter['requestRedirect']>, field: string, context: FilterContext): GatewayRedirect {
  if (!CODES.has(filter.statusCode)) throw new Problem(`${field}.statusCode`, 'must be 301, 302, 303, 307 or 308');
  if (filter.hostname !== undefined && !HOSTNAME.test(filter.hostname)) throw new Problem(`${field}.hostname`, 'must be a DNS host name');
  // The spec's port rule: the port given; else the scheme's well-known port when a scheme is given; else the listener's.
  const port = filter.port ?? (filter.scheme === 'https' ? 443 : filter.scheme === 'http' ? 80 : context.listenerPort);
  return {
    ...(filter.scheme ? { scheme: filter.scheme } : {}),
    ...(filter.hostname !== undefined ? { hostname: filter.hostname } : {}),
    port,
    listenerScheme: context.listenerScheme,
    ...(filter.path ? { path: pathChange(filter.path, `${field}.path`, context) } : {}),
    code: filter.statusCode as GatewayRedirect['code'],
  };
}

/**
 * The filters of a rule (`field` names them, e.g. `spec.rules[0].filters`)
 * with its timeouts, then, for one backendRef, its own filters (which apply
 * after the rule's, to that backend only).
 */
export function filterFeatures(
  filters: readonly HTTPRouteFilter[],
  field: string,
  context: FilterContext,
  timeouts?: { request?: string; backendRequest?: string },
  timeoutsField = 'timeouts',
): FilterResult {
  try {
    const out: { -readonly [K in keyof GatewayFilters]: GatewayFilters[K] } = {};
    filters.forEach((filter, index) => {
      const at = `${field}[${index}]`;
      switch (filter.type) {
        case 'RequestHeaderModifier': {
          const value = edits(filter.requestHeaderModifier, `${at}.requestHeaderModifier`);
          if (value) out.requestHeaders = merge(out.requestHeaders, value);
          break;
        }
        case 'ResponseHeaderModifier': {
          const value = edits(filter.responseHeaderModifier, `${at}.responseHeaderModifier`);
          if (value) out.responseHeaders = merge(out.responseHeaders, value);
          break;
        }
        case 'RequestRedirect':
          if (filter.requestRedirect) out.redirect = redirectOf(filter.requestRedirect, `${at}.requestRedirect`, context);
          break;
        case 'URLRewrite':
          if (filter.urlRewrite?.hostname !== undefined) {
            if (!HOSTNAME.test(filter.urlRewrite.hostname)) throw new Problem(`${at}.urlRewrite.hostname`, 'must be a DNS host name');
            out.rewriteHost = filter.urlRewrite.hostname;
          }
          if (filter.urlRewrite?.path) out.rewritePath = pathChange(filter.urlRewrite.path, `${at}.urlRewrite.path`, context);
          break;
        case 'CORS': {
          if (!filter.cors) break;
          const result = corsFeature(filter.cors, `${at}.cors`);
          if (!result.ok) throw new Problem(result.field, result.message);
          out.cors = result.cors;
          break;
        }
        case 'RequestMirror': {
          const backend = context.mirrors?.get(index);
          if (!filter.requestMirror || !backend) throw new Problem(`${at}.type`, 'RequestMirror is supported on rules only');
          const mirror = mirrorOf(filter.requestMirror, backend);
          if (mirror) out.mirrors = [...(out.mirrors ?? []), mirror];
          break;
        }
        default:
          throw new Problem(`${at}.type`, `filter type ${JSON.stringify(filter.type)} is not supported by Portero`);
      }
    });
    for (const key of ['request', 'backendRequest'] as const) {
      const text = timeouts?.[key];
      if (text === undefined) continue;
      const ms = parseDuration(text);
      if (ms === undefined) throw new Problem(`${timeoutsField}.${key}`, 'must be a Gateway API duration such as 500ms, 10s or 1m30s');
      if (key === 'request') out.requestTimeoutMs = ms;
      else out.backendTimeoutMs = ms;
    }
    return { ok: true, filters: Object.keys(out).length === 0 ? undefined : out };
  } catch (error) {
    if (error instanceof Problem) return { ok: false, field: error.field, message: error.message };
    throw error;
  }
}

/** A backendRef's filters after its rule's: edits of both apply, in that order. */
function merge(first: HeaderEdits | undefined, second: HeaderEdits): HeaderEdits {
  if (!first) return second;
  return { set: [...first.set, ...second.set], add: [...first.add, ...second.add], remove: [...first.remove, ...second.remove] };
}

/** A rule's filters combined with one backendRef's (the backendRef's edits after the rule's; its other filters replace the rule's). */
export function combineFilters(rule: GatewayFilters | undefined, backend: GatewayFilters | undefined): GatewayFilters | undefined {
  if (!rule) return backend;
  if (!backend) return rule;
  const requestHeaders = backend.requestHeaders ? merge(rule.requestHeaders, backend.requestHeaders) : rule.requestHeaders;
  const responseHeaders = backend.responseHeaders ? merge(rule.responseHeaders, backend.responseHeaders) : rule.responseHeaders;
  return { ...rule, ...backend, ...(requestHeaders ? { requestHeaders } : {}), ...(responseHeaders ? { responseHeaders } : {}) };
}
