// server-alias and from-to-www-redirect: more host names for an Ingress's
// hosts. They act on host levels, not on the requests of a route, so this
// group only checks the values; translate/extra-hosts.ts reads them through
// hostOptionsOf and adds the levels.

import { describe, ingressHost } from '../../objects/grammar.js';
import type { Ingress } from '../../objects/types.js';
import type { AnnotationGroup, AnnotationSettings } from './group.js';
import { AnnotationValues } from './values.js';

export interface HostOptions {
  /** Checked host names (DNS names or `*.` wildcards), deduplicated, in the order written. */
  aliases: string[];
  /** The `www.` twin of each host redirects to the host (or the host to its twin). */
  wwwRedirect: boolean;
}

/** At most this many aliases per Ingress: each is a host level (and map entries per route). */
const MAX_ALIASES = 100;

function aliasesOf(values: AnnotationValues): string[] | undefined {
  const items = values.list('server-alias');
  if (items === undefined) return [];
  const out: string[] = [];
  for (const item of items) {
    const problems = ingressHost(item);
    if (problems.length > 0) return values.problem('server-alias', `${describe(item)} is not a host name: ${problems.join('; ')}`);
    if (!out.includes(item)) out.push(item);
  }
  if (out.length > MAX_ALIASES) return values.problem('server-alias', `holds more than ${MAX_ALIASES} names`);
  return out;
}

export const hosts: AnnotationGroup = {
  annotations: {
    'server-alias': { status: 'difference', note: "an alias serves the routes of the Ingress's first host, without that host's TLS certificate or HTTPS redirect" },
    'from-to-www-redirect': { status: 'difference', note: 'the redirect keeps the port the client used (ingress-nginx adds its HTTPS port when not 443); not for wildcard hosts' },
  },
  read(values) {
    aliasesOf(values);
    values.bool('from-to-www-redirect');
  },
};

/** The host options of an Ingress whose annotations passed the group (invalid values count as absent). */
export function hostOptionsOf(ingress: Ingress, settings: AnnotationSettings): HostOptions {
  const values = new AnnotationValues(ingress.metadata.annotations, settings.prefix);
  if (values.names().length === 0) return { aliases: [], wwwRedirect: false };
  return { aliases: aliasesOf(values) ?? [], wwwRedirect: values.bool('from-to-www-redirect') === true };
}
