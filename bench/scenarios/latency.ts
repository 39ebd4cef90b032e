// Change-to-traffic latency: the time from a change reaching Portero (a
// manifest file written and renamed into place, or an object written to the
// Kubernetes API) to the first request that sees it, for new Ingresses,
// changed paths, endpoint changes and certificate rotations, with `size`
// other Ingresses loaded.

import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { writeFileAtomic } from '../../src/dataplane/haproxy/files.js';
import { generateSelfSigned } from '../../src/tls/default-certificate.js';
import { tlsSecret } from '../../test/helpers/objects.js';
import { kubeconfigFile, startApi } from '../../test/helpers/kube.js';
import { ingressObject, list, serviceObjects, writeFleet } from '../lib/fleet.js';
import { get, metric, servedCommonName, startBenchPortero, timeToEffect, type Portero } from '../lib/portero.js';
import { percentile, round } from '../lib/system.js';

export interface Distribution {
  samples: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface LatencyResult {
  ingresses: number;
  changes: Record<string, Distribution>;
  /** Reloads during the measured changes (all of them runtime changes: 0 expected). */
  reloads: number;
}

export function distribution(values: number[]): Distribution {
  return { samples: values.length, p50Ms: round(percentile(values, 50), 1), p99Ms: round(percentile(values, 99), 1), maxMs: round(Math.max(...values), 1) };
}

/** Written like an editor or kubectl-cp would: a temporary file renamed into place. */
function writeAtomically(directory: string, name: string, content: string): Promise<void> {
  return writeFileAtomic(join(directory, name), content);
}

export async function changeLatency(work: string, size: number, upstreamPorts: [number, number], samples: number): Promise<LatencyResult> {
  const [portA, portB] = upstreamPorts;
  const manifests = join(work, `latency-${size}`);
  await writeFleet(manifests, size, portA);
  const certA = await generateSelfSigned('tls.bench.test a', ['tls.bench.test'], 30);
  const certB = await generateSelfSigned('tls.bench.test b', ['tls.bench.test'], 30);
  await writeFile(
    join(manifests, 'latency.json'),
    list([
      ...serviceObjects('lat-a', [{ address: '127.0.0.1', port: portA }]),
      ...serviceObjects('lat-b', [{ address: '127.0.0.1', port: portB }]),
      ingressObject('tls', 'tls.bench.test', [{ path: '/', service: 'lat-a' }], { tls: [{ hosts: ['tls.bench.test'], secretName: 'tls' }] }),
      ingressObject('exact', 'exact.bench.test', [{ path: '/exact', pathType: 'Exact', service: 'lat-a' }]),
    ]),
  );
  await writeFile(join(manifests, 'tls-secret.json'), list([tlsSecret('tls', certA.cert, certA.key, 'default')]));
  await writeFile(join(manifests, 'change.json'), list([ingressObject('change', 'change.bench.test', [{ path: '/v0', service: 'lat-a' }])]));
  await writeFile(join(manifests, 'endpoint.json'), list([...serviceObjects('lat-ep', [{ address: '127.0.0.1', port: portA }]), ingressObject('ep', 'ep.bench.test', [{ path: '/', service: 'lat-ep' }])]));
  let portero: Portero | undefined;
  try {
    portero = await startBenchPortero({ manifestsDir: manifests });
    const p = portero;
    const reloadsBefore = await metric(p, 'portero_haproxy_reloads_total');
    const results: Record<string, number[]> = { 'new Ingress': [], 'changed path': [], 'endpoint change': [], 'certificate rotation': [] };
    const settle = () => sleep(150);
    for (let i = 0; i < samples; i += 1) {
      results['new Ingress']!.push(
        await timeToEffect(
          () => writeAtomically(manifests, `new-${i}.json`, list([ingressObject(`new-${i}`, `new-${i}.bench.test`, [{ path: '/', service: 'lat-a' }])])),
          async () => (await get(p.httpPort, `new-${i}.bench.test`, '/')).status === 200,
        ),
      );
      await settle();
      results['changed path']!.push(
        await timeToEffect(
          () => writeAtomically(manifests, 'change.json', list([ingressObject('change', 'change.bench.test', [{ path: `/v${i + 1}`, service: 'lat-a' }])])),
          async () => (await get(p.httpPort, 'change.bench.test', `/v${i + 1}`)).status === 200,
        ),
      );
      await settle();
      const target = i % 2 === 0 ? portB : portA;
      results['endpoint change']!.push(
        await timeToEffect(
          () => writeAtomically(manifests, 'endpoint.json', list([...serviceObjects('lat-ep', [{ address: '127.0.0.1', port: target }]), ingressObject('ep', 'ep.bench.test', [{ path: '/', service: 'lat-ep' }])])),
          async () => (await get(p.httpPort, 'ep.bench.test', '/')).body.includes(String(target)),
        ),
      );
      await settle();
      const cert = i % 2 === 0 ? certB : certA;
      const expected = i % 2 === 0 ? 'tls.bench.test b' : 'tls.bench.test a';
      results['certificate rotation']!.push(
        await timeToEffect(
          () => writeAtomically(manifests, 'tls-secret.json', list([tlsSecret('tls', cert.cert, cert.key, 'default')])),
          async () => (await servedCommonName(p.httpsPort, 'tls.bench.test')) === expected,
        ),
      );
      await settle();
    }
    const reloads = (await metric(p, 'portero_haproxy_reloads_total')) - reloadsBefore;
    return { ingresses: size, changes: Object.fromEntries(Object.entries(results).map(([name, values]) => [name, distribution(values)])), reloads };
  } finally {
    await portero?.dispose();
  }
}

/** Kubernetes mode: a new Ingress created in the API (the in-repo test server) until its first 200. */
export async function kubeNewIngressLatency(upstreamPort: number, samples: number): Promise<Distribution> {
  const api = await startApi({ bookmarkIntervalMs: 30_000 });
  let portero: Portero | undefined;
  try {
    for (const object of serviceObjects('app', [{ address: '127.0.0.1', port: upstreamPort }])) api.apply(object);
    portero = await startBenchPortero({ kube: { kubeconfig: await kubeconfigFile(api) }, flags: ['--publish-status-address', '192.0.2.10'] });
    const p = portero;
    const values: number[] = [];
    for (let i = 0; i < samples; i += 1) {
      values.push(
        await timeToEffect(
          async () => void api.apply(ingressObject(`k${i}`, `k${i}.bench.test`, [{ path: '/', service: 'app' }])),
          async () => (await get(p.httpPort, `k${i}.bench.test`, '/')).status === 200,
        ),
      );
      await sleep(150);
    }
    return distribution(values);
  } finally {
    await portero?.dispose();
    await api.close();
  }
}
