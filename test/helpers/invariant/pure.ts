// The same random sequences as the end-to-end invariant test, with no
// HAProxy and no Portero process: each step's objects are translated and
// handed to the data plane's planner and executor, which drive a simulated
// HAProxy (simulate.ts). After every step the simulated live state must equal
// the rendered files, and route every plain-HTTP request of the probe set
// exactly as the files do (what a fresh start would load). Fast enough for
// hundreds of steps per second, so it covers far more sequences than the
// end-to-end run, at the price of trusting the simulation of HAProxy's
// runtime API.

import type { Model } from '../../../src/model/model.js';
import { BoundaryTracker, hintsOf } from './boundaries.js';
import { materials } from './certs.js';
import { expectFor, FileDecoder, type Facts } from './expect.js';
import { chooseAim, DEFAULT_GENERATOR, initialWorld, mutate, type GeneratorSettings } from './generate.js';
import { MARKER_FILE, markerObjects } from './marker.js';
import { Rng } from './prng.js';
import { reproduction, settingsFor, translateOptionsFor, type RunSettings } from './settings.js';
import { probeKey, probeSet } from './requests.js';
import { describeRouted, PlanSimulator, routeThrough, type SimulatedApply } from './simulate.js';
import { burstHosts, describeWorld, MATERIALS, renderWorld, type Environment, type World } from './world.js';

export interface PureOptions {
  seed: number;
  steps: number;
  defaultBackendService?: boolean;
  watchIngressWithoutClass?: boolean;
  generator?: GeneratorSettings;
}

export interface PureResult {
  seed: number;
  steps: number;
  settings: RunSettings;
  covered: Map<string, number>;
  counts: Map<string, number>;
  /** Data plane decisions: runtime, unchanged, and reloads by reason. */
  applies: Map<string, number>;
  /** Set when the simulated live state left the files: the report says where and how. */
  failure?: { step: number; report: string };
}

/** Made-up pod addresses: two ports, so that Services sometimes get two EndpointSlices. */
export function pureEnvironment(certificates: { cert: string; key: string }[]): Environment {
  return {
    endpoint: (server) => ({ address: `10.77.${Math.floor(server / 250)}.${(server % 250) + 1}`, port: 8080 + (server % 2) }),
    material: (index) => certificates[index]!,
  };
}

/** Plain-HTTP requests routed differently by the simulated live maps and by the files. */
export function routingDifferences(simulator: PlanSimulator, hosts: readonly string[]): string[] {
  const live = simulator.liveMaps();
  const files = simulator.fileMaps();
  const structure = simulator.live.names.structure;
  const out: string[] = [];
  for (const probe of probeSet({ burstHosts: hosts, pathNormalization: false })) {
    if (probe.scheme !== 'http' || probe.host === undefined || probe.host === '') continue;
    const a = routeThrough(live, structure, probe.host, probe.path);
    const b = routeThrough(files, structure, probe.host, probe.path);
    if (a !== b) out.push(`${probeKey(probe)}: live ${describeRouted(a)}, files ${describeRouted(b)}`);
  }
  return out;
}

function describeApply(applied: SimulatedApply): string {
  return `${applied.kind}${applied.reason ? ` (${applied.reason})` : ''}${applied.runtimeError ? `: ${applied.runtimeError}` : ''}`;
}

/** The files of a step as the end-to-end harness writes them: the world, and the marker (done). */
function filesOf(world: World, env: Environment, step: number): Map<string, readonly unknown[]> {
  const files = new Map<string, readonly unknown[]>(renderWorld(world, env));
  files.set(MARKER_FILE, markerObjects(step, 'done', { address: '10.99.0.1', port: 8080 }));
  return files;
}

export async function runPureSequence(options: PureOptions): Promise<PureResult> {
  const settings = settingsFor({ seed: options.seed, defaultBackendService: options.defaultBackendService, watchIngressWithoutClass: options.watchIngressWithoutClass });
  const generator = options.generator ?? DEFAULT_GENERATOR;
  const env = pureEnvironment(await materials(MATERIALS));
  const translateOptions = translateOptionsFor(settings, 'GENERATED-DEFAULT-CERTIFICATE\n', new Date('2026-06-01T00:00:00Z'));
  const rng = new Rng(options.seed);
  const result: PureResult = { seed: options.seed, steps: 0, settings, covered: new Map(), counts: new Map(), applies: new Map() };
  let world = initialWorld(rng, generator);
  const history = [`0: initial world: ${describeWorld(world).join('; ')}`];
  const decoder = new FileDecoder();
  let expectation = expectFor(filesOf(world, env, 0), translateOptions, undefined, decoder);
  let model: Model = expectation.translation.model;
  const simulator = new PlanSimulator(model);
  const tracker = new BoundaryTracker();
  const attempts = new Map<string, number>();
  for (let step = 1; step <= options.steps; step += 1) {
    const previous: Facts = expectation.facts;
    const aim = chooseAim(rng, tracker.covered, attempts, step);
    const next = mutate(rng, world, hintsOf(previous), aim, generator);
    world = next.world;
    expectation = expectFor(filesOf(world, env, step), translateOptions, model, decoder);
    model = expectation.translation.model;
    const applied = await simulator.apply(model);
    const decision = applied.kind === 'reload' ? `reload:${applied.reason}` : applied.kind;
    result.applies.set(decision, (result.applies.get(decision) ?? 0) + 1);
    const crossed = tracker.record(step, previous, expectation.facts, applied.kind === 'reload' ? [applied.reason ?? ''] : []);
    history.push(`${step}: ${next.mutation.text}${crossed.length > 0 ? `  ⇒ ${crossed.join(' ')}` : ''}  [${describeApply(applied)}]`);
    result.steps = step;
    const diffs = simulator.compare();
    const routing = routingDifferences(simulator, burstHosts(world));
    if (diffs.length > 0 || routing.length > 0) {
      const report = [
        `The simulated live state differs from the files at step ${step} of seed ${options.seed} (settings ${JSON.stringify(settings)})`,
        `Repeat with:\n  ${reproduction(options.seed, step, settings, generator.clientAuth === true)}`,
        '',
        'Mutations so far:',
        ...history.map((line) => `  ${line}`),
        '',
        'Simulated live state vs rendered files:',
        ...diffs.map((line) => `  ${line}`),
        ...(routing.length > 0 ? ['', `Requests routed differently by the live maps and by the files (${routing.length}):`, ...routing.slice(0, 30).map((line) => `  ${line}`)] : []),
        '',
        `Runtime commands of the step (${describeApply(applied)}):`,
        ...applied.commands.slice(0, 60).map((line) => `  ${line}`),
        '',
        'World after this step:',
        ...describeWorld(world).map((line) => `  ${line}`),
      ].join('\n');
      result.failure = { step, report };
      break;
    }
  }
  result.covered = tracker.covered;
  result.counts = tracker.counts;
  return result;
}
