// The access checks of a backend section, in the order of nginx's access
// phase: the source-address lists (allowlist/denylist-source-range), basic
// auth, external auth (auth-url). Pure.
//
// satisfy: all (the default): each check refuses on its own, in that order
// (source-lists.ts, basic-auth.ts, ext-auth.ts); with auth-signin, basic
// auth's refusal is the 302 to it, as nginx's `error_page 401` makes it.
//
// satisfy: any, with at least two of those checks: as nginx's `satisfy any`,
// the first check that lets the request in ends the checking, and the later
// ones do not run (no password is verified, no auth service is asked):
//   - the lists let a client in when an allowlist names it and the denylist
//     does not (nginx's access module: `deny`s, `allow`s, `deny all`); a
//     denylist alone lets nobody in, and the client it names still gets in
//     by authenticating, as in nginx, where it is one of the checks;
//   - basic auth, with valid credentials;
//   - external auth, with a 2xx answer.
// When none does, the answer is nginx's: 500 when the auth service failed
// (no answer, or a status other than 2xx, 401, 403); else 401 when basic auth
// or the auth service refused with 401 (a 302 to auth-signin when it is set,
// as nginx's `error_page 401`), with basic auth's challenge; else 403. A
// request let in never carries the client's own copy of the headers
// auth-response-headers names (as nginx's proxy_set_header with an empty
// variable), nor its Authorization header when basic auth is configured.
// Only sections with satisfy: any and two kinds of checks have these rules.

import { satisfiesAny, type Features } from '../../../model/features.js';
import type { Endpoint } from '../../../model/model.js';
import * as c from '../config-lines.js';
import { basicAuthChallenge, basicAuthCheck, basicAuthLines } from './basic-auth.js';
import { extAuthAskLine, extAuthRefusal, extAuthRequestLines, extAuthSignin, STATUS } from './ext-auth.js';
import { patternListPath, sourceListLines } from './source-lists.js';

/** Set once a check lets the request in. */
const GRANTED = 'txn.portero_access';

export interface AccessContext {
  /** The section's name: its pattern files of source addresses are named after it (source-lists.ts). */
  section: string;
  genDir: string;
  /** The auth service's endpoints, with features.externalAuth. */
  authEndpoints: readonly Endpoint[];
}

/** The rules of the access checks of a section serving `features`. */
export function accessLines(features: Features, context: AccessContext): string[] {
  if (!satisfiesAny(features)) {
    // nginx's `error_page 401` of auth-signin takes basic auth's 401 too: a 302 to the sign-in URL.
    const signin = features.basicAuth && features.externalAuth ? extAuthSignin(features.externalAuth) : undefined;
    return [
      ...sourceListLines(context.section, features, context.genDir),
      ...(features.basicAuth ? basicAuthLines(features.basicAuth, context.genDir, signin) : []),
      ...(features.externalAuth ? extAuthRequestLines(features.externalAuth, context.authEndpoints) : []),
    ];
  }
  const granted = c.fragment`{ var(${c.ident(GRANTED)}) -m bool }`;
  const grant = (condition: c.Safe) => c.line`  http-request set-var(${c.ident(GRANTED)}) bool(1) if ${condition}`;
  const lines: string[] = [];
  const { allowSources, denySources, basicAuth, externalAuth } = features;
  const list = (kind: 'allow' | 'deny') => c.filePath(`${context.genDir}/${patternListPath(context.section, kind)}`);
  if (denySources) lines.push(c.line`  acl portero_deny src -f ${list('deny')}`);
  if (allowSources) {
    lines.push(c.line`  acl portero_allow src -f ${list('allow')}`);
    lines.push(grant(denySources ? c.fragment`portero_allow !portero_deny` : c.fragment`portero_allow`));
  }
  if (basicAuth) {
    const check = basicAuthCheck(basicAuth, context.genDir, granted);
    lines.push(...check.lines);
    // One rule per way in, so that none is evaluated (a crypt hash computed) once the request is in.
    for (const accepted of check.accepted) lines.push(grant(c.fragment`!${granted} ${accepted}`));
  }
  if (externalAuth) {
    // Let in before the auth service is asked: the client's copies of the headers it would have set are dropped.
    for (const name of externalAuth.responseHeaders) lines.push(c.line`  http-request del-header ${c.headerName(name)} if ${granted}`);
    lines.push(extAuthAskLine(externalAuth, context.authEndpoints, granted));
    lines.push(grant(c.fragment`{ var(txn.portero_auth_status) -m int ge 200 } { var(txn.portero_auth_status) -m int lt 300 }`));
  }
  // Refused by every check. Each rule below answers, so the first that applies is the answer.
  const refused = c.fragment`if !${granted}`;
  if (externalAuth) lines.push(c.line`${extAuthRefusal(500, externalAuth)} ${refused} !{ ${STATUS} -m int 401 } !{ ${STATUS} -m int 403 }`);
  // Basic auth refuses with 401 whenever it runs and does not let in (nginx keeps a 401 over a 403).
  const unauthorized = basicAuth ? c.fragment`` : c.fragment` { ${STATUS} -m int 401 }`;
  const signin = externalAuth ? extAuthSignin(externalAuth) : undefined;
  if (signin !== undefined) lines.push(c.line`${signin} ${refused}${unauthorized}`);
  else if (basicAuth) {
    const challenge = c.fragment` hdr WWW-Authenticate ${c.basicChallenge(basicAuth.realm)}`;
    lines.push(c.line`${externalAuth ? extAuthRefusal(401, externalAuth, challenge) : basicAuthChallenge(basicAuth)} ${refused}`);
  } else if (externalAuth) lines.push(c.line`${extAuthRefusal(401, externalAuth)} ${refused}${unauthorized}`);
  // Without basic auth (so with the access lists and external auth), both refused with 403.
  if (!basicAuth && externalAuth) lines.push(c.line`${extAuthRefusal(403, externalAuth)} ${refused}`);
  if (basicAuth) lines.push('  http-request del-header Authorization');
  return lines;
}
