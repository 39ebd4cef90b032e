// use-regex and rewrite-target. Both make every path of the Ingress's hosts
// a case-insensitive regular expression anchored at the start (host-wide,
// across Ingresses, as ingress-nginx does); routes.ts builds those levels.
// rewrite-target replaces the whole path when the route's pattern matches,
// so it is a feature per path: the group checks the target's grammar here
// and routes.ts attaches it to each path with that path's pattern.

import type { AnnotationGroup } from './group.js';
import { rewriteTarget } from '../regex.js';
import type { AnnotationValues } from './values.js';

export const rewrite: AnnotationGroup = {
  annotations: {
    'use-regex': { status: 'supported' },
    // Values outside the supported subset (nginx variables, full-URL targets) are refused, so an accepted one behaves as in ingress-nginx.
    'rewrite-target': { status: 'supported' },
    // nginx's rewrite_log writes a line per rewrite into its error log; HAProxy has no such log.
    'enable-rewrite-log': { status: 'ignored', note: 'no log line is written for a rewrite: HAProxy has no rewrite log (the rewrite itself is applied)', warn: true },
  },
  read(values) {
    values.bool('use-regex');
    values.bool('enable-rewrite-log'); // checked as ingress-nginx reads it, then ignored (with the warning of its note)
    const target = values.string('rewrite-target');
    if (target === undefined) return;
    const checked = rewriteTarget(target, 9);
    if (!checked.ok) values.problem('rewrite-target', checked.problem);
  },
};

/** Whether the Ingress's hosts match paths as regular expressions, and its rewrite target (checked by the group). */
export function regexSettings(values: AnnotationValues): { regex: boolean; target?: string } {
  const target = values.string('rewrite-target');
  return { regex: values.bool('use-regex') === true || target !== undefined, ...(target !== undefined ? { target } : {}) };
}
