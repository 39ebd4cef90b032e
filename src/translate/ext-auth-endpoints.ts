// The Services that requests are sent to besides the route's own, resolved to
// the addresses the data plane sends to: the auth service of external
// authentication (auth-url) and the mirrors (mirror-target, RequestMirror).
// The data plane has no DNS: a Service name resolves here, from the
// snapshot, to the Service's ready endpoints (as any backend does, through
// the Service port of the URL's port); a literal IP address is used as
// written.
//
// The endpoints live on the Backend (authEndpoints, mirrorEndpoints), not in
// its features, so that the backend id stays the same when such a Service
// scales; the data plane counts them among the backend's settings (a change
// reloads).

import type { ServiceTarget } from '../model/features.js';
import { backendId, type Backend, type Endpoint } from '../model/model.js';
import { backendFor, resolveTarget, type ServiceIndex, type SliceIndex } from './backends.js';

export type TargetResolution = { endpoints: Endpoint[]; problem?: string };
export type AuthResolution = TargetResolution;

/** The endpoints `target` resolves to; a problem says why there are none (without what follows from it). */
export function resolveServiceTarget(target: ServiceTarget, services: ServiceIndex, slices: SliceIndex, field: string): TargetResolution {
  if (target.kind === 'address') return { endpoints: [{ address: target.address, port: target.port }] };
  const ref = { service: { name: target.name, port: { number: target.port } } };
  const resolution = resolveTarget(services, target.namespace, ref, field);
  if (!resolution.spec) return { endpoints: [], problem: resolution.problem?.message.replace(/; requests answer 503$/, '') ?? `Service ${target.namespace}/${target.name} cannot be used` };
  const endpoints = backendFor(slices, { ...resolution.spec, id: backendId(target.namespace, target.name, target.port) }).endpoints;
  if (endpoints.length === 0) return { endpoints, problem: `Service ${target.namespace}/${target.name} has no ready endpoints` };
  return { endpoints };
}

/** The endpoints a subrequest to `target` may go to; a problem says why there are none. */
export function resolveAuthTarget(target: ServiceTarget, services: ServiceIndex, slices: SliceIndex): AuthResolution {
  const resolution = resolveServiceTarget(target, services, slices, 'auth-url');
  if (resolution.problem === undefined) return resolution;
  const consequence = resolution.endpoints.length === 0 && resolution.problem.endsWith('has no ready endpoints') ? 'requests answer 500 until it has' : 'requests answer 500 (the auth service cannot be asked)';
  return { endpoints: resolution.endpoints, problem: `${resolution.problem}; ${consequence}` };
}

function sameEndpoints(a: readonly Endpoint[], b: readonly Endpoint[]): boolean {
  return a.length === b.length && a.every((endpoint, i) => endpoint.address === b[i]!.address && endpoint.port === b[i]!.port);
}

function sameLists(a: readonly (readonly Endpoint[])[], b: readonly (readonly Endpoint[])[]): boolean {
  return a.length === b.length && a.every((list, i) => sameEndpoints(list, b[i]!));
}

// Per backend object and indexes: backends are reused between translations while nothing changes.
const memo = new WeakMap<Backend, { services: ServiceIndex; slices: SliceIndex; backend: Backend }>();
const lists = new WeakMap<readonly Backend[], { services: ServiceIndex; slices: SliceIndex; backends: Backend[] }>();

const reachesOthers = (backend: Backend) => backend.features?.externalAuth !== undefined || (backend.features?.mirrors?.length ?? 0) > 0;

function withTargetEndpoints(backend: Backend, services: ServiceIndex, slices: SliceIndex): Backend {
  if (!reachesOthers(backend)) return backend;
  const auth = backend.features?.externalAuth;
  const mirrors = backend.features?.mirrors;
  const cached = memo.get(backend);
  if (cached && cached.services === services && cached.slices === slices) return cached.backend;
  const authEndpoints = auth ? resolveServiceTarget(auth.target, services, slices, 'auth-url').endpoints : undefined;
  const mirrorEndpoints = mirrors?.map((mirror) => resolveServiceTarget(mirror.target, services, slices, 'mirror').endpoints);
  // Same endpoints, same object: the data plane skips what did not change by identity.
  const previous = cached?.backend;
  const same = previous !== undefined && sameEndpoints(previous.authEndpoints ?? [], authEndpoints ?? []) && sameLists(previous.mirrorEndpoints ?? [], mirrorEndpoints ?? []);
  const resolved: Backend = same ? previous : { ...backend, ...(authEndpoints ? { authEndpoints } : {}), ...(mirrorEndpoints ? { mirrorEndpoints } : {}) };
  memo.set(backend, { services, slices, backend: resolved });
  return resolved;
}

/** The backends, those with external auth or mirrors given the endpoints of those Services; the same array when none has them. */
export function addTargetEndpoints(backends: Backend[], services: ServiceIndex, slices: SliceIndex): Backend[] {
  if (!backends.some(reachesOthers)) return backends;
  const cached = lists.get(backends);
  if (cached && cached.services === services && cached.slices === slices) return cached.backends;
  const out = backends.map((backend) => withTargetEndpoints(backend, services, slices));
  lists.set(backends, { services, slices, backends: out });
  return out;
}
