// affinity: cookie and the session-cookie-* annotations: sticky sessions by a
// cookie that HAProxy inserts. The cookie's value identifies the endpoint (a
// hash of its address and port), so every Portero replica gives the same
// endpoint the same value, as ingress-nginx's replicas do.
//
// Differences, all documented: HAProxy's persistence behaves as
// `affinity-mode: persistent` (a new endpoint never takes over sticky
// clients) for both modes; the Path is `/` unless session-cookie-path is set
// (the backend is shared by all paths of the Ingress); Max-Age is used for
// session-cookie-expires too. Without session-cookie-secure the cookie is
// Secure on HTTPS requests, as in ingress-nginx (features/backend.ts).

import type { CookieAffinity } from '../../model/features.js';
import type { AnnotationGroup } from './group.js';
import { COOKIE_DOMAIN, COOKIE_NAME, COOKIE_PATH } from './grammars.js';
import type { AnnotationValues } from './values.js';

/** Ten years: longer lifetimes are almost certainly mistakes. */
const MAX_AGE = 10 * 365 * 86400;

const SAME_SITE: Readonly<Record<string, CookieAffinity['sameSite']>> = { none: 'None', lax: 'Lax', strict: 'Strict' };

function checked(values: AnnotationValues, name: string, grammar: RegExp, message: string, transform: (value: string) => string = (value) => value): string | undefined {
  const raw = values.string(name);
  if (raw === undefined) return undefined;
  const value = transform(raw);
  return grammar.test(value) ? value : values.problem(name, message);
}

function cookie(values: AnnotationValues): CookieAffinity {
  const name = checked(values, 'session-cookie-name', COOKIE_NAME, 'must be 1-64 letters, digits, _, . or -') ?? 'INGRESSCOOKIE';
  const path = checked(values, 'session-cookie-path', COOKIE_PATH, 'must be an absolute path of letters, digits, ., _, ~, - and /');
  const domain = checked(values, 'session-cookie-domain', COOKIE_DOMAIN, 'must be a DNS name, optionally with a leading dot', (value) => value.toLowerCase());
  const maxAge = values.int('session-cookie-max-age', 1, MAX_AGE);
  const expires = values.int('session-cookie-expires', 1, MAX_AGE);
  const sameSiteRaw = values.string('session-cookie-samesite');
  let sameSite: CookieAffinity['sameSite'];
  if (sameSiteRaw !== undefined) {
    sameSite = Object.hasOwn(SAME_SITE, sameSiteRaw.toLowerCase()) ? SAME_SITE[sameSiteRaw.toLowerCase()] : values.problem('session-cookie-samesite', 'must be None, Lax or Strict');
  }
  values.bool('session-cookie-conditional-samesite-none');
  const secure = values.bool('session-cookie-secure');
  const lifetime = maxAge ?? expires;
  return {
    name,
    ...(path !== undefined ? { path } : {}),
    ...(domain !== undefined ? { domain } : {}),
    ...(lifetime !== undefined ? { maxAgeSeconds: lifetime } : {}),
    ...(sameSite !== undefined ? { sameSite } : {}),
    ...(secure ? { secure } : {}),
  };
}

export const affinity: AnnotationGroup = {
  annotations: {
    affinity: { status: 'supported' },
    'affinity-mode': { status: 'difference', note: 'balanced behaves as persistent: sticky clients stay on their endpoint when endpoints are added' },
    'session-cookie-name': { status: 'supported' },
    'session-cookie-path': { status: 'difference', note: 'without it the cookie Path is / rather than the Ingress path' },
    'session-cookie-domain': { status: 'supported' },
    'session-cookie-max-age': { status: 'supported' },
    'session-cookie-expires': { status: 'difference', note: 'sent as Max-Age (the same lifetime) instead of an Expires date; session-cookie-max-age wins when both are set' },
    'session-cookie-samesite': { status: 'supported' },
    'session-cookie-secure': { status: 'supported' },
    'session-cookie-conditional-samesite-none': { status: 'difference', note: 'accepted; SameSite=None is sent to every client, including the old ones ingress-nginx leaves it out for' },
  },
  read(values, features) {
    const kind = values.string('affinity');
    const mode = values.string('affinity-mode');
    if (mode !== undefined && mode !== 'balanced' && mode !== 'persistent') values.problem('affinity-mode', 'must be balanced or persistent');
    // The cookie annotations are checked whether or not affinity is on, so a typo never waits to bite.
    const settings = cookie(values);
    if (kind === undefined) return;
    if (kind !== 'cookie') return void values.problem('affinity', 'must be cookie');
    features.affinity = settings;
  },
};
