// The dashboard's route table: one row per path of a served Ingress and per
// match of an attached HTTPRoute or GRPCRoute, with the object it comes
// from, its match, the annotations or filters in effect and its backends.
// Pure: built once per translation from the objects it was made of, so that
// searching and paging 10,000 Ingresses costs a scan of prepared rows.

import { levelsByHost, type Backend, type Model, type Route } from '../../model/model.js';
import type { GRPCRouteRule, HTTPRouteFilter, HTTPRouteRule } from '../../objects/gateway-types.js';
import { keyOf, type Ingress, type IngressBackend, type Service, type ServiceBackendPort } from '../../objects/types.js';
import { SUPPORT } from '../../translate/annotations/index.js';
import type { ServedListener } from '../../translate/gateway/types.js';
import type { Snapshot, Translation } from '../../translate/translate.js';

export interface RouteSetting {
  name: string;
  value: string;
  /** Ignored or refused: a diagnostic names this annotation. */
  note?: string;
}

export interface RouteBackend {
  /** `namespace/service:port` as the object names it. */
  service: string;
  /** The model backends serving it (one per set of features), for endpoints and live counters. */
  ids: string[];
  /** Gateway API weight; absent for Ingresses. */
  weight?: number;
  /** Why it cannot serve (an invalid backendRef). */
  problem?: string;
}

export interface RouteRow {
  kind: 'Ingress' | 'HTTPRoute' | 'GRPCRoute';
  namespace: string;
  name: string;
  /** The host as matched: exact, `*.` wildcard, or `*` for any host. */
  host: string;
  /** Gateway API: `namespace/gateway/listener:port`. */
  listener?: string;
  path: string;
  /** Exact, Prefix, ImplementationSpecific, PathPrefix, RegularExpression, or a GRPC method match. */
  match: string;
  /** Header, query and method conditions, as text. */
  conditions: string[];
  /** Ingress: its annotations under the prefix; Gateway API: the rule's filters and timeouts. */
  settings: RouteSetting[];
  backends: RouteBackend[];
}

export interface RouteTable {
  rows: readonly RouteRow[];
  /** Lowercased search text of each row, same order. */
  text: readonly string[];
}

/** Model backends by `namespace/service:port`. */
function backendIndex(model: Model): Map<string, Backend[]> {
  const index = new Map<string, Backend[]>();
  for (const backend of model.backends) {
    const key = `${backend.namespace}/${backend.service}:${backend.port}`;
    const list = index.get(key);
    if (list) list.push(backend);
    else index.set(key, [backend]);
  }
  return index;
}

function servicePort(services: ReadonlyMap<string, Service>, namespace: string, name: string, port: ServiceBackendPort): number | undefined {
  if (port.number !== undefined) return port.number;
  return services.get(keyOf(namespace, name))?.spec.ports.find((candidate) => candidate.name === port.name)?.port;
}

/** The model route a path of an Ingress became, when its level has one (regex levels rewrite paths). */
function modelRoute(model: Model, host: string, pathType: string, path: string): Route | undefined {
  const level = levelsByHost(model).get(host);
  if (!level || level.regex) return undefined;
  const match = pathType === 'Exact' ? 'exact' : 'prefix';
  const key = match === 'exact' ? path : path.replace(/\/+$/, '');
  return level.routes.find((route) => route.match === match && route.path === key);
}

function ingressRows(ingress: Ingress, context: Context): RouteRow[] {
  const { namespace, name, annotations } = ingress.metadata;
  const start = `${context.prefix}/`;
  const settings: RouteSetting[] = Object.entries(annotations)
    .filter(([key]) => key.startsWith(start))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, value]) => {
      const short = key.slice(start.length);
      const note = context.notes.get(`Ingress/${namespace}/${name}|metadata.annotations[${JSON.stringify(key)}]`) ?? (Object.hasOwn(SUPPORT, short) ? undefined : 'not supported; ignored');
      return { name: short, value, ...(note ? { note } : {}) };
    });
  const rows: RouteRow[] = [];
  const backendOf = (backend: IngressBackend, route: Route | undefined): RouteBackend[] => {
    const service = backend.service;
    if (!service) return [];
    const port = servicePort(context.services, namespace, service.name, service.port);
    const written = `${namespace}/${service.name}:${service.port.number ?? service.port.name ?? ''}`;
    const exact = route?.target.kind === 'backend' ? [route.target.id] : undefined;
    const ids = exact ?? (port === undefined ? [] : (context.backends.get(`${namespace}/${service.name}:${port}`) ?? []).map((candidate) => candidate.id));
    return [{ service: written, ids, ...(ids.length === 0 ? { problem: 'Service or port not found: answers 503' } : {}) }];
  };
  for (const rule of ingress.spec.rules) {
    const host = rule.host ?? '';
    for (const path of rule.http?.paths ?? []) {
      const pathType = path.pathType ?? 'ImplementationSpecific';
      const written = path.path === '' ? '/' : path.path;
      rows.push({ kind: 'Ingress', namespace, name, host: host || '*', path: written, match: pathType, conditions: [], settings, backends: backendOf(path.backend, modelRoute(context.model, host, pathType, written)) });
    }
  }
  if (ingress.spec.defaultBackend) {
    rows.push({ kind: 'Ingress', namespace, name, host: '*', path: '(default backend)', match: 'default', conditions: [], settings, backends: backendOf(ingress.spec.defaultBackend, undefined) });
  }
  return rows;
}

