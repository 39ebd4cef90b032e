// Checks an Ingress before it is translated: the API server's own rules (a
// real API server has applied them already, manifest files may not have) and
// Portero's stricter grammar for anything that will reach HAProxy.

import { formatPath, type FieldError } from '../objects/field-errors.js';
import * as grammar from '../objects/grammar.js';
import { refOf, type Ingress } from '../objects/types.js';
import { validateIngress } from '../objects/validate.js';
import type { Diagnostic } from './diagnostics.js';
import { PATH_PREFIX, safeRegex } from './regex.js';

// ImplementationSpecific paths that look like ingress-nginx regular expressions.
const REGEX_HINT = /[*+?^$()[\]{}|\\]|\.\*/;

export interface CheckResult {
  errors: FieldError[];
  warnings: FieldError[];
}

/**
 * `regexPaths`: the Ingress asks for regular expressions (use-regex or
 * rewrite-target), so its ImplementationSpecific paths are checked as
 * patterns of the subset translate/regex.ts accepts, as ingress-nginx (with
 * strict-validate-path-type) allows regular expressions only there.
 */
export function checkIngress(ingress: Ingress, regexPaths = false): CheckResult {
  const errors = validateIngress(ingress);
  const warnings: FieldError[] = [];
  ingress.spec.rules.forEach((rule, i) => {
    rule.http?.paths.forEach((entry, j) => {
      const at = ['spec', 'rules', i, 'http', 'paths', j, 'path'];
      if (regexPaths && entry.pathType === 'ImplementationSpecific') {
        const regex = safeRegex(entry.path, { anchoring: PATH_PREFIX });
        if (!regex.ok) errors.push({ path: at, message: `Invalid value: ${grammar.describe(entry.path)}: as a regular expression (use-regex) it ${regex.problem}` });
        return;
      }
      for (const problem of grammar.pathCharacters(entry.path)) {
        errors.push({ path: at, message: `Invalid value: ${grammar.describe(entry.path)}: ${problem}` });
      }
      if (entry.pathType === 'ImplementationSpecific' && REGEX_HINT.test(entry.path)) {
        warnings.push({
          path: at,
          message: `${grammar.describe(entry.path)} is matched as a literal element-wise prefix: Portero treats ImplementationSpecific as Prefix unless the Ingress sets the use-regex annotation`,
        });
      }
    });
  });
  return { errors, warnings };
}

export function checkDiagnostics(ingress: Ingress, result: CheckResult): Diagnostic[] {
  const object = refOf(ingress);
  const out: Diagnostic[] = [];
  for (const error of result.errors) {
    out.push({ severity: 'error', object, field: formatPath(error.path), message: `${error.message}; the Ingress is not served` });
  }
  for (const warning of result.warnings) {
    out.push({ severity: 'warning', object, field: formatPath(warning.path), message: warning.message });
  }
  return out;
}
