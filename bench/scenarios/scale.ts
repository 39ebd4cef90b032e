// Scale: from starting Portero to serving every one of `size` Ingresses,
// and the memory Portero and HAProxy hold then.

import { join } from 'node:path';
import { writeFleet } from '../lib/fleet.js';
import { get, haproxyMasterPid, startBenchPortero, type Portero } from '../lib/portero.js';
import { round, rssMiB, treeRssMiB } from '../lib/system.js';

export interface ScaleResult {
  ingresses: number;
  /** From process start to /readyz, which Portero answers once HAProxy serves every Ingress read at start. */
  readySeconds: number;
  /** Ingresses checked after ready (every hundredth and the last), all answering 200. */
  checked: number;
  /** Resident memory 25 s after ready, once start-up garbage is gone. */
  porteroRssMiB: number;
  haproxyRssMiB: number;
}

export async function scale(work: string, size: number, upstreamPort: number): Promise<ScaleResult> {
  const manifests = join(work, `scale-${size}`);
  const hosts = await writeFleet(manifests, size, upstreamPort);
  const started = performance.now();
  let portero: Portero | undefined;
  try {
    portero = await startBenchPortero({ manifestsDir: manifests });
    const ready = performance.now() - started;
    const sample = hosts.filter((_, index) => index % 100 === 0 || index === hosts.length - 1);
    for (const host of sample) {
      const { status } = await get(portero.httpPort, host, '/');
      if (status !== 200) throw new Error(`${host} answered ${status} after Portero became ready`);
    }
    // Memory once settled: Portero collects start-up garbage, and V8 returns the room some seconds later.
    await new Promise((resolve) => setTimeout(resolve, 25_000));
    return {
      ingresses: size,
      readySeconds: round(ready / 1000, 2),
      checked: sample.length,
      porteroRssMiB: round(rssMiB(portero.child.pid!), 1),
      haproxyRssMiB: round(treeRssMiB(await haproxyMasterPid(portero)), 1),
    };
  } finally {
    await portero?.dispose();
  }
}
