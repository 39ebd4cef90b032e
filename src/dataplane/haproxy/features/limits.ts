// limit-* and from-to-www-redirect → HAProxy 2.6 rules. Pure.
//
// Limits (per client source address, per replica, refused with 503):
// - each limit has a stick table of its own, in a backend section that holds
//   only the table (a table stores a single request-rate period, so rpm and
//   rps cannot share one). The tables are named from the Ingress (the zone),
//   not from the featured backend, so that every path of one Ingress shares
//   the counters even when its paths go to several Services, as nginx's zone
//   per Ingress does; another Ingress never shares them;
// - tables are `type ipv6`: IPv4 clients are stored as mapped addresses; a
//   `type ip` table would silently not track IPv6 clients;
// - connections: `conn_cur` of a table tracked by an `http-request` rule
//   counts the requests of the client in progress (each HTTP request is a
//   stream of its own, and the tracking ends with it), which is what nginx's
//   limit_conn counts;
// - rates: a sliding window of `multiplier` periods admits at most
//   `rate × multiplier` requests of a client. Only admitted requests count
//   (gpc0 is incremented after every check passed, as nginx's leaky bucket
//   is not charged for a refused request), so a client that keeps sending
//   too fast still gets its share. Unlike nginx's bucket, which refills one
//   request every 1/rate, the window frees its slots as they age out of it;
//   the burst and the long-run rate are the same.
// Order as in nginx: connections, then rpm, then rps; exempt clients
// (limit-whitelist) are never tracked.

import { createHash } from 'node:crypto';
import type { Features, HostRedirect, Limits } from '../../../model/features.js';
import * as c from '../config-lines.js';

/** Entries per table: clients beyond this push out the least recently seen. */
const TABLE_SIZE = '100k';

type LimitKind = 'conn' | 'rpm' | 'rps';

/** The stick counter of each kind: HAProxy 2.6 has sc0, sc1 and sc2. */
const COUNTER: Readonly<Record<LimitKind, number>> = { conn: 0, rpm: 1, rps: 2 };
const PERIOD_SECONDS: Readonly<Record<'rpm' | 'rps', number>> = { rpm: 60, rps: 1 };

/** The section holding the table of one kind of limit of one zone (Ingress). */
export function limitTableName(zone: string, kind: LimitKind): c.Safe {
  const digest = createHash('sha256').update(zone).digest('hex').slice(0, 12);
  return c.ident(`portero:limit:${digest}:${kind}`);
}

function kindsOf(limits: Limits): LimitKind[] {
  const kinds: LimitKind[] = [];
  if (limits.connections !== undefined) kinds.push('conn');
  if (limits.rpm !== undefined) kinds.push('rpm');
  if (limits.rps !== undefined) kinds.push('rps');
  return kinds;
}

function windowSeconds(limits: Limits, kind: 'rpm' | 'rps'): number {
  return PERIOD_SECONDS[kind] * limits.burstMultiplier;
}

/**
 * The rules of a backend section with `limits`. The counts are read from
 * settings.map (`setting`, features/settings.ts), so that a new count is a
 * map entry, not a reload; only requests of tracked clients pay for the
 * lookup. The window (the multiplier) belongs to the table and reloads.
 * The exempt clients (limit-whitelist) are the section's pattern file
 * `exemptFile`.
 */
