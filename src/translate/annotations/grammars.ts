// Grammars shared by the backend annotations (backend-protocol, affinity,
// upstream-hash-by): the values they accept are exactly those that
// config-lines.ts renders, so a value that passes here never fails there.

/** A DNS name of lowercase labels, no wildcard (proxy-ssl-name). */
export const SERVER_NAME = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$/;

/** A cookie domain: a DNS name, optionally with a leading dot (session-cookie-domain). */
export const COOKIE_DOMAIN = /^\.?(?=.{1,253}$)[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$/;

/** A cookie name: letters, digits, `_`, `.`, `-` (a subset of RFC 6265's token that needs no quoting anywhere). */
export const COOKIE_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

/** A cookie path: an absolute path of unreserved characters and `/` (no `;`, quotes, spaces or `%`). */
export const COOKIE_PATH = /^\/[A-Za-z0-9._~\/-]{0,255}$/;

/** A request header name (RFC 9110 token letters, digits and `-`). */
export const HEADER_NAME = /^[A-Za-z0-9-]{1,64}$/;

/** A query parameter name. */
export const PARAM_NAME = /^[A-Za-z0-9_.-]{1,64}$/;
