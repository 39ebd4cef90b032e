// Gateway API filters (model/gateway-features.ts) → backend lines. Pure.
//
// CORS preflights are answered first (gateway-cors.ts: a preflight asks
// about the route, whatever else it does), then the redirect answers (the
// rule's backends are never asked), then
// the request is rewritten (path, Host, headers: set, then add, then
// remove), and response headers are edited last. HAProxy's `timeout server`
// is the closest to both of the Gateway API's timeouts: it bounds the wait
// for the backend's answer, which is what the conformance tests measure
// (a backend slower than the timeout gives 504).

import type { GatewayFilters, HeaderEdits, PathChange } from '../../../model/gateway-features.js';
import * as c from '../config-lines.js';
import { gatewayCorsRequestLines, gatewayCorsResponseLines } from './gateway-cors.js';

/** "No timeout" (`0s`): HAProxy needs a value; a day is longer than any request Portero serves. */
const NO_TIMEOUT = '1d';

/** A path prefix as a regular expression that matches it literally: its metacharacters as one-character classes (no backslashes). */
function literalPattern(prefix: string): string {
  return prefix.replace(/[.+*?()$|{}^[\]]/g, (char) => `[${char}]`);
}

/** The `replace-path` that swaps the route's matched prefix, element-wise, keeping the rest of the path. */
function prefixReplacement(change: Extract<PathChange, { kind: 'prefix' }>): [c.Safe, c.Safe] {
  const pattern = literalPattern(change.prefix);
  if (change.replacement === '') {
    // `/foo/bar` → `/bar`, `/foo` and `/foo/` → `/`.
    return [c.objectRegex(`^${pattern}/?(.*)$`), c.replaceFormat('/\\1')];
  }
  return [c.objectRegex(`^${pattern}(/.*)?$`), c.replaceFormat(`${change.replacement}\\1`)];
}

function pathRewriteLines(change: PathChange | undefined): string[] {
  if (!change) return [];
  if (change.kind === 'full') return [c.line`  http-request set-path ${c.replaceFormat(change.path)}`];
  const [pattern, format] = prefixReplacement(change);
  return [c.line`  http-request replace-path ${pattern} ${format}`];
}

function headerLines(phase: 'http-request' | 'http-response', edits: HeaderEdits | undefined): string[] {
  if (!edits) return [];
  const verb = c.keyword(phase, ['http-request', 'http-response']);
  return [
    ...edits.set.map((header) => c.line`  ${verb} set-header ${c.fieldName(header.name)} '${c.logFormatValue(header.value)}'`),
    ...edits.add.map((header) => c.line`  ${verb} add-header ${c.fieldName(header.name)} '${c.logFormatValue(header.value)}'`),
    ...edits.remove.map((name) => c.line`  ${verb} del-header ${c.fieldName(name)}`),
  ];
}

/** The Location of a RequestRedirect as a log-format string. */
function redirectLines(filters: GatewayFilters): string[] {
  const redirect = filters.redirect;
  if (!redirect) return [];
  const scheme = redirect.scheme ?? redirect.listenerScheme;
  const host = redirect.hostname !== undefined ? c.hostHeader(redirect.hostname).text : '%[req.hdr(host),field(1,:),lower]';
  const defaultPort = scheme === 'https' ? 443 : 80;
  const port = redirect.port === defaultPort ? '' : `:${c.port(redirect.port).text}`;
  const base = `${c.keyword(scheme, ['http', 'https']).text}://${host}${port}`;
  // A new path is made by rewriting the request's first (it is answered here, so nothing else sees
  // it): the Location then takes the path with the request's query, as the request has it.
  return [...pathRewriteLines(redirect.path), `  http-request redirect location '${base}%[pathq]' code ${c.int(redirect.code).text}`];
}

/** Lines of a backend whose routes carry Gateway API filters, before its servers. */
export function gatewayRequestLines(filters: GatewayFilters | undefined): string[] {
  if (!filters) return [];
  const lines = [...gatewayCorsRequestLines(filters.cors), ...redirectLines(filters)];
  const timeout = filters.backendTimeoutMs ?? filters.requestTimeoutMs;
  if (timeout !== undefined) {
    const both = [filters.backendTimeoutMs, filters.requestTimeoutMs].filter((value): value is number => value !== undefined && value > 0);
    lines.push(c.line`  timeout server ${c.duration(both.length === 0 ? NO_TIMEOUT : `${Math.min(...both)}ms`)}`);
  }
  lines.push(...pathRewriteLines(filters.rewritePath));
  if (filters.rewriteHost !== undefined) lines.push(c.line`  http-request set-header Host ${c.hostHeader(filters.rewriteHost)}`);
  lines.push(...headerLines('http-request', filters.requestHeaders));
  return lines;
}

export function gatewayResponseLines(filters: GatewayFilters | undefined): string[] {
  return [...headerLines('http-response', filters?.responseHeaders), ...gatewayCorsResponseLines(filters?.cors)];
}
