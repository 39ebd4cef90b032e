// Backend features → the backend section's balance and cookie lines, and the
// options of its servers. Pure. Server options are computed once here and go
// both on the `server` lines of the configuration and on `add server`
// commands at runtime, so a server added live is the same as one loaded
// from the file.
//
// Affinity uses HAProxy's dynamic cookies: `add server` in HAProxy 2.6
// refuses the `cookie` server option ("'cookie' option is not accepted for
// dynamic server"), so a server's cookie value is computed by HAProxy from
// the backend's `dynamic-cookie-key` and the server's address and port. A
// server added at runtime gets its value only when the key is set again
// (`set dynamic-cookie-key backend`), which runtime-apply.ts does after
// adding servers. The key derives from the Service port, so every replica
// and every generation gives an endpoint the same cookie value, and a change
// of other annotations (a new backend id) keeps sessions sticky.

import type { Balance, Features } from '../../../model/features.js';
import { backendId, type Backend } from '../../../model/model.js';
import * as c from '../config-lines.js';

/** The options every server of a backend with `features` carries; undefined when none. */
export function serverOptions(features: Features | undefined): c.Safe | undefined {
  const upstream = features?.upstream;
  if (!upstream) return undefined;
  if (upstream.kind === 'h2c') return c.fragment`proto h2`;
  // `verify none` must be explicit: HAProxy verifies by default (ssl-server-verify required) and has no CA here.
  const sni = upstream.sni === undefined ? undefined : upstream.sni.from === 'host' ? c.fragment`req.hdr(host),field(1,:),lower` : c.sniName(upstream.sni.name);
  const tls = sni ? c.fragment`ssl verify none sni ${sni}` : c.fragment`ssl verify none`;
  return upstream.kind === 'h2-tls' ? c.fragment`${tls} alpn h2` : tls;
}

function balanceLines(balance: Balance | undefined): string[] {
  if (!balance || balance.kind === 'roundrobin') return ['  balance roundrobin'];
  if (balance.kind === 'leastconn') return ['  balance leastconn'];
  // Map-based hashing refuses servers added at runtime; consistent hashing accepts them (and is nginx's ketama).
  const consistent = '  hash-type consistent';
  switch (balance.by) {
    case 'uri':
      return ['  balance uri whole', consistent];
    case 'path':
      return ['  balance uri', consistent];
    case 'source':
      return ['  balance source', consistent];
    case 'header':
      return [c.line`  balance hdr(${c.headerName(balance.name)})`, consistent];
    case 'param':
      return [c.line`  balance url_param ${c.paramName(balance.name)}`, consistent];
  }
}

/** The dynamic-cookie key of a backend with affinity: its Service port's id. */
export function cookieKey(backend: Pick<Backend, 'namespace' | 'service' | 'port' | 'features'> | undefined): c.Safe | undefined {
  if (!backend?.features?.affinity) return undefined;
  return c.ident(backendId(backend.namespace, backend.service, backend.port));
}

function cookieLines(backend: Backend | undefined): string[] {
  const affinity = backend?.features?.affinity;
  const key = cookieKey(backend);
  if (!affinity || !key) return [];
  const parts: c.Safe[] = [c.fragment`cookie ${c.cookieName(affinity.name)} insert indirect nocache httponly dynamic`];
  if (affinity.secure) parts.push(c.fragment`secure`);
  if (affinity.domain !== undefined) parts.push(c.fragment`domain ${c.cookieDomain(affinity.domain)}`);
  if (affinity.sameSite !== undefined) parts.push(c.fragment`attr ${c.cookieAttribute('SameSite', affinity.sameSite)}`);
  if (affinity.maxAgeSeconds !== undefined) parts.push(c.fragment`attr ${c.cookieAttribute('Max-Age', affinity.maxAgeSeconds)}`);
  // HAProxy always writes `path=/`; a later Path attribute wins (RFC 6265 §5.3: the last one counts).
  if (affinity.path !== undefined) parts.push(c.fragment`attr ${c.cookieAttribute('Path', affinity.path)}`);
  const lines = [c.line`  ${c.join(parts, ' ')}`, c.line`  dynamic-cookie-key ${key}`];
  // As ingress-nginx, the cookie is Secure on HTTPS requests even without session-cookie-secure
  // (HAProxy's `secure` is static, so the inserted Set-Cookie line is completed after the response).
  if (!affinity.secure) lines.push(c.line`  http-after-response replace-header Set-Cookie ${c.cookieLineRegex(affinity.name)} '\\1; Secure' if { ssl_fc }`);
  return lines;
}

/** The lines of a backend section that come before its feature rules: balance, then persistence. */
export function backendSettingLines(backend: Backend | undefined): string[] {
  return [...balanceLines(backend?.features?.balance), ...cookieLines(backend)];
}
