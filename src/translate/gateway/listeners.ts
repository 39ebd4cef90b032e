// Gateways of our classes: each listener validated, the Gateway's own
// conditions, and (once routes are attached) the status Portero writes.
//
// gateway_types.go is the reference for every rule here:
// - Protocols: HTTP and HTTPS are supported ("All Core ProtocolType values
//   MUST be treated case-insensitively"); any other protocol gives the
//   listener Accepted False, UnsupportedProtocol, and no supportedKinds.
// - Ports: 80 and 443 are Portero's HTTP and HTTPS ports (--http-port,
//   --https-port), any other port is bound as it is; an HTTP listener on 443,
//   an HTTPS one on 80, or a port Portero uses itself (health, metrics, or
//   the HTTP and HTTPS ports when they are not 80 and 443) gives Accepted
//   False, PortUnavailable: HAProxy would refuse the whole configuration.
// - Distinct listeners: within a Gateway, listeners on one port must share a
//   protocol (else every one of them is Conflicted, ProtocolConflict), and
//   listeners of one port and protocol must differ by hostname (else
//   HostnameConflict). "ALL indistinct Listeners must not be accepted": a
//   conflicted listener is not accepted, and none wins.
// - allowedRoutes.kinds: HTTPRoute and GRPCRoute of gateway.networking.k8s.io
//   are supported on HTTP and HTTPS; an empty list means both; any other kind
//   gives ResolvedRefs False, InvalidRouteKinds, and is left out of
//   supportedKinds.
// - HTTPS certificates: certificates.ts. A listener whose references do not
//   all resolve has ResolvedRefs False; with no usable certificate it is not
//   Programmed, yet it stays Accepted and routes still attach to it
//   (GatewayWithAttachedRoutes counts them).
// - OverlappingTLSConfig: HTTPS listeners of one port whose hostnames overlap
//   (an absent hostname overlaps every other) get the condition True, reason
//   OverlappingHostnames; it is never written False.
// - The Gateway is Accepted unless: its class is not accepted (Invalid),
//   `infrastructure.parametersRef` is set (InvalidParameters: Portero takes
//   no parameters), an address type is unsupported (UnsupportedAddress), or
//   no listener is accepted (ListenersNotValid). When some but not all
//   listeners are accepted it is Accepted True with reason ListenersNotValid,
//   as GatewayListenerUnsupportedProtocol expects.

import { GATEWAY_GROUP, type Gateway, type Listener } from '../../objects/gateway-types.js';
import { gatewayAddresses, type AddressOutcome } from './addresses.js';
import { resolveCertificates, type CertificateContext, type CertificateProblem } from './certificates.js';
import { condition, joinMessages, quote } from './conditions.js';
import { listenerHostnamesOverlap } from './hostnames.js';
import type { GatewayDiagnostic, GatewayStatus, GatewayStatusAddress, ListenerStatus, ResolvedCertificate, RouteAttachment, RouteGroupKind, RouteKind } from './types.js';

export const ROUTE_KINDS: readonly RouteKind[] = ['HTTPRoute', 'GRPCRoute'];

export interface Problem {
  reason: string;
  message: string;
}

export interface ListenerState {
  listener: Listener;
  index: number;
  field: string;
  /** Normalised protocol, or undefined when Portero does not support it. */
  protocol: 'HTTP' | 'HTTPS' | undefined;
  supportedKinds: RouteGroupKind[];
  invalidKinds: string[];
  /** Why the listener is not accepted (UnsupportedProtocol, UnsupportedValue, a conflict). */
  notAccepted?: Problem;
  conflict?: Problem;
  certificateProblems: CertificateProblem[];
  certificates: ResolvedCertificate[];
  overlapping: string[];
  /** Filled in by attachment: keys of the routes accepted here, and what the router serves (oldest first). */
  attachedKeys: Set<string>;
  attachments: RouteAttachment[];
  /** The same attachments, by route and by kind, so that attaching stays linear in the number of routes. */
  attachmentOf: Map<RouteAttachment['route'], RouteAttachment>;
  attachmentsByKind: Record<RouteKind, RouteAttachment[]>;
}

