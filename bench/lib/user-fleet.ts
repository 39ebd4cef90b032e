// A fleet of applications as users write them: for each, an Ingress with its
// own host, a Service and an EndpointSlice, as multi-document YAML (`---`).
// The same objects can be written as a directory of files, as one large
// file, or loaded into the Kubernetes API test server (see asServed), so the
// three start-up benchmarks compare like with like. Reusable: the manifest
// parsing work and its tests can build the same workload from here.

import { mkdir, open } from 'node:fs/promises';
import { dirname, join } from 'node:path';

type Json = Record<string, unknown>;

export interface FleetOptions {
  /** Number of applications, hence of Ingresses (each with one Service and one EndpointSlice). */
  count: number;
  /** Where every EndpointSlice points: 127.0.0.1 on this port. */
  upstreamPort: number;
  namespace?: string;
}

/** Three documents per application. */
export const DOCUMENTS_PER_APP = 3;

export function fleetHost(index: number): string {
  return `app-${index}.fleet.test`;
}

/** The objects of application `index`: Ingress, Service, EndpointSlice. */
export function appObjects(index: number, upstreamPort: number, namespace = 'default'): Json[] {
  const name = `app-${index}`;
  const labels = { 'app.kubernetes.io/name': name, 'app.kubernetes.io/part-of': 'fleet' };
  return [
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name, namespace, labels },
      spec: {
        ingressClassName: 'portero',
        rules: [{ host: fleetHost(index), http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name, port: { number: 80 } } } }] } }],
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name, namespace, labels },
      spec: { selector: { 'app.kubernetes.io/name': name }, ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }] },
    },
    {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: `${name}-1`, namespace, labels: { 'kubernetes.io/service-name': name, ...labels } },
      addressType: 'IPv4',
      ports: [{ name: 'http', port: upstreamPort, protocol: 'TCP' }],
      endpoints: [{ addresses: ['127.0.0.1'], conditions: { ready: true } }],
    },
  ];
}

/** Every object of the fleet, application by application. */
export function* fleetObjects(options: FleetOptions): Generator<Json> {
  for (let index = 0; index < options.count; index += 1) yield* appObjects(index, options.upstreamPort, options.namespace);
}

export function fleetHosts(count: number): string[] {
  return Array.from({ length: count }, (_, index) => fleetHost(index));
}

// ---- YAML as people write it: block style, two-space indent, `- ` items ----

const PLAIN = /^[A-Za-z0-9/][A-Za-z0-9._/-]*$/;
const RESERVED = /^(true|false|yes|no|on|off|null|~)$/i;

function scalar(value: unknown): string {
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  const text = String(value);
  // JSON's double-quoted strings are valid YAML.
  return PLAIN.test(text) && !RESERVED.test(text) && !Number.isFinite(Number(text)) ? text : JSON.stringify(text);
}

function isMap(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function emit(value: unknown, indent: string, out: string[]): void {
  if (isMap(value)) {
    for (const [key, child] of Object.entries(value)) {
      if (isMap(child) || Array.isArray(child)) {
        out.push(`${indent}${scalar(key)}:\n`);
        emit(child, `${indent}  `, out);
      } else {
        out.push(`${indent}${scalar(key)}: ${scalar(child)}\n`);
      }
    }
    return;
  }
  for (const item of value as unknown[]) {
    if (isMap(item)) {
      // The first key shares the line with the dash, as people write it.
      const lines: string[] = [];
      emit(item, `${indent}  `, lines);
      out.push(`${indent}- ${lines.join('').slice(indent.length + 2)}`);
    } else {
      out.push(`${indent}- ${scalar(item)}\n`);
    }
  }
}

/** One object as one YAML document (without the `---` separator). */
export function yamlDocument(object: Json): string {
  const out: string[] = [];
  emit(object, '', out);
  return out.join('');
}

/** Writes applications [from, to) as one multi-document YAML file. */
async function writeYamlFile(path: string, from: number, to: number, options: FleetOptions): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const file = await open(path, 'w');
  try {
    // Written in batches: the single file of a large fleet runs to tens of megabytes.
    for (let start = from; start < to; start += 500) {
      const parts: string[] = [];
      for (let index = start; index < Math.min(to, start + 500); index += 1) {
        for (const object of appObjects(index, options.upstreamPort, options.namespace)) parts.push(`---\n${yamlDocument(object)}`);
      }
      await file.write(parts.join(''));
    }
  } finally {
    await file.close();
  }
}

/**
 * Writes the fleet as `files` YAML files in `directory` (fleet-00.yaml, ...),
 * applications spread evenly; returns the hosts. 10,000 applications in 20
 * files make 1,500 documents a file.
 */
export async function writeFleetDirectory(directory: string, options: FleetOptions & { files: number }): Promise<string[]> {
  await mkdir(directory, { recursive: true });
  const perFile = Math.ceil(options.count / options.files);
  const width = String(options.files - 1).length;
  for (let file = 0; file < options.files; file += 1) {
    const from = file * perFile;
    const to = Math.min(options.count, from + perFile);
    if (from >= to) break;
    await writeYamlFile(join(directory, `fleet-${String(file).padStart(width, '0')}.yaml`), from, to, options);
  }
  return fleetHosts(options.count);
}

/** Writes the whole fleet as one multi-document YAML file at `path`; returns the hosts. */
export async function writeFleetFile(path: string, options: FleetOptions): Promise<string[]> {
  await writeYamlFile(path, 0, options.count, options);
  return fleetHosts(options.count);
}
