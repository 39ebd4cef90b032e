// Manifests for a benchmark: `count` Ingresses, each with its own host,
// Service and EndpointSlice (all pointing at the upstream), written as JSON
// Lists in files of 500, plus the measured host example.com.

import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

type Json = Record<string, unknown>;

export function serviceObjects(name: string, endpoints: readonly { address: string; port: number; ready?: boolean }[], namespace = 'default'): Json[] {
  const ports = [...new Set(endpoints.map((endpoint) => endpoint.port))];
  return [
    { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace }, spec: { ports: [{ name: 'http', port: 80 }] } },
    ...ports.map((port, index) => ({
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: `${name}-${index}`, namespace, labels: { 'kubernetes.io/service-name': name } },
      addressType: 'IPv4',
      endpoints: endpoints.filter((endpoint) => endpoint.port === port).map((endpoint) => ({ addresses: [endpoint.address], conditions: { ready: endpoint.ready ?? true } })),
      ports: [{ name: 'http', port, protocol: 'TCP' }],
    })),
  ];
}

export function ingressObject(name: string, host: string, paths: readonly { path: string; service: string; pathType?: string }[], extra: Json = {}): Json {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name, namespace: 'default' },
    spec: {
      ingressClassName: 'portero',
      rules: [{ host, http: { paths: paths.map((p) => ({ path: p.path, pathType: p.pathType ?? 'Prefix', backend: { service: { name: p.service, port: { number: 80 } } } })) } }],
      ...extra,
    },
  };
}

export function list(items: readonly Json[]): string {
  return JSON.stringify({ apiVersion: 'v1', kind: 'List', items });
}

/** An application's route object (an Ingress by default; an HTTPRoute for gateway-fleet.ts), sending every path of `host` to the Service `name`. */
export type RouteOf = (name: string, host: string) => Json;

const ingressRoute: RouteOf = (name, host) => ingressObject(name, host, [{ path: '/', service: name }]);

/** Writes the fleet into `directory`; returns the host names. */
export async function writeFleet(directory: string, count: number, upstreamPort: number, routeOf: RouteOf = ingressRoute): Promise<string[]> {
  await mkdir(directory, { recursive: true });
  const hosts: string[] = [];
  const chunk = 500;
  for (let start = 0; start < count; start += chunk) {
    const items: Json[] = [];
    for (let i = start; i < Math.min(count, start + chunk); i += 1) {
      const host = `app-${i}.fleet.test`;
      hosts.push(host);
      items.push(routeOf(`app-${i}`, host), ...serviceObjects(`app-${i}`, [{ address: '127.0.0.1', port: upstreamPort }]));
    }
    await writeFile(join(directory, `fleet-${String(start / chunk).padStart(3, '0')}.json`), list(items));
  }
  await writeFile(join(directory, 'example.json'), list([routeOf('example', 'example.com'), ...serviceObjects('example', [{ address: '127.0.0.1', port: upstreamPort }])]));
  return hosts;
}
