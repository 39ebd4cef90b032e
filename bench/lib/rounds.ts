// wrk against several targets in interleaved rounds, the order rotated each
// round so that no target always runs first or last on a shared machine;
// per target the medians of req/s and of the proxy's CPU time per request
// (user + system of its process tree, from /proc), the steady figure.

import { median, round, treeCpuSeconds } from './system.js';
import { runWrk } from './wrk.js';

export interface RoundsTarget {
  name: string;
  port: number;
  host: string;
  /** The root of the process tree that does the proxying (read each round: a reload replaces workers). */
  pid: () => Promise<number>;
}

export interface RoundsSample {
  requestsPerSecond: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  cpuMicrosecondsPerRequest: number;
  /** Responses other than 2xx/3xx and socket errors, summed over rounds. */
  errors: number;
}

export async function measureRounds(targets: readonly RoundsTarget[], options: { rounds: number; seconds: number; path?: string; headers?: readonly string[] }): Promise<Record<string, RoundsSample>> {
  const samples = new Map<string, RoundsSample[]>(targets.map((target) => [target.name, []]));
  for (let r = 0; r < options.rounds; r += 1) {
    for (const target of targets.map((_, i) => targets[(i + r) % targets.length]!)) {
      const pid = await target.pid();
      const before = treeCpuSeconds(pid);
      const result = await runWrk({ url: `http://127.0.0.1:${target.port}${options.path ?? '/bench'}`, host: target.host, seconds: options.seconds, ...(options.headers ? { headers: [...options.headers] } : {}) });
      const cpu = treeCpuSeconds(pid) - before;
      samples.get(target.name)!.push({
        requestsPerSecond: result.requestsPerSecond,
        latencyP50Ms: result.latencyP50Ms,
        latencyP99Ms: result.latencyP99Ms,
        cpuMicrosecondsPerRequest: result.requests > 0 ? (cpu * 1e6) / result.requests : Number.NaN,
        errors: result.non2xx3xx + result.socketErrors,
      });
    }
  }
  const out: Record<string, RoundsSample> = {};
  for (const [name, list] of samples) {
    out[name] = {
      requestsPerSecond: round(median(list.map((s) => s.requestsPerSecond)), 0),
      latencyP50Ms: round(median(list.map((s) => s.latencyP50Ms)), 3),
      latencyP99Ms: round(median(list.map((s) => s.latencyP99Ms)), 3),
      cpuMicrosecondsPerRequest: round(median(list.map((s) => s.cpuMicrosecondsPerRequest)), 2),
      errors: list.reduce((sum, s) => sum + s.errors, 0),
    };
  }
  return out;
}
