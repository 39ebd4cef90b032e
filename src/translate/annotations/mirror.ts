// Request mirroring (mirror-target, mirror-host, mirror-request-body): a copy
// of every request of the location is sent to another Service, fire and
// forget (see dataplane/haproxy/features/mirror.ts). High-risk annotations
// (CVE-2025-1098 injected nginx configuration through them), so the grammar
// is strict and nothing of a value reaches the data plane unchecked:
//
//   mirror-target  http://<host>[:<port>][<path>][$request_uri]
//                  <host>: a Service name (<svc>.<ns>.svc[.cluster.local]),
//                  resolved by translate to its ready endpoints, or an IP
//                  literal (no DNS in the data plane); <path>: literal path
//                  characters (no query); `$request_uri`, the only variable,
//                  at the end: the request's path and query.
//   mirror-host    a host name or IP address, `:port` optional.
//   mirror-request-body  on (default) or off.
//
// As in ingress-nginx, an invalid value does not stop the Ingress from being
// served: the copy is not sent (an invalid mirror-host: the target's host is
// the copy's Host), with a warning that names the annotation and its value.

import { describe } from '../../objects/grammar.js';
import type { Mirror } from '../../model/features.js';
import { hostTarget, httpAuthority, type Parsed } from './ext-auth.js';
import type { AnnotationGroup } from './group.js';

/** Path characters of RFC 3986 without `$`, `'`, `?` and `#`; `%` only as an escape. */
const PATH_CHARS = String.raw`(?:[A-Za-z0-9._~!&()*+,;=:@\/-]|%[0-9A-Fa-f]{2})`;
const TARGET = new RegExp(String.raw`^([A-Za-z][A-Za-z0-9+.-]*)://(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?::([0-9]{1,5}))?(\/${PATH_CHARS}{0,1024})?(\$request_uri)?$`);
const LABEL = '[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?';
/** A DNS name or IPv4 address (at most 253 characters), `:port` optional. */
const HOST = new RegExp(`^(?=[^:]{1,253}(?::|$))${LABEL}(?:\\.${LABEL})*(?::[0-9]{1,5})?$`);

export type MirrorTarget = Pick<Mirror, 'target' | 'path'> & { host: string };

/** mirror-target → where the copy goes, its default Host (the URL's host, as ingress-nginx), and its path. */
export function parseMirrorTarget(url: string): Parsed<MirrorTarget> {
  const match = TARGET.exec(url);
  if (!match) {
    if (/\$(?!request_uri$)/.test(url)) return { ok: false, message: 'the only nginx variable Portero accepts is $request_uri, at the end of the URL' };
    return { ok: false, message: 'must be http://<host>[:<port>][<path>][$request_uri]: a path of literal characters (no query, quotes, spaces or backslashes) and $request_uri only at its end' };
  }
  const authority = httpAuthority(match, "https mirror targets are not supported yet; use the mirror Service's plain-HTTP port");
  if (!authority.ok) return authority;
  const { rawHost, port } = authority.value;
  // The copy's Host would be the address in brackets, which is no host name.
  if (rawHost.startsWith('[')) return { ok: false, message: 'IPv6 addresses are not supported in mirror-target; use the Service name' };
  const target = hostTarget(rawHost, port, 'mirror services');
  if (!target.ok) return target;
  const prefix = match[4] ?? '';
  const requestUri = match[5] !== undefined;
  // Without a path, the request's own path and query: nginx would send its internal /_mirror-<uid> location name (docs/annotations.md).
  const path = prefix === '' && !requestUri ? undefined : { prefix, requestUri };
  return { ok: true, value: { target: target.value, host: rawHost, ...(path ? { path } : {}) } };
}

/** mirror-host: a host name or IPv4 address with an optional port, lowercase. */
export function parseMirrorHost(value: string): Parsed<string> {
  const host = value.toLowerCase();
  const port = /:([0-9]{1,5})$/.exec(host);
  if (!HOST.test(host) || (port && (Number(port[1]) < 1 || Number(port[1]) > 65535))) {
    return { ok: false, message: `${describe(value)} is not a host name or IPv4 address with an optional port` };
  }
  return { ok: true, value: host };
}

const NOTE_TARGET = 'http:// only, to a Service name (<svc>.<ns>.svc[.cluster.local]) or an IP address, with a literal path and/or $request_uri at its end; other forms are refused (no copy is sent). GET, HEAD, POST, PUT and DELETE requests are copied, other methods are not';

export const mirror: AnnotationGroup = {
  annotations: {
    'mirror-target': { status: 'difference', note: NOTE_TARGET },
    'mirror-host': { status: 'supported' },
    'mirror-request-body': { status: 'difference', note: 'a body is copied when it has a Content-Length and is whole in the request buffer; a request with a larger or chunked body is not copied' },
  },
  read(values, features) {
    const targetText = values.string('mirror-target');
    const hostText = values.string('mirror-host');
    const bodyText = values.string('mirror-request-body');
    if (bodyText !== undefined && bodyText !== 'on' && bodyText !== 'off') values.notice('mirror-request-body', 'must be on or off; read as on, as ingress-nginx reads any value but off');
    if (targetText === undefined) return;
    const target = parseMirrorTarget(targetText);
    if (!target.ok) {
      values.notice('mirror-target', `${target.message}; requests are not mirrored`);
      return;
    }
    let host = target.value.host;
    if (hostText !== undefined) {
      const parsed = parseMirrorHost(hostText);
      if (parsed.ok) host = parsed.value;
      else values.notice('mirror-host', `${parsed.message}; the copy's Host is the mirror-target's host`);
    }
    const { target: where, path } = target.value;
    features.mirrors = [{ target: where, host, ...(path ? { path } : {}), body: bodyText !== 'off' }];
  },
};
