// What a request should get under a model, for Gateway API scopes, and what
// real HAProxy answered. The route, candidate and weighted split come from
// the reference matcher (src/model/match.ts: selectRoute, selectCandidate,
// effectiveShares), the level from src/model/scoped-match.ts, since
// match.ts's selectLevel knows neither scopes nor Gateway wildcards of any
// depth (docs/gateway-api.md, Listener ports). A
// request on a Gateway's own address looks up that scope's levels only (404
// when none matches, refused when nothing listens there); on the shared
// bind, each tier (exact host, wildcard, host-less) is looked up for the
// Ingresses first and then for the shared scope, then the catch-all.

import type { Agent } from 'node:http';
import { effectiveShares, selectCandidate, selectRoute, type RequestParts } from '../../../src/model/match.js';
import { selectArrivalLevel } from '../../../src/model/scoped-match.js';
import { backendsById, type Backend, type HostLevel, type Model, type Target, type WeightedTarget } from '../../../src/model/model.js';
import type { GatewayRedirect } from '../../../src/model/gateway-features.js';
import { changePath } from '../../../src/explain/features.js';
import { request } from '../http.js';
import { HEADER, OWN_ADDRESS, QUERY } from './world.js';

export interface Probe {
  /** `own`: sent to the Gateway own's address; `shared`: to --bind-address. */
  on: 'shared' | 'own';
  host: string;
  /** Path and query. */
  path: string;
  method: 'GET' | 'POST';
  headers: readonly (readonly [string, string])[];
}

/** What the backend must have received (filters): a header, the path and query, the Host. */
export interface EchoCheck {
  header?: readonly [string, string];
  url?: string;
  host?: string;
}

export type Outcome =
  | { kind: 'server'; name: string; check?: EchoCheck }
  | { kind: 'status'; status: number }
  | { kind: 'redirect'; status: number; location: string }
  | { kind: 'refused' };

export interface Observation {
  status: number;
  backend?: string;
  location?: string;
  /** The echo of the test server that answered: the url and headers it received. */
  echo?: { url: string; headers: Record<string, unknown> };
  error?: string;
}

export function probeKey(probe: Probe): string {
  const extras = [probe.method === 'GET' ? '' : probe.method, ...probe.headers.map(([name, value]) => `${name}: ${value}`)].filter(Boolean);
  return `${probe.on === 'own' ? `${OWN_ADDRESS} ` : ''}${probe.host}${probe.path}${extras.length > 0 ? ` (${extras.join('; ')})` : ''}`;
}

// ---------------------------------------------------------------------------
// The request set: every route hostname, a host under the wildcard only, one
// two labels under it, its parent and an unknown host, times paths on every
// side of the pool's boundaries; conditions (header, query, method) on a few
// of them; a few on the Gateway own's address.

const HOSTS = ['a.test', 'b.test', 'x.w.test', 'y.w.test', 'a.b.w.test', 'w.test', 'other.test', 'A.Test:8080'];
const PATHS = ['/', '/a', '/a/', '/a/b', '/a/12', '/ab', '/b/c', '/bc', '/u/x', '/r/y'];
const VARIANT_HOSTS = ['a.test', 'y.w.test', 'other.test'];
const VARIANT_PATHS = ['/', '/a', '/a/12', '/u/x'];
const OWN_HOSTS = ['a.test', 'y.w.test', 'other.test'];
const OWN_PATHS = ['/', '/a', '/a/12', '/u/x'];

export function probeSet(): Probe[] {
  const probes: Probe[] = [];
  const plain = (on: Probe['on'], host: string, path: string): Probe => ({ on, host, path, method: 'GET', headers: [] });
  for (const host of HOSTS) for (const path of PATHS) probes.push(plain('shared', host, path));
  for (const host of VARIANT_HOSTS) {
    for (const path of VARIANT_PATHS) {
      probes.push({ ...plain('shared', host, path), headers: [[HEADER, 'one']] });
      probes.push({ ...plain('shared', host, path), headers: [['X-V', 'two']] });
      probes.push({ ...plain('shared', host, `${path}?${QUERY}=1`) });
      probes.push({ ...plain('shared', host, path), method: 'POST', headers: [[HEADER, 'one']] });
    }
  }
  for (const host of OWN_HOSTS) for (const path of OWN_PATHS) probes.push(plain('own', host, path));
  probes.push({ ...plain('own', 'a.test', '/a?q=1'), headers: [[HEADER, 'two']] });
  return probes;
}

