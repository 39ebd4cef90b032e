// The requests asked after every step, what the reference matcher says each
// should get, and what Portero answered.
//
// Hosts cover every host level (exact hosts, hosts under each wildcard, a
// host two labels under a wildcard, a wildcard's parent, unknown hosts,
// requests without Host or with an empty one) and every spelling the rules
// normalise (uppercase, a port, a trailing dot); paths cover the path pool's
// Exact and Prefix boundaries plus unmatched ones and a query. Each request
// goes over a fresh connection, so no answer comes from an HAProxy worker
// that a reload has retired.

import { Agent } from 'node:http';
import { connect } from 'node:net';
import { answer, selectCertificate } from '../../../src/model/match.js';
import { backendsById, type Model } from '../../../src/model/model.js';
import { request } from '../http.js';
import { describeTarget, fingerprintsOf } from './expect.js';

export interface Probe {
  scheme: 'http' | 'https';
  /** The Host header as sent; undefined: none at all (an HTTP/1.0 request). */
  host: string | undefined;
  path: string;
  /** HTTPS only: the SNI name, or null for none. */
  sni?: string | null;
}

export interface Observation {
  status: number;
  location?: string;
  /** x-backend: the name of the test server that answered. */
  backend?: string;
  /** SHA-256 fingerprint of the certificate served (HTTPS). */
  certificate?: string;
  error?: string;
}

export interface Expected {
  status: number;
  location?: string;
  /** For a 200: the servers that may answer (the target backend's ready endpoints). */
  servers?: ReadonlySet<string>;
  certificate?: { id: string; sha256: string };
  /** The reference's decision, for reports. */
  why: string;
}

export function probeKey(probe: Probe): string {
  const host = probe.host === undefined ? '(no Host, HTTP/1.0)' : probe.host === '' ? '(empty Host)' : probe.host;
  const sni = probe.scheme === 'https' ? (probe.sni === null ? ' sni=none' : ` sni=${probe.sni ?? host}`) : '';
  return `${probe.scheme} ${host} ${probe.path}${sni}`;
}

// ---------------------------------------------------------------------------
// The request set.

const HTTP_HOSTS = [
  'a.test',
  'b.test',
  'c.test',
  'w.test', // the parent of *.w.test: never matched by it
  'x.w.test', // an exact host under *.w.test
  'y.w.test', // covered by *.w.test only
  'a.b.w.test', // two labels under *.w.test: not covered
  'z.v.test',
  'v.test',
  'unknown.test',
  'nodots',
  'A.TEST',
  'Y.W.TEST',
  'a.test:8080',
  'y.w.test:1',
  'a.test.',
  'y.w.test.',
];

const PATHS = ['/', '/a', '/a/', '/a/b', '/a/b/c', '/ab', '/b', '/zz', '/a?x=1', '/A'];

/** Dot segments, escapes and repeated slashes: only once Portero normalises paths (INVARIANT_PATH_NORMALIZATION=1). */
export const NORMALIZATION_PATHS = ['/x/../a', '/%61', '//a', '/a/./b', '/%2e%2e/a', '/a/%2E/b', '/b/..', '/a%2fb', '/%zz'];

const HTTPS_HOSTS = ['a.test', 'b.test', 'x.w.test', 'y.w.test', 'w.test', 'z.v.test', 'unknown.test', 'A.TEST', 'a.test:8443', 'a.test.'];
const HTTPS_PATHS = ['/', '/a', '/a/b'];

export interface ProbeSetOptions {
  /** Hosts of burst Ingresses present now (a few are asked). */
  burstHosts: readonly string[];
  pathNormalization: boolean;
}

