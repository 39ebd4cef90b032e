// Drops, from an object read off the API, the parts Portero never reads and
// that are large, before it is decoded and stored:
// - metadata.managedFields (server-side field tracking: often larger than the
//   object itself; decode leaves it out anyway, so this only frees it sooner);
// - the `kubectl.kubernetes.io/last-applied-configuration` annotation, a JSON
//   copy of the whole object that `kubectl apply` writes. Decoding keeps
//   annotations (Portero reads some, e.g. kubernetes.io/ingress.class), so
//   without this every applied object would be held twice.
// The object is one freshly parsed from a response: changing it is safe.

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

type Json = Record<string, any>;

export function trimUnread(raw: Json): Json {
  const metadata = raw.metadata;
  if (typeof metadata !== 'object' || metadata === null) return raw;
  delete metadata.managedFields;
  const annotations = metadata.annotations;
  if (typeof annotations === 'object' && annotations !== null && LAST_APPLIED in annotations) delete annotations[LAST_APPLIED];
  return raw;
}
