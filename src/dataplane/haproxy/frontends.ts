// Which HTTP(S) frontends a configuration has, and what each binds and
// looks up, from the Gateway API scopes of the loaded capabilities (never
// from the model). Pure.
//
// - `portero-http` and `portero-https` serve the Ingresses on --http-port
//   and --https-port, and the Gateway listeners on ports 80 and 443: those
//   without addresses after the Ingresses' levels (a scope looked up when no
//   Ingress level matches), those with addresses on their addresses only.
// - Every other listener port N gets a frontend of its own on N
//   (`portero-http-N`, `portero-https-N`), so the scheme and port headers
//   stay constants; it serves Gateway levels only.
// - On every frontend, a request to a Gateway's address looks up the scope
//   of those addresses and the frontend's port, even when that Gateway has
//   no listener there (then nothing matches: 404): with a wildcard
//   --bind-address such a request reaches the frontend by the shared bind,
//   and must never see the Ingresses or another Gateway's routes.
// - No socket is bound twice (two frontends on one address and port would
//   share connections at random under SO_REUSEPORT), and no Gateway port is
//   one of Portero's own: translate refuses such listeners (PortUnavailable),
//   and this plan leaves them out again, so no model can make HAProxy refuse
//   the configuration or misroute.

import { isIngressPort, scopeId, type Scope } from '../../model/model.js';

export interface FrontendPlan {
  /** `portero-http`, `portero-https`, or `portero-<scheme>-<port>`. */
  name: string;
  scheme: 'http' | 'https';
  /** The port bound. */
  port: number;
  /** Serves the Ingresses (the frontends of --http-port and --https-port). */
  ingress: boolean;
  /** Binds --bind-address (always for the Ingress frontends). */
  sharedBind: boolean;
  /** Gateway addresses bound besides (sorted, each once). */
  addresses: readonly string[];
  /**
   * The scope of requests on the shared bind: on Ingress frontends the
   * scope looked up after the Ingresses' levels (absent: none); on the
   * others the scope of every request not on a Gateway address.
   */
  shared?: string;
  /** Requests to these addresses look up this scope only. */
  byAddress: readonly { addresses: readonly string[]; scope: string }[];
}

export interface FrontendPorts {
  bindAddress: string;
  httpPort: number;
  httpsPort: number;
  metricsPort?: number;
}

/** The HTTP and HTTPS frontends: the two Ingress ones first, then one per other listener port, by port. */
export function frontendPlans(scopes: readonly Scope[], settings: FrontendPorts): FrontendPlan[] {
  const addressSets = new Map<string, readonly string[]>();
  for (const scope of scopes) if (scope.addresses.length > 0) addressSets.set(scope.addresses.join(','), scope.addresses);
  const ports = new Map<string, { scheme: 'http' | 'https'; listenerPort: number }>();
  for (const scope of scopes) if (!isIngressPort(scope.port, scope.protocol)) ports.set(`${scope.protocol} ${scope.port}`, { scheme: scope.protocol, listenerPort: scope.port });
  const own = new Set([settings.httpPort, settings.httpsPort, ...(settings.metricsPort ? [settings.metricsPort] : [])]);
  const extra = [...ports.values()].filter((entry) => !own.has(entry.listenerPort)).sort((a, b) => a.listenerPort - b.listenerPort || (a.scheme < b.scheme ? -1 : 1));

  const taken = new Set<string>();
  const plans: FrontendPlan[] = [];
  const plan = (scheme: 'http' | 'https', listenerPort: number, port: number, ingress: boolean, name: string) => {
    const here = scopes.filter((scope) => scope.protocol === scheme && scope.port === listenerPort);
    const sharedScope = here.find((scope) => scope.addresses.length === 0);
    const sharedBind = (ingress || sharedScope !== undefined) && claim(taken, settings.bindAddress, port);
    const addresses = [...new Set(here.flatMap((scope) => scope.addresses))].sort().filter((address) => claim(taken, address, port));
    if (!ingress && !sharedBind && addresses.length === 0) return;
    const shared = ingress ? sharedScope?.id : scopeId([], listenerPort, scheme);
    plans.push({
      name,
      scheme,
      port,
      ingress,
      sharedBind,
      addresses,
      ...(shared !== undefined ? { shared } : {}),
      byAddress: [...addressSets.values()].map((set) => ({ addresses: set, scope: scopeId(set, listenerPort, scheme) })),
    });
  };
  plan('http', 80, settings.httpPort, true, 'portero-http');
  plan('https', 443, settings.httpsPort, true, 'portero-https');
  for (const { scheme, listenerPort } of extra) plan(scheme, listenerPort, listenerPort, false, `portero-${scheme}-${listenerPort}`);
  return plans;
}

/**
 * Whether the socket was still free (and is now taken). A Gateway address
 * next to a wildcard bind of the same port is fine: the kernel gives the
 * connections to the exact address.
 */
function claim(taken: Set<string>, address: string, port: number): boolean {
  const key = `${address} ${port}`;
  if (taken.has(key)) return false;
  taken.add(key);
  return true;
}
