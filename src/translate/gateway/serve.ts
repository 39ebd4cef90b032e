// Gateway API in a translation: attachment and status (index.ts), then the
// host levels, backends and certificates of what is served (levels.ts),
// ready to merge with the Ingresses' into one model. Pure.
//
// An Ingress and an HTTPRoute on the same host (and port): the Ingress's
// level wins, and the route's rules on that host are not served, with a
// warning on the route (docs/gateway-api.md). Ingresses came first in every
// cluster that has both; a migration moves a host as a whole.

import { isIngressPort, splitLevelHost, type Certificate, type HostLevel, type Scope } from '../../model/model.js';
import type { GRPCRouteRule, HTTPRouteRule } from '../../objects/gateway-types.js';
import type { BackendSpec } from '../backends.js';
import type { Diagnostic } from '../diagnostics.js';
import { safeRegex } from '../regex.js';
import { regexPath } from './regex-paths.js';
import type { RefusedCertificates } from '../tls.js';
import type { Snapshot } from '../translate.js';
import { attachGateways, DEFAULT_HTTP_FILTERS, type GatewayAttachment, type PortSettings, type RuleCheck, type RuleProblem } from './index.js';
import { gatewayLevels, type GatewayLevels } from './levels.js';

export interface GatewayServeOptions {
  /** `--gateway-controller-name`. */
  controllerName?: string;
  refusedCertificates?: RefusedCertificates;
  now: Date;
  /** Hosts (levels) the Ingresses serve: Gateway API routes on them are not served. */
  ingressHosts: ReadonlySet<string>;
  /**
   * The addresses of this node's interfaces: a Gateway address outside them
   * (and outside loopback) cannot be bound, and would fail every reload.
   * Absent (`portero check`): every address is taken as usable.
   */
  localAddresses?: readonly string[];
  /** Portero's own ports (listeners.ts PortSettings). */
  ports?: PortSettings;
  /** Sockets that cannot be bound (index.ts AttachOptions). */
  unbindableSockets?: ReadonlyMap<string, string>;
}

export interface GatewayServing {
  attachment: GatewayAttachment;
  levels: HostLevel[];
  scopes: Scope[];
  specs: ReadonlyMap<string, BackendSpec>;
  /** The listeners' certificates with the SNI names they serve. */
  certificates: Certificate[];
  diagnostics: Diagnostic[];
}

/** The conformance features Portero implements (GatewayClass status.supportedFeatures). */
export const SUPPORTED_FEATURES: readonly string[] = [
  'Gateway',
  'HTTPRoute',
  'ReferenceGrant',
  'HTTPRouteQueryParamMatching',
  'HTTPRouteMethodMatching',
  'HTTPRouteResponseHeaderModification',
  'HTTPRoutePortRedirect',
  'HTTPRouteSchemeRedirect',
  'HTTPRoutePathRedirect',
  'HTTPRouteHostRewrite',
  'HTTPRoutePathRewrite',
  'HTTPRouteRequestTimeout',
  'HTTPRouteBackendTimeout',
  'HTTPRoute303RedirectStatusCode',
  'HTTPRoute307RedirectStatusCode',
  'HTTPRoute308RedirectStatusCode',
  'HTTPRouteBackendRequestHeaderModification',
  'HTTPRouteCORS',
  // appProtocol kubernetes.io/h2c and kubernetes.io/ws (app-protocol.ts); GRPCRoute over h2c and h2 (GATEWAY-GRPC).
  'HTTPRouteBackendProtocolH2C',
  'HTTPRouteBackendProtocolWebSocket',
  // Requests are served by the routes of their most specific listener only (levels.ts).
  'GatewayHTTPListenerIsolation',
  // parentRefs[].port selects a Gateway's listeners by port; rules[].name is accepted.
  'HTTPRouteParentRefPort',
  'HTTPRouteNamedRouteRule',
  // A listener on port 8080 is bound on 8080 (render-gateway); the DaemonSet maps it once the port is added (docs/gateway-api.md).
  'GatewayPort8080',
  'GRPCRoute',
  // GRPCRoute rules[].name is accepted, as HTTPRoute's (grpcroute-named-rule.go passes).
  'GRPCRouteNamedRouteRule',
  // RequestMirror on rules, several per rule, percent and fraction (mirror-filter.ts; the copies are sent by the data plane's Lua, features/mirror-lua.ts).
  'HTTPRouteRequestMirror',
  'HTTPRouteRequestMultipleMirrors',
  'HTTPRouteRequestPercentageMirror',
  // spec.addresses of type IPAddress are bound; other types are UnsupportedAddress, an IP the node lacks AddressNotUsable (addresses.ts).
  'GatewayStaticAddresses',
  // An IPAddress without value is served on the shared bind address and given the published IP addresses (addresses.ts).
  'GatewayAddressEmpty',
];

