// The Kubernetes API test server with the user fleet loaded, in a process of
// its own: a real API server does not share the event loop of whoever
// measures Portero (the sample requests, the RSS readings). Started by
// startFleetApi(); talks back on stdout, one JSON object per line:
//   {"kubeconfig": PATH}    once the fleet is loaded and the server listens
//   {"statusWritten": MS}   once every Ingress has a status (ms since the server started)
//
//   node --import tsx bench/lib/kube-api-process.ts COUNT UPSTREAM_PORT

import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { kubeconfigFile, startApi } from '../../test/helpers/kube.js';
import { loadFleet } from './kube-fleet.js';

export interface FleetApi {
  kubeconfig: string;
  /** Resolves with the time (performance.now() of this process) when every Ingress had its status. */
  statusWritten: Promise<number>;
  close(): Promise<void>;
}

/** Starts the API server process with `count` applications pointing at `upstreamPort`. */
export async function startFleetApi(count: number, upstreamPort: number): Promise<FleetApi> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), String(count), String(upstreamPort)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! });
  let resolveStatus!: (at: number) => void;
  const statusWritten = new Promise<number>((resolve) => (resolveStatus = resolve));
  const kubeconfig = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the API server process exited with ${code}`)));
    lines.on('line', (line) => {
      const message = JSON.parse(line) as { kubeconfig?: string; statusWritten?: number };
      if (message.kubeconfig) resolve(message.kubeconfig);
      if (message.statusWritten !== undefined) resolveStatus(performance.now());
    });
  });
  return {
    kubeconfig,
    statusWritten,
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

async function main(count: number, upstreamPort: number): Promise<void> {
  const api = await startApi({ bookmarkIntervalMs: 30_000 });
  loadFleet(api, { count, upstreamPort });
  const ingresses = api.resource('networking.k8s.io', 'ingresses');
  // Counted from the events, not by scanning 10,000 objects after each write.
  const withStatus = new Set<string>();
  const unsubscribe = api.store.onEvent((event) => {
    if (event.resource !== ingresses || event.type !== 'MODIFIED') return;
    const name = `${event.object.metadata.namespace}/${event.object.metadata.name}`;
    if ((event.object.status?.loadBalancer?.ingress?.length ?? 0) > 0) withStatus.add(name);
    else withStatus.delete(name);
    if (withStatus.size === count) {
      unsubscribe();
      process.stdout.write(`${JSON.stringify({ statusWritten: Math.round(performance.now()) })}\n`);
    }
  });
  process.stdout.write(`${JSON.stringify({ kubeconfig: await kubeconfigFile(api) })}\n`);
  process.once('SIGTERM', () => void api.close().then(() => process.exit(0)));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main(Number(process.argv[2]), Number(process.argv[3]));
