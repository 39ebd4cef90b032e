// Client-certificate authentication (auth-tls-*) → HAProxy 2.6. Pure.
//
// The handshake never fails over a certificate: a level that asks for one
// gets a crt-list line of its own, `[verify optional ca-file <CA> crl-file
// <CRL>] <host>`, and the bind line ignores every verification error
// (`ca-ignore-err all crt-ignore-err all`), so HTTP rules decide, with
// nginx's answers:
//
// - a request whose TLS server name (SNI) differs from its Host, on a level
//   that asks for certificates: 421, as nginx answers it (the certificate
//   was verified, if at all, for the other name);
// - verification failed: 400 (with `optional_no_ca`, only errors that say
//   the CA is unknown are tolerated, as nginx's ngx_ssl_verify_error_optional);
//   no certificate with `on`: 400; with auth-tls-error-page, a 302 there
//   instead of either 400;
// - auth-tls-match-cn: the subject DN (RFC 2253) must match, else 403;
// - then `ssl-client-verify` (SUCCESS, FAILED:<OpenSSL's reason>, NONE),
//   `ssl-client-subject-dn`, `ssl-client-issuer-dn` and, when asked,
//   `ssl-client-cert` (the URL-escaped PEM, byte for byte nginx's
//   $ssl_client_escaped_cert) are set; whatever the client sent under these
//   names is removed.
// Plain-HTTP requests to such a level are requests without a certificate.
//
// The level's settings come from one map lookup (client-auth.map: level →
// `<mode>:<flags>:<id>`), so the rules are the same whatever the number of
// hosts: a level without client authentication pays that lookup and a few
// checks of a variable that is not set. Per-level values are in files keyed
// by the settings' id: the error page URL (a map), the match-cn pattern (an
// ACL pattern file, `^<id>[|].*(?:<pattern>)` against `<id>|<DN>`).
//
// HAProxy 2.6 shares one TLS session cache among all names of a bind, and a
// TLS 1.3 session resumed under another name keeps the certificate verified
// there (lab: a session from a host trusting CA B, resumed with the SNI of a
// host trusting CA A, passed as verified). While any level asks for
// certificates the cache is off (`tune.ssl.cachesize 0`): no resumption.

import { createHash } from 'node:crypto';
import type { ClientAuth, ClientVerify, Model } from '../../../model/model.js';
import { memoizeByIdentity } from '../../../util/identity-memo.js';
import * as c from '../config-lines.js';
import { GENERATION_FILES } from '../layout.js';
import { NO_CA_ERRORS, UNKNOWN_VERIFY_ERROR, VERIFY_ERRORS } from './verify-errors.js';

/** One level's client authentication as a loaded configuration renders it (Capabilities.clientAuth). */
export interface ClientAuthRule {
  /** The level's key without `~`: a host, a `*.` wildcard, or `_` for rules without host. */
  level: string;
  verify: ClientVerify;
  /** A digest of the settings below but `level` and `certificate`: levels with the same settings share it. */
  id: string;
  /** With verify other than off: the certificate whose crt-list line serves the level's name (`default`: the default certificate). */
  certificate?: string;
  /** The CA bundle's id (its file in certs/), and the revocation list's. */
  ca: string;
  crl?: string;
  errorPage?: string;
  matchCn?: string;
  passCertificate: boolean;
}

/** The level key of a client-auth host (render-files.ts keys the host-less level `_`). */
function levelOf(host: string): string {
  return host === '' ? '_' : host;
}

/** The certificate HAProxy serves for a level's name: its own line, else its wildcard's, else the default (the certificate hosts of the model are the crt-list's SNI filters). */
function servingCertificate(model: Model, host: string): string {
  if (host === '') return 'default';
  const exact = model.certificates.find((certificate) => certificate.hosts.includes(host));
  if (exact) return exact.id;
  if (!host.startsWith('*.')) {
    const wildcard = `*.${host.split('.').slice(1).join('.')}`;
    const covering = model.certificates.find((certificate) => certificate.hosts.includes(wildcard));
    if (covering) return covering.id;
  }
  return 'default';
}

function settingsId(auth: ClientAuth): string {
  const settings = [auth.verify, auth.ca.id, auth.ca.crl?.id ?? '', auth.errorPage ?? '', auth.matchCn ?? '', auth.passCertificate];
  return createHash('sha256').update(JSON.stringify(settings)).digest('hex').slice(0, 12);
}

