// Gateway API filters (model/gateway-features.ts) → backend lines. Pure.
//
// CORS preflights are answered first (gateway-cors.ts: a preflight asks
// about the route, whatever else it does), then the redirect answers (the
// rule's backends are never asked), then
// the request is rewritten (path, Host, headers: set, then add, then
// remove), and response headers are edited last. HAProxy's server timeout
// is the closest to both of the Gateway API's timeouts: it bounds the wait
// for the backend's answer, which is what the conformance tests measure
// (a backend slower than the timeout gives 504).
//
// The filters' values are read by the rules from settings.map (settings.ts),
// so that a new value on a loaded rule is a map change, not a reload: the
// header values (the names stay in the rules), the timeout (`set-timeout
// server`), the redirect's scheme, hostname and port, and the new paths and
// hostname of a rewrite. What stays in the rules, and so in the section's
// shape (gatewayShape), is which filters there are, the header names, the
// redirect code and whether it keeps the request's Host, the kind of path
// change and the route's matched prefix (a regular expression, which no
// map can supply), and header values that a map line cannot carry exactly
// (spaces at either end, or several in a row). CORS values are read at
// runtime as well (gateway-cors.ts).

import type { GatewayFilters, GatewayRedirect, HeaderEdits, PathChange } from '../../../model/gateway-features.js';
import * as c from '../config-lines.js';
import { gatewayCorsRequestLines, gatewayCorsResponseLines, gatewayCorsShape, gatewayCorsValue } from './gateway-cors.js';

/** "No timeout" (`0s`): HAProxy needs a value; a day is longer than any request Portero serves. */
const NO_TIMEOUT_MS = 86_400_000;

/** The settings.map values of a section's Gateway filters (settings.ts `<section>|<name>`). */
export type GatewaySettingName = 'gw-cors' | 'gw-timeout' | 'gw-location' | 'gw-redirect-path' | 'gw-rewrite-path' | 'gw-host' | `gw-${'request' | 'response'}-${'set' | 'add'}-${number}`;

/** The sample expression reading a setting of the section (settings.ts settingSample). */
export type GatewaySetting = (name: GatewaySettingName) => c.Safe;

/** The server timeout of the filters in milliseconds: the shorter of the two given, a day for `0s` alone. */
function timeoutMs(filters: GatewayFilters): number | undefined {
  if (filters.backendTimeoutMs === undefined && filters.requestTimeoutMs === undefined) return undefined;
  const both = [filters.backendTimeoutMs, filters.requestTimeoutMs].filter((value): value is number => value !== undefined && value > 0);
  return both.length === 0 ? NO_TIMEOUT_MS : Math.min(...both);
}

/** The map value of a path change: the new path or prefix; none when the prefix is stripped (the rule says it all). */
function pathValue(change: PathChange | undefined): c.Safe | undefined {
  if (!change) return undefined;
  if (change.kind === 'full') return c.pathValue(change.path);
  return change.replacement === '' ? undefined : c.pathValue(change.replacement);
}

/** The scheme of a redirect and the port its Location names (none when it is the scheme's default). */
function redirectParts(redirect: GatewayRedirect): { scheme: 'http' | 'https'; port: number | undefined } {
  const scheme = redirect.scheme ?? redirect.listenerScheme;
  return { scheme, port: redirect.port === (scheme === 'https' ? 443 : 80) ? undefined : redirect.port };
}

type HeaderPhase = 'request' | 'response';

function headerValues(phase: HeaderPhase, edits: HeaderEdits | undefined): { name: GatewaySettingName; value: c.Safe }[] {
  if (!edits) return [];
  const values: { name: GatewaySettingName; value: c.Safe }[] = [];
  for (const action of ['set', 'add'] as const) {
    edits[action].forEach((header, index) => {
      if (c.isHeaderMapValue(header.value)) values.push({ name: `gw-${phase}-${action}-${index}`, value: c.headerMapValue(header.value) });
    });
  }
  return values;
}

/** The values of the filters that settings.map carries, in a fixed order. */
export function gatewaySettingValues(filters: GatewayFilters | undefined): { name: GatewaySettingName; value: c.Safe }[] {
  if (!filters) return [];
  const values: { name: GatewaySettingName; value: c.Safe }[] = [];
  if (filters.cors) values.push({ name: 'gw-cors', value: gatewayCorsValue(filters.cors) });
  const timeout = timeoutMs(filters);
  if (timeout !== undefined) values.push({ name: 'gw-timeout', value: c.int(timeout) });
  if (filters.redirect) {
    const { scheme, port } = redirectParts(filters.redirect);
    values.push({ name: 'gw-location', value: c.redirectBase(scheme, filters.redirect.hostname, port) });
    const path = pathValue(filters.redirect.path);
    if (path) values.push({ name: 'gw-redirect-path', value: path });
  }
  const path = pathValue(filters.rewritePath);
  if (path) values.push({ name: 'gw-rewrite-path', value: path });
  if (filters.rewriteHost !== undefined) values.push({ name: 'gw-host', value: c.hostHeader(filters.rewriteHost) });
  values.push(...headerValues('request', filters.requestHeaders), ...headerValues('response', filters.responseHeaders));
  return values;
}

/** A path change without its map value: its kind, and the matched prefix (in the rule's regular expression) and whether it is stripped. */
function pathShape(change: PathChange | undefined): unknown {
  if (!change) return undefined;
  return change.kind === 'full' ? 'full' : { prefix: change.prefix, strip: change.replacement === '' };
}

