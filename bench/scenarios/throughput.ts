// Throughput, latency and proxy CPU per request: Portero (with `size`
// Ingresses loaded) vs a hand-written HAProxy configuration for the same
// host (with the same forwarding headers, and bare) vs nginx, all to the
// same upstream, in interleaved rounds. CPU time per request is the robust
// figure on a shared machine; req/s moves with whatever else runs.

import { measureRounds } from '../lib/rounds.js';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { instructionsPerRequest, standaloneCopy } from '../lib/instructions.js';
import { writeFleet } from '../lib/fleet.js';
import { haproxyMasterPid, startBenchPortero, type Portero } from '../lib/portero.js';
import { handWrittenConfig, startHaproxy, startNginxProxy, type Running } from '../lib/servers.js';
import { round } from '../lib/system.js';
import { freePort } from '../../test/helpers/portero.js';

export interface TargetResult {
  requestsPerSecond: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  cpuMicrosecondsPerRequest: number;
  errors: number;
}

export interface ThroughputResult {
  ingresses: number;
  rounds: number;
  seconds: number;
  targets: Record<string, TargetResult>;
  /** Hand-written CPU per request divided by Portero's: 1 means equal cost, above 0.95 is the goal. */
  cpuRatioHandWrittenOverPortero: number;
  cpuRatioBareOverPortero: number;
  cpuRatioNginxOverPortero: number;
  /** Instructions per request counted by callgrind (steady whatever the machine does), when measured. */
  instructions?: { portero: number; handWritten: number; bare: number; ratioHandWrittenOverPortero: number; ratioBareOverPortero: number };
}

interface Target {
  name: string;
  port: number;
  pid: () => Promise<number>;
}

export async function throughput(work: string, size: number, upstreamPort: number, rounds: number, seconds: number, countInstructions: boolean): Promise<ThroughputResult> {
  const manifests = join(work, `throughput-${size}`);
  await writeFleet(manifests, size, upstreamPort);
  const running: Running[] = [];
  let portero: Portero | undefined;
  try {
    portero = await startBenchPortero({ manifestsDir: manifests });
    const [handPort, barePort, nginxPort] = [await freePort(), await freePort(), await freePort()];
    const hand = await startHaproxy(work, `hand-${size}`, handWrittenConfig(handPort, upstreamPort), handPort);
    const bare = await startHaproxy(work, `bare-${size}`, handWrittenConfig(barePort, upstreamPort, true), barePort);
    const nginx = await startNginxProxy(work, nginxPort, upstreamPort);
    running.push(hand, bare, nginx);
    const p = portero;
    const targets: Target[] = [
      { name: 'portero', port: p.httpPort, pid: () => haproxyMasterPid(p) },
      { name: 'haproxy-hand-written', port: handPort, pid: async () => hand.pid },
      { name: 'haproxy-bare', port: barePort, pid: async () => bare.pid },
      { name: 'nginx', port: nginxPort, pid: async () => nginx.pid },
    ];
    const targetResults: Record<string, TargetResult> = await measureRounds(targets.map((target) => ({ ...target, host: 'example.com' })), { rounds, seconds });
    const cpu = (name: string) => targetResults[name]!.cpuMicrosecondsPerRequest;
    let instructions: ThroughputResult['instructions'];
    if (countInstructions) {
      const [a, b, c, d] = [await freePort(), await freePort(), await freePort(), await freePort()];
      const config = standaloneCopy(await readFile(join(p.stateDir, 'haproxy.cfg'), 'utf8'), a, b);
      const portero = await instructionsPerRequest(work, config, a, 'example.com');
      const handWritten = await instructionsPerRequest(work, handWrittenConfig(c, upstreamPort), c, 'example.com');
      const bareCount = await instructionsPerRequest(work, handWrittenConfig(d, upstreamPort, true), d, 'example.com');
      instructions = { portero, handWritten, bare: bareCount, ratioHandWrittenOverPortero: round(handWritten / portero, 3), ratioBareOverPortero: round(bareCount / portero, 3) };
    }
    return {
      ingresses: size,
      rounds,
      seconds,
      targets: targetResults,
      cpuRatioHandWrittenOverPortero: round(cpu('haproxy-hand-written') / cpu('portero'), 3),
      cpuRatioBareOverPortero: round(cpu('haproxy-bare') / cpu('portero'), 3),
      cpuRatioNginxOverPortero: round(cpu('nginx') / cpu('portero'), 3),
      ...(instructions ? { instructions } : {}),
    };
  } finally {
    for (const server of running) await server.stop();
    await portero?.dispose();
  }
}
