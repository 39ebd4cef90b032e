// The invariant of a running Portero, tested directly (DESIGN.md): one
// Portero with real HAProxy, started once per sequence, gets a random
// sequence of worlds written to its manifest directory as a user would
// (atomic writes, one file per object group). After each step:
//   1. the step is applied: the marker host step-N.marker.test, written
//      last, answers (the source applies events in order and translate
//      always works on the whole store); then the marker becomes
//      step-N.done.marker.test, and when that answers the apply that served
//      the step has finished (applies never overlap);
//   2. every request of the request set gets the answer the reference
//      matcher (src/model/match.ts) gives for the model a fresh translate
//      makes of the same files;
//   3. HAProxy's live state (maps, servers, certificates) equals the files
//      of the loaded generation, once the background file sync has caught up
//      (the portero_dataplane_files_synced gauge when Portero exports it, a
//      bounded poll otherwise);
//   4. the files equal what the data plane renders for the expected model.
// Any difference fails the run with the seed, the step, the mutations so far
// and the differences, so that the run can be repeated exactly; a fresh
// Portero started on the same files then tells a faulty transition from a
// faulty render or reference.

import { mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Model } from '../../../src/model/model.js';
import { startBackend, type Backend } from '../backends.js';
import { request } from '../http.js';
import { toYaml, type Json } from '../objects.js';
import { startPortero, type Portero } from '../portero.js';
import { BoundaryTracker, hintsOf } from './boundaries.js';
import { materials } from './certs.js';
import { expectFor, FileDecoder, HarnessError, type Expectation, type Facts } from './expect.js';
import { chooseAim, DEFAULT_GENERATOR, initialWorld, mutate, REQUIRED_BOUNDARIES, type GeneratorSettings } from './generate.js';
import { compareFilesWithModel, compareLiveWithFiles, type LiveComparison } from './live.js';
import { reloadsBetween, scrape, type Scrape } from './metrics.js';
import { MARKER_FILE, markerHost, markerObjects, type Phase } from './marker.js';
import { Rng } from './prng.js';
import { reproduction, settingsFor, translateOptionsFor, type RunSettings } from './settings.js';
import { askAll, describeExpected, describeObservation, expectedFor, mismatch, NORMALIZATION_PATHS, probeKey, probeSet, type Expected, type Observation, type Probe } from './requests.js';
import { PlanSimulator, routeThrough } from './simulate.js';
import { burstHosts, describeWorld, MATERIALS, renderWorld, type Environment, type World } from './world.js';

export interface RunOptions {
  seed: number;
  /** Steps after the initial world. */
  steps: number;
  /** Stop before this time (Date.now()) even when steps remain. */
  deadline?: number;
  /** Asked before each step: true stops the run there (a soak run interrupted). */
  shouldStop?: () => boolean;
  /** Run Portero with --default-backend-service default/dflt:80. Undefined: decided by the seed. */
  defaultBackendService?: boolean;
  /** Run Portero with --watch-ingress-without-class. Undefined: decided by the seed. */
  watchIngressWithoutClass?: boolean;
  /** Also ask the dot-segment and escape spellings (once Portero normalises paths). */
  pathNormalization?: boolean;
  /** Every this many steps, start a fresh Portero on a copy of the files and compare its answers; 0: never. */
  freshEvery?: number;
  /** Mismatch classes (see classify) counted but not failed: for finding more than the first known defect. */
  ignore?: ReadonlySet<string>;
  log?: (line: string) => void;
  generator?: GeneratorSettings;
  /** Longest wait for a step to be served (the marker answering). */
  applyTimeoutMs?: number;
  /** Longest wait for HAProxy's live state and the files to agree. */
  syncTimeoutMs?: number;
  /** On a failure, start a fresh Portero on the same files and tell whether it answers like the running one. */
  diagnose?: boolean;
}