// ---------------------------------------------------------------------------
// Expected answers.

function scopeOf(model: Model, on: Probe['on']): string | undefined {
  const wanted = on === 'own' ? [OWN_ADDRESS] : [];
  return model.scopes?.find((scope) => scope.port === 80 && scope.protocol === 'http' && scope.addresses.join(',') === wanted.join(','))?.id;
}

/** The level a request takes (src/model/scoped-match.ts, the reference explain uses too); undefined: none, the catch-all (shared) or 404 (own). */
export function selectScopedLevel(model: Model, on: Probe['on'], hostHeader: string): HostLevel | undefined {
  const id = scopeOf(model, on);
  const scope = model.scopes?.find((candidate) => candidate.id === id);
  return selectArrivalLevel(model, { ingress: on === 'shared', ...(scope ? { scope } : {}) }, hostHeader);
}

function redirectLocation(redirect: GatewayRedirect, hostHeader: string, pathWithQuery: string): string {
  const scheme = redirect.scheme ?? redirect.listenerScheme;
  const host = redirect.hostname ?? (hostHeader.split(':')[0] ?? '').toLowerCase();
  const port = redirect.port === (scheme === 'https' ? 443 : 80) ? '' : `:${redirect.port}`;
  const path = redirect.path ? changePath(redirect.path, pathWithQuery) : pathWithQuery;
  return `${scheme}://${host}${port}${path}`;
}

function outcomesOf(target: Target, backends: ReadonlyMap<string, Backend>, probe: Probe, serverNames: ReadonlyMap<string, string>): Outcome[] {
  if (target.kind === 'not-found') return [{ kind: 'status', status: 404 }];
  if (target.kind === 'unavailable') return [{ kind: 'status', status: 503 }];
  if (target.kind === 'invalid') return [{ kind: 'status', status: 500 }];
  const backend = backends.get(target.id);
  const filters = backend?.features?.gateway;
  if (filters?.redirect) return [{ kind: 'redirect', status: filters.redirect.code, location: redirectLocation(filters.redirect, probe.host, probe.path) }];
  const endpoints = backend?.endpoints ?? [];
  if (endpoints.length === 0) return [{ kind: 'status', status: 503 }];
  const check: EchoCheck = {};
  const set = filters?.requestHeaders?.set[0];
  if (set) check.header = [set.name, set.value];
  if (filters?.rewritePath) check.url = changePath(filters.rewritePath, probe.path);
  if (filters?.rewriteHost) check.host = filters.rewriteHost;
  const hasCheck = check.header !== undefined || check.url !== undefined || check.host !== undefined;
  return endpoints.map((endpoint) => {
    const name = serverNames.get(`${endpoint.address}:${endpoint.port}`) ?? `${endpoint.address}:${endpoint.port}`;
    return hasCheck ? { kind: 'server', name, check } : { kind: 'server', name };
  });
}

