// `npm run bench`: every benchmark side by side in one invocation, written
// to bench/results/latest.md and latest.json. See docs/benchmarks.md.
//
//   npm run bench                 the full suite (about 10 minutes)
//   npm run bench -- --quick      fewer rounds and samples, for a quick look

import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../test/helpers/portero.js';
import { render } from './lib/report.js';
import { startUpstream } from './lib/servers.js';
import { machine } from './lib/system.js';
import { churn } from './scenarios/churn.js';
import { changeLatency, kubeNewIngressLatency } from './scenarios/latency.js';
import { scale } from './scenarios/scale.js';
import { throughput } from './scenarios/throughput.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const sizes = [1, 10_000];
const settings = {
  rounds: quick ? 1 : 3,
  seconds: quick ? 3 : 5,
  samples: quick ? 5 : 20,
  callgrind: !args.includes('--no-callgrind'),
  churnIntervalMs: 100,
};

function log(message: string): void {
  console.error(`[bench] ${new Date().toISOString().slice(11, 19)} ${message}`);
}

const work = await mkdtemp(join(tmpdir(), 'portero-bench-'));
const upstreamPorts = [await freePort(), await freePort(), await freePort(), await freePort()];
const upstream = await startUpstream(join(work, 'upstream'), upstreamPorts);
const results: Record<string, unknown> = { machine: machine(), settings };
try {
  for (const size of sizes) {
    log(`throughput and CPU per request, ${size} Ingresses`);
    (results.throughput ??= []) as unknown[];
    (results.throughput as unknown[]).push(await throughput(work, size, upstreamPorts[0]!, settings.rounds, settings.seconds, settings.callgrind));
  }
  for (const size of sizes) {
    log(`change-to-traffic latency, ${size} Ingresses`);
    (results.latency ??= []) as unknown[];
    (results.latency as unknown[]).push(await changeLatency(work, size, [upstreamPorts[0]!, upstreamPorts[1]!], settings.samples));
  }
  log('change-to-traffic latency, Kubernetes mode');
  results.kubeLatency = await kubeNewIngressLatency(upstreamPorts[0]!, settings.samples);
  for (const size of sizes) {
    log(`churn under load, ${size} Ingresses`);
    (results.churn ??= []) as unknown[];
    (results.churn as unknown[]).push(await churn(work, size, upstreamPorts, settings.churnIntervalMs));
  }
  log('scale: start-up and memory with 10,000 Ingresses');
  results.scale = await scale(work, 10_000, upstreamPorts[0]!);
} finally {
  await upstream.stop();
  await rm(work, { recursive: true, force: true });
}

const directory = join(import.meta.dirname, 'results');
await mkdir(directory, { recursive: true });
await writeFile(join(directory, 'latest.json'), `${JSON.stringify(results, null, 2)}\n`);
await writeFile(join(directory, 'latest.md'), render(results));
log(`written ${join(directory, 'latest.md')}`);
process.stdout.write(render(results));
process.exit(0);