/** Control characters but tab, and lone UTF-16 surrogates: what config-lines.ts refuses in a compared value. */
const CONTROL = /[\x00-\x08\x0a-\x1f\x7f]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

const unsupported = (field: string, message: string): RuleProblem => ({ reason: 'UnsupportedValue', field, message, inMatches: true });

/** Matches Portero cannot build: patterns outside the safe subset (translate/regex.ts), control characters in compared values. */
const checkRule: RuleCheck = ({ rule, field }) => {
  const matches = (rule as HTTPRouteRule | GRPCRouteRule).matches;
  for (const [index, match] of matches.entries()) {
    const at = `${field}.matches[${index}]`;
    if ('path' in match && match.path.type === 'RegularExpression') {
      const checked = regexPath(match.path.value);
      if (!checked.ok) return unsupported(`${at}.path.value`, `the regular expression ${checked.problem}`);
    }
    // GRPCRoute: a RegularExpression method match's service and method patterns (levels.ts grpcPath).
    const method = 'path' in match ? undefined : match.method;
    for (const part of method?.type === 'RegularExpression' ? (['service', 'method'] as const) : []) {
      const written = method![part];
      // Each part is matched whole, as one path element (levels.ts grpcPath): an anchor could only make it never match, a `/` would let it span elements.
      if (written !== undefined && /[\^$/]/.test(written)) return unsupported(`${at}.method.${part}`, 'the regular expression may not hold ^, $ or / (service and method are each matched whole, as one path element)');
      const checked = written === undefined ? undefined : safeRegex(written);
      if (checked && !checked.ok) return unsupported(`${at}.method.${part}`, `the regular expression ${checked.problem}`);
    }
    const values = [...match.headers.map((header, i) => ({ ...header, where: `${at}.headers[${i}]` })), ...('queryParams' in match ? match.queryParams.map((param, i) => ({ ...param, where: `${at}.queryParams[${i}]` })) : [])];
    for (const value of values) {
      if (value.type !== 'RegularExpression') {
        // The API bounds only the length; the data plane compares text without control characters.
        if (CONTROL.test(value.value)) return unsupported(`${value.where}.value`, 'control characters (other than tab) cannot be matched');
        continue;
      }
      const checked = safeRegex(value.value);
      if (!checked.ok) return unsupported(`${value.where}.value`, `the regular expression ${checked.problem}`);
    }
  }
  return undefined;
};

/** Why an address cannot be bound here: not loopback and not one of the node's own. */
function unbindable(local: readonly string[]): (ip: string) => string | undefined {
  const own = new Set(local);
  return (ip) => (ip.startsWith('127.') || ip === '::1' || own.has(ip) ? undefined : 'is not an address of this node, so it cannot be bound');
}

function hasGatewayObjects(snapshot: Snapshot): boolean {
  return (snapshot.gatewayClasses?.length ?? 0) > 0 || (snapshot.gateways?.length ?? 0) > 0;
}

// What a result was computed from, and its routing (levels.ts reuses the
// levels of the previous routing). Attachment and routing read no
// EndpointSlice, so the endpoint changes that make most translations reuse
// the previous result whole. Store lists keep their identity until an object
// of their kind changes (store.ts), so identity says "unchanged". The day is
// an input too: certificate expiry warnings depend on it.
const computedFrom = new WeakMap<GatewayServing, { inputs: readonly unknown[]; routed: GatewayLevels }>();

function inputsOf(snapshot: Snapshot, options: GatewayServeOptions): readonly unknown[] {
  const hosts = [...options.ingressHosts].sort().join(' ');
  return [snapshot.gatewayClasses, snapshot.gateways, snapshot.namespaces, snapshot.httpRoutes, snapshot.grpcRoutes, snapshot.referenceGrants, snapshot.services, snapshot.secrets, options.controllerName, options.refusedCertificates, options.localAddresses, options.ports, options.unbindableSockets, hosts, Math.floor(options.now.getTime() / 86_400_000)];
}

/**
 * Undefined when the snapshot holds no GatewayClass or Gateway: Ingress-only
 * clusters pay nothing. `previous`, the last result, changes nothing in the
 * values: it is returned when nothing read changed, and otherwise its parts
 * that are still valid are reused (route-rules.ts, route-entries.ts,
 * levels.ts), so that one route's change costs about one route's work.
 */
