// proxy-next-upstream, proxy-next-upstream-tries, proxy-next-upstream-timeout:
// which failed attempts nginx passes to another endpoint, and how often.
// ingress-nginx's defaults are `error timeout` and 3 tries; without either
// annotation the route keeps Portero's default (connection failures retried).

import { describe } from '../../objects/grammar.js';
import type { NextUpstream, RetryCondition } from '../../model/features.js';
import type { AnnotationGroup } from './group.js';

const CONDITIONS: readonly RetryCondition[] = ['error', 'timeout', 'invalid_header', 'http_500', 'http_502', 'http_503', 'http_504', 'http_403', 'http_404', 'http_429'];
const DEFAULT_CONDITIONS: readonly RetryCondition[] = ['error', 'timeout'];
const DEFAULT_TRIES = 3;

export const retries: AnnotationGroup = {
  annotations: {
    'proxy-next-upstream': { status: 'difference', note: 'http_429 is accepted but not retried (HAProxy cannot retry on 429); retries may land on the same endpoint when others are down' },
    'proxy-next-upstream-tries': { status: 'difference', note: '0 (no limit) is at most 16 retries' },
    'proxy-next-upstream-timeout': { status: 'ignored', note: 'HAProxy has no bound on the time of all attempts together; each attempt is bounded by proxy-connect-timeout and proxy-read-timeout' },
  },
  read(values, features) {
    const text = values.string('proxy-next-upstream');
    const tries = values.int('proxy-next-upstream-tries', 0, 100);
    values.int('proxy-next-upstream-timeout', 0, 86400);
    let on: RetryCondition[] | undefined;
    let nonIdempotent = false;
    if (text !== undefined) {
      const words = [...new Set(text.split(/[\s,]+/).filter((word) => word !== ''))];
      const bad = words.find((word) => word !== 'off' && word !== 'non_idempotent' && !CONDITIONS.includes(word as RetryCondition));
      if (bad !== undefined) {
        values.problem('proxy-next-upstream', `${describe(bad)} is not one of ${[...CONDITIONS, 'non_idempotent', 'off'].join(', ')}`);
        return;
      }
      if (words.includes('off') && words.length > 1) {
        values.problem('proxy-next-upstream', 'off cannot be combined with other values');
        return;
      }
      nonIdempotent = words.includes('non_idempotent');
      on = CONDITIONS.filter((condition) => words.includes(condition));
    }
    if (on === undefined && tries === undefined) return;
    const result: NextUpstream = { on: on ?? DEFAULT_CONDITIONS, tries: tries ?? DEFAULT_TRIES, nonIdempotent };
    features.nextUpstream = result;
  },
};
