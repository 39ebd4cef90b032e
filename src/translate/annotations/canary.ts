// Canaries: an Ingress with `canary: "true"` adds an alternative backend to
// the routes of the non-canary Ingresses with the same host, path and path
// type, chosen per request as ingress-nginx chooses it: by header, then by
// cookie, then by weight. The group checks the values; routes.ts attaches
// the canary to the routes (canaryOf below).

import type { AnnotationGroup } from './group.js';
import { safeRegex, SEARCH } from '../regex.js';
import type { AnnotationValues } from './values.js';

/** What a canary Ingress asks, checked. */
export interface CanarySpec {
  header?: string;
  headerValue?: string;
  /** In the subset of translate/regex.ts. */
  headerPattern?: string;
  cookie?: string;
  /** canary-weight out of weightTotal. */
  weight: number;
  weightTotal: number;
}

const NAME = /^[A-Za-z0-9_.-]{1,128}$/;
/** A header value matched literally: printable ASCII without spaces, quotes or backslashes. */
const VALUE = /^[\x21\x23-\x26\x28-\x5b\x5d-\x7e]{1,1024}$/;

function name(values: AnnotationValues, annotation: string): string | undefined {
  const value = values.string(annotation);
  if (value === undefined) return undefined;
  return NAME.test(value) ? value : values.problem(annotation, 'must be a header or cookie name (letters, digits, - _ .)');
}

export function canaryOf(values: AnnotationValues): CanarySpec | undefined {
  if (values.bool('canary') !== true) return undefined;
  const header = name(values, 'canary-by-header');
  const headerValue = values.string('canary-by-header-value');
  const pattern = values.string('canary-by-header-pattern');
  const cookie = name(values, 'canary-by-cookie');
  const weightTotal = values.int('canary-weight-total', 1, 1_000_000) ?? 100;
  const weight = values.int('canary-weight', 0, 1_000_000) ?? 0;
  if (weight > weightTotal) values.problem('canary-weight', `must not be more than canary-weight-total (${weightTotal})`);
  const spec: CanarySpec = { weight: Math.min(weight, weightTotal), weightTotal };
  if (header !== undefined) spec.header = header;
  if (headerValue !== undefined) {
    if (!VALUE.test(headerValue)) values.problem('canary-by-header-value', 'must be printable characters without spaces, quotes or backslashes');
    else spec.headerValue = headerValue;
  } else if (pattern !== undefined) {
    const regex = safeRegex(pattern, { anchoring: SEARCH });
    if (!regex.ok) values.problem('canary-by-header-pattern', `as a regular expression it ${regex.problem}`);
    // The subset drops a leading ^ (made for paths, which are anchored anyway); a header is searched, so the ^ is kept.
    else spec.headerPattern = pattern.startsWith('^') ? `^${regex.pattern}` : regex.pattern;
  }
  if (cookie !== undefined) spec.cookie = cookie;
  return spec;
}

export const canary: AnnotationGroup = {
  annotations: {
    canary: { status: 'supported' },
    'canary-by-header': { status: 'supported' },
    'canary-by-header-value': { status: 'supported' },
    // Patterns outside the regular-expression subset of use-regex paths are refused.
    'canary-by-header-pattern': { status: 'supported' },
    'canary-by-cookie': { status: 'supported' },
    'canary-weight': { status: 'supported' },
    'canary-weight-total': { status: 'supported' },
  },
  read(values) {
    canaryOf(values);
  },
};