export interface RunSummary {
  seed: number;
  steps: number;
  settings: RunSettings;
  /** Boundary → first step that crossed it, as seen on the running Portero. */
  covered: Map<string, number>;
  counts: Map<string, number>;
  reloads: Map<string, number>;
  requests: number;
  /** Answers that matched the reference, by kind (`200`, `308`, `404`, `503`, `certificate:default`, `certificate:secret`): a run that saw only one kind checked little. */
  matched: Map<string, number>;
  /** Ignored mismatches by class. */
  ignored: Map<string, number>;
  freshComparisons: number;
  /** How the harness knew the files were in sync: Portero's gauge, or polling the comparison. */
  syncMode: 'gauge' | 'polling';
  durationMs: number;
}

export class InvariantFailure extends Error {
  /** What the run did up to the failure (not enumerable: test reporters print only the report). */
  declare readonly summary: RunSummary | undefined;

  constructor(
    report: string,
    readonly seed: number,
    readonly step: number,
    summary?: RunSummary,
  ) {
    super(report);
    this.name = 'InvariantFailure';
    Object.defineProperty(this, 'summary', { value: summary, enumerable: false });
  }
}

const DEFAULT_BACKEND_FLAG = 'default/dflt:80';

function portFlags(settings: RunSettings): string[] {
  return [
    '--haproxy-metrics-port', '0',
    ...(settings.defaultBackendService ? ['--default-backend-service', DEFAULT_BACKEND_FLAG] : []),
    ...(settings.watchIngressWithoutClass ? ['--watch-ingress-without-class'] : []),
  ];
}

let temporaries = 0;

/** Writes a manifest as editors and tools do: a hidden temporary file, then a rename. */
async function writeAtomic(directory: string, name: string, text: string): Promise<void> {
  temporaries += 1;
  const temporary = join(directory, `.${name}.${process.pid}.${temporaries}.tmp`);
  await writeFile(temporary, text);
  await rename(temporary, join(directory, name));
}

/** Polls `check` (every `intervalMs`) until it returns a value, or returns undefined at the deadline. */
async function until<T>(check: () => Promise<T | undefined>, timeoutMs: number, intervalMs: number): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() >= deadline) return undefined;
    await sleep(intervalMs);
  }
}

async function markerAnswers(portero: Portero, step: number, phase: Phase, timeoutMs: number): Promise<boolean> {
  const answered = await until(
    async () => {
      const response = await request({ port: portero.httpPort, host: markerHost(step, phase), path: '/', timeoutMs: 5000 });
      return response.status === 200 && response.headers['x-backend'] === 'marker' ? true : undefined;
    },
    timeoutMs,
    10,
  );
  return answered === true;
}

/** Whether a mismatch class is ignored: named itself, or by its family (`wildcard-tls-redirect` for `wildcard-tls-redirect:exact-level`). */
function isIgnored(ignore: ReadonlySet<string> | undefined, kind: string): boolean {
  return ignore !== undefined && (ignore.has(kind) || ignore.has(kind.split(':')[0]!));
}

/** Known classes of mismatch, so that a run can count one class and keep looking for others. */
export function classify(probe: Probe, expected: Expected, observed: Observation, model: Model): string {
  if (NORMALIZATION_PATHS.includes(probe.path)) return 'path-normalization';
  const sni = probe.scheme === 'https' && probe.sni !== null ? (probe.sni ?? (probe.host ?? '').replace(/:\d+$/, '')) : undefined;
  if (sni?.endsWith('.') && mismatch({ ...expected, certificate: undefined } as Expected, observed) === undefined) return 'sni-trailing-dot';
  if (probe.scheme === 'http' && observed.status === 308 && expected.status !== 308) {
    // A wildcard TLS host's redirect applied to a host that is not on the wildcard's level
    // (an exact host with a level of its own: L2; or no wildcard level at all).
    const host = (probe.host ?? '').split(':')[0]!.toLowerCase().replace(/\.$/, '');
    const wildcard = host.replace(/^[^.]*/, '*');
    if (model.redirectHosts.includes(wildcard)) {
      return model.levels.some((level) => level.host === host) ? 'wildcard-tls-redirect:exact-level' : 'wildcard-tls-redirect:no-wildcard-level';
    }
  }
  return 'unexplained';
}

