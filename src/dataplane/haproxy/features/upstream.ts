// What the endpoints receive (Host, Connection, X-Forwarded-Prefix), what is
// logged, and which failed attempts are retried on another endpoint.

import type { Features, NextUpstream, RetryCondition } from '../../../model/features.js';
import * as c from '../config-lines.js';

/** ingress-nginx sends X-Forwarded-Prefix only from locations that rewrite (rewrite-target). */
function rewrites(features: Features): boolean {
  return features.rewrite !== undefined;
}

/**
 * First of the backend's rules: the frontend raised every request to the
 * access log's level (render-config.ts); this silences the route's requests,
 * whatever later rules answer, as nginx's `access_log off` for the location.
 */
export function accessLogLines(features: Features): string[] {
  return features.accessLogOff ? ['  http-request set-log-level silent'] : [];
}

/** Request headers for the endpoints; after the rules that may answer instead. upstream-vhost's Host is read from settings.map (`upstreamHost`). */
export function upstreamHeaderLines(features: Features, upstreamHost: c.Safe): string[] {
  const lines: string[] = [];
  if (features.upstreamHost !== undefined) lines.push(c.line`  http-request set-header Host %[${upstreamHost}]`);
  if (features.connectionHeader !== undefined) lines.push(c.line`  http-request set-header Connection ${c.headerText(features.connectionHeader)}`);
  if (features.forwardedPrefix !== undefined && rewrites(features)) {
    lines.push(c.line`  http-request set-header X-Forwarded-Prefix '${c.logFormatText(features.forwardedPrefix)}'`);
  }
  return lines;
}

const RETRY_ON: Readonly<Record<RetryCondition, readonly string[]>> = {
  // nginx "error": connecting, sending or reading the response head failed.
  error: ['conn-failure', 'empty-response'],
  // nginx "timeout": connecting or reading the response head took too long.
  timeout: ['conn-failure', 'response-timeout'],
  invalid_header: ['empty-response', 'junk-response'],
  http_500: ['500'],
  http_502: ['502'],
  http_503: ['503'],
  http_504: ['504'],
  http_403: ['403'],
  http_404: ['404'],
  // HAProxy cannot retry on 429.
  http_429: [],
};
const KEYWORDS = ['conn-failure', 'empty-response', 'junk-response', 'response-timeout', '500', '502', '503', '504', '403', '404'];

/** nginx's unlimited tries (0) stop after this many retries. */
const MAX_RETRIES = 16;

export function retryLines(next: NextUpstream | undefined): string[] {
  if (!next) return [];
  const keywords = KEYWORDS.filter((keyword) => next.on.some((condition) => RETRY_ON[condition].includes(keyword)));
  const retries = next.tries === 0 ? MAX_RETRIES : next.tries - 1;
  if (keywords.length === 0 || retries === 0) return ['  retries 0', '  retry-on none'];
  return [
    c.line`  retries ${c.int(retries)}`,
    c.line`  retry-on ${c.join(keywords.map((keyword) => c.keyword(keyword, KEYWORDS)), ' ')}`,
    '  option redispatch 1',
    // nginx never sends a non-idempotent request twice unless told to;
    // HAProxy's connection-failure retries (request never sent) still apply.
    ...(next.nonIdempotent ? [] : ['  http-request disable-l7-retry if { method POST LOCK PATCH }']),
  ];
}