function filterText(filter: HTTPRouteFilter): RouteSetting {
  const { type, ...rest } = filter;
  const body = Object.values(rest).filter((value) => value !== undefined);
  return { name: type, value: body.length === 0 ? '' : JSON.stringify(body.length === 1 ? body[0] : body) };
}

function gatewayRows(listener: ServedListener, context: Context): RouteRow[] {
  const rows: RouteRow[] = [];
  const where = `${listener.gateway.namespace}/${listener.gateway.name}/${listener.name}:${listener.port}`;
  for (const attachment of listener.routes) {
    const { route } = attachment.route;
    const hosts = attachment.hostnames === 'any' ? ['*'] : attachment.hostnames;
    for (const served of attachment.route.rules) {
      const rule: HTTPRouteRule | GRPCRouteRule = served.rule;
      const settings: RouteSetting[] = rule.filters.map(filterText);
      if ('timeouts' in rule && rule.timeouts) settings.push({ name: 'timeouts', value: JSON.stringify(rule.timeouts) });
      if (served.fail) settings.push({ name: 'fails', value: served.fail.message, note: served.fail.reason });
      const backends: RouteBackend[] = served.backends.map((backend) => {
        if (!backend.ok) return { service: `${backend.ref.namespace ?? route.metadata.namespace}/${backend.ref.name}:${backend.ref.port ?? ''}`, ids: [], weight: backend.weight, problem: `${backend.reason}: ${backend.message}` };
        const ids = (context.backends.get(`${backend.namespace}/${backend.name}:${backend.servicePort.port}`) ?? []).map((candidate) => candidate.id);
        return { service: `${backend.namespace}/${backend.name}:${backend.servicePort.port}`, ids, weight: backend.weight };
      });
      const matches = attachment.route.kind === 'HTTPRoute' ? (rule as HTTPRouteRule).matches.map((match) => ({
        path: match.path.value,
        type: match.path.type,
        conditions: [...(match.method ? [`method ${match.method}`] : []), ...match.headers.map((h) => `header ${h.name} ${h.type === 'Exact' ? '=' : '~'} ${h.value}`), ...match.queryParams.map((q) => `query ${q.name} ${q.type === 'Exact' ? '=' : '~'} ${q.value}`)],
      })) : ((rule as GRPCRouteRule).matches.length > 0 ? (rule as GRPCRouteRule).matches : [{ headers: [] }]).map((match) => ({
        path: match.method ? `/${match.method.service ?? '*'}/${match.method.method ?? '*'}` : '/',
        type: match.method ? `gRPC ${match.method.type ?? 'Exact'}` : 'gRPC any',
        conditions: match.headers.map((h) => `header ${h.name} ${h.type === 'Exact' ? '=' : '~'} ${h.value}`),
      }));
      for (const host of hosts) {
        for (const match of matches) {
          rows.push({ kind: attachment.route.kind, namespace: route.metadata.namespace, name: route.metadata.name, host, listener: where, path: match.path, match: match.type, conditions: match.conditions, settings, backends });
        }
      }
    }
  }
  return rows;
}

interface Context {
  model: Model;
  prefix: string;
  services: ReadonlyMap<string, Service>;
  backends: ReadonlyMap<string, Backend[]>;
  /** `Kind/namespace/name|field` → the message of a diagnostic naming it. */
  notes: ReadonlyMap<string, string>;
}

function searchText(row: RouteRow): string {
  return [row.kind, `${row.namespace}/${row.name}`, row.host, row.listener ?? '', row.path, row.match, ...row.conditions, ...row.settings.map((s) => `${s.name}=${s.value}`), ...row.backends.map((b) => b.service)].join('\n').toLowerCase();
}

/** Every route Portero serves, Ingresses first (oldest first, as served), then Gateway API routes by listener. */
export function buildRouteTable(snapshot: Snapshot, translation: Translation, annotationsPrefix: string): RouteTable {
  const ingresses = new Map(snapshot.ingresses.map((ingress) => [keyOf(ingress.metadata.namespace, ingress.metadata.name), ingress]));
  const notes = new Map<string, string>();
  for (const diagnostic of translation.diagnostics) {
    if (diagnostic.field) notes.set(`${diagnostic.object.kind}/${diagnostic.object.namespace}/${diagnostic.object.name}|${diagnostic.field}`, `${diagnostic.severity}: ${diagnostic.message}`);
  }
  const context: Context = {
    model: translation.model,
    prefix: annotationsPrefix,
    services: new Map(snapshot.services.map((service) => [keyOf(service.metadata.namespace, service.metadata.name), service])),
    backends: backendIndex(translation.model),
    notes,
  };
  const rows: RouteRow[] = [];
  for (const ref of translation.served) {
    const ingress = ingresses.get(keyOf(ref.namespace, ref.name));
    if (ingress) rows.push(...ingressRows(ingress, context));
  }
  for (const listener of translation.gateway?.listeners ?? []) rows.push(...gatewayRows(listener, context));
  return { rows, text: rows.map(searchText) };
}
