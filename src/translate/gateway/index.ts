// The Gateway API attachment stage: GatewayClasses, Gateways and routes in;
// what Portero serves and the status it writes out (types.ts).
//
// Pure: no I/O, no clock (`now` is an option, used only for certificate
// validity warnings), no globals. It never throws on any input the decoder
// produces; an invalid part of an object shows in that object's status and
// in a diagnostic, and never affects other objects.
//
// The modules, in the order they run:
//   gateway-class.ts   which GatewayClasses are ours, their status
//   listeners.ts       Gateways of our classes, listener by listener
//     addresses.ts     spec.addresses → bind addresses and status.addresses
//     certificates.ts  HTTPS certificateRefs → certificates
//   routes.ts          HTTPRoutes and GRPCRoutes attached to listeners
//     rules.ts         which rules can be served as written
//     backends.ts      backendRefs → Service ports
//     hostnames.ts     listener ∩ route hostnames
//     references.ts    ReferenceGrants, namespace selectors

import type { GatewayClass, Gateway, GRPCRoute, HTTPRoute, Namespace, ReferenceGrant } from '../../objects/gateway-types.js';
import { keyOf, type IngressLoadBalancerIngress, type Secret, type Service } from '../../objects/types.js';
import type { RefusedCertificates } from '../tls.js';
import { memoizeByIdentity } from '../../util/identity-memo.js';
import { publishedStatusAddresses } from './addresses.js';
import { compareNames, DEFAULT_CONTROLLER_NAME } from './conditions.js';
import { gatewayClassResult } from './gateway-class.js';
import { gatewayAccepted, gatewayDiagnostics, gatewayState, gatewayStatus, listenerProgrammed, markCrossGatewayConflicts, type GatewayState, type PortSettings } from './listeners.js';
export type { PortSettings } from './listeners.js';
import { ReferenceGrants } from './references.js';
import { attachRoutes } from './routes.js';
import { DEFAULT_GRPC_FILTERS, DEFAULT_HTTP_FILTERS, type RuleCheck } from './rules.js';
import type { GatewayAttachment, GatewayDiagnostic, GatewayResult, ServedListener } from './types.js';

export type * from './types.js';
export { DEFAULT_CONTROLLER_NAME } from './conditions.js';
export { DEFAULT_GRPC_FILTERS, DEFAULT_HTTP_FILTERS, type RuleCheck, type RuleCheckContext, type RuleProblem } from './rules.js';
export { effectiveHostnames, hostnameMatches, intersectHostnames } from './hostnames.js';

export interface GatewayInput {
  gatewayClasses: readonly GatewayClass[];
  gateways: readonly Gateway[];
  namespaces: readonly Namespace[];
  httpRoutes: readonly HTTPRoute[];
  grpcRoutes: readonly GRPCRoute[];
  referenceGrants: readonly ReferenceGrant[];
  services: readonly Service[];
  secrets: readonly Secret[];
}

export interface AttachOptions {
  /** `--gateway-controller-name`; default `portero.dev/gateway-controller`. */
  controllerName?: string;
  /** The addresses Portero publishes (as for Ingress status), for Gateways without spec.addresses. */
  publishedAddresses?: readonly IngressLoadBalancerIngress[];
  /** Conformance feature names for GatewayClass status.supportedFeatures (the routing engineer's list). */
  supportedFeatures?: readonly string[];
  /** Filter types Portero implements on HTTPRoutes (rules and backendRefs); default DEFAULT_HTTP_FILTERS. */
  httpRouteFilters?: readonly string[];
  /** Filter types Portero implements on GRPCRoutes; default DEFAULT_GRPC_FILTERS. */
  grpcRouteFilters?: readonly string[];
  /** Extra per-rule check (regular expressions, header values): a problem makes the rule invalid. */
  checkRule?: RuleCheck;
  /** Portero's own ports (listeners on 80 and 443 are served on --http-port and --https-port); absent: 80 and 443, nothing reserved. */
  ports?: PortSettings;
  /** Sockets the data plane found it cannot bind, `address|port` (address '' for the shared bind address, port as bound) → why: PortUnavailable. */
  unbindableSockets?: ReadonlyMap<string, string>;
  /** Why an IP of a Gateway's spec.addresses cannot be bound on this host, if it cannot. */
  addressProblem?: (ip: string) => string | undefined;
  /** Certificates HAProxy refused (from the data plane): such a Secret is an invalid certificateRef. */
  refusedCertificates?: RefusedCertificates;
  /** For certificate validity warnings; without it, none. */
  now?: Date;
}