export function limitLines(limits: Limits, setting: (name: 'limit-conn' | 'limit-rpm' | 'limit-rps') => c.Safe, exemptFile: c.Safe): string[] {
  const exempt = limits.exempt && limits.exempt.length > 0;
  const unlessExempt = exempt ? c.fragment` if !portero_limit_exempt` : c.fragment``;
  // limit-whitelist is a pattern file of the section (source-lists.ts): a new list is `add acl` / `del acl`, not a reload.
  const lines = exempt ? [c.line`  acl portero_limit_exempt src -f ${exemptFile}`] : [];
  const kinds = kindsOf(limits);
  for (const kind of kinds) {
    lines.push(c.line`  http-request track-sc${c.int(COUNTER[kind])} src table ${limitTableName(limits.zone, kind)}${unlessExempt}`);
  }
  // An exempt client has no tracked counter: its fetch finds nothing and the deny does not apply.
  const tracked = exempt ? c.fragment` !portero_limit_exempt` : c.fragment``;
  if (limits.connections !== undefined) {
    // The counts are rendered into settings.map (settings.ts); checked here too, so that no rule reads a count that could not be written.
    c.int(limits.connections);
    lines.push(c.line`  http-request set-var(txn.portero_limit) ${setting('limit-conn')}${unlessExempt}`);
    lines.push(c.line`  http-request deny deny_status 503 if${tracked} { sc_conn_cur(${c.int(COUNTER.conn)}),sub(txn.portero_limit) gt 0 }`);
  }
  const rates = kinds.filter((kind): kind is 'rpm' | 'rps' => kind !== 'conn');
  for (const kind of rates) {
    c.int(limits[kind]! * limits.burstMultiplier);
    lines.push(c.line`  http-request set-var(txn.portero_limit) ${setting(kind === 'rpm' ? 'limit-rpm' : 'limit-rps')}${unlessExempt}`);
    lines.push(c.line`  http-request deny deny_status 503 if${tracked} { sc_gpc0_rate(${c.int(COUNTER[kind])}),sub(txn.portero_limit) ge 0 }`);
  }
  // Charged only once every check passed: a refused request costs nothing.
  for (const kind of rates) lines.push(c.line`  http-request sc-inc-gpc0(${c.int(COUNTER[kind])})${unlessExempt}`);
  return lines;
}

function tableSection(limits: Limits, kind: LimitKind): string[] {
  const name = limitTableName(limits.zone, kind);
  if (kind === 'conn') {
    return [c.line`backend ${name}`, c.line`  stick-table type ipv6 size ${c.keyword(TABLE_SIZE, [TABLE_SIZE])} expire 1m store conn_cur`, ''];
  }
  const window = windowSeconds(limits, kind);
  // An entry outlives its window, so that a rate never forgets requests still inside it.
  return [c.line`backend ${name}`, c.line`  stick-table type ipv6 size ${c.keyword(TABLE_SIZE, [TABLE_SIZE])} expire ${c.duration(`${2 * window}s`)} store gpc0_rate(${c.duration(`${window}s`)})`, ''];
}

/**
 * The table sections the backends with `features` need, once per zone and
 * kind. Features of one zone come from one Ingress, so they agree.
 */
export function limitTableSections(features: readonly (Features | undefined)[]): string[] {
  const seen = new Set<string>();
  const lines: string[] = [];
  for (const limits of features.map((f) => f?.limits)) {
    if (!limits) continue;
    for (const kind of kindsOf(limits)) {
      const name = limitTableName(limits.zone, kind).text;
      if (seen.has(name)) continue;
      seen.add(name);
      lines.push(...tableSection(limits, kind));
    }
  }
  return lines;
}

export interface RedirectPorts {
  httpPort: number;
  httpsPort: number;
}

/**
 * from-to-www-redirect: the same scheme, the other host, the port the
 * client used when it is not the scheme's default, and the path and query
 * with one trailing `/` removed, as ingress-nginx does.
 */
export function hostRedirectLines(redirect: HostRedirect, ports: RedirectPorts): string[] {
  const host = c.hostName(redirect.host);
  const code = c.keyword(String(redirect.code), ['301', '302', '303', '307', '308']);
  const https = ports.httpsPort === 443 ? host : c.fragment`${host}:${c.port(ports.httpsPort)}`;
  const http = ports.httpPort === 80 ? host : c.fragment`${host}:${c.port(ports.httpPort)}`;
  return [
    c.line`  http-request redirect code ${code} location 'https://${https}%[pathq,regsub(/$,)]' if { ssl_fc }`,
    c.line`  http-request redirect code ${code} location 'http://${http}%[pathq,regsub(/$,)]' if !{ ssl_fc }`,
  ];
}
