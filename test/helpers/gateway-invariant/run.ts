// One Gateway API invariant sequence (DESIGN.md, "The invariant of a running
// Portero"), on the machinery of the Ingress harness (test/helpers/invariant):
// one Portero in manifests mode with real HAProxy gets a random sequence of
// worlds written to its directory as a user would (atomic writes, one file
// per object group, removals as removed files). A step in five is not
// waited for: the next one is written at once, so changes also land while an
// apply is running, and the check after the next step covers both. After
// each other step:
//   1. the step is applied: the marker host step-N.marker.test (marker.ts),
//      written last, answers; then step-N.done.marker.test answers, so the
//      apply that served the step has finished (applies never overlap);
//   2. every probe gets from real HAProxy an answer the reference allows for
//      the model a FRESH translate (no previous model) makes of the same
//      files: the backend (any share of non-zero weight, with the filters'
//      effects on what it received), or 404/500/503, or the redirect;
//   3. HAProxy's live state equals the files of the loaded generation
//      (compareLiveWithFiles), once portero_dataplane_files_synced says the
//      files caught up; servers still draining are transient;
//   4. those files equal what the data plane renders for the fresh model
//      (every map, candidates.map included, and the servers of haproxy.cfg);
//   5. reloads since the previous step have a reason that is documented for
//      a change (structural, spares-exhausted), never a runtime failure or a
//      resync (which would mean the runtime path went wrong).
// Any failure throws with the seed, the step, the history and the
// differences, and the command that repeats the run.

import { networkInterfaces } from 'node:os';
import { Agent } from 'node:http';
import { mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Model } from '../../../src/model/model.js';
import { translate, type TranslateOptions } from '../../../src/translate/translate.js';
import { startBackend, type Backend } from '../backends.js';
import { request } from '../http.js';
import { toYaml } from '../objects.js';
import { startPortero, type Portero } from '../portero.js';
import { decodeFiles } from '../invariant/expect.js';
import { compareFilesWithModel, type LiveComparison } from '../invariant/live.js';
import { compareGatewayLive, type GatewayLiveComparison } from './live.js';
import { MARKER_FILE, markerHost, markerObjects, type Phase } from '../invariant/marker.js';
import { reloadsBetween, scrape, type Scrape } from '../invariant/metrics.js';
import { Rng } from '../invariant/prng.js';
import { translateOptionsFor } from '../invariant/settings.js';
import { snapshotOf } from '../translate.js';
import { initialWorld, mutate, SERVERS } from './generate.js';
import { ask, describeObservation, describeOutcome, expectedOutcomes, mismatch, probeKey, probeSet, type Outcome } from './reference.js';
import { describeWorld, GATEWAY_CONTROLLER, renderWorld, type World } from './world.js';

/** Reload reasons a change may have (docs/metrics.md); any other means the runtime path failed or HAProxy drifted. */
export const CHANGE_RELOAD_REASONS: readonly string[] = ['structural', 'spares-exhausted'];

/**
 * The structural reloads docs/gateway-api.md and docs/metrics.md document for
 * the changes this world makes (src/dataplane/haproxy/structure.ts words
 * them): the first Exact path, wildcard, deep wildcard or route with
 * conditions, weights or a regular-expression path; a Gateway address
 * appearing or going; and a new filter combination, i.e. a new backend WITH
 * features (an id with a digest; a plain new Service takes a spare backend
 * without a reload).
 */
export const DOCUMENTED_STRUCTURAL: readonly RegExp[] = [
  /^the first Exact path needs the exact-path lookup$/,
  /^the first wildcard host needs the wildcard lookup$/,
  /^the first Gateway API wildcard host needs the lookup of deeper names$/,
  /^the first route with request conditions or a weighted split needs the candidate lookup$/,
  /^the listener ports or addresses of Gateways changed \(binds and scope rules\)$/,
  /^new backend [a-z0-9-]+_[a-z0-9-]+_[0-9]+\.[0-9a-f]+ needs settings no free section has$/,
];

export interface SequenceOptions {
  seed: number;
  steps: number;
  log?: (line: string) => void;
}

export interface SequenceSummary {
  seed: number;
  steps: number;
  requests: number;
  /** Answers that matched, by kind (a backend, a status, a redirect, refused): a run that saw one kind checked little. */
  matched: Map<string, number>;
  /** Reloads after the start, by reason, and the details Portero logged for them. */
  reloads: Map<string, number>;
  reloadDetails: string[];
  durationMs: number;
}

