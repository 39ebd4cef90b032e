// The manifests users keep at scale, written as they write them: block-style
// multi-document YAML, one Ingress with its Service and EndpointSlice per
// application. Used by the scale tests and the benchmark.
//
// `files: 20` with the default 10,000 applications gives 20 files of 1,500
// documents each; `files: 1` gives one large file holding the same objects.

import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface ManifestsScaleOptions {
  /** Applications (one Ingress, Service and EndpointSlice each). Default 10,000. */
  apps?: number;
  /** Number of files the applications are spread over. Default 20. */
  files?: number;
  /** Where every EndpointSlice points (a loopback backend in tests). */
  backend: { address: string; port: number };
  /** Host of application `i`. Default `app-<i>.scale.test`. */
  host?: (index: number) => string;
}

export interface ManifestsScale {
  /** Host names, one per application, in order. */
  hosts: string[];
  /** Paths of the files written. */
  files: string[];
  /** Total size of the files in bytes. */
  bytes: number;
}

function application(index: number, host: string, backend: ManifestsScaleOptions['backend']): string {
  const name = `app-${index}`;
  return `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: ${name}
  namespace: default
  labels:
    app.kubernetes.io/name: ${name}
    app.kubernetes.io/part-of: scale
spec:
  ingressClassName: portero
  rules:
  - host: ${host}
    http:
      paths:
      - path: /
        pathType: Prefix
        backend:
          service:
            name: ${name}
            port:
              name: http
---
apiVersion: v1
kind: Service
metadata:
  name: ${name}
  namespace: default
  labels:
    app.kubernetes.io/name: ${name}
spec:
  selector:
    app.kubernetes.io/name: ${name}
  ports:
  - name: http
    port: 80
    targetPort: 8080
    protocol: TCP
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: ${name}-abcde
  namespace: default
  labels:
    kubernetes.io/service-name: ${name}
addressType: IPv4
endpoints:
- addresses:
  - ${backend.address}
  conditions:
    ready: true
ports:
- name: http
  port: ${backend.port}
  protocol: TCP
`;
}

/** Writes the applications into `directory` (created if needed). */
export async function writeManifestsScale(directory: string, options: ManifestsScaleOptions): Promise<ManifestsScale> {
  const apps = options.apps ?? 10_000;
  const fileCount = Math.max(1, Math.min(options.files ?? 20, apps));
  const hostOf = options.host ?? ((index: number) => `app-${index}.scale.test`);
  await mkdir(directory, { recursive: true });
  const hosts: string[] = [];
  const files: string[] = [];
  let bytes = 0;
  const perFile = Math.ceil(apps / fileCount);
  for (let file = 0; file < fileCount; file += 1) {
    const parts: string[] = [];
    for (let index = file * perFile; index < Math.min(apps, (file + 1) * perFile); index += 1) {
      const host = hostOf(index);
      hosts.push(host);
      parts.push(application(index, host, options.backend));
    }
    const text = parts.join('---\n');
    const path = join(directory, fileCount === 1 ? 'apps.yaml' : `apps-${String(file).padStart(3, '0')}.yaml`);
    await writeFile(path, text);
    files.push(path);
    bytes += Buffer.byteLength(text);
  }
  return { hosts, files, bytes };
}
