// Basic authentication (auth-type: basic) → HAProxy 2.6. Pure.
//
// Each set of users (a Secret's, per realm) is checked in two ways, by
// hash format:
// - crypt(3) hashes (bcrypt, `$1$`, `$5$`, `$6$`, DES) by HAProxy itself:
//   a `userlist` section and `http_auth(<userlist>)`;
// - `$apr1$` (htpasswd's default, which libxcrypt cannot verify), `{SHA}`
//   and `{SSHA}` by our Lua action (basic-auth-lua.ts), given the user's
//   hash from a map file of the generation (user → hash, mode 0600): values
//   reach Lua only through that file.
// A request that neither accepts gets 401 with the realm, answered by the
// proxy; an accepted one loses its Authorization header before it is
// forwarded, as in ingress-nginx. Only backends whose routes ask for basic
// auth have these rules; the Lua file is loaded only when some backend
// needs it.

import { createHash } from 'node:crypto';
import type { AuthUser, BasicAuth, Features } from '../../../model/features.js';
import { hashKind, type HashKind } from '../../../objects/htpasswd.js';
import * as c from '../config-lines.js';
import { BASIC_AUTH_ACTION, BASIC_AUTH_LUA } from './basic-auth-lua.js';

const HASH_VAR = 'txn.portero_auth_hash';
const OK_VAR = 'txn.portero_auth_ok';
const KEY_VAR = 'txn.portero_auth_key';
const KNOWN_VAR = 'txn.portero_auth_known';

/**
 * Credentials the Lua verifier accepted since HAProxy loaded the
 * configuration, as hex SHA-256 of `password|hash` (never the password):
 * a returning user is accepted by a map lookup, without running Lua (an
 * action costs about as much as the rest of the request, and `$apr1$` a
 * thousand MD5 rounds besides). Entries are added with `set-map` by the
 * rules, so the map differs from its (empty) file by design; it is
 * neither synced nor audited. A hash changed or removed in the Secret
 * is another key or none, so an old password stops working at once; a
 * refused password is never added. It holds at most one entry per user
 * and password that got in, until the next reload starts it afresh.
 */
export const ACCEPTED_MAP = 'auth-accepted.map';

/** Generation files of basic auth (relative to the generation directory). */
export const BASIC_AUTH_LUA_FILE = 'portero-auth.lua';
const MAP_DIR = 'auth';

/** A name for one set of users: equal users of one Secret, one userlist and one map, whichever backends use them. */
function usersId(auth: BasicAuth): string {
  const digest = createHash('sha256').update(JSON.stringify([auth.secret, auth.users.map((user) => [user.name, user.hash])])).digest('hex');
  return digest.slice(0, 16);
}

function userlistName(auth: BasicAuth): c.Safe {
  return c.ident(`portero:auth:${usersId(auth)}`);
}

function mapPath(auth: BasicAuth): string {
  return `${MAP_DIR}/${usersId(auth)}.map`;
}

/** A hash of no format Portero verifies never reaches the data plane (translate refuses it); if one did, nothing is rendered. */
function kindOf(user: AuthUser): HashKind {
  const kind = hashKind(user.hash);
  if (kind === undefined) throw new c.UnsafeValueError('refusing to render a password hash of an unknown format');
  return kind;
}

const isCrypt = (user: AuthUser) => kindOf(user) === 'crypt';
const isLua = (user: AuthUser) => !isCrypt(user);

/**
 * The rules that verify a request's credentials, and the conditions of which
 * any one holds when they are valid (none: nobody gets in, as with an empty
 * htpasswd file in nginx). With `unless`, a condition that holds when the
 * request needs no check (satisfy: any, features/access.ts), the
 * verification is skipped then: no Lua runs, no map is read.
 */
