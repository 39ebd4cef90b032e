// Drops what Portero never reads from an object read off the API, before it
// is decoded and stored:
//
// - the `kubectl.kubernetes.io/last-applied-configuration` annotation (a JSON
//   copy of the whole object that `kubectl apply` writes). Decoding keeps
//   annotations (Portero reads some, e.g. kubernetes.io/ingress.class), so
//   without this every applied object would be held twice;
// - of a Namespace, everything but its name, identity and labels (only its
//   labels are read: allowedRoutes namespace selectors), so its annotations
//   are never even decoded;
// - the status of Gateway API objects, which routing never reads (the status
//   Portero writes is computed by translation).
//
// The client already cuts the annotation (and metadata.managedFields, which
// decoding leaves out anyway) from the bytes of list items and watch events
// before parsing them (src/kube/prune.ts); this is the safety net for an
// object that reached here another way. The object is one freshly parsed
// from a response: changing it is safe.

import { GATEWAY_KINDS, type Kind } from '../../objects/types.js';

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

type Json = Record<string, any>;

export function trimUnread(raw: Json): Json {
  if (raw.kind === 'Namespace') {
    const { name, uid, resourceVersion, creationTimestamp, labels } = (raw.metadata ?? {}) as Json;
    return { apiVersion: raw.apiVersion, kind: raw.kind, metadata: { name, uid, resourceVersion, creationTimestamp, labels } };
  }
  const annotations = raw.metadata?.annotations;
  if (typeof annotations === 'object' && annotations !== null && LAST_APPLIED in annotations) {
    // A new object rather than `delete`, which would leave a slow dictionary-mode one.
    const { [LAST_APPLIED]: _dropped, ...kept } = annotations as Json;
    raw.metadata.annotations = kept;
  }
  if (raw.status !== undefined && GATEWAY_KINDS.includes(raw.kind as Kind)) {
    const { status: _status, ...rest } = raw;
    return rest;
  }
  return raw;
}
