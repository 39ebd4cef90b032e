// Basic-auth credentials as ingress-nginx reads them from a Secret: an
// htpasswd file in key `auth` (auth-file), or one user per key with its hash
// as the value (auth-map). Parsed into user/hash pairs when the Secret is
// decoded, with strict grammars, so that nothing else of the Secret is ever
// stored and every value that later reaches HAProxy (a userlist line, a map
// file read by our Lua verifier) has passed a grammar here and again in
// dataplane/haproxy/config-lines.ts. Pure.

/** How a hash is verified in the data plane. */
export type HashKind = 'apr1' | 'sha' | 'ssha' | 'crypt';

export interface AuthUser {
  name: string;
  hash: string;
}

/** The users of one interpretation of a Secret, or why it cannot be used (never quoting a hash). */
export type AuthUsers = { users: readonly AuthUser[] } | { problem: string };

/** At most this many users per Secret; more is refused (the data plane renders each). */
export const MAX_USERS = 10_000;
const MAX_LINE = 1024;

/**
 * A user name: printable ASCII without `:` (the htpasswd separator), and
 * without quotes, backslash and `#`, which would need escaping in a config
 * line or a map file. Non-ASCII names are refused.
 */
export function isUserName(value: string): boolean {
  return /^[\x21\x24-\x26\x28-\x39\x3b-\x5b\x5d-\x7e]{1,255}$/.test(value);
}

const B64CRYPT = '[./0-9A-Za-z]';
const HASHES: readonly { pattern: RegExp; kind: HashKind }[] = [
  // Apache's MD5 (htpasswd's default): libxcrypt cannot verify it, our Lua does.
  { pattern: new RegExp(`^\\$apr1\\$${B64CRYPT}{0,8}\\$${B64CRYPT}{22}$`), kind: 'apr1' },
  { pattern: /^\{SHA\}[A-Za-z0-9+/]{27}=$/, kind: 'sha' },
  // Salted SHA-1: base64 of 20 digest bytes and a salt of 1 to 64 bytes.
  { pattern: /^\{SSHA\}[A-Za-z0-9+/]{28,116}={0,2}$/, kind: 'ssha' },
  // crypt(3) formats that HAProxy's userlists verify through libxcrypt.
  { pattern: new RegExp(`^\\$2[aby]\\$[0-9]{2}\\$${B64CRYPT}{53}$`), kind: 'crypt' },
  { pattern: new RegExp(`^\\$1\\$${B64CRYPT}{0,8}\\$${B64CRYPT}{22}$`), kind: 'crypt' },
  { pattern: new RegExp(`^\\$5\\$(?:rounds=[0-9]{1,9}\\$)?${B64CRYPT}{0,16}\\$${B64CRYPT}{43}$`), kind: 'crypt' },
  { pattern: new RegExp(`^\\$6\\$(?:rounds=[0-9]{1,9}\\$)?${B64CRYPT}{0,16}\\$${B64CRYPT}{86}$`), kind: 'crypt' },
  // Traditional DES crypt: two salt characters and eleven of hash.
  { pattern: new RegExp(`^${B64CRYPT}{13}$`), kind: 'crypt' },
];

/** How `hash` is verified, or undefined when Portero cannot verify it (`{PLAIN}`, unknown formats). */
export function hashKind(hash: string): HashKind | undefined {
  if (hash.length > 200) return undefined;
  return HASHES.find((entry) => entry.pattern.test(hash))?.kind;
}

/** Names the format of a refused hash without quoting it. */
function describeHash(hash: string): string {
  if (hash.startsWith('{PLAIN}')) return 'a {PLAIN} password, which Portero refuses to store';
  const scheme = /^(\$[A-Za-z0-9]{1,8}\$|\{[A-Z0-9]{1,8}\})/.exec(hash)?.[1];
  return scheme ? `a malformed or unsupported ${scheme} hash` : 'not a supported password hash';
}

/**
 * An htpasswd file: `user:hash` per line (a third `:comment` field is
 * ignored, as nginx does); blank lines and lines starting with `#` are
 * skipped. A user listed twice keeps its first line, as nginx reads the file
 * top down. Any other malformed line refuses the whole file: serving the
 * rest could lock out, or let in, someone the author did not mean to.
 */
export function parseHtpasswd(text: string): AuthUsers {
  const users: AuthUser[] = [];
  const seen = new Set<string>();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i += 1) {
    const line = lines[i]!.replace(/\r$/, '').trim();
    if (line === '' || line.startsWith('#')) continue;
    const where = `line ${i + 1}`;
    if (line.length > MAX_LINE) return { problem: `${where} is longer than ${MAX_LINE} characters` };
    const [name = '', hash = ''] = line.split(':');
    if (!isUserName(name)) return { problem: `${where}: the user name must be printable ASCII without spaces, quotes, backslash, '#' or ':'` };
    if (hashKind(hash) === undefined) return { problem: `${where}: user ${JSON.stringify(name)} has ${describeHash(hash)}` };
    if (seen.has(name)) continue;
    seen.add(name);
    users.push({ name, hash });
    if (users.length > MAX_USERS) return { problem: `more than ${MAX_USERS} users` };
  }
  return { users };
}

/** auth-map: every key is a user and its value the hash. Keys in sorted order. */
export function parseAuthMap(entries: Readonly<Record<string, string>>): AuthUsers {
  const users: AuthUser[] = [];
  for (const name of Object.keys(entries).sort()) {
    const hash = entries[name]!.trim();
    if (!isUserName(name)) return { problem: `key ${JSON.stringify(name.slice(0, 64))}: the user name must be printable ASCII without spaces, quotes, backslash, '#' or ':'` };
    if (hashKind(hash) === undefined) return { problem: `key ${JSON.stringify(name)}: ${describeHash(hash)}` };
    users.push({ name, hash });
    if (users.length > MAX_USERS) return { problem: `more than ${MAX_USERS} users` };
  }
  return { users };
}
