// `npm run bench`: every benchmark side by side in one invocation, written
// to bench/results/latest.md and latest.json. See docs/benchmarks.md.
//
//   npm run bench                 the full suite (about 20 minutes)
//   npm run bench -- --quick      fewer rounds and samples, for a quick look
//   npm run bench -- --only startup [--workloads kubernetes,yaml-file] [--runs 1]
//                                 one scenario (throughput, latency, churn, startup),
//                                 printed only: bench/results/ is left as it is
//   npm run bench -- --only annotations [--quick]
//                                 what ingress-nginx annotations cost per request
//   npm run bench -- --only candidates [--quick]
//                                 what request conditions and weighted splits cost per request
//   npm run bench -- --only gateway [--quick]
//                                 HTTPRoutes against the same fleet as Ingresses: CPU per request,
//                                 change to traffic and reloads, start-up with 10,000

import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../test/helpers/portero.js';
import { render } from './lib/report.js';
import { startUpstream } from './lib/servers.js';
import { machine } from './lib/system.js';
import { annotations } from './scenarios/annotations.js';
import { candidates } from './scenarios/candidates.js';
import { churn } from './scenarios/churn.js';
import { gatewayStartup, gatewayVsIngress } from './scenarios/gateway.js';
import { changeLatency, kubeNewIngressLatency } from './scenarios/latency.js';
import { startup, WORKLOADS, type Workload } from './scenarios/startup.js';
import { throughput } from './scenarios/throughput.js';

const args = process.argv.slice(2);
const valueOf = (flag: string): string | undefined => {
  const index = args.indexOf(flag);
  return index === -1 ? undefined : args[index + 1];
};
const quick = args.includes('--quick');
const SCENARIOS = ['throughput', 'annotations', 'candidates', 'gateway', 'latency', 'churn', 'startup'] as const;
const only = valueOf('--only');
if (only !== undefined && !(SCENARIOS as readonly string[]).includes(only)) throw new Error(`--only takes one of ${SCENARIOS.join(', ')}`);
const runs = (name: (typeof SCENARIOS)[number]) => only === undefined || only === name;
const workloads = (valueOf('--workloads')?.split(',') ?? [...WORKLOADS]) as Workload[];
for (const workload of workloads) if (!(WORKLOADS as readonly string[]).includes(workload)) throw new Error(`unknown workload ${workload}; one of ${WORKLOADS.join(', ')}`);
const sizes = [1, 10_000];
const settings = {
  rounds: quick ? 1 : 3,
  seconds: quick ? 3 : 5,
  samples: quick ? 5 : 20,
  callgrind: !args.includes('--no-callgrind'),
  churnIntervalMs: 100,
  startupRuns: Number(valueOf('--runs') ?? (quick ? 1 : 3)),
};

function log(message: string): void {
  console.error(`[bench] ${new Date().toISOString().slice(11, 19)} ${message}`);
}

const work = await mkdtemp(join(tmpdir(), 'portero-bench-'));
const upstreamPorts = [await freePort(), await freePort(), await freePort(), await freePort()];
const upstream = await startUpstream(join(work, 'upstream'), upstreamPorts);
const results: Record<string, unknown> = { machine: machine(), settings };
try {
  for (const size of runs('throughput') ? sizes : []) {
    log(`throughput and CPU per request, ${size} Ingresses`);
    (results.throughput ??= []) as unknown[];
    (results.throughput as unknown[]).push(await throughput(work, size, upstreamPorts[0]!, settings.rounds, settings.seconds, settings.callgrind));
  }
  for (const size of runs('annotations') ? sizes : []) {
    log(`annotations: CPU per request with and without ingress-nginx annotations, ${size} Ingresses`);
    (results.annotations ??= []) as unknown[];
    (results.annotations as unknown[]).push(await annotations(work, size, upstreamPorts[0]!, settings.rounds, settings.seconds, settings.callgrind));
  }
  if (runs('candidates')) {
    log('candidates: CPU per request of routes with request conditions and weighted splits, and of the hosts without');
    results.candidates = await candidates(work, upstreamPorts[0]!, settings.rounds, settings.seconds, settings.callgrind);
  }
  for (const size of runs('gateway') ? sizes : []) {
    log(`gateway: ${size} HTTPRoutes against ${size} Ingresses: CPU per request, change to traffic, reloads`);
    (results.gateway ??= []) as unknown[];
    (results.gateway as unknown[]).push(
      await gatewayVsIngress(work, { size, upstreamPorts: [upstreamPorts[0]!, upstreamPorts[1]!], rounds: settings.rounds, seconds: settings.seconds, samples: settings.samples, countInstructions: settings.callgrind }),
    );
  }
  if (runs('gateway')) results.gatewayStartup = await gatewayStartup(work, 10_000, upstreamPorts[0]!, settings.startupRuns, log);
  for (const size of runs('latency') ? sizes : []) {
    log(`change-to-traffic latency, ${size} Ingresses`);
    (results.latency ??= []) as unknown[];
    (results.latency as unknown[]).push(await changeLatency(work, size, [upstreamPorts[0]!, upstreamPorts[1]!], settings.samples));
  }
  if (runs('latency')) {
    log('change-to-traffic latency, Kubernetes mode');
    results.kubeLatency = await kubeNewIngressLatency(upstreamPorts[0]!, settings.samples);
  }
  for (const size of runs('churn') ? sizes : []) {
    log(`churn under load, ${size} Ingresses`);
    (results.churn ??= []) as unknown[];
    (results.churn as unknown[]).push(await churn(work, size, upstreamPorts, settings.churnIntervalMs));
  }
  if (runs('startup')) {
    log('start-up and memory with 10,000 Ingresses, from each source');
    results.startup = await startup(work, { size: 10_000, upstreamPort: upstreamPorts[0]!, runs: settings.startupRuns, workloads, log });
  }
} finally {
  await upstream.stop();
  await rm(work, { recursive: true, force: true });
}

if (only === undefined) {
  const directory = join(import.meta.dirname, 'results');
  await mkdir(directory, { recursive: true });
  await writeFile(join(directory, 'latest.json'), `${JSON.stringify(results, null, 2)}\n`);
  await writeFile(join(directory, 'latest.md'), render(results));
  log(`written ${join(directory, 'latest.md')}`);
} else {
  process.stdout.write(`${JSON.stringify(results, null, 2)}\n\n`);
}
process.stdout.write(render(results));
process.exit(0);
