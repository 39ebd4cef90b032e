// The Gateway API's levels, backends and certificates merged with the
// Ingresses' into one model. Pure. Ingresses keep what they claim: their
// levels (serve.ts left out Gateway levels on the same hosts) and the SNI
// names of their certificates.

import type { Certificate, HostLevel, Model, Target } from '../../model/model.js';
import { levelsByHost } from '../../model/model.js';
import type { BackendSpec } from '../backends.js';
import type { GatewayServing } from './serve.js';

function byHost(a: { host: string }, b: { host: string }): number {
  return a.host < b.host ? -1 : a.host > b.host ? 1 : 0;
}

function targetsOf(level: HostLevel): Target[] {
  return [level.fallback, ...level.routes.flatMap((route) => [route.target, ...(route.candidates ?? []).flatMap((candidate) => candidate.split.map((share) => share.target))])];
}

/** The previous translation's level when equal, so the data plane sees no change (model.ts: equal parts are the same objects). */
function reused(level: HostLevel, previous: ReadonlyMap<string, HostLevel> | undefined): HostLevel {
  const before = previous?.get(level.host);
  if (before === level) return level;
  return before && JSON.stringify(before) === JSON.stringify(level) ? before : level;
}

export function withGateway(
  levels: readonly HostLevel[],
  specs: ReadonlyMap<string, BackendSpec>,
  certificates: readonly Certificate[],
  gateway: GatewayServing,
  previous: Model | undefined,
): { levels: HostLevel[]; scopes: GatewayServing['scopes']; specs: ReadonlyMap<string, BackendSpec>; certificates: Certificate[] } {
  const before = previous ? levelsByHost(previous) : undefined;
  const gatewayLevels = gateway.levels.map((level) => reused(level, before));
  const merged = new Map(specs);
  for (const level of gatewayLevels) {
    for (const target of targetsOf(level)) {
      if (target.kind !== 'backend' || merged.has(target.id)) continue;
      const spec = gateway.specs.get(target.id);
      if (spec) merged.set(target.id, spec);
    }
  }
  const claimed = new Set(certificates.flatMap((certificate) => certificate.hosts));
  const byId = new Map(certificates.map((certificate) => [certificate.id, certificate]));
  for (const certificate of gateway.certificates) {
    const hosts = certificate.hosts.filter((host) => !claimed.has(host));
    if (hosts.length === 0) continue;
    const existing = byId.get(certificate.id);
    byId.set(certificate.id, existing ? { ...existing, hosts: [...new Set([...existing.hosts, ...hosts])].sort() } : { ...certificate, hosts });
  }
  return {
    levels: [...levels, ...gatewayLevels].sort(byHost),
    scopes: gateway.scopes,
    specs: merged,
    certificates: [...byId.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)),
  };
}
