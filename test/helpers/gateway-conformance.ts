// Helpers of the Gateway API conformance status ports (moved unchanged from
// test/e2e/compat/gateway-conformance-status.test.ts, so that
// gateway-conformance-more.test.ts shares them): the suite's manifests as
// objects, reading status from the API test server or from `portero check`'s
// report, and the suite's status assertions.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { KubeApiServer } from '../kube-api-server/server.js';
import type { CheckReport } from '../../src/cli/check/report.js';
import { generateSelfSigned } from '../../src/tls/default-certificate.js';
import type { Backend } from './backends.js';
import { GATEWAY_V1, GATEWAY_V1BETA1 } from './gateway-api-manifests.js';
import { request } from './http.js';
import { toYaml, type Json } from './objects.js';
import { BIN, eventually, type Portero } from './portero.js';

export const OURS = 'portero.dev/gateway-controller';
export const FOREIGN = 'example.com/other-controller';
export const CLASS = 'portero';
export const INFRA = 'gateway-conformance-infra';
export const APP = 'gateway-conformance-app-backend';
export const WEB = 'gateway-conformance-web-backend';
export const GROUP = 'gateway.networking.k8s.io';

// ---- manifests ----

export const ns = (name: string, label: string): Json => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'gateway-conformance': label } } });

/** A Gateway of our class with its own loopback address. */
export function gw(name: string, address: string, listeners: Json[], extra: { apiVersion?: string; spec?: Json } = {}): Json {
  return {
    apiVersion: extra.apiVersion ?? GATEWAY_V1BETA1,
    kind: 'Gateway',
    metadata: { name, namespace: INFRA },
    spec: { gatewayClassName: CLASS, addresses: [{ type: 'IPAddress', value: address }], listeners, ...(extra.spec ?? {}) },
  };
}
export const from = (namespaces: 'Same' | 'All'): Json => ({ namespaces: { from: namespaces } });
export const selector = (labels: Record<string, string>, kinds?: string[]): Json => ({
  ...(kinds ? { kinds: kinds.map((kind) => ({ kind })) } : {}),
  namespaces: { from: 'Selector', selector: { matchLabels: labels } },
});
export const http = (name: string, allowedRoutes: Json, extra: Json = {}): Json => ({ name, port: 80, protocol: 'HTTP', allowedRoutes, ...extra });
export const certRef = (name: string, extra: Json = {}): Json => ({ group: '', kind: 'Secret', name, ...extra });
export const https = (name: string, allowedRoutes: Json, refs: Json[], extra: Json = {}): Json => ({ name, port: 443, protocol: 'HTTPS', allowedRoutes, tls: { certificateRefs: refs }, ...extra });

export function route(name: string, spec: Json, namespace = INFRA, apiVersion = GATEWAY_V1BETA1, kind = 'HTTPRoute'): Json {
  return { apiVersion, kind, metadata: { name, namespace }, spec };
}
export const parent = (name: string, extra: Json = {}): Json => ({ name, ...extra });
export const backend = (name: string, extra: Json = {}): Json => ({ name, port: 8080, ...extra });
export const prefix = (value: string): Json => ({ path: { type: 'PathPrefix', value } });

export function grant(name: string, namespace: string, fromEntry: Json, to: Json): Json {
  return { apiVersion: GATEWAY_V1BETA1, kind: 'ReferenceGrant', metadata: { name, namespace }, spec: { from: [fromEntry], to: [to] } };
}

/** Where a Service's endpoints are: a real backend in Kubernetes mode, any address in check's manifests. */
export type Endpoint = Pick<Backend, 'address' | 'port'>;

/** A Service whose ports all lead to one backend, with the EndpointSlice that says so. */
export function service(namespace: string, name: string, target: Endpoint, ports: { name?: string; port: number; appProtocol?: string }[] = [{ port: 8080 }]): Json[] {
  const named = ports.map((port, index) => ({ ...port, name: port.name ?? `port-${index}` }));
  return [
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name, namespace },
      spec: { ports: named.map((port) => ({ name: port.name, protocol: 'TCP', port: port.port, targetPort: port.name, ...(port.appProtocol ? { appProtocol: port.appProtocol } : {}) })) },
    },
    {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: `${name}-1`, namespace, labels: { 'kubernetes.io/service-name': name } },
      addressType: 'IPv4',
      endpoints: [{ addresses: [target.address], conditions: { ready: true } }],
      ports: named.map((port) => ({ name: port.name, port: target.port, protocol: 'TCP' })),
    },
  ];
}

export interface Certs {
  infra: { cert: string; key: string };
  web: { cert: string; key: string };
}

// ---- reading status: from the API server, or from check's report ----

export type Status = Record<string, any>;
export interface View {
  mode: 'kube' | 'check';
  status(kind: string, namespace: string, name: string): Status | undefined;
  spec(kind: string, namespace: string, name: string): Status | undefined;
  generation(kind: string, namespace: string, name: string): number | undefined;
}