export interface GatewayState {
  gateway: Gateway;
  classAccepted: boolean;
  listeners: ListenerState[];
  addresses: AddressOutcome;
  /** Reasons the Gateway itself (not its listeners) is not accepted, most important first. */
  gatewayProblem?: Problem;
}

export interface GatewayContext extends CertificateContext {
  /** The published addresses, when known (addresses.ts). */
  published: readonly GatewayStatusAddress[] | undefined;
  addressProblem?: (ip: string) => string | undefined;
  ports?: PortSettings;
  unbindable?: ReadonlyMap<string, string> | undefined;
}

/**
 * Portero's own ports: listeners on 80 and 443 are served on `http` and
 * `https`; a listener on any other port N on N, which must not be one of
 * these (HAProxy would refuse two sockets of one port, or route them by the
 * wrong frontend).
 */
export interface PortSettings {
  /** `--http-port` and `--https-port`. */
  http: number;
  https: number;
  /** The other ports Portero listens on (health, HAProxy metrics), by flag name. */
  reserved: readonly { port: number; flag: string }[];
}

/** Why a listener's port cannot be served (PortUnavailable), if it cannot. */
function portProblem(port: number, protocol: 'HTTP' | 'HTTPS', ports: PortSettings | undefined): string | undefined {
  if (protocol === 'HTTP' && port === 443) return 'port 443 is served by Portero as HTTPS (--https-port); an HTTP listener cannot use it';
  if (protocol === 'HTTPS' && port === 80) return 'port 80 is served by Portero as plain HTTP (--http-port); an HTTPS listener cannot use it';
  if (port === 80 || port === 443 || !ports) return undefined;
  const own = [{ port: ports.http, flag: '--http-port' }, { port: ports.https, flag: '--https-port' }, ...ports.reserved].find((entry) => entry.port === port);
  return own ? `port ${port} is Portero's own (${own.flag}); use another port` : undefined;
}

function normaliseProtocol(protocol: string): 'HTTP' | 'HTTPS' | undefined {
  const upper = protocol.toUpperCase();
  return upper === 'HTTP' || upper === 'HTTPS' ? upper : undefined;
}

function routeKinds(listener: Listener): { supported: RouteGroupKind[]; invalid: string[] } {
  if (listener.allowedRoutes.kinds.length === 0) return { supported: ROUTE_KINDS.map((kind) => ({ group: GATEWAY_GROUP, kind })), invalid: [] };
  const supported: RouteGroupKind[] = [];
  const invalid: string[] = [];
  for (const { group, kind } of listener.allowedRoutes.kinds) {
    if (group === GATEWAY_GROUP && (ROUTE_KINDS as readonly string[]).includes(kind)) {
      if (!supported.some((entry) => entry.kind === kind)) supported.push({ group, kind });
    } else {
      invalid.push(group === '' ? kind : `${kind}.${group}`);
    }
  }
  return { supported, invalid };
}

function listenerState(gateway: Gateway, listener: Listener, index: number, context: GatewayContext, diagnostics: GatewayDiagnostic[]): ListenerState {
  const field = `spec.listeners[${index}]`;
  const protocol = normaliseProtocol(listener.protocol);
  const state: ListenerState = {
    listener,
    index,
    field,
    protocol,
    supportedKinds: [],
    invalidKinds: [],
    certificateProblems: [],
    certificates: [],
    overlapping: [],
    attachedKeys: new Set(),
    attachments: [],
    attachmentOf: new Map(),
    attachmentsByKind: { HTTPRoute: [], GRPCRoute: [] },
  };
  if (protocol === undefined) {
    state.notAccepted = { reason: 'UnsupportedProtocol', message: `protocol ${quote(listener.protocol)} is not supported; Portero serves HTTP and HTTPS` };
    return state;
  }
  const kinds = routeKinds(listener);
  state.supportedKinds = kinds.supported;
  state.invalidKinds = kinds.invalid;
  const unavailable = portProblem(listener.port, protocol, context.ports);
  if (unavailable !== undefined) {
    state.notAccepted = { reason: 'PortUnavailable', message: unavailable };
  } else if (protocol === 'HTTPS') {
    if (listener.tls?.mode === 'Passthrough') {
      state.notAccepted = { reason: 'UnsupportedValue', message: 'tls.mode Passthrough is not supported on HTTPS listeners (it needs a TLS listener and TLSRoutes)' };
    } else {
      const resolved = resolveCertificates(gateway, listener, field, context, diagnostics);
      state.certificates = resolved.certificates;
      state.certificateProblems = resolved.problems;
    }
  }
  return state;
}

