// allowlist-source-range (and its old name whitelist-source-range),
// denylist-source-range: comma-separated addresses and CIDR ranges. The
// denylist is checked first; a refused client gets 403. As in ingress-nginx,
// an invalid list does not open the location: it answers 503.

import { describe } from '../../objects/grammar.js';
import { isIP } from 'node:net';
import type { AnnotationGroup } from './group.js';
import type { AnnotationValues } from './values.js';

/** An IP address or CIDR range, normalised (`10.0.0.0/8`, `2001:db8::/32`); undefined when invalid. */
export function parseSource(value: string): string | undefined {
  const [address, bits, extra] = value.split('/');
  if (extra !== undefined || address === undefined) return undefined;
  const family = isIP(address);
  if (family === 0 || address.includes('%')) return undefined;
  if (bits === undefined) return address;
  if (!/^[0-9]{1,3}$/.test(bits) || Number(bits) > (family === 4 ? 32 : 128)) return undefined;
  return `${address}/${Number(bits)}`;
}

function sourceList(values: AnnotationValues, name: string): string[] | undefined {
  const items = values.list(name);
  if (items === undefined || items.length === 0) return undefined;
  const out: string[] = [];
  for (const item of items) {
    const source = parseSource(item);
    if (source === undefined) return values.problem(name, `${describe(item)} is not an IP address or CIDR range`, { failClosed: true });
    out.push(source);
  }
  if (out.length > 1000) return values.problem(name, 'holds more than 1000 ranges', { failClosed: true });
  return [...new Set(out)].sort();
}

export const sourceRanges: AnnotationGroup = {
  annotations: {
    'allowlist-source-range': { status: 'supported' },
    'whitelist-source-range': { status: 'supported' },
    'denylist-source-range': { status: 'supported' },
  },
  read(values, features) {
    const allow = sourceList(values, 'allowlist-source-range') ?? sourceList(values, 'whitelist-source-range');
    const deny = sourceList(values, 'denylist-source-range');
    if (allow) features.allowSources = allow;
    if (deny) features.denySources = deny;
  },
};
