// The addresses Portero publishes in Ingress status.loadBalancer.ingress:
// --publish-status-address (IPs or host names), else --publish-service (that
// Service's load-balancer status, else its external IPs), else the addresses
// of the nodes where Portero pods run (a DaemonSet maps ports 80 and 443 on
// each of them): found from this pod's labels, the pods sharing them, and
// their Node objects (ExternalIP, else InternalIP).

import { isIP } from 'node:net';
import { ApiError, type KubeClient } from '../kube/client.js';
import type { IngressLoadBalancerIngress } from '../objects/types.js';
import { dns1123Subdomain } from '../objects/grammar.js';
import type { Logger } from '../telemetry/log.js';

export type AddressMode =
  | { kind: 'static'; addresses: IngressLoadBalancerIngress[] }
  | { kind: 'service'; namespace: string; name: string }
  | { kind: 'nodes'; podNamespace: string; podName: string | undefined };

/** Parses `--publish-status-address`: comma-separated IPs or DNS names. */
export function parseStatusAddresses(text: string): IngressLoadBalancerIngress[] {
  const addresses = text.split(',').map((entry) => entry.trim()).filter((entry) => entry !== '');
  return addresses.map((entry) => {
    if (isIP(entry) !== 0) return { ip: entry };
    if (dns1123Subdomain(entry).length === 0) return { hostname: entry };
    throw new Error(`${JSON.stringify(entry)} is neither an IP address nor a DNS name`);
  });
}

/** Sorted and without duplicates, so that two address lists compare equal when they mean the same. */
export function canonical(addresses: readonly IngressLoadBalancerIngress[]): IngressLoadBalancerIngress[] {
  const seen = new Map<string, IngressLoadBalancerIngress>();
  for (const address of addresses) {
    const entry: IngressLoadBalancerIngress = {};
    if (address.ip) entry.ip = address.ip;
    if (address.hostname) entry.hostname = address.hostname;
    if (entry.ip || entry.hostname) seen.set(`${entry.ip ?? ''}|${entry.hostname ?? ''}`, entry);
  }
  return [...seen.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, entry]) => entry);
}

// Labels a controller adds to each pod revision: leave them out when finding sibling pods.
const REVISION_LABELS = new Set(['pod-template-hash', 'controller-revision-hash', 'pod-template-generation', 'statefulset.kubernetes.io/pod-name']);

function nodeAddress(node: Record<string, any>): IngressLoadBalancerIngress | undefined {
  const addresses: { type?: string; address?: string }[] = node.status?.addresses ?? [];
  const pick = addresses.find((entry) => entry.type === 'ExternalIP') ?? addresses.find((entry) => entry.type === 'InternalIP');
  return pick?.address && isIP(pick.address) !== 0 ? { ip: pick.address } : undefined;
}

export async function resolveAddresses(mode: AddressMode, client: KubeClient, log: Logger): Promise<IngressLoadBalancerIngress[]> {
  if (mode.kind === 'static') return canonical(mode.addresses);
  if (mode.kind === 'service') {
    const service = await client.request('GET', `/api/v1/namespaces/${encodeURIComponent(mode.namespace)}/services/${encodeURIComponent(mode.name)}`);
    const fromStatus: IngressLoadBalancerIngress[] = (service.status?.loadBalancer?.ingress ?? []).map((entry: Record<string, string>) => ({
      ...(entry.ip ? { ip: entry.ip } : {}),
      ...(entry.hostname ? { hostname: entry.hostname } : {}),
    }));
    if (fromStatus.length > 0) return canonical(fromStatus);
    return canonical((service.spec?.externalIPs ?? []).map((ip: string) => ({ ip })));
  }
  if (!mode.podName) {
    log.warn('POD_NAME is not set: cannot find the nodes Portero runs on; Ingress status is not written (set --publish-status-address or --publish-service)');
    return [];
  }
  let self: Record<string, any>;
  try {
    self = await client.request('GET', `/api/v1/namespaces/${encodeURIComponent(mode.podNamespace)}/pods/${encodeURIComponent(mode.podName)}`);
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) {
      log.warn({ pod: `${mode.podNamespace}/${mode.podName}` }, 'own pod not found: cannot find the nodes Portero runs on');
      return [];
    }
    throw error;
  }
  const labels = Object.entries((self.metadata?.labels ?? {}) as Record<string, string>).filter(([key]) => !REVISION_LABELS.has(key));
  const selector = labels.map(([key, value]) => `${key}=${value}`).join(',');
  const pods = selector === '' ? [self] : ((await client.request('GET', `/api/v1/namespaces/${encodeURIComponent(mode.podNamespace)}/pods`, { query: { labelSelector: selector } })).items ?? []);
  const nodeNames = new Set<string>();
  for (const pod of pods) {
    if (pod.spec?.nodeName && pod.status?.phase !== 'Failed' && pod.status?.phase !== 'Succeeded' && !pod.metadata?.deletionTimestamp) nodeNames.add(pod.spec.nodeName);
  }
  const addresses: IngressLoadBalancerIngress[] = [];
  for (const nodeName of nodeNames) {
    try {
      const address = nodeAddress(await client.request('GET', `/api/v1/nodes/${encodeURIComponent(nodeName)}`));
      if (address) addresses.push(address);
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 404)) throw error;
    }
  }
  return canonical(addresses);
}