export function basicAuthCheck(auth: BasicAuth, genDir: string, unless?: c.Safe): { lines: string[]; accepted: c.Safe[] } {
  const lines: string[] = [];
  const accepted: c.Safe[] = [];
  if (auth.users.some(isCrypt)) accepted.push(c.fragment`{ http_auth(${userlistName(auth)}) }`);
  if (auth.users.some(isLua)) {
    const map = c.filePath(`${genDir}/${mapPath(auth)}`);
    const acceptedMap = c.filePath(`${genDir}/${ACCEPTED_MAP}`);
    const [hash, key, known, ok] = [HASH_VAR, KEY_VAR, KNOWN_VAR, OK_VAR].map(c.ident) as [c.Safe, c.Safe, c.Safe, c.Safe];
    // The rules after the first run only when it found the user's hash.
    const skip = unless ? c.fragment` !${unless}` : c.fragment``;
    lines.push(
      c.line`  http-request set-var(${hash}) http_auth_user,map_str(${map}) if { http_auth_type -m str -i basic }${skip}`,
      // The hash holds no `|`, so `password|hash` names one pair.
      c.line`  http-request set-var(${key}) http_auth_pass,concat(|,${hash}),sha2(256),hex if { var(${hash}) -m found }`,
      c.line`  http-request set-var(${known}) bool(1) if { var(${key}),map_str(${acceptedMap}) -m found }`,
      c.line`  http-request lua.${c.ident(BASIC_AUTH_ACTION)} if { var(${hash}) -m found } !{ var(${known}) -m bool }`,
      c.line`  http-request set-map(${acceptedMap}) %[var(${key})] 1 if { var(${ok}) -m bool }`,
    );
    accepted.push(c.fragment`{ var(${known}) -m bool }`, c.fragment`{ var(${ok}) -m bool }`);
  }
  return { lines, accepted };
}

/** The 401 answer of basic auth, without its condition; `extra`: more `hdr` arguments. */
export function basicAuthChallenge(auth: BasicAuth, extra: c.Safe = c.fragment``): c.Safe {
  return c.fragment`  http-request return status 401 content-type text/plain string "401 Unauthorized" hdr WWW-Authenticate ${c.basicChallenge(auth.realm)}${extra}`;
}

/**
 * The rules of a backend section with basic auth; `genDir` is where the
 * generation's files live. `refusal`: the answer without valid credentials,
 * without its condition; by default the 401 with the realm's challenge.
 */
export function basicAuthLines(auth: BasicAuth, genDir: string, refusal: c.Safe = basicAuthChallenge(auth)): string[] {
  const { lines, accepted } = basicAuthCheck(auth, genDir);
  // Either check may accept: `unless A || B`.
  let condition: c.Safe | undefined;
  for (const check of accepted) condition = condition ? c.fragment`${condition} || ${check}` : check;
  const unless = condition ? c.fragment` unless ${condition}` : c.fragment``;
  lines.push(c.line`${refusal}${unless}`, '  http-request del-header Authorization');
  return lines;
}

function authsOf(features: readonly (Features | undefined)[]): BasicAuth[] {
  const byId = new Map<string, BasicAuth>();
  for (const auth of features.map((f) => f?.basicAuth)) if (auth) byId.set(usersId(auth), auth);
  return [...byId.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, auth]) => auth);
}

/** The userlist sections of the backends with `features`, once per set of users. */
export function basicAuthUserlists(features: readonly (Features | undefined)[]): string[] {
  const lines: string[] = [];
  for (const auth of authsOf(features)) {
    const users = auth.users.filter(isCrypt);
    if (users.length === 0) continue;
    lines.push(c.line`userlist ${userlistName(auth)}`, ...users.map((user) => c.line`  user ${c.authUser(user.name)} password ${c.authCryptHash(user.hash)}`), '');
  }
  return lines;
}

/** Whether the Lua verifier must be loaded for the backends with `features`. */
export function needsBasicAuthLua(features: readonly (Features | undefined)[]): boolean {
  return features.some((f) => f?.basicAuth?.users.some(isLua));
}

export interface AuthFile {
  path: string;
  content: string;
  mode: number;
}

/** The map files (user → hash, for the Lua verifier) and the Lua file the backends with `features` need. */
export function basicAuthFiles(features: readonly (Features | undefined)[]): AuthFile[] {
  const files: AuthFile[] = [];
  for (const auth of authsOf(features)) {
    const users = auth.users.filter(isLua);
    if (users.length === 0) continue;
    const entries = users.map((user) => ({ key: c.authUserKey(user.name), value: c.authHash(user.hash, ['apr1', 'sha', 'ssha']) }));
    files.push({ path: mapPath(auth), content: c.mapFile(entries), mode: 0o600 });
  }
  if (needsBasicAuthLua(features)) files.push({ path: BASIC_AUTH_LUA_FILE, content: BASIC_AUTH_LUA, mode: 0o644 }, { path: ACCEPTED_MAP, content: '', mode: 0o600 });
  return files;
}
