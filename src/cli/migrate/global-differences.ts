// ingress-nginx behaviours that differ from Portero's even on an Ingress
// without annotations. A report lists each once, with how many Ingresses it
// concerns, rather than on every Ingress; they do not change the exit status
// (they would make it 1 for every cluster). When Portero reproduces one,
// remove its row.

import type { Ingress } from '../../objects/types.js';
import type { GlobalDifference } from './report.js';

interface Rule {
  id: string;
  description: string;
  /** Whether the difference can show on this Ingress. */
  concerns(ingress: Ingress, context: Context): boolean;
}

export interface Context {
  prefix: string;
  /** The ingress-nginx ConfigMap's data, when one was given and found. */
  configMap?: Readonly<Record<string, string>>;
}

const hasTls = (ingress: Ingress) => ingress.spec.tls.some((tls) => tls.hosts.length > 0 || tls.secretName !== undefined);
const annotation = (ingress: Ingress, context: Context, name: string) => ingress.metadata.annotations[`${context.prefix}/${name}`];

export const GLOBAL_DIFFERENCES: readonly Rule[] = [
  {
    id: 'default-body-size',
    description:
      'ingress-nginx refuses request bodies over 1 MiB (413) unless proxy-body-size (annotation or ConfigMap) says otherwise; Portero applies no limit by default. Set proxy-body-size on the Ingresses that relied on the 1 MiB limit.',
    concerns: (ingress, context) => annotation(ingress, context, 'proxy-body-size') === undefined && context.configMap?.['proxy-body-size'] === undefined,
  },
  {
    id: 'hsts',
    description:
      'ingress-nginx adds Strict-Transport-Security: max-age=31536000; includeSubDomains to HTTPS responses of hosts with a certificate (ConfigMap hsts, default true); Portero sends no HSTS header.',
    concerns: (ingress, context) => hasTls(ingress) && !/^(false|0|f)$/i.test(context.configMap?.hsts?.trim() ?? 'true'),
  },
  {
    id: 'ssl-redirect-trailing-slash',
    description:
      "ingress-nginx's HTTP→HTTPS redirect strips a trailing slash (http://host/app/ → https://host/app) and exempts /.well-known/acme-challenge; Portero redirects to the same path.",
    concerns: (ingress, context) => hasTls(ingress) || annotation(ingress, context, 'force-ssl-redirect') !== undefined,
  },
  {
    id: 'header-size',
    description:
      "ingress-nginx takes request header blocks of up to 32 KiB (large-client-header-buffers, default 4 8k); Portero, with HAProxy's 16 KiB buffers, about 15 KiB, and answers 400 above. Set large-client-header-buffers in the ConfigMap (read with --configmap) if clients send large cookies or tokens.",
    concerns: (_ingress, context) => context.configMap?.['large-client-header-buffers'] === undefined,
  },
  {
    id: 'implementation-specific-paths',
    description:
      'ingress-nginx matches ImplementationSpecific paths as nginx string prefixes (/foo also matches /foobar), and as case-insensitive regular expressions when any Ingress of the host uses use-regex or rewrite-target; Portero matches them as Prefix paths: element-wise, case-sensitive, never as regular expressions.',
    concerns: (ingress) => ingress.spec.rules.some((rule) => rule.http?.paths.some((path) => path.pathType === undefined || path.pathType === 'ImplementationSpecific')),
  },
];

/** The global differences that concern at least one of the Ingresses, with how many each concerns. */
export function globalDifferences(ingresses: readonly Ingress[], context: Context): GlobalDifference[] {
  const out: GlobalDifference[] = [];
  for (const rule of GLOBAL_DIFFERENCES) {
    const count = ingresses.filter((ingress) => rule.concerns(ingress, context)).length;
    if (count > 0) out.push({ id: rule.id, description: rule.description, ingresses: count });
  }
  return out;
}
