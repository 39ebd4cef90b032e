// satisfy: `all` (the default) or `any`, as ingress-nginx's satisfy (nginx's
// `satisfy` directive): with `any`, a request passes when any one of the
// access checks of its location lets it in (the source-address lists, basic
// auth, external auth) instead of all of them. The data plane decides which
// checks a route has (features/access.ts); with fewer than two, `any` and
// `all` are the same rules. Like the other access-control annotations, an
// invalid value does not open the location: its paths answer 503.

import type { AnnotationGroup } from './group.js';

export const satisfy: AnnotationGroup = {
  annotations: {
    satisfy: { status: 'supported' },
  },
  read(values, features) {
    // ingress-nginx's validator: the two words, case-sensitive, spaces trimmed.
    const value = values.string('satisfy');
    if (value === undefined || value === 'all') return;
    if (value === 'any') features.satisfyAny = true;
    else values.problem('satisfy', 'must be all or any', { failClosed: true });
  },
};
