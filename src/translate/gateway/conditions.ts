// Conditions as the Gateway API writes them, and the small helpers every
// module of this stage shares. Reasons are the API's own constants
// (apis/v1 gatewayclass_types.go, gateway_types.go, shared_types.go).

import type { Condition } from '../../objects/gateway-types.js';
import type { ObjectMeta } from '../../objects/types.js';
import { describe } from '../../objects/grammar.js';
import { memoizeByIdentity } from '../../util/identity-memo.js';

export const DEFAULT_CONTROLLER_NAME = 'portero.dev/gateway-controller';

/** A condition for an object of this generation; lastTransitionTime is the writer's. */
export function condition(meta: ObjectMeta, type: string, status: boolean, reason: string, message: string): Condition {
  const out: Condition = { type, status: status ? 'True' : 'False', reason, message };
  if (meta.generation !== undefined) out.observedGeneration = meta.generation;
  return out;
}

/** `namespace/name`. */
export function nameOf(meta: ObjectMeta): string {
  return meta.namespace === '' ? meta.name : `${meta.namespace}/${meta.name}`;
}

// Parsed once per object: sorting 10,000 routes would otherwise parse each timestamp about 28 times.
const createdAt = memoizeByIdentity((meta: ObjectMeta) => Date.parse(meta.creationTimestamp));

/** Creation time, then namespace/name: the API's tie-break between routes. */
export function compareAge(a: ObjectMeta, b: ObjectMeta): number {
  const at = createdAt(a);
  const bt = createdAt(b);
  if (at !== bt && !Number.isNaN(at) && !Number.isNaN(bt)) return at - bt;
  const ak = nameOf(a);
  const bk = nameOf(b);
  return ak < bk ? -1 : ak > bk ? 1 : 0;
}

export function compareNames(a: ObjectMeta, b: ObjectMeta): number {
  const ak = nameOf(a);
  const bk = nameOf(b);
  return ak < bk ? -1 : ak > bk ? 1 : 0;
}

/** A value from an object, quoted and shortened for a message. */
export const quote = describe;

/** Messages joined, at most `max` of them (condition messages are limited to 32 KiB by the API; keep them readable). */
export function joinMessages(messages: readonly string[], max = 8): string {
  const shown = messages.slice(0, max).join('; ');
  return messages.length > max ? `${shown}; and ${messages.length - max} more` : shown;
}
