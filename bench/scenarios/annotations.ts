// What ingress-nginx annotations cost per request (issue 9, "pay only for
// what you use"). Two Porteros run side by side with the same Ingresses:
// (a) none of them annotated, (b) a tenth of them carrying a realistic mix
// of annotations. In both, wrk measures a host that is never annotated
// (`plain`), the host that carries the mix in (b) (`mix`), and hosts that
// carry one annotation each in (b) (`feature:*`); in (a) those hosts are
// the same Ingresses without annotations. Every target is measured once per
// round, rounds interleaved with their order rotated; medians reported.
//
// The figures that matter are ratios measured in the same invocation:
//   - CPU per request of the mix host in (b) over the same host in (a):
//     the target is at most 1.10;
//   - CPU per request of the plain host in (b) over (a): ≈ 1.0, requests to
//     Ingresses without annotations cost what they cost before;
//   - each feature host in (b) over the plain host in (b).

import { measureRounds } from '../lib/rounds.js';
import { execFileSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { instructionsPerRequest, standaloneCopy } from '../lib/instructions.js';
import { ingressObject, list, serviceObjects } from '../lib/fleet.js';
import { haproxyMasterPid, startBenchPortero, type Portero } from '../lib/portero.js';
import { round } from '../lib/system.js';
import { freePort } from '../../test/helpers/portero.js';

const A = 'nginx.ingress.kubernetes.io';

/** The measured path; the rewrite of the mix and of the rewrite feature strips `/bench`. */
const PATH = '/bench';
const REGEX_PATH = '/bench(/|$)(.*)';

/**
 * Basic auth (auth-type, auth-secret, auth-realm) with one user whose
 * password hash is `$apr1$`, the format htpasswd writes by default (made by
 * `openssl passwd -apr1`, as users do). The load generator sends the
 * credentials to every host alike, so no host pays for more header bytes
 * than another.
 */
const BASIC_AUTH_SECRET = 'bench-basic-auth';
const BASIC_AUTH_PASSWORD = 'bench-password';
export const BASIC_AUTH_ANNOTATIONS: Readonly<Record<string, string>> = {
  [`${A}/auth-type`]: 'basic',
  [`${A}/auth-secret`]: BASIC_AUTH_SECRET,
  [`${A}/auth-realm`]: 'Authentication Required',
};
export const BASIC_AUTH_OBJECTS: readonly Record<string, unknown>[] = [
  {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'Opaque',
    metadata: { name: BASIC_AUTH_SECRET, namespace: 'default' },
    stringData: { auth: `bench:${execFileSync('openssl', ['passwd', '-apr1', BASIC_AUTH_PASSWORD], { encoding: 'utf8' }).trim()}\n` },
  },
];
export const BASIC_AUTH_HEADER = `Basic ${Buffer.from(`bench:${BASIC_AUTH_PASSWORD}`).toString('base64')}`;

/**
 * The realistic mix on a tenth of the Ingresses (and on the measured `mix`
 * host). ssl-redirect stays at its default on hosts without TLS (it has no
 * effect there, as in ingress-nginx); force-ssl-redirect, which answers
 * 308 instead of proxying, is on the unmeasured tenth only and measured on
 * its own row.
 */
export function mixAnnotations(measured: boolean): Record<string, string> {
  return {
    ...(measured ? { [`${A}/ssl-redirect`]: 'true' } : { [`${A}/force-ssl-redirect`]: 'true' }),
    [`${A}/use-regex`]: 'true',
    [`${A}/rewrite-target`]: '/$2',
    [`${A}/enable-cors`]: 'true',
    [`${A}/cors-allow-origin`]: 'https://app.example.com, https://*.example.org',
    [`${A}/proxy-read-timeout`]: '120',
    [`${A}/proxy-connect-timeout`]: '10',
    // Admits the load generator (loopback) and a realistic office range.
    [`${A}/allowlist-source-range`]: '127.0.0.0/8, 10.0.0.0/8, 192.168.0.0/16',
    [`${A}/proxy-body-size`]: '8m',
    ...BASIC_AUTH_ANNOTATIONS,
  };
}

/** One annotation (or two that go together) per row, on its own host. */
export const FEATURES: Readonly<Record<string, { annotations: Record<string, string>; regex?: boolean; note?: string }>> = {
  'force-ssl-redirect': { annotations: { [`${A}/force-ssl-redirect`]: 'true' }, note: 'answers 308 without reaching the upstream' },
  'ssl-redirect': { annotations: { [`${A}/ssl-redirect`]: 'false' } },
  'rewrite-target + use-regex': { annotations: { [`${A}/use-regex`]: 'true', [`${A}/rewrite-target`]: '/$2' }, regex: true },
  'enable-cors': { annotations: { [`${A}/enable-cors`]: 'true' } },
  'proxy-read-timeout': { annotations: { [`${A}/proxy-read-timeout`]: '120' } },
  'allowlist-source-range': { annotations: { [`${A}/allowlist-source-range`]: '127.0.0.0/8, 10.0.0.0/8' } },
  'proxy-body-size': { annotations: { [`${A}/proxy-body-size`]: '8m' } },
  'basic auth (apr1)': { annotations: { ...BASIC_AUTH_ANNOTATIONS } },
};

const featureHost = (index: number) => `feature-${index}.bench.test`;

type Json = Record<string, unknown>;

function annotated(object: Json, annotations: Record<string, string> | undefined): Json {
  if (annotations) (object.metadata as Json).annotations = annotations;
  return object;
}

function measuredIngress(name: string, host: string, annotations: Record<string, string> | undefined, regex: boolean, upstreamPort: number): Json[] {
  // The regular-expression path comes with the rewrite; the same Ingress without annotations has a plain prefix.
  const path = regex && annotations ? { path: REGEX_PATH, pathType: 'ImplementationSpecific', service: name } : { path: '/', service: name };
  return [annotated(ingressObject(name, host, [path]), annotations), ...serviceObjects(name, [{ address: '127.0.0.1', port: upstreamPort }])];
}

/**
 * `size` fleet Ingresses plus the measured ones. With `annotate`, every
 * tenth fleet Ingress (the first included, so 1 of 1) carries the mix, and
 * the measured mix and feature hosts their annotations; without, the same
 * objects bare. Only the annotations differ, and the path that comes with
 * rewrite-target (a regular expression instead of the prefix `/`).
 */
export async function writeAnnotatedFleet(directory: string, size: number, upstreamPort: number, annotate: boolean): Promise<void> {
  await mkdir(directory, { recursive: true });
  const chunk = 500;
  for (let start = 0; start < size; start += chunk) {
    const items: Json[] = [];
    for (let i = start; i < Math.min(size, start + chunk); i += 1) {
      const withMix = annotate && i % 10 === 0;
      const paths = withMix ? [{ path: REGEX_PATH, pathType: 'ImplementationSpecific', service: `app-${i}` }] : [{ path: '/', service: `app-${i}` }];
      items.push(annotated(ingressObject(`app-${i}`, `app-${i}.fleet.test`, paths), withMix ? mixAnnotations(false) : undefined), ...serviceObjects(`app-${i}`, [{ address: '127.0.0.1', port: upstreamPort }]));
    }
    await writeFile(join(directory, `fleet-${String(start / chunk).padStart(3, '0')}.json`), list(items));
  }
  const measured: Json[] = [
    ...measuredIngress('example', 'example.com', undefined, false, upstreamPort),
    ...measuredIngress('mix', 'mix.bench.test', annotate ? mixAnnotations(true) : undefined, true, upstreamPort),
    ...Object.values(FEATURES).flatMap((feature, index) => measuredIngress(`feature-${index}`, featureHost(index), annotate ? feature.annotations : undefined, feature.regex ?? false, upstreamPort)),
    ...BASIC_AUTH_OBJECTS,
  ];
  await writeFile(join(directory, 'measured.json'), list(measured));
}

export interface Sample {
  requestsPerSecond: number;
  cpuMicrosecondsPerRequest: number;
  /** Responses other than 2xx/3xx and socket errors, summed over rounds. */
  errors: number;
  /** The status the host answers (one request before measuring): 200, or 308 for a redirect. */
  status?: number;
}

export interface AnnotationsResult {
  ingresses: number;
  annotatedIngresses: number;
  rounds: number;
  seconds: number;
  /** Keyed `a:plain`, `a:mix`, `b:plain`, `b:mix`, `b:feature:<name>`, `a:feature:<name>`. */
  targets: Record<string, Sample>;
  /**
   * CPU per request of the whole fleet, (b) over (a), with requests spread
   * evenly over the Ingresses, a tenth of which carry the mix in (b):
   * (0.9 plain + 0.1 mix) in (b) over the same in (a). The issue's target:
   * at most 1.10.
   */
  cpuRatioFleet: number;
  /** CPU per request, (b) mix host over (a) same host: what the annotated Ingresses alone pay. */
  cpuRatioMix: number;
  /** CPU per request, (b) plain host over (a) plain host. Target: ≈ 1.0. */
  cpuRatioPlain: number;
  /** req/s, (b) over (a), for the same two hosts. */
  rpsRatioMix: number;
  rpsRatioPlain: number;
  /** Per feature: CPU per request of its host over the plain host, both in (b); and the same host in (b) over (a). */
  features: Record<string, { cpuRatioOverPlain: number; cpuRatioOverUnannotated: number; status: number; note?: string }>;
  /** Callgrind instructions per request, plain and mix hosts in (a) and (b), and the ratios (b)/(a). */
  instructions?: { plainA: number; plainB: number; mixA: number; mixB: number; ratioPlain: number; ratioMix: number; ratioFleet: number; features?: Record<string, number> };
}

interface Target {
  name: string;
  portero: Portero;
  host: string;
}

/** Sent to every host alike (so that no host pays for more header bytes than another). */
const EXTRA_HEADERS = [`Authorization: ${BASIC_AUTH_HEADER}`];

/** The status one request gets (node:http: fetch does not send the Host header it is given). */
function statusOf(port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: PATH, headers: { host, authorization: BASIC_AUTH_HEADER } }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

/** The cost of a request to the fleet when requests are spread evenly and a tenth of the Ingresses carry the mix. */
const fleet = (plain: number, mix: number) => 0.9 * plain + 0.1 * mix;

export async function annotations(work: string, size: number, upstreamPort: number, rounds: number, seconds: number, countInstructions: boolean): Promise<AnnotationsResult> {
  const bareDir = join(work, `annotations-${size}-a`);
  const annotatedDir = join(work, `annotations-${size}-b`);
  await writeAnnotatedFleet(bareDir, size, upstreamPort, false);
  await writeAnnotatedFleet(annotatedDir, size, upstreamPort, true);
  let a: Portero | undefined;
  let b: Portero | undefined;
  try {
    a = await startBenchPortero({ manifestsDir: bareDir });
    b = await startBenchPortero({ manifestsDir: annotatedDir });
    const featureNames = Object.keys(FEATURES);
    const targets: Target[] = [
      { name: 'a:plain', portero: a, host: 'example.com' },
      { name: 'a:mix', portero: a, host: 'mix.bench.test' },
      { name: 'b:plain', portero: b, host: 'example.com' },
      { name: 'b:mix', portero: b, host: 'mix.bench.test' },
      ...featureNames.flatMap((name, index) => [
        { name: `b:feature:${name}`, portero: b!, host: featureHost(index) },
        { name: `a:feature:${name}`, portero: a!, host: featureHost(index) },
      ]),
    ];
    const statuses = new Map<string, number>();
    for (const target of targets) {
      const status = await statusOf(target.portero.httpPort, target.host);
      statuses.set(target.name, status);
      if (status !== 200 && status !== 308) throw new Error(`${target.name} (${target.host}) answers ${status}`);
    }
    const measured = await measureRounds(
      targets.map((target) => ({ name: target.name, port: target.portero.httpPort, host: target.host, pid: () => haproxyMasterPid(target.portero) })),
      { rounds, seconds, path: PATH, headers: EXTRA_HEADERS },
    );
    const results: Record<string, Sample> = {};
    for (const [name, sample] of Object.entries(measured)) {
      results[name] = { requestsPerSecond: sample.requestsPerSecond, cpuMicrosecondsPerRequest: sample.cpuMicrosecondsPerRequest, errors: sample.errors, status: statuses.get(name)! };
    }
    const cpu = (name: string) => results[name]!.cpuMicrosecondsPerRequest;
    const rps = (name: string) => results[name]!.requestsPerSecond;
    const features: AnnotationsResult['features'] = {};
    for (const name of featureNames) {
      const note = FEATURES[name]!.note;
      features[name] = {
        cpuRatioOverPlain: round(cpu(`b:feature:${name}`) / cpu('b:plain'), 3),
        cpuRatioOverUnannotated: round(cpu(`b:feature:${name}`) / cpu(`a:feature:${name}`), 3),
        status: statuses.get(`b:feature:${name}`)!,
        ...(note ? { note } : {}),
      };
    }
    let instructions: AnnotationsResult['instructions'];
    if (countInstructions) {
      const count = async (portero: Portero, host: string) => {
        const [http, https] = [await freePort(), await freePort()];
        const config = standaloneCopy(await readFile(join(portero.stateDir, 'haproxy.cfg'), 'utf8'), http, https);
        // More requests at 1 Ingress, where it is cheap: the differences measured are a few thousand instructions.
        return instructionsPerRequest(work, config, http, host, 200, size === 1 ? 4200 : 1200, { authorization: BASIC_AUTH_HEADER });
      };
      const [plainA, plainB, mixA, mixB] = [await count(a, 'example.com'), await count(b, 'example.com'), await count(a, 'mix.bench.test'), await count(b, 'mix.bench.test')];
      instructions = { plainA, plainB, mixA, mixB, ratioPlain: round(plainB / plainA, 3), ratioMix: round(mixB / mixA, 3), ratioFleet: round(fleet(plainB, mixB) / fleet(plainA, mixA), 3) };
      // Per feature at 1 Ingress only: with 10,000 the timed background work does not cancel out well enough for differences this small.
      if (size === 1) {
        instructions.features = {};
        // Against the same host in (a): the host names differ in length from the plain host's, which alone moves the count by about 1,000.
        for (const [index, name] of featureNames.entries()) instructions.features[name] = (await count(b, featureHost(index))) - (await count(a, featureHost(index)));
      }
    }
    return {
      ingresses: size,
      annotatedIngresses: Math.ceil(size / 10),
      rounds,
      seconds,
      targets: results,
      cpuRatioFleet: round(fleet(cpu('b:plain'), cpu('b:mix')) / fleet(cpu('a:plain'), cpu('a:mix')), 3),
      cpuRatioMix: round(cpu('b:mix') / cpu('a:mix'), 3),
      cpuRatioPlain: round(cpu('b:plain') / cpu('a:plain'), 3),
      rpsRatioMix: round(rps('b:mix') / rps('a:mix'), 3),
      rpsRatioPlain: round(rps('b:plain') / rps('a:plain'), 3),
      features,
      ...(instructions ? { instructions } : {}),
    };
  } finally {
    await b?.dispose();
    await a?.dispose();
  }
}