interface Context {
  options: RunOptions;
  settings: RunSettings;
  portero: Portero;
  env: Environment;
  serverNames: Map<string, string>;
  history: string[];
  summary: RunSummary;
  log: (line: string) => void;
}

/**
 * Waits until HAProxy's live state equals the files. Without the
 * portero_dataplane_files_synced gauge: polls the comparison until it holds,
 * for at most syncTimeoutMs. With it: never compares while it is 0, and a
 * difference that stays for a second while it is 1 is final (not the
 * timeout): the files are said to be in sync, so they should agree.
 * Servers still draining are waited for, bounded the same way.
 */
async function settle(context: Context): Promise<{ comparison: LiveComparison; waitedMs: number }> {
  const started = Date.now();
  const timeoutMs = context.options.syncTimeoutMs ?? 15_000;
  let last: LiveComparison = { diffs: ['no comparison made'], draining: [] };
  let differingSince: number | undefined;
  const done = await until(
    async () => {
      const metrics = await scrape(context.portero.healthPort);
      if (metrics.filesSynced !== undefined) context.summary.syncMode = 'gauge';
      if (metrics.filesSynced === 0) {
        differingSince = undefined;
        return undefined;
      }
      last = await compareLiveWithFiles(context.portero.stateDir).catch((error: Error) => ({ diffs: [`the comparison failed: ${error.message}`], draining: [] }));
      if (last.diffs.length === 0 && last.draining.length === 0) return last;
      if (metrics.filesSynced === 1 && last.diffs.length > 0) {
        differingSince ??= Date.now();
        if (Date.now() - differingSince >= 1000) return last;
      } else differingSince = undefined;
      return undefined;
    },
    timeoutMs,
    40,
  );
  return { comparison: done ?? last, waitedMs: Date.now() - started };
}

interface StepFindings {
  requests: string[];
  ignored: number;
  live: string[];
  files: string[];
  /** Milliseconds spent asking, waiting for the file sync, comparing the files with the model. */
  timings?: { ask: number; sync: number; compare: number };
}

async function checkStep(context: Context, world: World, expectation: Expectation): Promise<StepFindings> {
  const { portero } = context;
  const model = expectation.translation.model;
  // The step's apply has finished (the done marker answers): ask while the files catch up in the background.
  const asked = Date.now();
  const probes = probeSet({ burstHosts: burstHosts(world), pathNormalization: context.settings.pathNormalization });
  const observations = await askAll({ http: portero.httpPort, https: portero.httpsPort }, probes);
  const synced = Date.now();
  context.summary.requests += probes.length;
  const requests: string[] = [];
  let ignored = 0;
  probes.forEach((probe, index) => {
    const expected = expectedFor(model, probe, { httpsPort: portero.httpsPort, serverNames: context.serverNames });
    const observed = observations[index]!;
    const problem = mismatch(expected, observed);
    if (problem === undefined) {
      const count = (kind: string) => context.summary.matched.set(kind, (context.summary.matched.get(kind) ?? 0) + 1);
      count(String(expected.status));
      if (expected.certificate) count(expected.certificate.id === 'default' ? 'certificate:default' : 'certificate:secret');
      return;
    }
    const kind = classify(probe, expected, observed, model);
    if (isIgnored(context.options.ignore, kind)) {
      ignored += 1;
      context.summary.ignored.set(kind, (context.summary.ignored.get(kind) ?? 0) + 1);
      return;
    }
    requests.push(`[${kind}] ${probeKey(probe)}: got ${describeObservation(observed)}; expected ${describeExpected(expected)}: ${problem}`);
  });
  const sync = await settle(context);
  const compared = Date.now();
  const live = sync.comparison;
  const liveDiffs = [...live.diffs, ...live.draining.map((server) => `server still draining after ${sync.waitedMs} ms: ${server}`)];
  if (liveDiffs.length > 0) liveDiffs.unshift(`(after waiting ${sync.waitedMs} ms for the files to follow the live state)`);
  const files = await compareFilesWithModel(portero.stateDir, model);
  return { requests, ignored, live: liveDiffs, files, timings: { ask: synced - asked, sync: compared - synced, compare: Date.now() - compared } };
}

