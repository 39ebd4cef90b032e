// The user fleet (user-fleet.ts) as an API server holds it after
// `kubectl apply` (see asApplied in test/helpers/kube.ts): with the
// last-applied-configuration annotation, managedFields and the Service fields
// the API server defaults. These make real list responses several times
// larger than the manifests, so Kubernetes mode is measured with them.

import { asApplied } from '../../test/helpers/kube.js';
import type { KubeApiServer } from '../../test/kube-api-server/server.js';
import { fleetObjects, type FleetOptions } from './user-fleet.js';

/** Loads the whole fleet into the API test server, as applied by kubectl. */
export function loadFleet(api: KubeApiServer, options: FleetOptions): void {
  let index = 0;
  for (const object of fleetObjects(options)) {
    api.apply(asApplied(object, Math.floor(index / 3)));
    index += 1;
  }
  api.store.warm();
}