export function probeSet(options: ProbeSetOptions): Probe[] {
  const probes: Probe[] = [];
  const burst = options.burstHosts.length === 0 ? [] : [...new Set([options.burstHosts[0]!, options.burstHosts[options.burstHosts.length - 1]!])];
  const paths = options.pathNormalization ? [...PATHS, ...NORMALIZATION_PATHS] : PATHS;
  for (const host of [...HTTP_HOSTS, ...burst]) for (const path of paths) probes.push({ scheme: 'http', host, path });
  for (const path of ['/', '/a', '/a/b', '/zz']) {
    probes.push({ scheme: 'http', host: undefined, path });
    probes.push({ scheme: 'http', host: '', path });
  }
  for (const host of [...HTTPS_HOSTS, ...burst.slice(0, 1)]) for (const path of HTTPS_PATHS) probes.push({ scheme: 'https', host, path });
  for (const host of ['a.test', 'y.w.test', 'unknown.test']) for (const path of ['/', '/a']) probes.push({ scheme: 'https', host, path, sni: null });
  // A TLS name other than the Host (a host with client certificates answers 421).
  for (const [host, sni] of [['a.test', 'b.test'], ['y.w.test', 'a.test'], ['b.test', 'unknown.test']] as const) probes.push({ scheme: 'https', host, path: '/a', sni });
  return probes;
}

// ---------------------------------------------------------------------------
// Expected answers.

export interface ExpectContext {
  httpsPort: number;
  /** `address:port` → test server name. */
  serverNames: ReadonlyMap<string, string>;
}

function sniOf(probe: Probe): string | undefined {
  if (probe.scheme !== 'https' || probe.sni === null) return undefined;
  return probe.sni ?? (probe.host ?? '').replace(/:\d+$/, '');
}

export function expectedFor(model: Model, probe: Probe, context: ExpectContext): Expected {
  const sni = probe.scheme === 'https' ? (probe.sni === null ? null : sniOf(probe)) : undefined;
  const result = answer(model, { scheme: probe.scheme, host: probe.host ?? '', path: probe.path, httpsPort: context.httpsPort, ...(sni !== undefined ? { sni } : {}) });
  let expected: Expected;
  if (result.kind === 'bad-request') expected = { status: 400, why: 'bad request' };
  else if (result.kind === 'redirect') expected = { status: 308, location: result.location, why: 'redirect to HTTPS' };
  else if (result.kind === 'client-auth') expected = { status: result.status, why: 'client authentication' };
  else if (result.kind === 'client-auth-redirect') expected = { status: 302, location: result.location, why: 'client authentication error page' };
  else {
    const target = result.target;
    if (target.kind === 'not-found') expected = { status: 404, why: 'not-found' };
    else if (target.kind === 'unavailable') expected = { status: 503, why: 'unavailable' };
    else if (target.kind === 'invalid') expected = { status: 500, why: 'invalid' };
    else {
      const backend = backendsById(model).get(target.id);
      const servers = new Set((backend?.endpoints ?? []).map((endpoint) => context.serverNames.get(`${endpoint.address}:${endpoint.port}`) ?? `${endpoint.address}:${endpoint.port}`));
      // An Ingress whose annotations fail closed (a CA Secret that is missing): its paths answer 503.
      if (backend?.features?.denied) expected = { status: 503, why: `${describeTarget(target)} (denied by its annotations)` };
      else expected = servers.size === 0 ? { status: 503, why: `${describeTarget(target)} (no ready endpoint)` } : { status: 200, servers, why: describeTarget(target) };
    }
  }
  if (probe.scheme === 'https') {
    const certificate = selectCertificate(model, sniOf(probe));
    expected.certificate = { id: certificate.id, sha256: fingerprintsOf(certificate.pem).sha256 };
  }
  return expected;
}

/** Why an observation differs from what was expected; undefined when it matches. */
export function mismatch(expected: Expected, observed: Observation): string | undefined {
  const problems: string[] = [];
  if (observed.error !== undefined) problems.push(`error ${observed.error}`);
  else {
    if (observed.status !== expected.status) problems.push(`status ${observed.status}, expected ${expected.status}`);
    else if ((expected.status === 308 || expected.status === 302) && observed.location !== expected.location) problems.push(`Location ${observed.location}, expected ${expected.location}`);
    else if (expected.status === 200 && expected.servers && !expected.servers.has(observed.backend ?? '')) {
      problems.push(`answered by ${observed.backend ?? '(no x-backend)'}, expected one of ${[...expected.servers].sort().join(',')}`);
    }
    if (expected.certificate && observed.certificate !== expected.certificate.sha256) problems.push(`certificate ${observed.certificate?.slice(0, 23) ?? 'none'}…, expected ${expected.certificate.id}`);
  }
  return problems.length > 0 ? problems.join('; ') : undefined;
}

