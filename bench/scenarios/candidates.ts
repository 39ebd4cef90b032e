// What routes with candidates (request conditions and weighted splits, the
// Gateway API's matches and weighted backendRefs) cost per request, and what
// they cost the hosts that do not use them ("pay only for what you use").
// The data plane runs models built by hand (test/helpers/dataplane.ts), not
// translated from HTTPRoutes, so that only its cost is measured. Two
// HAProxys, in the same invocation, to the same upstream:
//   off  no route has candidates: the capability is off, the frontends are
//        those of an Ingress-only configuration;
//   on   the same plain host, plus a host whose route has 5 candidates (the
//        request meets all 5: four fail on a method, a header, a pattern on
//        the Host header and a query parameter, the fifth matches on its
//        method),
//        and a host whose route is one unconditional 50/50 split.
// wrk measures the plain host in both (`off:plain`, `on:plain`), the
// candidates host and the split host in `on`; every target once per round,
// rounds interleaved with their order rotated; medians reported, as ratios
// over `off:plain` (the baseline).

import { measureRounds } from '../lib/rounds.js';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Candidate, HostLevel, Model, Route } from '../../src/model/model.js';
import { instructionsPerRequest, standaloneCopy } from '../lib/instructions.js';
import { round } from '../lib/system.js';
import { modelOf, startDataplane, type RunningDataplane } from '../../test/helpers/dataplane.js';
import { freePort } from '../../test/helpers/portero.js';

const PATH = '/bench';
const HOSTS = { plain: 'plain.bench.test', candidates: 'candidates.bench.test', split: 'split.bench.test' } as const;

export interface CandidatesSample {
  requestsPerSecond: number;
  cpuMicrosecondsPerRequest: number;
  errors: number;
}

export interface CandidatesResult {
  rounds: number;
  seconds: number;
  /** Keyed `off:plain`, `on:plain`, `on:candidates`, `on:split`. */
  targets: Record<string, CandidatesSample>;
  /** CPU per request over `off:plain`: the plain host with the capability on (target ≈ 1.0), the 5-candidate host, the split host. */
  cpuRatios: { plainOn: number; candidates: number; split: number };
  rpsRatios: { plainOn: number; candidates: number; split: number };
  /** Callgrind instructions per request, and the same ratios. */
  instructions?: { plainOff: number; plainOn: number; candidates: number; split: number; ratioPlainOn: number; ratioCandidates: number; ratioSplit: number };
}

const header = (name: string, value: string, kind: 'exact' | 'regex' = 'exact') => ({ name, match: { kind, value } });

async function models(upstreamPort: number): Promise<{ off: Model; on: Model }> {
  const backends = ['app', 'other'].map((service) => ({ id: `bench_${service}_80`, namespace: 'bench', service, port: 80, endpoints: [{ address: '127.0.0.1', port: upstreamPort }] }));
  const app = { kind: 'backend' as const, id: 'bench_app_80' };
  const other = { kind: 'backend' as const, id: 'bench_other_80' };
  const level = (host: string, route: Route): HostLevel => ({ host, routes: [route], fallback: { kind: 'not-found' } });
  const only = (when: Candidate['when'], target = other): Candidate => ({ when, split: [{ target, weight: 1 }] });
  const five: Candidate[] = [
    only({ method: 'POST', headers: [], query: [] }),
    only({ headers: [header('x-version', 'v2')], query: [] }),
    only({ headers: [header('host', '^api[.]', 'regex')], query: [] }),
    only({ headers: [], query: [header('canary', 'true')] }),
    only({ method: 'GET', headers: [], query: [] }, app),
  ];
  const plain = level(HOSTS.plain, { match: 'prefix', path: '', target: app });
  const off = await modelOf([plain], backends);
  const on = await modelOf(
    [
      plain,
      level(HOSTS.candidates, { match: 'prefix', path: '', target: other, candidates: five }),
      level(HOSTS.split, { match: 'prefix', path: '', target: other, candidates: [{ split: [{ target: app, weight: 50 }, { target: other, weight: 50 }] }] }),
    ],
    backends,
  );
  return { off, on };
}

async function masterPid(dp: RunningDataplane): Promise<number> {
  return Number((await readFile(join(dp.stateDir, 'haproxy.pid'), 'utf8')).trim());
}

export async function candidates(work: string, upstreamPort: number, rounds: number, seconds: number, countInstructions: boolean): Promise<CandidatesResult> {
  const { off, on } = await models(upstreamPort);
  let a: RunningDataplane | undefined;
  let b: RunningDataplane | undefined;
  try {
    a = await startDataplane(off);
    b = await startDataplane(on);
    const targets = [
      { name: 'off:plain', dp: a, host: HOSTS.plain },
      { name: 'on:plain', dp: b, host: HOSTS.plain },
      { name: 'on:candidates', dp: b, host: HOSTS.candidates },
      { name: 'on:split', dp: b, host: HOSTS.split },
    ];
    const results: Record<string, CandidatesSample> = await measureRounds(
      targets.map((target) => ({ name: target.name, port: target.dp.httpPort, host: target.host, pid: () => masterPid(target.dp) })),
      { rounds, seconds, path: PATH },
    );
    const cpu = (name: string) => results[name]!.cpuMicrosecondsPerRequest;
    const rps = (name: string) => results[name]!.requestsPerSecond;
    let instructions: CandidatesResult['instructions'];
    if (countInstructions) {
      const count = async (dp: RunningDataplane, host: string) => {
        const [http, https] = [await freePort(), await freePort()];
        const config = standaloneCopy(await readFile(join(dp.stateDir, 'haproxy.cfg'), 'utf8'), http, https);
        return instructionsPerRequest(work, config, http, host, 200, 2200);
      };
      const plainOff = await count(a, HOSTS.plain);
      const plainOn = await count(b, HOSTS.plain);
      const five = await count(b, HOSTS.candidates);
      const split = await count(b, HOSTS.split);
      instructions = { plainOff, plainOn, candidates: five, split, ratioPlainOn: round(plainOn / plainOff, 3), ratioCandidates: round(five / plainOff, 3), ratioSplit: round(split / plainOff, 3) };
    }
    return {
      rounds,
      seconds,
      targets: results,
      cpuRatios: { plainOn: round(cpu('on:plain') / cpu('off:plain'), 3), candidates: round(cpu('on:candidates') / cpu('off:plain'), 3), split: round(cpu('on:split') / cpu('off:plain'), 3) },
      rpsRatios: { plainOn: round(rps('on:plain') / rps('off:plain'), 3), candidates: round(rps('on:candidates') / rps('off:plain'), 3), split: round(rps('on:split') / rps('off:plain'), 3) },
      ...(instructions ? { instructions } : {}),
    };
  } finally {
    await b?.stop();
    await a?.stop();
  }
}
