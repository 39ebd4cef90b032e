// Remembered results for work that depends on one store object only.
//
// Store objects are immutable: a change replaces the object, it never
// mutates it. So a result computed from an object can be kept with the object
// (in a WeakMap, gone with it) and reused; it is exactly what recomputing
// would give. This keeps translate pure while making a translation of 10,000
// Ingresses cost little more than the parts that changed.

import type { Ingress } from '../objects/types.js';
import { memoizeByIdentity } from '../util/identity-memo.js';
import { checkIngress, type CheckResult } from './check.js';

const checked = memoizeByIdentity((ingress: Ingress) => checkIngress(ingress));
const checkedRegex = memoizeByIdentity((ingress: Ingress) => checkIngress(ingress, true));

export function checkedIngress(ingress: Ingress, regexPaths = false): CheckResult {
  return regexPaths ? checkedRegex(ingress) : checked(ingress);
}

/** creationTimestamp as milliseconds. */
export const ageOf: (ingress: Ingress) => number = memoizeByIdentity((ingress: Ingress) => Date.parse(ingress.metadata.creationTimestamp));