export function describeObservation(observed: Observation): string {
  if (observed.error !== undefined) return `error ${observed.error}`;
  return [String(observed.status), observed.location, observed.backend ? `x-backend=${observed.backend}` : undefined].filter(Boolean).join(' ');
}

export function describeExpected(expected: Expected): string {
  const servers = expected.servers ? ` from {${[...expected.servers].sort().join(',')}}` : '';
  return `${expected.status}${expected.location ? ` ${expected.location}` : ''}${servers} (${expected.why}${expected.certificate ? `, certificate ${expected.certificate.id}` : ''})`;
}

// ---------------------------------------------------------------------------
// Asking Portero.

/** A request without Host (HTTP/1.0) or with an empty one, over a raw socket: Node's client always sends a Host. */
function rawRequest(port: number, probe: Probe, timeoutMs: number): Promise<Observation> {
  const head = probe.host === undefined ? `GET ${probe.path} HTTP/1.0\r\n\r\n` : `GET ${probe.path} HTTP/1.1\r\nHost: ${probe.host}\r\nConnection: close\r\n\r\n`;
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => socket.destroy(new Error('timed out')), timeoutMs);
    socket.on('connect', () => socket.write(head));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', (error) => {
      clearTimeout(timer);
      resolve({ status: 0, error: error.message });
    });
    socket.on('close', () => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString('latin1');
      const [statusLine = '', ...lines] = text.split('\r\n\r\n')[0]!.split('\r\n');
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? 0);
      if (status === 0) {
        resolve({ status: 0, error: `no HTTP answer: ${JSON.stringify(text.slice(0, 80))}` });
        return;
      }
      const header = (name: string) => lines.find((line) => line.toLowerCase().startsWith(`${name}:`))?.slice(name.length + 1).trim();
      const observation: Observation = { status };
      const location = header('location');
      const backend = header('x-backend');
      if (location !== undefined) observation.location = location;
      if (backend !== undefined) observation.backend = backend;
      resolve(observation);
    });
  });
}

export async function ask(ports: { http: number; https: number }, probe: Probe, agent?: Agent, timeoutMs = 10_000): Promise<Observation> {
  if (probe.host === undefined || probe.host === '') return rawRequest(ports.http, probe, timeoutMs);
  try {
    const sni = sniOf(probe);
    const response = await request({
      port: probe.scheme === 'https' ? ports.https : ports.http,
      tls: probe.scheme === 'https',
      host: probe.host,
      path: probe.path,
      timeoutMs,
      ...(probe.scheme === 'https' ? { servername: sni ?? '' } : agent ? { agent } : {}),
    });
    const observation: Observation = { status: response.status };
    const location = response.headers.location;
    const backend = response.headers['x-backend'];
    if (typeof location === 'string') observation.location = location;
    if (typeof backend === 'string') observation.backend = backend;
    if (probe.scheme === 'https') observation.certificate = response.certificate?.fingerprint256 ?? 'none';
    return observation;
  } catch (error) {
    return { status: 0, error: (error as Error).message };
  }
}

/**
 * Asks every probe, `concurrency` at a time; the observations are in the
 * probes' order. Plain HTTP reuses connections opened for this call only
 * (the caller asks once the step's configuration is the one HAProxy runs);
 * HTTPS opens one connection per request, so each is a new handshake.
 */
export async function askAll(ports: { http: number; https: number }, probes: readonly Probe[], concurrency = 8): Promise<Observation[]> {
  const out: Observation[] = new Array(probes.length);
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  let next = 0;
  const worker = async () => {
    while (next < probes.length) {
      const index = next;
      next += 1;
      out[index] = await ask(ports, probes[index]!, agent);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(concurrency, probes.length) }, worker));
  } finally {
    agent.destroy();
  }
  return out;
}
