// Drops the `kubectl.kubernetes.io/last-applied-configuration` annotation (a
// JSON copy of the whole object that `kubectl apply` writes) from an object
// read off the API, before it is decoded and stored. Decoding keeps
// annotations (Portero reads some, e.g. kubernetes.io/ingress.class), so
// without this every applied object would be held twice.
//
// The client already cuts it (and metadata.managedFields, which decoding
// leaves out anyway) from the bytes of list items and watch events before
// parsing them (src/kube/prune.ts); this is the safety net for an object that
// reached here another way. The object is one freshly parsed from a
// response: changing it is safe.

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

type Json = Record<string, any>;

export function trimUnread(raw: Json): Json {
  const annotations = raw.metadata?.annotations;
  if (typeof annotations === 'object' && annotations !== null && LAST_APPLIED in annotations) {
    // A new object rather than `delete`, which would leave a slow dictionary-mode one.
    const { [LAST_APPLIED]: _dropped, ...kept } = annotations as Json;
    raw.metadata.annotations = kept;
  }
  return raw;
}