/** Copies the manifest files (not the hidden temporaries) to a new directory. */
async function copyManifests(directory: string): Promise<string> {
  const copy = await mkdtemp(join(tmpdir(), 'portero-invariant-fresh-'));
  for (const name of await readdir(directory)) {
    if (name.startsWith('.')) continue;
    await writeFile(join(copy, name), await readFile(join(directory, name)));
  }
  return copy;
}

/**
 * A fresh Portero on a copy of the same files: its answers against the
 * running one's, each normalised (status, Location, which model
 * certificate, whether the answering server belongs to the expected
 * backend). Returns the differences.
 */
async function compareWithFresh(context: Context, step: number, world: World, files: ReadonlyMap<string, string>, now: Date): Promise<string[]> {
  const copy = await copyManifests(context.portero.manifests);
  const fresh = await startPortero({ manifestsDir: copy, flags: portFlags(context.settings) });
  try {
    if (!(await markerAnswers(fresh, step, 'done', context.options.applyTimeoutMs ?? 60_000))) return [`the fresh Portero never served step ${step}'s marker`];
    const freshPem = await readFile(join(fresh.stateDir, 'default-cert.pem'), 'utf8');
    const runningPem = await readFile(join(context.portero.stateDir, 'default-cert.pem'), 'utf8');
    const expectRunning = expectFor(files, translateOptionsFor(context.settings, runningPem, now)).translation.model;
    const expectFresh = expectFor(files, translateOptionsFor(context.settings, freshPem, now)).translation.model;
    const probes = probeSet({ burstHosts: burstHosts(world), pathNormalization: context.settings.pathNormalization });
    const [running, started] = await Promise.all([
      askAll({ http: context.portero.httpPort, https: context.portero.httpsPort }, probes, 4),
      askAll({ http: fresh.httpPort, https: fresh.httpsPort }, probes, 4),
    ]);
    const normalise = (model: Model, probe: Probe, observed: Observation, httpsPort: number) => {
      const expected = expectedFor(model, probe, { httpsPort, serverNames: context.serverNames });
      const certificate = observed.certificate === undefined ? '' : observed.certificate === expected.certificate?.sha256 ? `cert=${expected.certificate.id}` : 'cert=other';
      const location = observed.location?.replace(`:${httpsPort}/`, ':HTTPS/') ?? '';
      const server = expected.status === 200 && observed.status === 200 ? (expected.servers?.has(observed.backend ?? '') ? 'right backend' : `wrong backend ${observed.backend}`) : (observed.backend ?? '');
      return `${observed.error ?? observed.status} ${location} ${server} ${certificate}`.replace(/\s+/g, ' ').trim();
    };
    const diffs: string[] = [];
    probes.forEach((probe, index) => {
      const a = normalise(expectRunning, probe, running[index]!, context.portero.httpsPort);
      const b = normalise(expectFresh, probe, started[index]!, fresh.httpsPort);
      if (a !== b) diffs.push(`${probeKey(probe)}: running ${a} | fresh ${b}`);
    });
    return diffs;
  } finally {
    await fresh.dispose();
  }
}

function failureReport(context: Context, step: number, world: World, findings: StepFindings, extra: string[]): string {
  const { summary } = context;
  const section = (title: string, lines: readonly string[], limit = 40) =>
    lines.length === 0 ? [] : [`${title} (${lines.length}):`, ...lines.slice(0, limit).map((line) => `  ${line}`), ...(lines.length > limit ? [`  … ${lines.length - limit} more`] : [])];
  const logs = context.portero.logs.filter((line) => /"level":(40|50|60)/.test(line)).slice(-15);
  return [
    `Invariant violated at step ${step} of seed ${summary.seed}`,
    `Settings: ${JSON.stringify(summary.settings)}`,
    `Repeat with:\n  ${reproduction(summary.seed, step, summary.settings, context.options.generator?.clientAuth === true)}`,
    '',
    'Mutations so far:',
    ...context.history.map((line) => `  ${line}`),
    '',
    ...section(`Requests whose answer differs from the reference (src/model/match.ts)${findings.ignored > 0 ? `; ${findings.ignored} more of ignored classes` : ''}`, findings.requests),
    ...section('HAProxy live state vs the files of the loaded generation', findings.live),
    ...(findings.live.some((line) => /^prefix\.map: only in the file \(\d+\): _\/ /.test(line))
      ? ['  (signature of defects 1/M1: the host-less level and the catch-all share the key `_/`; the plan adds one and deletes the other, and `del map` removes both)']
      : []),
    ...section('Files of the loaded generation vs what the data plane renders for the expected model', findings.files),
    ...extra,
    '',
    ...section('World after this step', describeWorld(world), 80),
    ...section('Portero warnings and errors (last 15)', logs),
  ].join('\n');
}

