// The ingress-nginx ConfigMap's TLS session keys and use-http2, read into
// data-plane globals (render-config.ts). Pure.
//
// - ssl-session-tickets (ingress-nginx default false, as Portero's): "true"
//   lets HAProxy issue session tickets (its bind option no-tls-tickets goes).
//   The ticket keys are HAProxy's own, made at start (ssl-session-ticket-key
//   is not read: a key in a ConfigMap is a secret in the clear).
// - ssl-session-cache (default true): "false" turns HAProxy's session cache
//   off (tune.ssl.cachesize 0). ssl-session-cache-size (nginx size, default
//   10m) sets its number of entries: nginx keeps about 4000 sessions a
//   megabyte. ssl-session-timeout (nginx time, default 10m) is HAProxy's
//   tune.ssl.lifetime.
// - use-http2 (default true): "false" offers only HTTP/1.1 by ALPN.
//
// Keys not set keep Portero's defaults (no tickets, HAProxy's cache of 20000
// sessions for 300 s, h2 offered).

import type { Reader } from './configmap.js';
import type { TlsSessionSettings } from '../model/globals.js';
import { parseNginxSize } from './annotations/values.js';

export const TLS_KEYS = ['ssl-session-tickets', 'ssl-session-cache', 'ssl-session-cache-size', 'ssl-session-timeout', 'use-http2'] as const;

/** Sessions nginx keeps per byte of shared cache (about 4000 a megabyte). */
const SESSIONS_PER_MEGABYTE = 4000;
const MAX_SESSIONS = 10_000_000;
const DAY = 86_400;
const TIME_UNITS: Readonly<Record<string, number>> = { '': 1, s: 1, m: 60, h: 3600, d: DAY };

/** An nginx time (`10m`, `300`, `1h`, `30s`) in seconds, or undefined. */
export function parseNginxSeconds(value: string): number | undefined {
  const match = /^([0-9]{1,7})([smhd]?)$/.exec(value.trim());
  if (!match) return undefined;
  return Number(match[1]) * TIME_UNITS[match[2]!]!;
}

export function readTlsSessions(reader: Reader): TlsSessionSettings | undefined {
  const out: { -readonly [K in keyof TlsSessionSettings]: TlsSessionSettings[K] } = {};
  if (reader.bool('ssl-session-tickets') === true) out.tickets = true;
  const cache = reader.bool('ssl-session-cache');
  const sizeValue = reader.raw('ssl-session-cache-size');
  if (sizeValue !== undefined) {
    const bytes = parseNginxSize(sizeValue);
    if (bytes === undefined || bytes < 1) reader.problem('ssl-session-cache-size', 'must be a size such as 10m or 512k');
    else if (cache === false) reader.note('ssl-session-cache-size', 'has no effect: ssl-session-cache is "false"');
    else out.cacheSessions = Math.min(MAX_SESSIONS, Math.max(1, Math.round((bytes / (1024 * 1024)) * SESSIONS_PER_MEGABYTE)));
  }
  if (cache === false) out.cacheOff = true;
  const timeout = reader.raw('ssl-session-timeout');
  if (timeout !== undefined) {
    const seconds = parseNginxSeconds(timeout);
    if (seconds === undefined || seconds < 1 || seconds > DAY) reader.problem('ssl-session-timeout', 'must be a time from 1s to 1d, such as 10m or 300');
    else out.lifetimeSeconds = seconds;
  }
  if (reader.bool('use-http2') === false) out.http1Only = true;
  return Object.keys(out).length > 0 ? out : undefined;
}