/** Every answer the request may get (several for a weighted split: any share of non-zero weight, or any endpoint). */
export function expectedOutcomes(model: Model, probe: Probe, serverNames: ReadonlyMap<string, string>): { outcomes: Outcome[]; why: string } {
  if (probe.on === 'own' && scopeOf(model, 'own') === undefined) return { outcomes: [{ kind: 'refused' }], why: 'no scope on the address' };
  const level = selectScopedLevel(model, probe.on, probe.host);
  let shares: readonly WeightedTarget[];
  let why: string;
  if (!level) {
    shares = [{ target: probe.on === 'own' ? { kind: 'not-found' } : model.catchAll, weight: 1 }];
    why = 'no level';
  } else {
    const parts: RequestParts = { method: probe.method, headers: probe.headers };
    const route = selectRoute(level, probe.path);
    const candidate = route ? selectCandidate(route, probe.path, parts) : undefined;
    shares = candidate ? effectiveShares(candidate.split) : [{ target: route ? route.target : level.fallback, weight: 1 }];
    why = `level ${level.host}, ${route ? `route ${route.match} ${JSON.stringify(route.path)}${candidate ? `, candidate ${JSON.stringify(candidate.when ?? {})}` : ''}` : 'fallback'}`;
  }
  const backends = backendsById(model);
  const outcomes = shares.flatMap((share) => outcomesOf(share.target, backends, probe, serverNames));
  return { outcomes, why: `${why} → ${shares.map((share) => `${share.target.kind === 'backend' ? share.target.id : share.target.kind}×${share.weight}`).join(' ')}` };
}

function echoMismatch(check: EchoCheck | undefined, echo: Observation['echo']): string | undefined {
  if (!check) return undefined;
  if (!echo) return 'no echo';
  if (check.header && echo.headers[check.header[0]] !== check.header[1]) return `header ${check.header[0]} ${JSON.stringify(echo.headers[check.header[0]])}, expected ${check.header[1]}`;
  if (check.url !== undefined && echo.url !== check.url) return `backend got ${echo.url}, expected ${check.url}`;
  if (check.host !== undefined && echo.headers.host !== check.host) return `backend got Host ${JSON.stringify(echo.headers.host)}, expected ${check.host}`;
  return undefined;
}

/** Undefined when the observation is one of the outcomes; else why not. */
export function mismatch(outcomes: readonly Outcome[], observed: Observation): string | undefined {
  const reasons: string[] = [];
  for (const outcome of outcomes) {
    if (outcome.kind === 'refused') {
      if (/ECONNREFUSED/.test(observed.error ?? '')) return undefined;
    } else if (observed.error !== undefined) continue;
    else if (outcome.kind === 'server') {
      if (observed.status === 200 && observed.backend === outcome.name) {
        const why = echoMismatch(outcome.check, observed.echo);
        if (why === undefined) return undefined;
        reasons.push(why);
      }
    } else if (outcome.kind === 'status') {
      if (observed.status === outcome.status && observed.backend === undefined) return undefined;
    } else if (observed.status === outcome.status && observed.location === outcome.location) return undefined;
  }
  return reasons.length > 0 ? reasons.join('; ') : 'not among the expected answers';
}

export function describeOutcome(outcome: Outcome): string {
  if (outcome.kind === 'server') return `${outcome.name}${outcome.check ? ` ${JSON.stringify(outcome.check)}` : ''}`;
  if (outcome.kind === 'status') return String(outcome.status);
  if (outcome.kind === 'redirect') return `${outcome.status} → ${outcome.location}`;
  return 'connection refused';
}

export function describeObservation(observed: Observation): string {
  if (observed.error !== undefined) return `error ${observed.error}`;
  return [String(observed.status), observed.location ? `→ ${observed.location}` : '', observed.backend ? `x-backend=${observed.backend}` : '', observed.echo ? `url ${observed.echo.url}` : ''].filter(Boolean).join(' ');
}

// ---------------------------------------------------------------------------
// Asking HAProxy.

export async function ask(port: number, probe: Probe, agents: { shared: Agent; own: Agent }): Promise<Observation> {
  try {
    const response = await request({
      port,
      host: probe.host,
      path: probe.path,
      method: probe.method,
      headerList: probe.headers,
      agent: agents[probe.on],
      timeoutMs: 10_000,
      ...(probe.on === 'own' ? { address: OWN_ADDRESS } : {}),
    });
    const observation: Observation = { status: response.status };
    const backend = response.headers['x-backend'];
    const location = response.headers.location;
    if (typeof backend === 'string') observation.backend = backend;
    if (typeof location === 'string') observation.location = location;
    if (response.echo) observation.echo = { url: response.echo.url, headers: response.echo.headers as Record<string, unknown> };
    return observation;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { status: 0, error: `${code ?? ''} ${(error as Error).message}`.trim() };
  }
}