function byKey<T extends { metadata: { namespace: string; name: string } }>(objects: readonly T[]): Map<string, T> {
  return new Map(objects.map((object) => [keyOf(object.metadata.namespace, object.metadata.name), object]));
}

// The same list gives the same index and set (lists keep their identity until
// an object of their kind changes): route-rules.ts reuses a route's work
// while the filter sets it was checked with are the same objects, and reads
// the Services through one index per list.
const servicesByKey = memoizeByIdentity((services: readonly Service[]) => byKey(services));
const filterSet = memoizeByIdentity((filters: readonly string[]) => new Set(filters));

function servedListeners(states: readonly GatewayState[]): ServedListener[] {
  const out: ServedListener[] = [];
  for (const state of states) {
    const gateway = { namespace: state.gateway.metadata.namespace, name: state.gateway.metadata.name };
    for (const listener of state.listeners) {
      if (!listenerProgrammed(state, listener)) continue;
      const served: ServedListener = {
        gateway,
        name: listener.listener.name,
        port: listener.listener.port,
        protocol: listener.protocol!,
        addresses: state.addresses.bind,
        certificates: listener.certificates,
        routes: listener.attachments,
      };
      if (listener.listener.hostname !== undefined) served.hostname = listener.listener.hostname;
      out.push(served);
    }
  }
  return out;
}

export function attachGateways(input: GatewayInput, options: AttachOptions = {}): GatewayAttachment {
  const controllerName = options.controllerName ?? DEFAULT_CONTROLLER_NAME;
  const diagnostics: GatewayDiagnostic[] = [];

  const classes = input.gatewayClasses.filter((gatewayClass) => gatewayClass.spec.controllerName === controllerName).sort((a, b) => compareNames(a.metadata, b.metadata));
  const gatewayClasses = classes.map((gatewayClass) => gatewayClassResult(gatewayClass, options.supportedFeatures ?? [], diagnostics));
  const classAccepted = new Map(gatewayClasses.map((result) => [result.gatewayClass.metadata.name, result.accepted]));

  const grants = new ReferenceGrants(input.referenceGrants);
  const secrets = byKey(input.secrets);
  const context = {
    secrets,
    grants,
    published: options.publishedAddresses === undefined ? undefined : publishedStatusAddresses(options.publishedAddresses),
    addressProblem: options.addressProblem,
    ports: options.ports,
    unbindable: options.unbindableSockets,
    refused: options.refusedCertificates,
    now: options.now,
  };
  const states = input.gateways
    .filter((gateway) => classAccepted.has(gateway.spec.gatewayClassName))
    .sort((a, b) => compareNames(a.metadata, b.metadata))
    .map((gateway) => gatewayState(gateway, classAccepted.get(gateway.spec.gatewayClassName)!, context, diagnostics));
  markCrossGatewayConflicts(states);

  const routes = attachRoutes(
    input.httpRoutes,
    input.grpcRoutes,
    {
      controllerName,
      gateways: new Map(states.map((state) => [keyOf(state.gateway.metadata.namespace, state.gateway.metadata.name), state])),
      namespaces: new Map(input.namespaces.map((namespace) => [namespace.metadata.name, namespace])),
      services: servicesByKey(input.services),
      grants,
      httpFilters: filterSet(options.httpRouteFilters ?? DEFAULT_HTTP_FILTERS),
      grpcFilters: filterSet(options.grpcRouteFilters ?? DEFAULT_GRPC_FILTERS),
      checkRule: options.checkRule,
    },
    diagnostics,
  );

  const gateways: GatewayResult[] = states.map((state) => {
    gatewayDiagnostics(state, diagnostics);
    return { gateway: state.gateway, accepted: gatewayAccepted(state), status: gatewayStatus(state), ...(state.addresses.assignsPublished ? { assignsPublished: true as const } : {}) };
  });
  return { gatewayClasses, gateways, routes, listeners: servedListeners(states), diagnostics };
}
