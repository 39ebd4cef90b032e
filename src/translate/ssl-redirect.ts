// ssl-redirect: "false" per Ingress, as ingress-nginx applies it (per
// location). A TLS host whose Ingresses all agree is redirected (or not) for
// the whole host by the frontend's redirect map (tls.ts), the cheap common
// case. When Ingresses on one TLS host disagree, the host leaves the
// redirect map, and the paths of the Ingresses that keep the redirect
// redirect in their backends (features.httpsRedirect), so the paths of the
// Ingress that turned it off are served over plain HTTP, and only those. Pure.

import type { Ingress } from '../objects/types.js';
import type { AnnotationSettings, IngressAnnotations } from './annotations/index.js';
import type { OptionsOf } from './routes.js';

function ruleHosts(ingress: Ingress): string[] {
  return ingress.spec.rules.flatMap((rule) => (rule.host ? [rule.host] : []));
}

function tlsHostsOf(ingress: Ingress): string[] {
  return ingress.spec.tls.flatMap((tls) => (tls.hosts.length > 0 ? tls.hosts : ruleHosts(ingress)));
}

// Per annotations object (itself remembered per Ingress): the same options with the redirect, so routing's memo holds.
const redirecting = new WeakMap<IngressAnnotations, IngressAnnotations>();

function withRedirect(options: IngressAnnotations, settings: AnnotationSettings): IngressAnnotations {
  let joined = redirecting.get(options);
  if (!joined) {
    const code = settings.redirectCode !== undefined ? { httpsRedirectCode: settings.redirectCode } : {};
    joined = { ...options, features: { ...options.features, httpsRedirect: true, ...code } };
    redirecting.set(options, joined);
  }
  return joined;
}

/**
 * `optionsOf` with the HTTPS redirect moved into the backends of the
 * Ingresses that keep it on TLS hosts where another Ingress turned it off.
 * `optionsOf` itself when no host is mixed.
 */
export function withMixedSslRedirects(optionsOf: OptionsOf, ingresses: readonly Ingress[], settings: AnnotationSettings): OptionsOf {
  const off = ingresses.filter((ingress) => optionsOf(ingress).sslRedirectOff === true);
  if (off.length === 0) return optionsOf;
  const tlsHosts = new Set(ingresses.flatMap(tlsHostsOf));
  const offHosts = new Set(off.flatMap((ingress) => [...ruleHosts(ingress), ...tlsHostsOf(ingress)]));
  const mixed = new Set<string>();
  for (const ingress of ingresses) {
    if (optionsOf(ingress).sslRedirectOff === true) continue;
    for (const host of ruleHosts(ingress)) if (tlsHosts.has(host) && offHosts.has(host)) mixed.add(host);
  }
  if (mixed.size === 0) return optionsOf;
  const joined = new Map<Ingress, IngressAnnotations>();
  for (const ingress of ingresses) {
    const options = optionsOf(ingress);
    if (options.sslRedirectOff === true || options.features?.httpsRedirect) continue;
    const hosts = ruleHosts(ingress);
    // The redirect in a backend acts on every host of the Ingress: only when all of them are TLS hosts.
    if (hosts.some((host) => mixed.has(host)) && hosts.every((host) => tlsHosts.has(host))) joined.set(ingress, withRedirect(options, settings));
  }
  return (ingress) => joined.get(ingress) ?? optionsOf(ingress);
}

// Per annotations object: the same options with the forbidden hosts, so routing's memo holds.
const forbidding = new WeakMap<IngressAnnotations, { hosts: string; joined: IngressAnnotations }>();

function withForbiddenHosts(options: IngressAnnotations, hosts: readonly string[]): IngressAnnotations {
  const key = hosts.join(' ');
  const memo = forbidding.get(options);
  if (memo?.hosts === key) return memo.joined;
  const joined = { ...options, features: { ...options.features, httpForbidden: { hosts } } };
  forbidding.set(options, { hosts: key, joined });
  return joined;
}

/**
 * ssl-forbid-http: "true": plain HTTP to the Ingress's hosts that have TLS
 * (from any Ingress, as for the redirect) is answered 403 in its backends,
 * where the frontend would have redirected it (the Ingress's hosts left the
 * redirect map: sslRedirectOff). Its other hosts are served over plain HTTP.
 * `optionsOf` itself when no Ingress sets it.
 */
export function withSslForbid(optionsOf: OptionsOf, ingresses: readonly Ingress[]): OptionsOf {
  const forbidding = ingresses.filter((ingress) => optionsOf(ingress).sslForbid === true);
  if (forbidding.length === 0) return optionsOf;
  const tlsHosts = new Set(ingresses.flatMap(tlsHostsOf));
  const joined = new Map<Ingress, IngressAnnotations>();
  for (const ingress of forbidding) {
    const options = optionsOf(ingress);
    // force-ssl-forbid-http already forbids every host.
    if (options.features?.httpForbidden !== undefined) continue;
    const hosts = [...new Set(ruleHosts(ingress).filter((host) => tlsHosts.has(host)).map((host) => host.toLowerCase()))].sort();
    if (hosts.length > 0) joined.set(ingress, withForbiddenHosts(options, hosts));
  }
  return (ingress) => joined.get(ingress) ?? optionsOf(ingress);
}