/** Runs one sequence; resolves with a summary, or rejects with an InvariantFailure whose message is the report. */
export async function runSequence(options: RunOptions): Promise<RunSummary> {
  const started = Date.now();
  const log = options.log ?? (() => undefined);
  const settings = settingsFor(options);
  const generator = options.generator ?? DEFAULT_GENERATOR;
  const rng = new Rng(options.seed);
  const summary: RunSummary = {
    seed: options.seed,
    steps: 0,
    settings,
    covered: new Map(),
    counts: new Map(),
    reloads: new Map(),
    requests: 0,
    matched: new Map(),
    ignored: new Map(),
    freshComparisons: 0,
    syncMode: 'polling',
    durationMs: 0,
  };
  const now = new Date();
  const pool: Backend[] = [];
  let marker: Backend | undefined;
  let portero: Portero | undefined;
  const directory = await mkdtemp(join(tmpdir(), 'portero-invariant-'));
  try {
    for (let index = 0; index < generator.servers; index += 1) pool.push(await startBackend(`srv${index}`));
    marker = await startBackend('marker');
    const certs = await materials(MATERIALS);
    const env: Environment = {
      endpoint: (server) => ({ address: pool[server]!.address, port: pool[server]!.port }),
      material: (index) => certs[index]!,
    };
    const serverNames = new Map(pool.map((backend) => [`${backend.address}:${backend.port}`, backend.name]));
    serverNames.set(`${marker.address}:${marker.port}`, 'marker');

    // Step 0: the initial world, on disk before Portero starts.
    let world = initialWorld(rng, generator);
    const history = [`0: initial world: ${describeWorld(world).join('; ')}`];
    const render = (w: World) => new Map([...renderWorld(w, env)].map(([name, objects]) => [name, toYaml(objects)]));
    const markerText = (step: number, phase: Phase) => toYaml(markerObjects(step, phase, marker!));
    const applyTimeoutMs = options.applyTimeoutMs ?? 60_000;
    let files = render(world);
    for (const [name, text] of files) await writeAtomic(directory, name, text);
    await writeAtomic(directory, MARKER_FILE, markerText(0, 'applied'));
    portero = await startPortero({ manifestsDir: directory, flags: portFlags(settings) });
    const running = portero;
    const fallbackPem = await readFile(join(portero.stateDir, 'default-cert.pem'), 'utf8');
    const options2 = translateOptionsFor(settings, fallbackPem, now);
    const context: Context = { options, settings, portero, env, serverNames, history, summary, log };
    log(`seed ${options.seed}: ${JSON.stringify(settings)}; Portero http ${portero.httpPort} https ${portero.httpsPort} health ${portero.healthPort}`);

    /**
     * Once the step's files are written: the first marker, written last,
     * answers when an apply has taken the whole step; the second, written
     * then, answers when that apply has finished (applies never overlap).
     */
    const served = async (step: number): Promise<string | undefined> => {
      if (!(await markerAnswers(running, step, 'applied', applyTimeoutMs))) return `step ${step} was not served within ${applyTimeoutMs} ms (its marker host never answered)`;
      const done = markerText(step, 'done');
      await writeAtomic(directory, MARKER_FILE, done);
      files.set(MARKER_FILE, done);
      if (!(await markerAnswers(running, step, 'done', applyTimeoutMs))) return `step ${step}'s second marker was not served within ${applyTimeoutMs} ms`;
      return undefined;
    };

    const initial = await served(0);
    if (initial !== undefined) throw new InvariantFailure(`${initial} (seed ${options.seed})\n${portero.logs.slice(-30).join('\n')}`, options.seed, 0, summary);
    const decoder = new FileDecoder();
    let expectation = expectFor(files, options2, undefined, decoder);
    const simulator = new PlanSimulator(expectation.translation.model);
    const tracker = new BoundaryTracker();
    const aims = new BoundaryTracker();
    const attempts = new Map<string, number>();
    let metrics: Scrape = await scrape(portero.healthPort);
    const first = await checkStep(context, world, expectation);
    if (first.requests.length + first.live.length + first.files.length > 0) throw new InvariantFailure(failureReport(context, 0, world, first, []), options.seed, 0, summary);

    for (let step = 1; step <= options.steps; step += 1) {
      if ((options.deadline !== undefined && Date.now() >= options.deadline) || options.shouldStop?.()) break;
      const stepStarted = Date.now();
      const previous: Facts = expectation.facts;
      const aim = chooseAim(rng, aims.covered, attempts, step);
      const next = mutate(rng, world, hintsOf(previous), aim, generator);
      world = next.world;

      // Write what changed (removals too), then the marker, last.
      const nextFiles = render(world);
      for (const [name, text] of nextFiles) if (files.get(name) !== text) await writeAtomic(directory, name, text);
      for (const name of files.keys()) if (name !== MARKER_FILE && !nextFiles.has(name)) await rm(join(directory, name), { force: true });
      await writeAtomic(directory, MARKER_FILE, markerText(step, 'applied'));
      files = nextFiles;
      const written = Date.now();
      const late = await served(step);
      if (late !== undefined) {
        history.push(`${step}: ${next.mutation.text}`);
        throw new InvariantFailure(failureReport(context, step, world, { requests: [late], ignored: 0, live: [], files: [] }, []), options.seed, step, summary);
      }

      const applied = Date.now();
      expectation = expectFor(files, options2, expectation.translation.model, decoder);
      const model = expectation.translation.model;
      const simulated = await simulator.apply(model);
      const simulatedDiffs = simulator.compare();
      const findings = await checkStep(context, world, expectation);
      const after = await scrape(portero.healthPort);
      const reloads = reloadsBetween(metrics, after);
      metrics = after;
      for (const reason of reloads) summary.reloads.set(reason, (summary.reloads.get(reason) ?? 0) + 1);
      const crossed = tracker.record(step, previous, expectation.facts, reloads);
      aims.record(step, previous, expectation.facts, simulated.kind === 'reload' ? [simulated.reason ?? ''] : []);
      history.push(
        `${step}: ${next.mutation.text}` +
          `${crossed.filter((b) => !b.startsWith('reload:')).length > 0 ? `  ⇒ ${crossed.filter((b) => !b.startsWith('reload:')).join(' ')}` : ''}` +
          `${reloads.length > 0 ? `  [reload: ${reloads.join(',')}]` : ''}`,
      );
      summary.steps = step;
      summary.covered = tracker.covered;
      summary.counts = tracker.counts;
      const t = findings.timings;
      log(`step ${step} (${Date.now() - stepStarted} ms: write ${written - stepStarted}, apply ${applied - written}, sync ${t?.sync}, ask ${t?.ask}, compare ${t?.compare}): ${history[history.length - 1]}`);

      if (findings.requests.length + findings.live.length + findings.files.length > 0) {
        const extra: string[] = ['', `Pure simulation of the same sequence (planner and executor against a simulated HAProxy): ${simulated.kind}${simulated.reason ? ` (${simulated.reason})` : ''}${simulated.runtimeError ? `, runtime error ${simulated.runtimeError}` : ''}`];
        if (simulatedDiffs.length > 0) extra.push('  simulated live state vs rendered files:', ...simulatedDiffs.map((line) => `    ${line}`));
        if (simulated.commands.length > 0) extra.push('  runtime commands:', ...simulated.commands.slice(0, 40).map((line) => `    ${line}`));
        const liveMaps = simulator.liveMaps();
        const fileMaps = simulator.fileMaps();
        const structure = simulator.live.names.structure;
        const routing: string[] = [];
        for (const probe of probeSet({ burstHosts: burstHosts(world), pathNormalization: false })) {
          if (probe.scheme !== 'http' || probe.host === undefined || probe.host === '') continue;
          const a = routeThrough(liveMaps, structure, probe.host, probe.path);
          const b = routeThrough(fileMaps, structure, probe.host, probe.path);
          if (a !== b) routing.push(`${probeKey(probe)}: ${a} live, ${b} from the files`);
        }
        if (routing.length > 0) extra.push('  simulated routing, live maps vs files:', ...routing.slice(0, 20).map((line) => `    ${line}`));
        if (options.diagnose !== false) {
          try {
            const fresh = await compareWithFresh(context, step, world, files, now);
            extra.push('', fresh.length === 0 ? 'A fresh Portero on the same files answers every request like the running one: the render or the reference differs, not the transition.' : `A fresh Portero on the same files answers differently from the running one (${fresh.length}): the live transition is at fault:`, ...fresh.slice(0, 25).map((line) => `  ${line}`));
          } catch (error) {
            extra.push('', `(a fresh Portero could not be compared: ${(error as Error).message})`);
          }
        }
        throw new InvariantFailure(failureReport(context, step, world, findings, extra), options.seed, step, summary);
      }

      if (options.freshEvery && step % options.freshEvery === 0) {
        const fresh = await compareWithFresh(context, step, world, files, now);
        summary.freshComparisons += 1;
        if (fresh.length > 0) {
          throw new InvariantFailure(failureReport(context, step, world, { requests: [], ignored: 0, live: [], files: [] }, ['', `A fresh Portero on the same files answers differently from the running one (${fresh.length}):`, ...fresh.map((line) => `  ${line}`)]), options.seed, step, summary);
        }
        log(`step ${step}: a fresh Portero on the same files answers like the running one`);
      }
      // Keep memory flat over long runs.
      for (const backend of pool) backend.requests.length = 0;
      if (portero.logs.length > 4000) portero.logs.splice(0, portero.logs.length - 2000);
    }
    summary.durationMs = Date.now() - started;
    return summary;
  } catch (error) {
    summary.durationMs = Date.now() - started;
    if (error instanceof HarnessError) throw new Error(`harness error (seed ${options.seed}): ${error.message}`);
    throw error;
  } finally {
    await portero?.dispose();
    await rm(directory, { recursive: true, force: true });
    await Promise.all([...pool, ...(marker ? [marker] : [])].map((backend) => backend.close()));
  }
}

