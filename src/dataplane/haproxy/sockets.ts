// Whether the sockets a new configuration adds for Gateway listeners can be
// bound. `haproxy -c` does not bind, and a reload whose new worker cannot
// bind one socket (another program has the port, a privileged port without
// the right) is refused as a whole: every later change would be refused
// with it. So before a reload, each socket the loaded configuration does
// not have yet is bound once here and closed at once; the ones that fail
// are reported (the controller leaves their listeners out: PortUnavailable).
//
// Only Gateway sockets are tried: the Ingress frontends' own binds are the
// flags' ports, which HAProxy already has (or, at the first start, must
// have anyway). Nor is a socket whose port HAProxy already listens on at an
// overlapping address (`0.0.0.0:80` and `10.0.0.5:80`): Node cannot bind it
// next to HAProxy's (no SO_REUSEPORT before Node 22.12), while HAProxy can.
// Not covered, and refused by HAProxy as before: another program taking the
// port between the try and the reload, or having the exact address of such
// an overlapping socket.

import { createServer } from 'node:net';
import type { Scope } from '../../model/model.js';
import { frontendPlans, type FrontendPorts } from './frontends.js';

export interface UnbindableSocket {
  /** The Gateway address, or '' for the shared --bind-address. */
  address: string;
  /** The port bound (80 and 443 listeners: --http-port, --https-port). */
  port: number;
  reason: string;
}

interface GatewaySocket {
  address: string;
  bindTo: string;
  port: number;
}

/** Every socket of the frontends; `gateway`: of Gateway listeners (all but the Ingress frontends' shared binds). */
function sockets(scopes: readonly Scope[], settings: FrontendPorts): (GatewaySocket & { gateway: boolean })[] {
  return frontendPlans(scopes, settings).flatMap((plan) => [
    ...(plan.sharedBind ? [{ address: '', bindTo: settings.bindAddress, port: plan.port, gateway: !plan.ingress }] : []),
    ...plan.addresses.map((address) => ({ address, bindTo: address, port: plan.port, gateway: true })),
  ]);
}

const WILDCARDS = new Set(['0.0.0.0', '::', '*']);

function overlaps(a: string, b: string): boolean {
  return a === b || WILDCARDS.has(a) || WILDCARDS.has(b);
}

/** Why the socket cannot be bound, or undefined when it can (it is closed again at once). */
function tryBind(address: string, port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'EADDRINUSE' ? 'another program uses it' : (error.code ?? error.message)));
    server.listen({ host: address === '*' ? '0.0.0.0' : address, port, exclusive: true }, () => server.close(() => resolve(undefined)));
  });
}

/** The Gateway sockets `next` binds and `loaded` does not, that cannot be bound. */
export async function unbindableSockets(next: readonly Scope[], loaded: readonly Scope[] | undefined, settings: FrontendPorts): Promise<UnbindableSocket[]> {
  const had = loaded ? sockets(loaded, settings) : [];
  const fresh = sockets(next, settings).filter((socket) => socket.gateway && !had.some((old) => old.port === socket.port && overlaps(old.bindTo, socket.bindTo)));
  const out: UnbindableSocket[] = [];
  for (const socket of fresh) {
    const reason = await tryBind(socket.bindTo, socket.port);
    if (reason !== undefined) out.push({ address: socket.address, port: socket.port, reason });
  }
  return out;
}
