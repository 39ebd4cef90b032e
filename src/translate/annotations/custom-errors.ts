// custom-http-errors: answers of the Service with these statuses are
// replaced by what the Ingress's default-backend Service answers for them,
// as ingress-nginx does (an internal request with X-Code, X-Format, ...).
// The status stays the Service's: an error backend never turns a refusal
// into a success (ingress-nginx CVE-2026-24513). Without default-backend
// the annotation has nothing to ask and is refused. With
// proxy-intercept-errors: "false" or disable-proxy-intercept-errors: "true"
// the Service's answers go out as they are (nginx then replaces only its own
// errors, which Portero never replaces), so custom-http-errors does nothing.

import { describe } from '../../objects/grammar.js';
import type { AnnotationGroup } from './group.js';

export const customErrors: AnnotationGroup = {
  annotations: {
    'custom-http-errors': { status: 'difference', note: 'needs the default-backend annotation (the global --default-backend-service is not asked); the status stays the one of the Service' },
    'proxy-intercept-errors': { status: 'supported' },
    'disable-proxy-intercept-errors': { status: 'supported' },
  },
  read(values, features, _settings, owner) {
    // proxy-intercept-errors: "false" (or disable-proxy-intercept-errors: "true"): the Service's answers
    // are not replaced. Portero's custom errors replace nothing else, so custom-http-errors has no effect.
    const intercept = values.bool('proxy-intercept-errors');
    const disabled = values.bool('disable-proxy-intercept-errors');
    if (intercept === false || disabled === true) {
      values.list('custom-http-errors');
      return;
    }
    const list = values.list('custom-http-errors');
    if (list === undefined || list.length === 0) return;
    const codes: number[] = [];
    for (const item of list) {
      if (!/^[0-9]{3}$/.test(item) || Number(item) < 400 || Number(item) > 599) {
        values.problem('custom-http-errors', `${describe(item)} is not an error status (400-599)`);
        return;
      }
      codes.push(Number(item));
    }
    if (!values.has('default-backend')) {
      values.problem('custom-http-errors', 'needs the default-backend annotation: the Service that answers the errors');
      return;
    }
    features.customErrors = { codes: [...new Set(codes)].sort((a, b) => a - b), namespace: owner.namespace, ingress: owner.name };
  },
};
