// An Ingress's annotations under the annotations prefix, read by every group
// into features, with a problem for each invalid value. Remembered per
// Ingress object and settings.

import { isEmptyFeatures, type Features } from '../../model/features.js';
import type { Ingress } from '../../objects/types.js';
import { affinity } from './affinity.js';
import { auth, basicAuthOf, type BasicAuthSpec } from './auth.js';
import { authTls, clientAuthOf, type ClientAuthSpec } from './auth-tls.js';
import { backendProtocol } from './backend-protocol.js';
import { balance } from './balance.js';
import { bodySize } from './body-size.js';
import { canary, canaryOf, type CanarySpec } from './canary.js';
import { customErrors } from './custom-errors.js';
import { defaultBackend } from './default-backend.js';
import { passthrough } from './passthrough.js';
import { buffers } from './buffers.js';
import { cors } from './cors.js';
import { customHeaders, customHeadersOf, type CustomHeadersSpec } from './custom-headers.js';
import { externalAuth } from './ext-auth.js';
import type { AnnotationGroup, AnnotationSettings, AnnotationSupport, FeaturesDraft } from './group.js';
import { hosts } from './hosts.js';
import { limits } from './limits.js';
import { mirror } from './mirror.js';
import { notImplemented } from './not-implemented.js';
import { notApplied } from './not-applied.js';
import { redirects } from './redirects.js';
import { regexSettings, rewrite } from './rewrite.js';
import { responseRewrites } from './response-rewrites.js';
import { retries } from './retries.js';
import { satisfy } from './satisfy.js';
import { snippets } from './snippets.js';
import { sourceRanges } from './source-ranges.js';
import { timeouts } from './timeouts.js';
import { upstream } from './upstream.js';
import { AnnotationValues, type AnnotationNotice, type AnnotationProblem } from './values.js';

export type { AnnotationSettings } from './group.js';

export const GROUPS: readonly AnnotationGroup[] = [
  redirects,
  rewrite,
  canary,
  bodySize,
  defaultBackend,
  customErrors,
  passthrough,
  timeouts,
  sourceRanges,
  externalAuth,
  auth,
  satisfy,
  authTls,
  limits,
  hosts,
  snippets,
  cors,
  customHeaders,
  upstream,
  retries,
  responseRewrites,
  buffers,
  backendProtocol,
  affinity,
  balance,
  mirror,
  notImplemented,
  notApplied,
];

/** Every annotation name Portero knows, with its support. */
export const SUPPORT: Readonly<Record<string, AnnotationSupport>> = Object.assign({}, ...GROUPS.map((group) => group.annotations));

export const DEFAULT_ANNOTATION_SETTINGS: AnnotationSettings = { prefix: 'nginx.ingress.kubernetes.io', allowSnippets: false };

export interface IngressAnnotations {
  /** What the routes of the Ingress ask for; undefined when nothing. */
  features?: Features;
  /** Invalid values: an Ingress with a problem that is not fail-closed is not served. */
  problems: AnnotationProblem[];
  /** Values served with a part left out (a warning each). */
  notices: AnnotationNotice[];
  /** Annotations under the prefix that Portero does not know. */
  unknown: string[];
  /** use-regex or rewrite-target: the paths of the Ingress's hosts are regular expressions. */
  regex: boolean;
  /** rewrite-target as written (its grammar checked by the group). */
  rewriteTarget?: string;
  /** canary: "true": the Ingress adds an alternative backend to other Ingresses' routes. */
  canary?: CanarySpec;
  /** ssl-passthrough: "true" (honoured only with --enable-ssl-passthrough, then passthroughEnabled). */
  passthrough?: boolean;
  passthroughEnabled?: boolean;
  /**
   * ssl-redirect: "false" (or the ConfigMap's): plain HTTP to the Ingress's TLS hosts is served, not redirected.
   * Also set with ssl-forbid-http or force-ssl-forbid-http: the paths answer 403 in their backends instead.
   */
  sslRedirectOff?: boolean;
  /** ssl-forbid-http: "true" (with the redirect on): plain HTTP to the Ingress's TLS hosts gets 403 (ssl-redirect.ts picks the hosts). */
  sslForbid?: boolean;
  /** auth-type: basic, checked; the Secret is resolved by translate/auth.ts. */
  basicAuth?: BasicAuthSpec;
  /** auth-tls-secret and friends, checked; the Secret and the hosts are resolved by translate/client-auth.ts. */
  clientAuth?: ClientAuthSpec;
  /** custom-headers, checked; the ConfigMap is joined by translate/custom-headers.ts. */
  customHeaders?: CustomHeadersSpec;
}

