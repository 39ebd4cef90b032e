// The Gateway API's levels, backends and certificates merged with the
// Ingresses' into one model. Pure. Ingresses keep what they claim: their
// levels (serve.ts left out Gateway levels on the same hosts) and the SNI
// names of their certificates.
//
// Gateway levels need no comparison with the previous model here: levels.ts
// already gives a level equal to the previous one as the previous object
// (translate passes the previous result along with the previous model), so
// identity says "unchanged" and the data plane skips it (plan.ts).

import type { Certificate, HostLevel, Target } from '../../model/model.js';
import type { BackendSpec } from '../backends.js';
import { memoizeByIdentity } from '../../util/identity-memo.js';
import type { GatewayServing } from './serve.js';

function byHost(a: { host: string }, b: { host: string }): number {
  return a.host < b.host ? -1 : a.host > b.host ? 1 : 0;
}

function targetsOf(level: HostLevel): Target[] {
  return [level.fallback, ...level.routes.flatMap((route) => [route.target, ...(route.candidates ?? []).flatMap((candidate) => candidate.split.map((share) => share.target))])];
}

/** The backend ids a level sends to, once per level object (levels are reused whole from one translation to the next). */
const backendIdsOf = memoizeByIdentity((level: HostLevel): string[] => targetsOf(level).flatMap((target) => (target.kind === 'backend' ? [target.id] : [])));

export function withGateway(
  levels: readonly HostLevel[],
  specs: ReadonlyMap<string, BackendSpec>,
  certificates: readonly Certificate[],
  gateway: GatewayServing,
): { levels: HostLevel[]; scopes: GatewayServing['scopes']; specs: ReadonlyMap<string, BackendSpec>; certificates: Certificate[] } {
  const gatewayLevels = gateway.levels;
  const merged = new Map(specs);
  for (const level of gatewayLevels) {
    for (const id of backendIdsOf(level)) {
      if (merged.has(id)) continue;
      const spec = gateway.specs.get(id);
      if (spec) merged.set(id, spec);
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
