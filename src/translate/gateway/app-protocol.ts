// How Portero speaks to a backendRef's endpoints, from the Service port's
// `appProtocol` and the kind of route (GEP-1911, "Backend Protocol
// Selection"; the Kubernetes standard application protocols of KEP-3726).
//
//   appProtocol              HTTPRoute                 GRPCRoute
//   (absent)                 HTTP/1.1                  HTTP/2 cleartext (h2c)
//   kubernetes.io/h2c        h2c                       h2c
//   grpc                     h2c                       h2c
//   kubernetes.io/ws         HTTP/1.1 (Upgrade)        UnsupportedProtocol
//   kubernetes.io/wss        UnsupportedProtocol       UnsupportedProtocol
//   https, tls               UnsupportedProtocol       UnsupportedProtocol
//   anything else            HTTP/1.1                  h2c
//
// - gRPC is HTTP/2 only ("GRPC works over h2c", GEP-1911), so a GRPCRoute
//   always reaches its endpoints with h2c, whatever the port says, unless the
//   port says it speaks something gRPC cannot be carried over.
// - WebSocket needs nothing of its own: HAProxy passes HTTP/1.1 Upgrade
//   requests and then tunnels the connection (`timeout tunnel` in the
//   defaults section bounds an idle one).
// - TLS to the endpoints is BackendTLSPolicy's business in Gateway API
//   (GEP-1911 supports wss on HTTPRoute only with one). Portero implements
//   none, and sending clear text to a TLS port would fail every request in
//   a way that is hard to read; the spec's answer instead: "If a Route is
//   not able to send traffic to the backend using the specified protocol
//   then the backend is considered invalid. Implementations MUST set
//   ResolvedRefs condition to False with the Reason UnsupportedProtocol".
// - Other values (IANA names such as `http`, or domain-prefixed values of
//   other implementations) say nothing Portero acts on: the route kind's
//   default. IANA service names are case-insensitive, so values are compared
//   in lowercase.

import type { RouteKind } from './types.js';

/** On the wire to the endpoints: HTTP/1.1 (WebSocket upgrades included), or HTTP/2 with prior knowledge in clear text. */
export type BackendProtocol = 'http1' | 'h2c';

export type ProtocolChoice = { ok: true; protocol: BackendProtocol } | { ok: false; message: string };

const TLS = new Set(['kubernetes.io/wss', 'https', 'tls']);
const H2C = new Set(['kubernetes.io/h2c', 'grpc']);
const WEBSOCKET = 'kubernetes.io/ws';

export function backendProtocol(kind: RouteKind, appProtocol: string | undefined): ProtocolChoice {
  const value = appProtocol?.toLowerCase();
  if (value !== undefined && TLS.has(value)) {
    return { ok: false, message: `appProtocol ${appProtocol} asks for TLS to the endpoints, which needs a BackendTLSPolicy; Portero does not implement BackendTLSPolicy` };
  }
  if (kind === 'GRPCRoute') {
    if (value === WEBSOCKET) return { ok: false, message: `appProtocol ${appProtocol} (WebSocket) cannot carry gRPC, which needs HTTP/2` };
    return { ok: true, protocol: 'h2c' };
  }
  return { ok: true, protocol: value !== undefined && H2C.has(value) ? 'h2c' : 'http1' };
}
