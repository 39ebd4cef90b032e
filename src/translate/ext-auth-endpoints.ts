// The auth service of external authentication (auth-url), resolved to the
// addresses the data plane sends its subrequests to. The data plane has no
// DNS: a Service name resolves here, from the snapshot, to the Service's
// ready endpoints (as any backend does, through the Service port of the
// URL's port); a literal IP address is used as written.
//
// The endpoints live on the Backend (authEndpoints), not in its features, so
// that the backend id stays the same when the auth service scales; the data
// plane counts them among the backend's settings (a change reloads).

import type { ExternalAuthTarget } from '../model/features.js';
import { backendId, type Backend, type Endpoint } from '../model/model.js';
import { backendFor, resolveTarget, type ServiceIndex, type SliceIndex } from './backends.js';

export type AuthResolution = { endpoints: Endpoint[]; problem?: string };

/** The endpoints a subrequest to `target` may go to; a problem says why there are none. */
export function resolveAuthTarget(target: ExternalAuthTarget, services: ServiceIndex, slices: SliceIndex): AuthResolution {
  if (target.kind === 'address') return { endpoints: [{ address: target.address, port: target.port }] };
  const ref = { service: { name: target.name, port: { number: target.port } } };
  const resolution = resolveTarget(services, target.namespace, ref, 'auth-url');
  if (!resolution.spec) {
    const reason = resolution.problem?.message.replace(/; requests answer 503$/, '') ?? `Service ${target.namespace}/${target.name} cannot be used`;
    return { endpoints: [], problem: `${reason}; requests answer 500 (the auth service cannot be asked)` };
  }
  const endpoints = backendFor(slices, { ...resolution.spec, id: backendId(target.namespace, target.name, target.port) }).endpoints;
  if (endpoints.length === 0) return { endpoints, problem: `Service ${target.namespace}/${target.name} has no ready endpoints; requests answer 500 until it has` };
  return { endpoints };
}

function sameEndpoints(a: readonly Endpoint[], b: readonly Endpoint[]): boolean {
  return a.length === b.length && a.every((endpoint, i) => endpoint.address === b[i]!.address && endpoint.port === b[i]!.port);
}

// Per backend object and indexes: backends are reused between translations while nothing changes.
const memo = new WeakMap<Backend, { services: ServiceIndex; slices: SliceIndex; backend: Backend }>();
const lists = new WeakMap<readonly Backend[], { services: ServiceIndex; slices: SliceIndex; backends: Backend[] }>();

function withAuthEndpoints(backend: Backend, services: ServiceIndex, slices: SliceIndex): Backend {
  const auth = backend.features?.externalAuth;
  if (!auth) return backend;
  const cached = memo.get(backend);
  if (cached && cached.services === services && cached.slices === slices) return cached.backend;
  const endpoints = resolveAuthTarget(auth.target, services, slices).endpoints;
  // Same endpoints, same object: the data plane skips what did not change by identity.
  const resolved: Backend = cached && sameEndpoints(cached.backend.authEndpoints ?? [], endpoints) ? cached.backend : { ...backend, authEndpoints: endpoints };
  memo.set(backend, { services, slices, backend: resolved });
  return resolved;
}

/** The backends, those with external auth given their auth endpoints; the same array when none has it. */
export function addAuthEndpoints(backends: Backend[], services: ServiceIndex, slices: SliceIndex): Backend[] {
  if (!backends.some((backend) => backend.features?.externalAuth)) return backends;
  const cached = lists.get(backends);
  if (cached && cached.services === services && cached.slices === slices) return cached.backends;
  const out = backends.map((backend) => withAuthEndpoints(backend, services, slices));
  lists.set(backends, { services, slices, backends: out });
  return out;
}

