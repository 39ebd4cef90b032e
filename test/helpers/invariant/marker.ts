// The marker that tells the harness a step is applied: its own IngressClass,
// Service and Ingress, in a namespace of its own, in the file written last.
// Its host is step-N.marker.test once the step's files are written, then
// step-N.done.marker.test: when that answers, the apply that served the step
// has finished (applies never overlap). The pure simulation adds the same
// objects (in the `done` phase), so a seed gives the same sequence of models
// in both.

import type { Json } from '../objects.js';
import { CONTROLLER } from './world.js';

export const MARKER_NAMESPACE = 'portero-marker';
export const MARKER_FILE = 'zz-marker.yaml';

export type Phase = 'applied' | 'done';

export function markerHost(step: number, phase: Phase): string {
  return phase === 'applied' ? `step-${step}.marker.test` : `step-${step}.done.marker.test`;
}

export function markerObjects(step: number, phase: Phase, server: { address: string; port: number }): Json[] {
  const created = '2025-01-01T00:00:00Z';
  const meta = (name: string, extra: Json = {}) => ({ name, namespace: MARKER_NAMESPACE, creationTimestamp: created, ...extra });
  return [
    { apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata: { name: 'portero-marker', creationTimestamp: created }, spec: { controller: CONTROLLER } },
    { apiVersion: 'v1', kind: 'Service', metadata: meta('marker'), spec: { ports: [{ name: 'http', port: 80, targetPort: 'http' }] } },
    {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: meta('marker-0', { labels: { 'kubernetes.io/service-name': 'marker' } }),
      addressType: 'IPv4',
      endpoints: [{ addresses: [server.address], conditions: { ready: true } }],
      ports: [{ name: 'http', port: server.port, protocol: 'TCP' }],
    },
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: meta('marker'),
      spec: {
        ingressClassName: 'portero-marker',
        rules: [{ host: markerHost(step, phase), http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'marker', port: { number: 80 } } } }] } }],
      },
    },
  ];
}