export class GatewayInvariantFailure extends Error {
  constructor(report: string) {
    super(report);
    this.name = 'GatewayInvariantFailure';
  }
}

async function writeAtomic(directory: string, name: string, text: string): Promise<void> {
  const temporary = join(directory, `.${name}.${process.pid}.tmp`);
  await writeFile(temporary, text);
  await rename(temporary, join(directory, name));
}

/** Polls `check` until it is true, or returns false at the deadline (a bound for a failure report, not a timing assertion). */
async function until(check: () => Promise<boolean>, timeoutMs: number, intervalMs = 10): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return true;
    if (Date.now() >= deadline) return false;
    await sleep(intervalMs);
  }
}

async function markerAnswers(portero: Portero, step: number, phase: Phase): Promise<boolean> {
  return until(async () => {
    const response = await request({ port: portero.httpPort, host: markerHost(step, phase), path: '/', timeoutMs: 5000 });
    return response.status === 200 && response.headers['x-backend'] === 'marker';
  }, 60_000);
}

/**
 * Waits for the file sync gauge, then for the live state to equal the files.
 * Draining servers are transient (a drain may take up to a minute); servers
 * being deleted (in maintenance, not in the files) must be gone within the
 * bound: one that stays is a leak and reported as a difference.
 */
async function settle(portero: Portero): Promise<LiveComparison> {
  let last: GatewayLiveComparison = { diffs: ['no comparison made'], draining: [], removing: [] };
  let differingSince: number | undefined;
  await until(async () => {
    const metrics = await scrape(portero.healthPort);
    if (metrics.filesSynced !== 1) {
      differingSince = undefined;
      return false;
    }
    last = await compareGatewayLive(portero.stateDir);
    if (last.diffs.length === 0) return last.removing.length === 0;
    // The files are said to be in sync: a difference that stays for a second while they are is final.
    differingSince ??= Date.now();
    return Date.now() - differingSince >= 1000;
  }, 15_000, 40);
  const leaked = last.removing.map((entry) => `server in maintenance and not in the files for 15 s (never deleted): ${entry}`);
  return { diffs: [...last.diffs, ...leaked], draining: last.draining };
}

function kindOf(outcome: Outcome | undefined): string {
  if (!outcome) return 'other';
  return outcome.kind === 'server' ? (outcome.check ? 'backend+filter' : 'backend') : outcome.kind === 'status' ? String(outcome.status) : outcome.kind === 'redirect' ? `redirect ${outcome.status}` : 'refused';
}

export function reproduction(seed: number, steps: number): string {
  return `GW_INVARIANT_SEED=${seed} GW_INVARIANT_STEPS=${steps} node scripts/test.mjs test/e2e/gateway-invariant.test.ts`;
}