export function conditionOf(conditions: Status[] | undefined, type: string): Status {
  const found = conditions?.find((entry) => entry.type === type);
  assert.ok(found, `condition ${type} missing in ${JSON.stringify(conditions)}`);
  return found;
}

/** [status, reason] or [status] (any reason, as upstream's Reason: ""). */
export type Expected = readonly ['True' | 'False'] | readonly ['True' | 'False', string];

/** GatewayMustHaveLatestConditions: every condition carries the object's current generation. */
export function expectLatest(conditions: Status[] | undefined, generation: number | undefined, what: string): void {
  for (const entry of conditions ?? []) assert.equal(entry.observedGeneration, generation, `${what}: ${entry.type} observedGeneration`);
}

export function expectCondition(conditions: Status[] | undefined, type: string, expected: Expected, generation: number | undefined, what: string): void {
  const found = conditionOf(conditions, type);
  assert.equal(found.status, expected[0], `${what}: ${type} is ${found.status} (${found.reason}: ${found.message})`);
  if (expected[1] !== undefined) assert.equal(found.reason, expected[1], `${what}: ${type} reason (${found.message})`);
  assert.equal(found.observedGeneration, generation, `${what}: ${type} observedGeneration`);
}

export interface RouteExpectation {
  kind?: 'HTTPRoute' | 'GRPCRoute';
  namespace?: string;
  gateway?: string;
  accepted: Expected;
  resolvedRefs?: Expected;
}

export function expectRoute(view: View, name: string, expected: RouteExpectation): void {
  const kind = expected.kind ?? 'HTTPRoute';
  const namespace = expected.namespace ?? INFRA;
  const status = view.status(kind, namespace, name);
  assert.ok(status, `${kind} ${namespace}/${name} has no status`);
  const parents = (status.parents ?? []) as Status[];
  const ours = parents.filter((entry) => entry.controllerName === OURS && (expected.gateway === undefined || entry.parentRef.name === expected.gateway));
  assert.equal(ours.length, 1, `${kind} ${name}: one parent entry of ours for ${expected.gateway ?? 'its Gateway'}: ${JSON.stringify(parents)}`);
  // HTTPRouteMustHaveParents: the entry names the parentRef as the route wrote it (group and kind defaulted).
  const written = ((view.spec(kind, namespace, name)?.parentRefs ?? []) as Status[]).map((ref) => ({ group: GROUP, kind: 'Gateway', ...ref }));
  assert.ok(written.some((ref) => JSON.stringify(Object.entries(ref).sort()) === JSON.stringify(Object.entries(ours[0]!.parentRef).sort())), `${kind} ${name}: parentRef ${JSON.stringify(ours[0]!.parentRef)} is one of ${JSON.stringify(written)}`);
  const generation = view.generation(kind, namespace, name);
  expectLatest(ours[0]!.conditions, generation, `${kind} ${name}`);
  expectCondition(ours[0]!.conditions, 'Accepted', expected.accepted, generation, `${kind} ${name}`);
  if (expected.resolvedRefs) expectCondition(ours[0]!.conditions, 'ResolvedRefs', expected.resolvedRefs, generation, `${kind} ${name}`);
}

export interface ListenerExpectation {
  attachedRoutes: number;
  /** Exactly these kinds (of gateway.networking.k8s.io), in any order; omitted: not checked. */
  supportedKinds?: string[];
  conditions: Record<string, Expected>;
}

export interface GatewayExpectation {
  accepted?: Expected;
  programmed?: Expected;
  address: string;
  /** Every listener of the Gateway, in spec order. */
  listeners: Record<string, ListenerExpectation>;
}

export const READY: Record<string, Expected> = { Accepted: ['True'], ResolvedRefs: ['True'], Programmed: ['True'] };
export const ALL_KINDS = ['GRPCRoute', 'HTTPRoute'];

export function expectGateway(view: View, name: string, expected: GatewayExpectation): void {
  const status = view.status('Gateway', INFRA, name);
  assert.ok(status, `Gateway ${name} has no status`);
  const generation = view.generation('Gateway', INFRA, name);
  const what = `Gateway ${name}`;
  expectLatest(status.conditions, generation, what);
  expectCondition(status.conditions, 'Accepted', expected.accepted ?? ['True'], generation, what);
  if (expected.programmed) expectCondition(status.conditions, 'Programmed', expected.programmed, generation, what);
  assert.deepEqual(status.addresses, [{ type: 'IPAddress', value: expected.address }], `${what}: addresses`);
  const listeners = (status.listeners ?? []) as Status[];
  assert.deepEqual(listeners.map((listener) => listener.name), Object.keys(expected.listeners), `${what}: exactly its listeners`);
  for (const listener of listeners) {
    const want = expected.listeners[listener.name]!;
    const label = `${what} listener ${listener.name}`;
    assert.equal(listener.attachedRoutes, want.attachedRoutes, `${label}: attachedRoutes`);
    expectLatest(listener.conditions, generation, label);
    if (want.supportedKinds) {
      assert.deepEqual((listener.supportedKinds as Status[]).map((kind) => `${kind.group}/${kind.kind}`).sort(), want.supportedKinds.map((kind) => `${GROUP}/${kind}`).sort(), `${label}: supportedKinds`);
    }
    for (const [type, condition] of Object.entries(want.conditions)) expectCondition(listener.conditions, type, condition, generation, label);
  }
}

