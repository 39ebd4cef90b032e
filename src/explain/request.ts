// The request of an ExplainInput, read the way a client sends it. The URL is
// split by hand, not with WHATWG URL: that one resolves dot segments and
// re-encodes characters, and explain must route the path exactly as sent
// (Portero normalises it itself: docs/routing.md, Path normalisation). Pure.

import type { RequestParts } from '../model/match.js';
import type { ExplainInput } from './types.js';

export interface ParsedRequest {
  method: string;
  scheme: 'http' | 'https';
  /** The port the request is sent to (the URL's, else 80 or 443). */
  port: number;
  /** The Host header: a `Host` field of the headers, else the URL's authority. */
  hostHeader: string;
  /** Path and query as sent ('/' when the URL has none). */
  path: string;
  headers: [string, string][];
  /** HTTPS: the server name sent (the URL's host unless given), or null. */
  sni?: string | null;
  parts: RequestParts;
}

export class ExplainInputError extends Error {}

const URL_FORM = /^(https?):\/\/([^/?#]*)([^#]*)/i;
const METHOD = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** The request of an input, or an ExplainInputError saying what is wrong with it. */
export function parseRequest(input: ExplainInput): ParsedRequest {
  const method = input.method ?? 'GET';
  if (!METHOD.test(method)) throw new ExplainInputError(`method ${JSON.stringify(method)} is not an HTTP token`);
  const match = URL_FORM.exec(input.url);
  if (!match) throw new ExplainInputError(`URL ${JSON.stringify(input.url)} must start with http:// or https://`);
  const scheme = match[1]!.toLowerCase() as 'http' | 'https';
  const authority = match[2]!;
  if (authority.includes('@')) throw new ExplainInputError('URL: user information (user@host) is not sent in a Host header; leave it out');
  const portText = /:(\d*)$/.exec(authority)?.[1];
  const hostname = portText === undefined ? authority : authority.slice(0, -portText.length - 1);
  if (hostname === '' && !(input.headers ?? []).some(([name]) => name.toLowerCase() === 'host')) throw new ExplainInputError('URL: no host');
  const port = portText === undefined || portText === '' ? (scheme === 'https' ? 443 : 80) : Number(portText);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new ExplainInputError(`URL: port ${portText} is out of range`);
  const path = match[3] === '' ? '/' : match[3]!;
  if (!path.startsWith('/')) throw new ExplainInputError(`URL: the path must start with /`);
  const headers: [string, string][] = [];
  for (const [name, value] of input.headers ?? []) {
    if (!METHOD.test(name)) throw new ExplainInputError(`header name ${JSON.stringify(name)} is not an HTTP token`);
    headers.push([name, value]);
  }
  const hostField = headers.find(([name]) => name.toLowerCase() === 'host');
  const hostHeader = hostField ? hostField[1].trim() : authority;
  const sni = scheme === 'https' ? (input.sni === undefined ? hostname.toLowerCase() : input.sni) : undefined;
  return {
    method,
    scheme,
    port,
    hostHeader,
    path,
    headers,
    ...(sni !== undefined ? { sni } : {}),
    // The Host is not a condition's field: Gateway API matches name other headers.
    parts: { method, headers: headers.filter(([name]) => name.toLowerCase() !== 'host') },
  };
}

/** `Name: value` (as curl's -H) → a header field. */
export function parseHeaderFlag(text: string): [string, string] {
  const colon = text.indexOf(':');
  if (colon <= 0) throw new ExplainInputError(`header ${JSON.stringify(text)} must be "Name: value"`);
  return [text.slice(0, colon).trim(), text.slice(colon + 1).trim()];
}