export function serveGateways(snapshot: Snapshot, options: GatewayServeOptions, previous?: GatewayServing): GatewayServing | undefined {
  if (!hasGatewayObjects(snapshot)) return undefined;
  const inputs = inputsOf(snapshot, options);
  const last = previous ? computedFrom.get(previous) : undefined;
  if (previous && last && last.inputs.length === inputs.length && last.inputs.every((input, i) => input === inputs[i])) return previous;
  const { result, routed } = computeServing(snapshot, options, last?.routed);
  computedFrom.set(result, { inputs, routed });
  return result;
}

function computeServing(snapshot: Snapshot, options: GatewayServeOptions, previous: GatewayLevels | undefined): { result: GatewayServing; routed: GatewayLevels } {
  const attachment = attachGateways(
    {
      gatewayClasses: snapshot.gatewayClasses ?? [],
      gateways: snapshot.gateways ?? [],
      namespaces: snapshot.namespaces ?? [],
      httpRoutes: snapshot.httpRoutes ?? [],
      grpcRoutes: snapshot.grpcRoutes ?? [],
      referenceGrants: snapshot.referenceGrants ?? [],
      services: snapshot.services,
      secrets: snapshot.secrets,
    },
    {
      ...(options.controllerName ? { controllerName: options.controllerName } : {}),
      supportedFeatures: SUPPORTED_FEATURES,
      // The filter types the router implements (filter-features.ts): one list, so attachment and routing agree.
      httpRouteFilters: DEFAULT_HTTP_FILTERS,
      checkRule,
      ...(options.refusedCertificates ? { refusedCertificates: options.refusedCertificates } : {}),
      ...(options.localAddresses ? { addressProblem: unbindable(options.localAddresses) } : {}),
      ...(options.ports ? { ports: options.ports } : {}),
      ...(options.unbindableSockets ? { unbindableSockets: options.unbindableSockets } : {}),
      now: options.now,
    },
  );
  const routed = gatewayLevels(attachment.listeners, previous);
  const diagnostics: Diagnostic[] = [...attachment.diagnostics, ...routed.diagnostics];
  for (const listener of routed.listenersNotServed) {
    diagnostics.push({ severity: 'warning', object: { kind: 'Gateway', namespace: listener.split('/')[0]!, name: listener.split('/')[1]! }, message: `listener ${listener.split('/')[2]}: its port cannot be bound; it is left out` });
  }
  // Only the scopes on the shared address and ports 80 and 443 meet the Ingresses.
  const withIngresses = new Map(routed.scopes.filter((scope) => scope.addresses.length === 0 && isIngressPort(scope.port, scope.protocol)).map((scope) => [scope.id, scope]));
  const levels: HostLevel[] = [];
  for (const level of routed.levels) {
    const { host, scope: scopeOfLevel } = splitLevelHost(level.host);
    const scope = scopeOfLevel === undefined ? undefined : withIngresses.get(scopeOfLevel);
    if (!scope || !options.ingressHosts.has(host)) {
      levels.push(level);
      continue;
    }
    for (const listener of attachment.listeners) {
      if (listener.addresses.length > 0 || listener.port !== scope.port) continue;
      for (const attachmentOf of listener.routes) {
        const hosts = attachmentOf.hostnames === 'any' ? [''] : attachmentOf.hostnames;
        if (!hosts.includes(host)) continue;
        const route = attachmentOf.route.route;
        diagnostics.push({
          severity: 'warning',
          object: { kind: attachmentOf.route.kind, namespace: route.metadata.namespace, name: route.metadata.name },
          field: 'spec.hostnames',
          message: `host ${host === '' ? '(any host)' : host} is served by an Ingress; this route's rules on it are not served`,
        });
      }
    }
  }
  return { result: { attachment, levels, scopes: routed.scopes, specs: routed.specs, certificates: listenerCertificates(attachment), diagnostics }, routed };
}

/** Each HTTPS listener's first certificate, for its hostname (or, without one, the hostnames of its routes). */
function listenerCertificates(attachment: GatewayAttachment): Certificate[] {
  const byId = new Map<string, Certificate & { hosts: string[] }>();
  for (const listener of attachment.listeners) {
    const certificate = listener.certificates[0];
    if (listener.protocol !== 'HTTPS' || !certificate) continue;
    const hosts = listener.hostname !== undefined ? [listener.hostname] : listener.routes.flatMap((route) => (route.hostnames === 'any' ? [] : route.hostnames));
    let entry = byId.get(certificate.id);
    if (!entry) byId.set(certificate.id, (entry = { id: certificate.id, pem: certificate.info.pem, hosts: [] }));
    for (const host of hosts) if (!entry.hosts.includes(host)) entry.hosts.push(host);
  }
  return [...byId.values()].filter((certificate) => certificate.hosts.length > 0).map((certificate) => ({ ...certificate, hosts: certificate.hosts.sort() }));
}