/** Within one Gateway: protocol conflicts by port, hostname conflicts by port and protocol. */
function markConflicts(listeners: readonly ListenerState[]): void {
  const byPort = new Map<number, ListenerState[]>();
  for (const state of listeners) {
    if (state.protocol === undefined) continue;
    const list = byPort.get(state.listener.port);
    if (list) list.push(state);
    else byPort.set(state.listener.port, [state]);
  }
  for (const [port, group] of byPort) {
    const protocols = new Set(group.map((state) => state.protocol));
    if (protocols.size > 1) {
      for (const state of group) {
        state.conflict = { reason: 'ProtocolConflict', message: `listeners on port ${port} use different protocols (${[...protocols].sort().join(', ')}); none of them is served` };
      }
      continue;
    }
    const byHostname = new Map<string, ListenerState[]>();
    for (const state of group) {
      const key = state.listener.hostname ?? '';
      const list = byHostname.get(key);
      if (list) list.push(state);
      else byHostname.set(key, [state]);
    }
    for (const [hostname, same] of byHostname) {
      if (same.length < 2) continue;
      const names = same.map((state) => state.listener.name).join(', ');
      for (const state of same) {
        state.conflict = {
          reason: 'HostnameConflict',
          message: `listeners ${names} have the same port ${port}, protocol and ${hostname === '' ? 'no hostname' : `hostname ${hostname}`}; none of them is served`,
        };
      }
    }
  }
}

/** HTTPS listeners of one port whose hostnames overlap. */
function markOverlappingTls(listeners: readonly ListenerState[]): void {
  const https = listeners.filter((state) => state.protocol === 'HTTPS' && !state.notAccepted && !state.conflict);
  for (const a of https) {
    for (const b of https) {
      if (a !== b && a.listener.port === b.listener.port && listenerHostnamesOverlap(a.listener.hostname, b.listener.hostname)) a.overlapping.push(b.listener.name);
    }
  }
}

/** Listeners whose socket (on one of the Gateway's addresses, or the shared one) the data plane cannot bind: PortUnavailable. */
function markUnbindable(listeners: readonly ListenerState[], bind: readonly string[], ports: PortSettings | undefined, unbindable: ReadonlyMap<string, string>): void {
  for (const state of listeners) {
    if (state.protocol === undefined || state.notAccepted) continue;
    const port = state.listener.port === 80 ? (ports?.http ?? 80) : state.listener.port === 443 ? (ports?.https ?? 443) : state.listener.port;
    for (const address of bind.length > 0 ? bind : ['']) {
      const reason = unbindable.get(`${address}|${port}`);
      if (reason !== undefined) state.notAccepted = { reason: 'PortUnavailable', message: `port ${port}${address ? ` on ${address}` : ''} cannot be bound: ${reason}` };
    }
  }
}

export function gatewayState(gateway: Gateway, classAccepted: boolean, context: GatewayContext, diagnostics: GatewayDiagnostic[]): GatewayState {
  const listeners = gateway.spec.listeners.map((listener, index) => listenerState(gateway, listener, index, context, diagnostics));
  markConflicts(listeners);
  markOverlappingTls(listeners);
  const addresses = gatewayAddresses(gateway, context.published, context.addressProblem);
  if (context.unbindable) markUnbindable(listeners, addresses.bind, context.ports, context.unbindable);
  const state: GatewayState = { gateway, classAccepted, listeners, addresses };
  const parameters = gateway.spec.infrastructure?.parametersRef;
  if (!classAccepted) {
    state.gatewayProblem = { reason: 'Invalid', message: `GatewayClass ${gateway.spec.gatewayClassName} is not accepted` };
  } else if (parameters) {
    state.gatewayProblem = { reason: 'InvalidParameters', message: `infrastructure.parametersRef ${quote(`${parameters.group}/${parameters.kind}`)} ${quote(parameters.name)} is not supported: Portero takes no parameters` };
  } else if (addresses.unsupported !== undefined) {
    state.gatewayProblem = { reason: 'UnsupportedAddress', message: addresses.unsupported };
  }
  return state;
}

