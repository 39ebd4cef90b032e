// limit-connections, limit-rpm, limit-rps, limit-burst-multiplier and
// limit-whitelist: per-client limits, the client being its source address,
// with ingress-nginx's 503 for a refused request. ingress-nginx keeps one
// zone per Ingress object, shared by all its paths and by no other Ingress:
// the limits carry the Ingress's identity, so two Ingresses with the same
// values get backends (and counters) of their own. How the limits are
// counted (a sliding window, not nginx's leaky bucket) is in
// render features/limits.ts and docs/annotations.md.

import { describe } from '../../objects/grammar.js';
import type { Limits } from '../../model/features.js';
import type { AnnotationGroup } from './group.js';
import { parseSource } from './source-ranges.js';
import type { AnnotationValues } from './values.js';

/** ingress-nginx's default `limit-burst-multiplier`. */
export const DEFAULT_BURST_MULTIPLIER = 5;

function exemptList(values: AnnotationValues): string[] | undefined {
  const items = values.list('limit-whitelist');
  if (items === undefined || items.length === 0) return undefined;
  const out: string[] = [];
  for (const item of items) {
    const source = parseSource(item);
    if (source === undefined) return values.problem('limit-whitelist', `${describe(item)} is not an IP address or CIDR range`);
    out.push(source);
  }
  if (out.length > 1000) return values.problem('limit-whitelist', 'holds more than 1000 ranges');
  return [...new Set(out)].sort();
}

export const limits: AnnotationGroup = {
  annotations: {
    'limit-connections': { status: 'difference', note: 'concurrent requests of one client address, per replica as in ingress-nginx; the counters start afresh when HAProxy reloads' },
    'limit-rps': { status: 'difference', note: 'a sliding window of burst-multiplier seconds admitting rps × multiplier requests, not a leaky bucket; the counters start afresh when HAProxy reloads' },
    'limit-rpm': { status: 'difference', note: 'a sliding window of burst-multiplier minutes admitting rpm × multiplier requests, not a leaky bucket; the counters start afresh when HAProxy reloads' },
    'limit-burst-multiplier': { status: 'difference', note: 'sets the window length as well as the burst (see limit-rps); values outside 1-100 are refused' },
    'limit-whitelist': { status: 'supported' },
  },
  read(values, features, _settings, owner) {
    // 0 means no limit, as in ingress-nginx.
    const connections = values.int('limit-connections', 0, 1_000_000);
    const rpm = values.int('limit-rpm', 0, 60_000_000);
    const rps = values.int('limit-rps', 0, 1_000_000);
    const burstMultiplier = values.int('limit-burst-multiplier', 1, 100) ?? DEFAULT_BURST_MULTIPLIER;
    const exempt = exemptList(values);
    if (!connections && !rpm && !rps) return;
    const limits: Limits = {
      zone: `${owner.namespace}/${owner.name}`,
      ...(connections ? { connections } : {}),
      ...(rpm ? { rpm } : {}),
      ...(rps ? { rps } : {}),
      burstMultiplier,
      ...(exempt ? { exempt } : {}),
    };
    features.limits = limits;
  },
};
