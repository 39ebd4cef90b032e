// Churn under load: wrk keeps requesting one host while endpoints of its
// Service, routes on its host, a certificate and the configuration's
// structure change underneath. Failed requests should be 0, and reloads
// should be exactly the structural changes.

import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { writeFileAtomic } from '../../src/dataplane/haproxy/files.js';
import { generateSelfSigned } from '../../src/tls/default-certificate.js';
import { tlsSecret } from '../../test/helpers/objects.js';
import { ingressObject, list, serviceObjects, writeFleet } from '../lib/fleet.js';
import { metric, startBenchPortero, type Portero } from '../lib/portero.js';
import { runWrk } from '../lib/wrk.js';
import { currentWorker } from '../../test/helpers/haproxy.js';

export interface ChurnResult {
  ingresses: number;
  changes: Record<string, number>;
  wrk: { requests: number; requestsPerSecond: number; non2xx3xx: number; socketErrors: number };
  failedRequests: number;
  reloadsByReason: Record<string, number>;
  workerChanges: number;
}

/** Written like an editor or kubectl-cp would: a temporary file renamed into place. */
function put(directory: string, name: string, content: string): Promise<void> {
  return writeFileAtomic(join(directory, name), content);
}

export async function churn(work: string, size: number, upstreamPorts: readonly number[], intervalMs: number): Promise<ChurnResult> {
  const manifests = join(work, `churn-${size}`);
  await writeFleet(manifests, size, upstreamPorts[0]!);
  const certs = [await generateSelfSigned('load a', ['tls.churn.test'], 30), await generateSelfSigned('load b', ['tls.churn.test'], 30)];
  const endpointsFile = (step: number) => {
    // Always two of the four upstream ports, rotating: never none.
    const chosen = [upstreamPorts[step % upstreamPorts.length]!, upstreamPorts[(step + 1) % upstreamPorts.length]!];
    return list(serviceObjects('load', chosen.map((port) => ({ address: '127.0.0.1', port }))));
  };
  const routesFile = (step: number) =>
    list([ingressObject('load', 'load.churn.test', [{ path: '/', service: 'load' }, ...Array.from({ length: step % 5 }, (_, i) => ({ path: `/extra-${step}-${i}`, service: 'load' }))])]);
  const secretFile = (step: number) =>
    list([
      tlsSecret('tls', certs[step % 2]!.cert, certs[step % 2]!.key, 'default'),
      ingressObject('tls', 'tls.churn.test', [{ path: '/', service: 'load' }], { tls: [{ hosts: ['tls.churn.test'], secretName: 'tls' }] }),
    ]);
  await writeFile(join(manifests, 'endpoints.json'), endpointsFile(0));
  await writeFile(join(manifests, 'routes.json'), routesFile(0));
  await writeFile(join(manifests, 'secret.json'), secretFile(0));
  let portero: Portero | undefined;
  try {
    portero = await startBenchPortero({ manifestsDir: manifests });
    const p = portero;
    const plan: { kind: string; run: (step: number) => Promise<void> }[] = [];
    for (let i = 1; i <= 100; i += 1) plan.push({ kind: 'endpoint', run: () => put(manifests, 'endpoints.json', endpointsFile(i)) });
    for (let i = 1; i <= 50; i += 1) plan.push({ kind: 'route', run: () => put(manifests, 'routes.json', routesFile(i)) });
    for (let i = 1; i <= 10; i += 1) plan.push({ kind: 'certificate', run: () => put(manifests, 'secret.json', secretFile(i)) });
    // Structural: the first wildcard host, the first Exact path, then forced reloads (SIGHUP).
    plan.push({ kind: 'structural', run: () => put(manifests, 'wild.json', list([ingressObject('wild', '*.wild.churn.test', [{ path: '/', service: 'load' }])])) });
    plan.push({ kind: 'structural', run: () => put(manifests, 'exact.json', list([ingressObject('exact', 'exact.churn.test', [{ path: '/exact', pathType: 'Exact', service: 'load' }])])) });
    for (let i = 0; i < 3; i += 1) plan.push({ kind: 'structural', run: async () => void p.child.kill('SIGHUP') });
    // Interleave: spread the kinds over the run rather than in blocks.
    const interleaved = plan.map((entry, index) => ({ entry, key: (index * 7919) % plan.length })).sort((a, b) => a.key - b.key).map((x) => x.entry);
    const reloadsBefore = new Map<string, number>();
    for (const reason of ['structural', 'forced', 'spares-exhausted', 'runtime-failed', 'resync', 'oversized']) reloadsBefore.set(reason, await metric(p, 'portero_haproxy_reloads_total', { reason }));
    const seconds = Math.ceil((interleaved.length * intervalMs) / 1000) + 3;
    const load = runWrk({ url: `http://127.0.0.1:${p.httpPort}/`, host: 'load.churn.test', seconds, connections: 50 });
    await sleep(1000);
    let workers = new Set([await currentWorker(p.stateDir)]);
    const counts: Record<string, number> = {};
    for (const [step, entry] of interleaved.entries()) {
      await entry.run(step + 1);
      counts[entry.kind] = (counts[entry.kind] ?? 0) + 1;
      await sleep(intervalMs);
      try {
        workers.add(await currentWorker(p.stateDir));
      } catch {
        // between workers during a reload
      }
    }
    const result = await load;
    const reloadsByReason: Record<string, number> = {};
    for (const [reason, before] of reloadsBefore) {
      const delta = (await metric(p, 'portero_haproxy_reloads_total', { reason })) - before;
      if (delta > 0) reloadsByReason[reason] = delta;
    }
    workers = new Set([...workers, await currentWorker(p.stateDir)]);
    return {
      ingresses: size,
      changes: counts,
      wrk: { requests: result.requests, requestsPerSecond: Math.round(result.requestsPerSecond), non2xx3xx: result.non2xx3xx, socketErrors: result.socketErrors },
      failedRequests: result.non2xx3xx + result.socketErrors,
      reloadsByReason,
      workerChanges: workers.size - 1,
    };
  } finally {
    await portero?.dispose();
  }
}