function addressKey(state: GatewayState): string[] {
  return state.addresses.bind.length === 0 ? [''] : state.addresses.bind;
}

/**
 * Across Gateways bound to a common address (or both on the shared bind
 * address): listeners of one port with different protocols cannot share the
 * socket, so both are Conflicted (ProtocolConflict). Listeners of the same
 * port and protocol are served together, their routes merged, as the API
 * allows ("implementations MAY merge separate Gateways onto a single set of
 * Addresses if all Listeners across all Gateways are compatible").
 */
export function markCrossGatewayConflicts(states: readonly GatewayState[]): void {
  const bySocket = new Map<string, { state: GatewayState; listener: ListenerState }[]>();
  for (const state of states) {
    if (state.gatewayProblem || state.addresses.notProgrammed) continue;
    for (const listener of state.listeners) {
      if (listener.protocol === undefined || listener.notAccepted || listener.conflict) continue;
      for (const address of addressKey(state)) {
        const key = `${address}|${listener.listener.port}`;
        const list = bySocket.get(key);
        if (list) list.push({ state, listener });
        else bySocket.set(key, [{ state, listener }]);
      }
    }
  }
  for (const [key, entries] of bySocket) {
    const protocols = new Set(entries.map((entry) => entry.listener.protocol));
    if (protocols.size < 2) continue;
    const [address, port] = key.split('|');
    const gateways = [...new Set(entries.map((entry) => `${entry.state.gateway.metadata.namespace}/${entry.state.gateway.metadata.name}`))].sort();
    for (const { listener } of entries) {
      listener.conflict = {
        reason: 'ProtocolConflict',
        message: `Gateways ${gateways.join(', ')} use port ${port} on ${address === '' ? 'the shared bind address' : address} with different protocols (${[...protocols].sort().join(', ')}); none of these listeners is served`,
      };
    }
  }
}

export function listenerAccepted(listener: ListenerState): boolean {
  return listener.notAccepted === undefined && listener.conflict === undefined;
}

export function gatewayAccepted(state: GatewayState): boolean {
  return state.gatewayProblem === undefined && state.listeners.some(listenerAccepted);
}

/** Whether the router serves this listener: Gateway accepted with usable addresses, listener accepted, HTTPS with a certificate. */
export function listenerProgrammed(gateway: GatewayState, listener: ListenerState): boolean {
  if (!gatewayAccepted(gateway) || gateway.addresses.notProgrammed !== undefined || !listenerAccepted(listener)) return false;
  return listener.protocol === 'HTTP' || listener.certificates.length > 0;
}

function listenerStatus(gateway: GatewayState, state: ListenerState): ListenerStatus {
  const meta = gateway.gateway.metadata;
  const conditions = [];
  const notAccepted = state.notAccepted ?? state.conflict;
  conditions.push(notAccepted ? condition(meta, 'Accepted', false, notAccepted.reason, notAccepted.message) : condition(meta, 'Accepted', true, 'Accepted', 'listener is valid'));
  const programmed = listenerProgrammed(gateway, state);
  let whyNot = notAccepted?.message;
  if (!whyNot && !gatewayAccepted(gateway)) whyNot = 'the Gateway is not accepted';
  if (!whyNot && gateway.addresses.notProgrammed) whyNot = gateway.addresses.notProgrammed.message;
  if (!whyNot && state.protocol === 'HTTPS' && state.certificates.length === 0) whyNot = 'no usable certificate';
  conditions.push(programmed ? condition(meta, 'Programmed', true, 'Programmed', 'listener is served') : condition(meta, 'Programmed', false, 'Invalid', whyNot ?? 'listener is not served'));
  const refProblems: Problem[] = [...state.certificateProblems];
  if (state.invalidKinds.length > 0) {
    refProblems.push({ reason: 'InvalidRouteKinds', message: `route kinds not supported: ${state.invalidKinds.map((kind) => quote(kind)).join(', ')}; Portero supports HTTPRoute and GRPCRoute` });
  }
  const first = refProblems[0];
  conditions.push(first ? condition(meta, 'ResolvedRefs', false, first.reason, joinMessages(refProblems.map((problem) => problem.message))) : condition(meta, 'ResolvedRefs', true, 'ResolvedRefs', 'all references resolved'));
  conditions.push(state.conflict ? condition(meta, 'Conflicted', true, state.conflict.reason, state.conflict.message) : condition(meta, 'Conflicted', false, 'NoConflicts', 'no conflicts'));
  if (state.overlapping.length > 0) {
    conditions.push(condition(meta, 'OverlappingTLSConfig', true, 'OverlappingHostnames', `hostname overlaps that of HTTPS listeners ${state.overlapping.join(', ')} on port ${state.listener.port}`));
  }
  return { name: state.listener.name, supportedKinds: state.supportedKinds, attachedRoutes: state.attachedKeys.size, conditions };
}