function headerShape(edits: HeaderEdits | undefined): unknown {
  if (!edits) return undefined;
  const shape = (header: { name: string; value: string }) => (c.isHeaderMapValue(header.value) ? { name: header.name } : header);
  return { set: edits.set.map(shape), add: edits.add.map(shape), remove: edits.remove };
}

/**
 * The filters with the values settings.map carries left out: two sections
 * whose filters have equal shapes have the same rules. Fields not named
 * here (any filter added later) stay whole.
 */
export function gatewayShape(filters: GatewayFilters): unknown {
  const { requestTimeoutMs: _request, backendTimeoutMs: _backend, redirect, rewritePath, rewriteHost, requestHeaders, responseHeaders, cors, ...rest } = filters;
  return {
    ...rest,
    ...(cors ? { cors: gatewayCorsShape(cors) } : {}),
    ...(timeoutMs(filters) !== undefined ? { timeout: 'set' } : {}),
    ...(redirect ? { redirect: { code: redirect.code, requestHost: redirect.hostname === undefined, path: pathShape(redirect.path) } } : {}),
    ...(rewritePath ? { rewritePath: pathShape(rewritePath) } : {}),
    ...(rewriteHost !== undefined ? { rewriteHost: 'set' } : {}),
    ...(requestHeaders ? { requestHeaders: headerShape(requestHeaders) } : {}),
    ...(responseHeaders ? { responseHeaders: headerShape(responseHeaders) } : {}),
  };
}

/** A path prefix as a regular expression that matches it literally: its metacharacters as one-character classes (no backslashes). */
function literalPattern(prefix: string): string {
  return prefix.replace(/[.+*?()$|{}^[\]]/g, (char) => `[${char}]`);
}

/**
 * The rule that changes the path: the whole path from the map, or the
 * route's matched prefix, element-wise, swapped for the map's (replace-path
 * reads `\1` in what its format produced; a path value has no backslash)
 * or stripped.
 */
function pathRewriteLines(change: PathChange | undefined, value: c.Safe): string[] {
  if (!change) return [];
  if (change.kind === 'full') return [c.line`  http-request set-path %[${value}]`];
  const pattern = literalPattern(change.prefix);
  // `/foo/bar` → `/bar`, `/foo` and `/foo/` → `/`.
  if (change.replacement === '') return [c.line`  http-request replace-path ${c.objectRegex(`^${pattern}/?(.*)$`)} ${c.replaceFormat('/\\1')}`];
  return [c.line`  http-request replace-path ${c.objectRegex(`^${pattern}(/.*)?$`)} '%[${value}]\\1'`];
}

function headerLines(phase: HeaderPhase, edits: HeaderEdits | undefined, setting: GatewaySetting): string[] {
  if (!edits) return [];
  const verb = c.keyword(`http-${phase}`, ['http-request', 'http-response']);
  const value = (action: 'set' | 'add', header: { value: string }, index: number) =>
    c.isHeaderMapValue(header.value) ? c.fragment`%[${setting(`gw-${phase}-${action}-${index}`)}]` : c.fragment`'${c.logFormatValue(header.value)}'`;
  return [
    ...edits.set.map((header, index) => c.line`  ${verb} set-header ${c.fieldName(header.name)} ${value('set', header, index)}`),
    ...edits.add.map((header, index) => c.line`  ${verb} add-header ${c.fieldName(header.name)} ${value('add', header, index)}`),
    ...edits.remove.map((name) => c.line`  ${verb} del-header ${c.fieldName(name)}`),
  ];
}

/**
 * The redirect: the Location's start from the map (`scheme://host[:port]`,
 * or the scheme and port around the request's Host, split at `|`), then
 * the path and query.
 */
function redirectLines(filters: GatewayFilters, setting: GatewaySetting): string[] {
  const redirect = filters.redirect;
  if (!redirect) return [];
  const base = setting('gw-location');
  const start = redirect.hostname !== undefined ? c.fragment`%[${base}]` : c.fragment`%[${base},field(1,|)]%[req.hdr(host),field(1,:),lower]%[${base},field(2,|)]`;
  // A new path is made by rewriting the request's first (it is answered here, so nothing else sees
  // it): the Location then takes the path with the request's query, as the request has it.
  return [...pathRewriteLines(redirect.path, setting('gw-redirect-path')), c.line`  http-request redirect location '${start}%[pathq]' code ${c.int(redirect.code)}`];
}

/**
 * Lines of a backend whose routes carry Gateway API filters, before its
 * servers; `setting` reads the section's values, `originsFile` is its
 * pattern file of CORS origins (source-lists.ts).
 */
export function gatewayRequestLines(filters: GatewayFilters | undefined, setting: GatewaySetting, originsFile: c.Safe): string[] {
  if (!filters) return [];
  const lines = [...gatewayCorsRequestLines(filters.cors, originsFile, setting), ...redirectLines(filters, setting)];
  if (timeoutMs(filters) !== undefined) lines.push(c.line`  http-request set-timeout server ${setting('gw-timeout')}`);
  lines.push(...pathRewriteLines(filters.rewritePath, setting('gw-rewrite-path')));
  if (filters.rewriteHost !== undefined) lines.push(c.line`  http-request set-header Host %[${setting('gw-host')}]`);
  lines.push(...headerLines('request', filters.requestHeaders, setting));
  return lines;
}

export function gatewayResponseLines(filters: GatewayFilters | undefined, setting: GatewaySetting): string[] {
  return [...headerLines('response', filters?.responseHeaders, setting), ...gatewayCorsResponseLines(filters?.cors)];
}
