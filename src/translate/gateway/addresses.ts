// A Gateway's addresses: where its listeners are bound, and what its
// `status.addresses` says.
//
// gateway_types.go: `spec.addresses` is a request. Portero binds IP
// addresses only; an address of another type (Hostname, a named address) is
// "a type which is not supported by the implementation": the Gateway is not
// accepted, reason UnsupportedAddress. An IPAddress whose value is not an IP,
// or that the host cannot use (the `addressProblem` option), is not usable:
// Programmed False, reason AddressNotUsable, and it is left out of
// `status.addresses` (as GatewayStaticAddresses expects). An IPAddress
// without a value asks Portero to assign one: the published addresses are
// assigned, and without any the Gateway is not programmed, reason
// AddressNotAssigned (GatewaySpecAddress.Value).
//
// A Gateway without spec addresses shares `--bind-address` and reports the
// published addresses (`--publish-status-address` / `--publish-service`, as
// for Ingress status).

import { isIP } from 'node:net';
import type { Gateway } from '../../objects/gateway-types.js';
import type { IngressLoadBalancerIngress } from '../../objects/types.js';
import { quote } from './conditions.js';
import type { GatewayStatus, GatewayStatusAddress } from './types.js';

export interface AddressOutcome {
  /** IPs to bind; empty: the shared bind address. */
  bind: string[];
  status: GatewayStatusAddress[];
  /** Accepted False, UnsupportedAddress. */
  unsupported?: string;
  /** Programmed False, AddressNotUsable or AddressNotAssigned. */
  notProgrammed?: { reason: 'AddressNotUsable' | 'AddressNotAssigned'; message: string };
  /** An IPAddress without value, with the published addresses unknown here: the status reporter assigns them. */
  assignsPublished?: true;
}

const NOT_ASSIGNED = 'an IPAddress without value asks for an address, and Portero publishes none (--publish-status-address or --publish-service)';

export function publishedStatusAddresses(published: readonly IngressLoadBalancerIngress[]): GatewayStatusAddress[] {
  const out: GatewayStatusAddress[] = [];
  for (const entry of published) {
    if (entry.ip !== undefined && entry.ip !== '') out.push({ type: 'IPAddress', value: entry.ip });
    else if (entry.hostname !== undefined && entry.hostname !== '') out.push({ type: 'Hostname', value: entry.hostname });
  }
  return out;
}

export function gatewayAddresses(
  gateway: Gateway,
  /** Undefined: not known here (see the header). */
  published: readonly GatewayStatusAddress[] | undefined,
  addressProblem: ((ip: string) => string | undefined) | undefined,
): AddressOutcome {
  const unsupported: string[] = [];
  const unusable: string[] = [];
  const bind: string[] = [];
  let assign = false;
  for (const address of gateway.spec.addresses) {
    if (address.type !== 'IPAddress') {
      unsupported.push(`${quote(address.type)} ${quote(address.value)}`);
      continue;
    }
    if (address.value === '') {
      assign = true;
      continue;
    }
    if (isIP(address.value) === 0) {
      unusable.push(`${quote(address.value)} is not an IP address`);
      continue;
    }
    const problem = addressProblem?.(address.value);
    if (problem !== undefined) {
      unusable.push(`${address.value}: ${problem}`);
      continue;
    }
    if (!bind.includes(address.value)) bind.push(address.value);
  }
  const outcome: AddressOutcome = { bind, status: bind.map((value) => ({ type: 'IPAddress', value })) };
  if (unsupported.length > 0) {
    outcome.unsupported = `Portero binds IP addresses only; unsupported address types: ${unsupported.join(', ')}`;
  }
  if (bind.length === 0 && published === undefined) {
    if (assign) outcome.assignsPublished = true;
  } else if (bind.length === 0 && published !== undefined) {
    if (gateway.spec.addresses.length === 0) outcome.status = [...published];
    if (assign) {
      outcome.status = published.filter((address) => address.type === 'IPAddress');
      if (outcome.status.length === 0) outcome.notProgrammed = { reason: 'AddressNotAssigned', message: NOT_ASSIGNED };
    }
  }
  if (unusable.length > 0) outcome.notProgrammed = { reason: 'AddressNotUsable', message: `unusable addresses: ${unusable.join('; ')}` };
  return outcome;
}

/**
 * The status of a Gateway that asked for an address (`assignsPublished`),
 * once the published addresses are known: those of type IPAddress, or
 * Programmed False, AddressNotAssigned, when there is none. Other
 * statuses are returned as they are.
 */
export function withAssignedAddresses(status: GatewayStatus, assignsPublished: boolean, published: readonly GatewayStatusAddress[]): GatewayStatus {
  if (!assignsPublished) return status;
  const addresses = published.filter((address) => address.type === 'IPAddress');
  if (addresses.length > 0) return { ...status, addresses };
  return {
    ...status,
    addresses: [],
    conditions: status.conditions.map((entry) => (entry.type === 'Programmed' && entry.status === 'True' ? { ...entry, status: 'False', reason: 'AddressNotAssigned', message: NOT_ASSIGNED } : entry)),
  };
}