export function gatewayStatus(state: GatewayState): GatewayStatus {
  const meta = state.gateway.metadata;
  const invalid = state.listeners.filter((listener) => !listenerAccepted(listener));
  const invalidMessage = `listeners not accepted: ${invalid.map((listener) => listener.listener.name).join(', ')}`;
  let accepted;
  if (state.gatewayProblem) accepted = condition(meta, 'Accepted', false, state.gatewayProblem.reason, state.gatewayProblem.message);
  else if (invalid.length === state.listeners.length) accepted = condition(meta, 'Accepted', false, 'ListenersNotValid', `no listener is accepted (${invalidMessage})`);
  else if (invalid.length > 0) accepted = condition(meta, 'Accepted', true, 'ListenersNotValid', `Gateway accepted; ${invalidMessage}`);
  else accepted = condition(meta, 'Accepted', true, 'Accepted', 'Gateway accepted');
  let programmed;
  if (!gatewayAccepted(state)) programmed = condition(meta, 'Programmed', false, 'Invalid', 'the Gateway is not accepted');
  else if (state.addresses.notProgrammed) programmed = condition(meta, 'Programmed', false, state.addresses.notProgrammed.reason, state.addresses.notProgrammed.message);
  else if (!state.listeners.some((listener) => listenerProgrammed(state, listener))) programmed = condition(meta, 'Programmed', false, 'Invalid', 'no listener is programmed');
  else programmed = condition(meta, 'Programmed', true, 'Programmed', 'Gateway is served');
  return {
    addresses: state.addresses.status,
    conditions: [accepted, programmed],
    listeners: state.listeners.map((listener) => listenerStatus(state, listener)),
  };
}

/** Diagnostics for what users must fix on a Gateway. */
export function gatewayDiagnostics(state: GatewayState, diagnostics: GatewayDiagnostic[]): void {
  const object = { kind: 'Gateway' as const, namespace: state.gateway.metadata.namespace, name: state.gateway.metadata.name };
  if (state.gatewayProblem && state.classAccepted) {
    const field = state.gatewayProblem.reason === 'InvalidParameters' ? 'spec.infrastructure.parametersRef' : 'spec.addresses';
    diagnostics.push({ severity: 'error', object, field, message: `${state.gatewayProblem.message}; the Gateway is not served` });
  }
  if (state.addresses.notProgrammed) diagnostics.push({ severity: 'error', object, field: 'spec.addresses', message: `${state.addresses.notProgrammed.message}; the Gateway is not served` });
  for (const listener of state.listeners) {
    const notAccepted = listener.notAccepted ?? listener.conflict;
    if (notAccepted) diagnostics.push({ severity: 'error', object, field: listener.field, message: notAccepted.message });
    for (const problem of listener.certificateProblems) {
      const consequence = listener.certificates.length === 0 ? 'the listener is not served' : 'the reference is ignored';
      diagnostics.push({ severity: 'error', object, field: problem.field, message: `${problem.message}; ${consequence}` });
    }
    if (listener.invalidKinds.length > 0) {
      diagnostics.push({ severity: 'warning', object, field: `${listener.field}.allowedRoutes.kinds`, message: `route kinds not supported and ignored: ${listener.invalidKinds.join(', ')}` });
    }
  }
}