/** Boundaries the run was required to cross but did not. */
export function missingBoundaries(summary: RunSummary, required: readonly string[] = REQUIRED_BOUNDARIES): string[] {
  return required.filter((boundary) => !summary.covered.has(boundary));
}

export function describeSummary(summary: RunSummary): string {
  const counts = [...summary.counts].filter(([name]) => !name.startsWith('reload:')).sort(([a], [b]) => (a < b ? -1 : 1));
  return [
    `seed ${summary.seed}: ${summary.steps} steps in ${(summary.durationMs / 1000).toFixed(1)} s, ${summary.requests} requests, settings ${JSON.stringify(summary.settings)}, file sync known by ${summary.syncMode}`,
    `  answers matching the reference: ${[...summary.matched].sort(([a], [b]) => (a < b ? -1 : 1)).map(([kind, count]) => `${kind} ×${count}`).join(', ')}`,
    `  reloads: ${[...summary.reloads].map(([reason, count]) => `${reason} ${count}`).join(', ') || 'none'}`,
    `  boundaries crossed: ${counts.map(([name, count]) => `${name} ×${count}`).join(', ')}`,
    ...(summary.ignored.size > 0 ? [`  ignored mismatches: ${[...summary.ignored].map(([kind, count]) => `${kind} ${count}`).join(', ')}`] : []),
    ...(summary.freshComparisons > 0 ? [`  fresh-start comparisons: ${summary.freshComparisons}`] : []),
  ].join('\n');
}