/** The client authentication rules of a model, sorted by level; empty without any. */
export const clientAuthRules: (model: Model) => readonly ClientAuthRule[] = memoizeByIdentity((model: Model): readonly ClientAuthRule[] =>
  (model.clientAuth ?? []).map((auth) => ({
    level: levelOf(auth.host),
    verify: auth.verify,
    id: settingsId(auth),
    ...(auth.verify !== 'off' ? { certificate: servingCertificate(model, auth.host) } : {}),
    ca: auth.ca.id,
    ...(auth.ca.crl ? { crl: auth.ca.crl.id } : {}),
    ...(auth.errorPage !== undefined ? { errorPage: auth.errorPage } : {}),
    ...(auth.matchCn !== undefined ? { matchCn: auth.matchCn } : {}),
    passCertificate: auth.passCertificate,
  })),
);

/** Whether some level asks clients for a certificate (the bind then ignores verification errors; HTTP rules decide). */
export function asksForCertificates(rules: readonly ClientAuthRule[]): boolean {
  return rules.some((rule) => rule.verify !== 'off');
}

/** A CA bundle's or revocation list's file, relative to the generation directory: next to the certificates, whose refusals are read the same way (refusals.ts). */
export function clientCaFile(id: string): string {
  return `${GENERATION_FILES.certsDir}/${c.ident(id).text}.pem`;
}

const MODES: Readonly<Record<ClientVerify, string>> = { on: 'on', optional: 'opt', optional_no_ca: 'nca', off: 'off' };

/** client-auth.map's value: `<mode>:<flags>:<id>`, flags `c` (match-cn), `e` (error page), `p` (pass the certificate). */
function mapValue(rule: ClientAuthRule): c.Safe {
  const flags = `${rule.matchCn !== undefined ? 'c' : ''}${rule.errorPage !== undefined ? 'e' : ''}${rule.passCertificate ? 'p' : ''}`;
  return c.ident(`${MODES[rule.verify]}:${flags}:${rule.id}`);
}

export interface ClientAuthFile {
  path: string;
  content: string;
  mode: number;
}

/** The files the rules read, and the CA bundles and revocation lists the crt-list names (mode 0600, as certificates). */
export function clientAuthFiles(model: Model): ClientAuthFile[] {
  const rules = clientAuthRules(model);
  if (rules.length === 0) return [];
  const files = new Map<string, ClientAuthFile>();
  for (const auth of model.clientAuth ?? []) {
    files.set(auth.ca.id, { path: clientCaFile(auth.ca.id), content: auth.ca.pem, mode: 0o600 });
    if (auth.ca.crl) files.set(auth.ca.crl.id, { path: clientCaFile(auth.ca.crl.id), content: auth.ca.crl.pem, mode: 0o600 });
  }
  const byId = new Map(rules.map((rule) => [rule.id, rule]));
  const levels = rules.map((rule) => ({ key: rule.level, value: mapValue(rule) }));
  const pages = [...byId.values()].filter((rule) => rule.errorPage !== undefined).map((rule) => ({ key: rule.id, value: c.urlValue(rule.errorPage!) }));
  const patterns = [...byId.values()].filter((rule) => rule.matchCn !== undefined).map((rule) => c.keyedPattern(rule.id, rule.matchCn!));
  const errors = VERIFY_ERRORS.map(([code, text]) => ({ key: String(code), value: c.mapText(text) }));
  return [
    ...files.values(),
    { path: GENERATION_FILES.clientAuthMap, content: c.mapFile(levels), mode: 0o644 },
    { path: GENERATION_FILES.clientAuthPages, content: c.mapFile(pages), mode: 0o644 },
    { path: GENERATION_FILES.clientAuthNames, content: c.patternFile(patterns), mode: 0o644 },
    { path: GENERATION_FILES.verifyErrors, content: c.mapFile(errors), mode: 0o644 },
  ];
}

const HAS = '{ var(txn.mtls) -m found }';
const ASKS = '!{ var(txn.mtls) -m beg off: }';
const flag = (letter: 'c' | 'e' | 'p') => c.fragment`{ var(txn.mtls),field(2,:) -m sub ${c.keyword(letter, ['c', 'e', 'p'])} }`;

/**
 * The rules of a frontend for the loaded client authentication, after the
 * level is known (and, on plain HTTP, after the redirect to HTTPS); none
 * without any.
 */
