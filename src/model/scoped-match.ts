// Which host level a request takes once the listener it arrived on is
// known: the reference for Gateway API scopes (model.ts Scope), beside
// match.ts's selectLevel, which knows only the Ingress levels. The order
// follows docs/gateway-api.md (Listener ports): a request on a Gateway's own
// address, or on a Gateway-only port, looks up that scope's levels only; on
// Portero's own HTTP and HTTPS ports (the shared bind), each tier (exact
// host, wildcard, host-less) is looked up for the Ingresses first and then
// for the shared scope of that port. Pure.

import { normalizeHost } from './match.js';
import { levelsByHost, SCOPE_SEPARATOR, type HostLevel, type Model, type Scope } from './model.js';

/** Where a request arrived. */
export interface Arrival {
  /** The request came to Portero's --http-port or --https-port on the shared bind: the Ingress levels take part. */
  ingress: boolean;
  /** The Gateway scope of that port and address, if any listener is there. */
  scope?: Scope;
}

/**
 * The scope of a listener port (80 and 443 stand for --http-port and
 * --https-port) and protocol; `address`: the destination address, when it
 * is a Gateway's own (absent: the shared bind).
 */
export function scopeOf(model: Model, port: number, protocol: 'http' | 'https', address?: string): Scope | undefined {
  const scopes = model.scopes ?? [];
  const own = address === undefined ? undefined : scopes.find((scope) => scope.port === port && scope.protocol === protocol && scope.addresses.includes(address));
  return own ?? scopes.find((scope) => scope.port === port && scope.protocol === protocol && scope.addresses.length === 0);
}

/** The kind of a level's host. */
export function levelKind(level: HostLevel): 'exact' | 'wildcard' | 'any-host' {
  const host = level.host.split(SCOPE_SEPARATOR)[0] ?? '';
  return host === '' ? 'any-host' : host.startsWith('*.') ? 'wildcard' : 'exact';
}

/** The level a request takes (see the file comment); undefined: none (the catch-all on the Ingress ports, else 404). */
export function selectArrivalLevel(model: Model, arrival: Arrival, hostHeader: string): HostLevel | undefined {
  const byHost = levelsByHost(model);
  const scope = arrival.scope?.id;
  const host = normalizeHost(hostHeader);
  const labels = host.split('.');
  const find = (key: string, deep = false): HostLevel | undefined => {
    const fromIngress = arrival.ingress && !deep ? byHost.get(key) : undefined;
    if (fromIngress) return fromIngress;
    const scoped = scope !== undefined ? byHost.get(`${key}${SCOPE_SEPARATOR}${scope}`) : undefined;
    return scoped && (!deep || scoped.anyDepth === true) ? scoped : undefined;
  };
  if (host !== '') {
    const exact = find(host);
    if (exact) return exact;
    if (labels.length > 1) {
      const wildcard = find(`*.${labels.slice(1).join('.')}`);
      if (wildcard) return wildcard;
      // Gateway wildcards cover any number of labels: the most specific first.
      for (let cut = 2; cut < labels.length; cut += 1) {
        const deep = find(`*.${labels.slice(cut).join('.')}`, true);
        if (deep) return deep;
      }
    }
  }
  return find('');
}