export async function runGatewaySequence(options: SequenceOptions): Promise<SequenceSummary> {
  const started = Date.now();
  const log = options.log ?? (() => undefined);
  const rng = new Rng(options.seed);
  const pace = new Rng((options.seed ^ 0x5eed9a9a) >>> 0);
  const summary: SequenceSummary = { seed: options.seed, steps: 0, requests: 0, matched: new Map(), reloads: new Map(), reloadDetails: [], durationMs: 0 };
  const pool: Backend[] = [];
  let marker: Backend | undefined;
  let portero: Portero | undefined;
  const directory = await mkdtemp(join(tmpdir(), 'portero-gw-invariant-'));
  try {
    for (let index = 0; index < SERVERS; index += 1) pool.push(await startBackend(`srv${index}`));
    marker = await startBackend('marker');
    const env = { endpoint: (server: number) => ({ address: pool[server]!.address, port: pool[server]!.port }) };
    const serverNames = new Map(pool.map((backend) => [`${backend.address}:${backend.port}`, backend.name]));
    const markerText = (step: number, phase: Phase) => toYaml(markerObjects(step, phase, marker!));

    let world: World = initialWorld(rng);
    const history = [`0: initial world: ${describeWorld(world).join('; ')}`];
    const render = (w: World) => new Map([...renderWorld(w, env)].map(([name, objects]) => [name, toYaml(objects)]));
    let files = render(world);
    for (const [name, text] of files) await writeAtomic(directory, name, text);
    await writeAtomic(directory, MARKER_FILE, markerText(0, 'applied'));
    portero = await startPortero({ manifestsDir: directory, flags: ['--haproxy-metrics-port', '0'] });
    const running = portero;
    const fallbackPem = await readFile(join(portero.stateDir, 'default-cert.pem'), 'utf8');
    // The options Portero runs with (src/cli/main.ts), so that the fresh translation is the one a fresh Portero would make.
    const translateOptions: TranslateOptions = {
      ...translateOptionsFor({ defaultBackendService: false, watchIngressWithoutClass: false, pathNormalization: false }, fallbackPem, new Date()),
      gatewayControllerName: GATEWAY_CONTROLLER,
      localAddresses: Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((entry) => entry.address)),
      gatewayPorts: { http: portero.httpPort, https: portero.httpsPort, reserved: [{ port: portero.healthPort, flag: '--health-port' }] },
    };
    const probes = probeSet();

    const fail = (step: number, sections: [string, string[]][]): never => {
      const shown = (lines: string[]) => [...lines.slice(0, 40).map((line) => `  ${line}`), ...(lines.length > 40 ? [`  … ${lines.length - 40} more`] : [])];
      const warnings = running.logs.filter((line) => /"level":(40|50|60)/.test(line)).slice(-10);
      throw new GatewayInvariantFailure(
        [
          `Gateway API invariant violated at step ${step} of seed ${options.seed}`,
          `Repeat with:\n  ${reproduction(options.seed, step)}`,
          '',
          'Steps so far:',
          ...history.map((line) => `  ${line}`),
          '',
          ...sections.flatMap(([title, lines]) => (lines.length === 0 ? [] : [`${title} (${lines.length}):`, ...shown(lines)])),
          '',
          'World after this step:',
          ...describeWorld(world).map((line) => `  ${line}`),
          ...(warnings.length > 0 ? ['', 'Portero warnings and errors (last 10):', ...warnings.map((line) => `  ${line}`)] : []),
        ].join('\n'),
      );
    };

    let timings = { ask: 0, settle: 0 };
    const served = async (step: number): Promise<void> => {
      if (!(await markerAnswers(running, step, 'applied'))) fail(step, [['Not applied', [`the marker ${markerHost(step, 'applied')} never answered`, ...running.logs.slice(-20)]]]);
      const done = markerText(step, 'done');
      await writeAtomic(directory, MARKER_FILE, done);
      files.set(MARKER_FILE, done);
      if (!(await markerAnswers(running, step, 'done'))) fail(step, [['Not applied', [`the marker ${markerHost(step, 'done')} never answered`, ...running.logs.slice(-20)]]]);
    };

    const check = async (step: number, before: Scrape): Promise<Scrape> => {
      const checkStarted = Date.now();
      // A fresh translation of exactly the files on disk: no previous model, nothing cached.
      const model: Model = translate(snapshotOf(decodeFiles(files)), translateOptions).model;
      const agents = { shared: new Agent({ keepAlive: true, maxSockets: 6 }), own: new Agent({ keepAlive: true, maxSockets: 2 }) };
      const observed = new Array<Awaited<ReturnType<typeof ask>>>(probes.length);
      let next = 0;
      const worker = async () => {
        while (next < probes.length) {
          const index = next;
          next += 1;
          observed[index] = await ask(running.httpPort, probes[index]!, agents);
        }
      };
      try {
        await Promise.all(Array.from({ length: 6 }, worker));
      } finally {
        agents.shared.destroy();
        agents.own.destroy();
      }
      const wrong: string[] = [];
      for (const [index, probe] of probes.entries()) {
        const { outcomes, why } = expectedOutcomes(model, probe, serverNames);
        let observation = observed[index]!;
        // An address a reload unbinds is closed by the old worker when it is told to stop, a moment after the
        // new one serves: wait for that (bounded), for this expectation only.
        if (outcomes.every((outcome) => outcome.kind === 'refused') && mismatch(outcomes, observation) !== undefined) {
          await until(async () => {
            observation = await ask(running.httpPort, probe, { shared: new Agent(), own: new Agent() });
            return mismatch(outcomes, observation) === undefined;
          }, 3000, 50);
        }
        const problem = mismatch(outcomes, observation);
        summary.requests += 1;
        if (problem === undefined) {
          const kind = kindOf(outcomes.find((outcome) => mismatch([outcome], observation) === undefined));
          summary.matched.set(kind, (summary.matched.get(kind) ?? 0) + 1);
        } else wrong.push(`${probeKey(probe)}: got ${describeObservation(observation)}; expected ${outcomes.map(describeOutcome).join(' | ')} (${why}): ${problem}`);
      }
      const asked = Date.now();
      const live = await settle(running);
      // The files the running Portero keeps against what the data plane renders for the fresh model (maps, candidates.map, servers).
      const rendered = live.diffs.length === 0 ? await compareFilesWithModel(running.stateDir, model) : [];
      timings = { ask: asked - checkStarted, settle: Date.now() - asked };
      const after = await scrape(running.healthPort);
      const reloads = reloadsBetween(before, after);
      for (const reason of reloads) summary.reloads.set(reason, (summary.reloads.get(reason) ?? 0) + 1);
      const unexpected = reloads.filter((reason) => !CHANGE_RELOAD_REASONS.includes(reason));
      if (reloads.length > 0) {
        const details = running.entries().filter((entry) => entry.msg === 'configuration applied with a reload').slice(-reloads.length);
        for (const entry of details) {
          summary.reloadDetails.push(`step ${step}: ${String(entry.reason)}: ${String(entry.detail)}`);
          if (entry.reason === 'structural' && !DOCUMENTED_STRUCTURAL.some((pattern) => pattern.test(String(entry.detail)))) unexpected.push(`structural, not a documented cause: ${String(entry.detail)}`);
        }
        history[history.length - 1] += `  [reload: ${details.map((entry) => `${String(entry.reason)}: ${String(entry.detail)}`).join('; ') || reloads.join(',')}]`;
      }
      if (wrong.length > 0 || live.diffs.length > 0 || rendered.length > 0 || unexpected.length > 0) {
        fail(step, [
          ['Requests whose answer differs from the reference for a fresh translation', wrong],
          ['HAProxy live state vs the files of the loaded generation', live.diffs],
          ['Files of the loaded generation vs what the data plane renders for the fresh model', rendered],
          ['Reloads with a reason no change should have', unexpected],
        ]);
      }
      return after;
    };

    await served(0);
    // The start's own reload is counted before step 0 is checked: only changes' reloads are reported.
    let metrics = await check(0, await scrape(portero.healthPort));

    for (let step = 1; step <= options.steps; step += 1) {
      const next = mutate(rng, world);
      world = next.world;
      history.push(`${step}: ${next.text}`);
      const nextFiles = render(world);
      for (const [name, text] of nextFiles) if (files.get(name) !== text) await writeAtomic(directory, name, text);
      for (const name of files.keys()) if (name !== MARKER_FILE && !nextFiles.has(name)) await rm(join(directory, name), { force: true });
      files = nextFiles;
      // Now and then the next step's files follow at once, while Portero may still be applying these: the
      // check after that step sees the end of both. (A stream of its own: the worlds of a seed stay the same.)
      if (step < options.steps && pace.chance(0.2)) {
        history[history.length - 1] += '  (not waited for)';
        log(`step ${step} written, not waited for: ${history[history.length - 1]}`);
        continue;
      }
      await writeAtomic(directory, MARKER_FILE, markerText(step, 'applied'));
      const stepStarted = Date.now();
      await served(step);
      const applied = Date.now();
      metrics = await check(step, metrics);
      summary.steps = step;
      log(`step ${step} (apply ${applied - stepStarted} ms, ask ${timings.ask} ms, settle ${timings.settle} ms): ${history[history.length - 1]}`);
      for (const backend of [...pool, marker]) backend.requests.length = 0;
    }
    summary.durationMs = Date.now() - started;
    return summary;
  } finally {
    await portero?.dispose();
    await rm(directory, { recursive: true, force: true });
    await Promise.all([...pool, ...(marker ? [marker] : [])].map((backend) => backend.close()));
  }
}

export function describeSummary(summary: SequenceSummary): string {
  const sorted = (map: Map<string, number>) => [...map].sort(([a], [b]) => (a < b ? -1 : 1)).map(([key, count]) => `${key} ×${count}`).join(', ');
  return [
    `seed ${summary.seed}: ${summary.steps} steps in ${(summary.durationMs / 1000).toFixed(1)} s, ${summary.requests} requests`,
    `  answers matching the reference: ${sorted(summary.matched)}`,
    `  reloads after the start: ${sorted(summary.reloads) || 'none'}`,
    ...summary.reloadDetails.map((line) => `    ${line}`),
  ].join('\n');
}
