// Remembered results for work that depends on one store object only.
//
// Store objects are immutable: a change replaces the object, it never
// mutates it. So a result computed from an object can be kept with the object
// (in a WeakMap, gone with it) and reused; it is exactly what recomputing
// would give. This keeps translate pure while making a translation of 10,000
// Ingresses cost little more than the parts that changed.

import type { Ingress } from '../objects/types.js';
import { checkIngress, type CheckResult } from './check.js';

const checks = new WeakMap<Ingress, CheckResult>();
const ages = new WeakMap<Ingress, number>();

export function checkedIngress(ingress: Ingress): CheckResult {
  let result = checks.get(ingress);
  if (!result) {
    result = checkIngress(ingress);
    checks.set(ingress, result);
  }
  return result;
}

/** creationTimestamp as milliseconds. */
export function ageOf(ingress: Ingress): number {
  let age = ages.get(ingress);
  if (age === undefined) {
    age = Date.parse(ingress.metadata.creationTimestamp);
    ages.set(ingress, age);
  }
  return age;
}
