// Diagnostics: what translate found wrong or surprising about one object.
// They name the object and the field, so a user can fix the right line; the
// controller logs them and, in Kubernetes mode, turns them into Events.

import { describeRef, type ObjectRef } from '../objects/types.js';

export type Severity = 'error' | 'warning';

export interface Diagnostic {
  /** `error`: the object (or the named part of it) was left out. `warning`: it is served, maybe not as intended. */
  severity: Severity;
  object: ObjectRef;
  /** Field path as Kubernetes names it, e.g. `spec.rules[0].http.paths[1].path`. */
  field?: string;
  message: string;
}

export function formatDiagnostic(diagnostic: Diagnostic): string {
  const where = diagnostic.field ? ` ${diagnostic.field}` : '';
  return `${describeRef(diagnostic.object)}${where}: ${diagnostic.message}`;
}

/** A stable identity for a diagnostic, used to report each one once rather than on every change. */
export function diagnosticKey(diagnostic: Diagnostic): string {
  return `${diagnostic.severity}|${formatDiagnostic(diagnostic)}`;
}