// ---- the upstream tests ----

export interface Traffic {
  address: string;
  host?: string;
  path: string;
  /** HTTPS on --https-port (listeners on 443), SNI = host. */
  tls?: boolean;
  /** The backend that must answer, or a status code. */
  expect: string | number;
}

export interface Case {
  /** The upstream test's ShortName and file. */
  name: string;
  objects: (backends: ReadonlyMap<string, Endpoint>, certs: Certs) => Json[];
  expect: (view: View) => void;
  traffic?: Traffic[];
  /** Kubernetes mode only: what the suite changes next, and what must follow. */
  mutate?: (api: KubeApiServer, portero: Portero) => Promise<void>;
}

export const served = (portero: Portero, t: Traffic) =>
  request({ port: t.tls ? portero.httpsPort : portero.httpPort, tls: t.tls ?? false, address: t.address, host: t.host ?? 'example.com', path: t.path }).then((response) => (response.echo ? response.echo.name : response.status));

export async function expectTraffic(portero: Portero, traffic: readonly Traffic[]): Promise<void> {
  for (const t of traffic) {
    await eventually(async () => assert.equal(await served(portero, t), t.expect, `${t.host ?? ''}${t.path} on ${t.address}`), 15_000);
  }
}

export const get = (api: KubeApiServer, kind: string, namespace: string, name: string) => api.get(GATEWAY_V1, kind, namespace, name) as Status;
export const kubeView = (api: KubeApiServer): View => ({
  mode: 'kube',
  status: (kind, namespace, name) => get(api, kind, namespace, name)?.status,
  spec: (kind, namespace, name) => get(api, kind, namespace, name)?.spec,
  generation: (kind, namespace, name) => get(api, kind, namespace, name)?.metadata.generation,
});

export async function certificates(): Promise<Certs> {
  return {
    infra: await generateSelfSigned('tls-validity-checks-certificate', ['*', '*.org', '*.wildcard.org'], 30),
    web: await generateSelfSigned('certificate', ['*'], 30),
  };
}

/** The suite's cleanup: a case may have deleted some of its objects itself. */
export function deleteIfPresent(api: KubeApiServer, object: Json): void {
  const metadata = object.metadata as Json;
  const key = [String(object.apiVersion), String(object.kind), String(metadata.namespace ?? ''), String(metadata.name)] as const;
  if (api.get(...key)) api.delete(...key);
}

export function runCheck(dir: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, 'check', '--manifests', dir, '-o', 'json'], { env: { ...process.env, KUBECONFIG: '' }, timeout: 60_000, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof (error as { code?: unknown }).code === 'number' ? (error as { code: number }).code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

export function checkView(report: CheckReport, objects: readonly Json[]): View {
  const find = (kind: string, namespace: string, name: string) =>
    objects.find((candidate) => candidate.kind === kind && (candidate.metadata as Json).name === name && String((candidate.metadata as Json).namespace ?? '') === namespace);
  return {
    mode: 'check',
    status: (kind, namespace, name) => {
      if (kind === 'GatewayClass') return report.gatewayClasses.find((entry) => entry.name === name)?.status as Status | undefined;
      if (kind === 'Gateway') return report.gateways.find((entry) => entry.namespace === namespace && entry.name === name)?.status;
      return report.routes.find((entry) => entry.kind === kind && entry.namespace === namespace && entry.name === name)?.status;
    },
    spec: (kind, namespace, name) => find(kind, namespace, name)?.spec as Status | undefined,
    generation: (kind, namespace, name) => (find(kind, namespace, name)?.metadata as Json | undefined)?.generation as number | undefined,
  };
}

/** `portero check --manifests` on `objects`, written into `dir` (made here): the View of its report, which must refuse nothing. */
export async function checkedView(dir: string, objects: readonly Json[]): Promise<View> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'base-and-test.yaml'), toYaml(objects));
  const run = await runCheck(dir);
  assert.ok(run.code === 0 || run.code === 1, `check exited ${run.code}: ${run.stderr}`);
  assert.equal(run.stderr, '', 'check: nothing refused');
  return checkView(JSON.parse(run.stdout) as CheckReport, objects);
}