export function clientAuthFrontendLines(rules: readonly ClientAuthRule[], genDir: string, scheme: 'http' | 'https'): string[] {
  if (rules.length === 0) return [];
  const file = (name: string) => c.filePath(`${genDir}/${name}`);
  const verifyErrors = file(GENERATION_FILES.verifyErrors);
  const lines = [
    // The level's settings (one lookup for every request); every rule below concerns only levels that have some.
    c.line`  http-request set-var(txn.mtls) var(txn.level),ltrim(~),map_str(${file(GENERATION_FILES.clientAuthMap)})`,
    // Also spelled with underscores, which CGI-style backends read as the same names (nginx drops such headers by default).
    c.line`  http-request del-header ${c.regex('^ssl[-_]client[-_](cert|verify|subject[-_]dn|issuer[-_]dn)$')} -m reg if { var(txn.mtls) -m found }`,
  ];
  if (scheme === 'https') {
    lines.push(
      // nginx: a server that verifies certificates answers 421 to a request for another name than the TLS one.
      `  http-request set-var(txn.mtls_host) req.hdr(host),field(1,:),lower,regsub('[.]$','') if ${HAS} ${ASKS}`,
      `  http-request return status 421 content-type text/plain string "421 Misdirected Request" if { var(txn.mtls_host) -m found } { ssl_fc_sni -m found } !{ ssl_fc_sni,lower,strcmp(txn.mtls_host) eq 0 }`,
      // Verification failed: with optional_no_ca, only an unknown CA is tolerated.
      `  http-request set-var(txn.mtls_fail) str(certificate) if ${HAS} ${ASKS} !{ var(txn.mtls) -m beg nca: } { ssl_c_used } !{ ssl_c_verify 0 }`,
      c.line`  http-request set-var(txn.mtls_fail) str(certificate) if { var(txn.mtls) -m beg nca: } { ssl_c_used } !{ ssl_c_verify 0 ${c.join(NO_CA_ERRORS.map(c.int), ' ')} }`,
    );
  }
  lines.push(
    '  http-request set-var(txn.mtls_fail) str(none) if { var(txn.mtls) -m beg on: } !{ ssl_c_used }',
    c.line`  http-request redirect location %[var(txn.mtls),field(3,:),map_str(${file(GENERATION_FILES.clientAuthPages)})] code 302 if { var(txn.mtls_fail) -m found } ${flag('e')}`,
    '  http-request return status 400 content-type text/plain string "400 Bad Request: the SSL certificate error" if { var(txn.mtls_fail) -m str certificate }',
    '  http-request return status 400 content-type text/plain string "400 Bad Request: no required SSL certificate was sent" if { var(txn.mtls_fail) -m str none }',
  );
  if (scheme === 'https') lines.push(`  http-request set-var(txn.mtls_dn) ssl_c_s_dn(,0,rfc2253) if ${HAS} { ssl_c_used }`);
  lines.push(
    // auth-tls-match-cn: `<id>|<subject DN>` (no DN without a certificate) against the patterns of the levels' settings.
    c.line`  http-request set-var(txn.mtls_cn) var(txn.mtls),field(3,:),concat(|,txn.mtls_dn) if { var(txn.mtls) -m found } ${flag('c')}`,
    c.line`  http-request return status 403 content-type text/plain string "403 Forbidden: client certificate unauthorized" if { var(txn.mtls_cn) -m found } !{ var(txn.mtls_cn) -m reg -f ${file(GENERATION_FILES.clientAuthNames)} }`,
  );
  if (scheme === 'http') {
    lines.push(`  http-request set-header ssl-client-verify NONE if ${HAS}`);
    return lines;
  }
  lines.push(
    `  http-request set-header ssl-client-verify NONE if ${HAS} !{ ssl_c_used }`,
    `  http-request set-header ssl-client-verify SUCCESS if ${HAS} { ssl_c_used } { ssl_c_verify 0 }`,
    c.line`  http-request set-header ssl-client-verify FAILED:%[ssl_c_verify,map_int(${verifyErrors})] if { var(txn.mtls) -m found } { ssl_c_used } { ssl_c_verify,map_int(${verifyErrors}) -m found }`,
    c.line`  http-request set-header ssl-client-verify ${c.quoted(`FAILED:${UNKNOWN_VERIFY_ERROR}`)} if { var(txn.mtls) -m found } { ssl_c_used } !{ ssl_c_verify 0 } !{ ssl_c_verify,map_int(${verifyErrors}) -m found }`,
    '  http-request set-header ssl-client-subject-dn %[var(txn.mtls_dn)] if { var(txn.mtls_dn) -m found }',
    '  http-request set-header ssl-client-issuer-dn %[ssl_c_i_dn(,0,rfc2253)] if { var(txn.mtls_dn) -m found }',
    // nginx's $ssl_client_escaped_cert: the PEM (64 characters a line, each line ended by a newline), URL-escaped.
    `  http-request set-var(txn.mtls_cert) ssl_c_der,base64,'regsub("(.{1,64})","\\1 ",g)',url_enc,'regsub("%20","%0A",g)' if { var(txn.mtls_dn) -m found } ${flag('p').text}`,
    '  http-request set-header ssl-client-cert -----BEGIN%%20CERTIFICATE-----%%0A%[var(txn.mtls_cert)]-----END%%20CERTIFICATE-----%%0A if { var(txn.mtls_cert) -m found }',
  );
  return lines;
}
