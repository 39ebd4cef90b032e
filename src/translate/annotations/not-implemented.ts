// ingress-nginx annotations Portero knows but does not apply, each with the
// reason: an Ingress that carries one is served without it, with a warning
// that says why (translate.ts), and `portero migrate` reports it as ignored
// with the same reason. Values are not read: nothing here reaches HAProxy.

import type { AnnotationGroup, AnnotationSupport } from './group.js';

const RATE = 'the bandwidth is not limited: HAProxy 2.6 has no bandwidth limit (the bwlim filter came in 2.7)';

const ignored = (note: string): AnnotationSupport => ({ status: 'ignored', note, warn: true });

export const notImplemented: AnnotationGroup = {
  annotations: {
    'limit-rate': ignored(RATE),
    'limit-rate-after': ignored(RATE),
    'affinity-canary-behavior': ignored('session affinity does not keep a client on the canary: each request is decided by header, cookie and weight (as with affinity-canary-behavior: legacy)'),
    'session-cookie-change-on-failure': ignored('the affinity cookie is not rewritten when its endpoint fails; HAProxy sends the request to another endpoint and keeps the cookie'),
  },
  read() {},
};