/**
 * The ConfigMap's global auth applies to an Ingress that sets no auth-url of
 * its own, does not opt out (enable-global-auth: "false"), and has a path
 * outside no-auth-locations (ingress-nginx exempts those per location; here a
 * whole Ingress is exempt, which is what cert-manager's solver Ingresses need).
 */
function takesGlobalAuth(ingress: Ingress, settings: AnnotationSettings): boolean {
  const global = settings.globalAuth;
  if (!global) return false;
  const own = new AnnotationValues(ingress.metadata.annotations, settings.prefix);
  if (own.string('auth-url') !== undefined || own.bool('enable-global-auth') === false) return false;
  const paths = ingress.spec.rules.flatMap((rule) => rule.http?.paths ?? []).map((path) => path.path || '/');
  const exempt = (path: string) => global.exemptPaths.some((prefix) => path.startsWith(prefix));
  return paths.length === 0 || !paths.every(exempt);
}

function readAnnotations(ingress: Ingress, settings: AnnotationSettings): IngressAnnotations {
  const defaults = takesGlobalAuth(ingress, settings) ? { ...settings.defaults, ...settings.globalAuth!.values } : (settings.defaults ?? {});
  const values = new AnnotationValues(ingress.metadata.annotations, settings.prefix, defaults);
  if (values.names().length === 0 && Object.keys(defaults).length === 0) return NONE;
  const draft: FeaturesDraft = {};
  const owner = { namespace: ingress.metadata.namespace, name: ingress.metadata.name };
  for (const group of GROUPS) group.read(values, draft, settings, owner);
  if (values.problems.some((problem) => problem.failClosed)) draft.denied = true;
  const features = isEmptyFeatures(draft) ? undefined : draft;
  const unknown = values.unread().filter((name) => !Object.hasOwn(SUPPORT, name));
  const { regex, target } = regexSettings(values);
  // Read again on fresh values: the group already reported its problems.
  const fresh = () => new AnnotationValues(ingress.metadata.annotations, settings.prefix);
  const canarySpec = canaryOf(fresh());
  const basicAuth = basicAuthOf(fresh(), owner.namespace);
  const clientAuth = clientAuthOf(fresh(), owner.namespace);
  const headers = customHeadersOf(fresh(), owner.namespace, settings.allowedResponseHeaders ?? []);
  // Read with the ConfigMap's defaults, as the groups read (a global ssl-redirect: "false" counts), on
  // fresh values: the redirects group already reported an invalid one.
  const withDefaults = new AnnotationValues(ingress.metadata.annotations, settings.prefix, defaults);
  const redirectOff = withDefaults.has('ssl-redirect') && withDefaults.bool('ssl-redirect') === false;
  // ssl-forbid-http answers 403 where the redirect would be: only while ssl-redirect is on.
  const sslForbid = !redirectOff && withDefaults.bool('ssl-forbid-http') === true;
  const forbidden = redirectOff || sslForbid || features?.httpForbidden !== undefined;
  return {
    ...(features ? { features } : {}),
    problems: values.problems,
    notices: values.notices,
    unknown,
    regex,
    ...(target !== undefined ? { rewriteTarget: target } : {}),
    ...(canarySpec ? { canary: canarySpec } : {}),
    ...(fresh().bool('ssl-passthrough') === true ? { passthrough: true, passthroughEnabled: settings.sslPassthrough === true } : {}),
    ...(basicAuth ? { basicAuth } : {}),
    ...(clientAuth ? { clientAuth } : {}),
    ...(headers ? { customHeaders: headers } : {}),
    ...(forbidden ? { sslRedirectOff: true } : {}),
    ...(sslForbid ? { sslForbid: true } : {}),
  };
}

const NONE: IngressAnnotations = { problems: [], notices: [], unknown: [], regex: false };

const remembered = new WeakMap<Ingress, { settings: AnnotationSettings; result: IngressAnnotations }>();

export function annotationsOf(ingress: Ingress, settings: AnnotationSettings): IngressAnnotations {
  const memo = remembered.get(ingress);
  if (memo && sameSettings(memo.settings, settings)) return memo.result;
  const result = readAnnotations(ingress, settings);
  remembered.set(ingress, { settings, result });
  return result;
}

function sameSettings(a: AnnotationSettings, b: AnnotationSettings): boolean {
  return a.prefix === b.prefix && a.allowSnippets === b.allowSnippets && a.defaults === b.defaults && a.redirectCode === b.redirectCode && a.sslPassthrough === b.sslPassthrough && a.globalAuth === b.globalAuth && a.allowedResponseHeaders === b.allowedResponseHeaders;
}

/** The field path of an annotation, as diagnostics name it. */
export function annotationField(settings: AnnotationSettings, name: string): string {
  return `metadata.annotations[${JSON.stringify(`${settings.prefix}/${name}`)}]`;
}
