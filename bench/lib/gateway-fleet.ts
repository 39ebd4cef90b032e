// The fleet of fleet.ts written as Gateway API objects instead of Ingresses:
// one GatewayClass (Portero's default controller name), one Gateway with an
// HTTP listener on port 80, and per application an HTTPRoute with its own
// hostname, PathPrefix `/` and one backendRef to its own Service (with the
// same Service and EndpointSlice as the Ingress fleet). Same host names
// (app-N.fleet.test and the measured example.com), same files of 500, so
// that the two fleets compare like with like.

import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gateway, gatewayClass, httpRoute } from '../../test/helpers/gateway-api-manifests.js';
import { list, writeFleet } from './fleet.js';

type Json = Record<string, unknown>;

/** The Gateway every route of the fleet attaches to. */
export const GATEWAY_NAME = 'web';

/** An HTTPRoute on the fleet's Gateway: `host`, PathPrefix `path`, to `service` port 80. */
export function fleetRoute(name: string, host: string, path = '/', service = name): Json {
  return httpRoute(name, { namespace: 'default', parent: GATEWAY_NAME, hostnames: [host], path, service, port: 80 });
}

/** The GatewayClass and the Gateway (one HTTP listener on port 80, any hostname). */
export function gatewayObjects(): Json[] {
  return [gatewayClass('portero'), gateway(GATEWAY_NAME, { namespace: 'default', className: 'portero' })];
}

/** Writes the fleet into `directory` (the same as fleet.ts's, as HTTPRoutes, plus the Gateway); returns the host names. */
export async function writeGatewayFleet(directory: string, count: number, upstreamPort: number): Promise<string[]> {
  const hosts = await writeFleet(directory, count, upstreamPort, fleetRoute);
  await writeFile(join(directory, 'gateway.json'), list(gatewayObjects()));
  return hosts;
}
