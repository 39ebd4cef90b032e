// Long random runs of the invariant test (`npm run test:soak`, see
// docs/testing.md). A master seed (random unless given) is printed first;
// the run is a chain of sequences ("segments"), each with its own seed and
// its own Portero, until a step count or a duration is reached. Every
// segment prints its seed and settings, and a failure prints the command
// that repeats exactly that segment up to the failing step.

import { describeSummary, InvariantFailure, missingBoundaries, runSequence, type RunSummary } from './harness.js';
import { runPureSequence } from './pure.js';
import { DEFAULT_GENERATOR } from './generate.js';
import { randomSeed, Rng } from './prng.js';

export interface SoakOptions {
  /** Master seed; with `steps` and no duration, exactly one segment of that seed (a reproduction). */
  seed?: number;
  /** Total steps (over all segments). */
  steps?: number;
  durationMs: number;
  segmentSteps: number;
  freshEvery: number;
  defaultBackendService?: boolean;
  watchIngressWithoutClass?: boolean;
  pathNormalization: boolean;
  /** Client certificates (auth-tls-*) change on top of the worlds (GeneratorSettings.clientAuth). */
  clientAuth: boolean;
  ignore: Set<string>;
  /** Only the pure simulation (no HAProxy): many more sequences per minute. */
  pure: boolean;
  /** After a violation, print it and go on with the next segment (to find more than one defect). */
  keepGoing: boolean;
  verbose: boolean;
}

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/;

export function parseDuration(text: string): number {
  const match = DURATION.exec(text.trim());
  if (!match) throw new Error(`not a duration: ${JSON.stringify(text)} (use e.g. 90s, 10m, 1h)`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(match[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
  return Number(match[1]) * unit;
}

function flagValue(argv: readonly string[], name: string): string | undefined {
  const index = argv.findIndex((arg) => arg === `--${name}` || arg.startsWith(`--${name}=`));
  if (index === -1) return undefined;
  const arg = argv[index]!;
  return arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : argv[index + 1];
}

function bool(value: string | undefined): boolean | undefined {
  if (value === undefined || value === '') return undefined;
  return value === '1' || value === 'true' || value === 'yes';
}

/** Flags win over environment variables (each also read with an INVARIANT_ prefix). */
export function soakOptions(argv: readonly string[], env: NodeJS.ProcessEnv): SoakOptions {
  const get = (flag: string, name: string) => flagValue(argv, flag) ?? env[name] ?? env[`INVARIANT_${name}`];
  const seed = get('seed', 'SEED');
  const steps = get('steps', 'STEPS');
  const duration = get('duration', 'DURATION');
  const has = (flag: string) => argv.includes(`--${flag}`);
  return {
    ...(seed !== undefined ? { seed: Number(seed) >>> 0 } : {}),
    ...(steps !== undefined ? { steps: Number(steps) } : {}),
    // A seed with a step count and no duration is a reproduction: no time limit.
    durationMs: duration !== undefined ? parseDuration(duration) : seed !== undefined && steps !== undefined ? Number.POSITIVE_INFINITY : 10 * 60_000,
    segmentSteps: Number(get('segment-steps', 'SEGMENT_STEPS') ?? (seed !== undefined && steps !== undefined ? steps : 150)),
    freshEvery: Number(get('fresh-every', 'FRESH_EVERY') ?? 25),
    defaultBackendService: bool(get('default-backend', 'DEFAULT_BACKEND')),
    watchIngressWithoutClass: bool(get('watch-without-class', 'WATCH_WITHOUT_CLASS')),
    pathNormalization: bool(get('path-normalization', 'PATH_NORMALIZATION')) ?? false,
    clientAuth: bool(get('client-auth', 'CLIENT_AUTH')) ?? false,
    ignore: new Set((get('ignore', 'IGNORE') ?? '').split(',').filter(Boolean)),
    pure: has('pure') || bool(env.PURE) === true,
    keepGoing: has('keep-going') || bool(env.KEEP_GOING) === true,
    verbose: has('verbose') || bool(env.VERBOSE) === true,
  };
}

export async function soak(options: SoakOptions, print: (line: string) => void = (line) => console.log(line)): Promise<number> {
  const master = options.seed ?? randomSeed();
  print(`soak: master seed ${master}${options.pure ? ' (pure simulation only)' : ''}; up to ${options.steps ?? 'unlimited'} steps, for ${Number.isFinite(options.durationMs) ? `${Math.round(options.durationMs / 1000)} s` : 'as long as the steps take'}`);
  const started = Date.now();
  const deadline = started + options.durationMs;
  let stopping = false;
  const stop = () => {
    if (stopping) process.exit(130);
    stopping = true;
    print('soak: stopping after the current step (Ctrl-C again to quit at once)');
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);

  const seeds = new Rng(master);
  const generator = options.clientAuth ? { generator: { ...DEFAULT_GENERATOR, clientAuth: true } } : {};
  const summaries: RunSummary[] = [];
  let stepsDone = 0;
  let pureSequences = 0;
  const failures: { seed: number; step: number; report: string }[] = [];
  const failed = (seed: number, step: number, report: string) => {
    failures.push({ seed, step, report });
    print('');
    print(`FAILED (segment seed ${seed}, step ${step}):`);
    print(report);
    print('');
  };
  try {
    for (let segment = 0; !stopping && Date.now() < deadline && (options.steps === undefined || stepsDone < options.steps); segment += 1) {
      if (failures.length > 0 && !options.keepGoing) break;
      const seed = segment === 0 ? master : seeds.u32();
      const steps = Math.min(options.segmentSteps, options.steps === undefined ? Number.POSITIVE_INFINITY : options.steps - stepsDone);
      if (options.pure) {
        const result = await runPureSequence({ seed, steps, defaultBackendService: options.defaultBackendService, watchIngressWithoutClass: options.watchIngressWithoutClass, ...generator }).catch((error: Error) => {
          throw new Error(`pure sequence of seed ${seed} crashed: ${error.stack ?? error.message}`);
        });
        pureSequences += 1;
        stepsDone += result.steps;
        if (options.verbose) print(`pure seed ${seed}: ${result.steps} steps, ${[...result.applies].map(([kind, count]) => `${kind} ${count}`).join(', ')}`);
        if (result.failure) failed(seed, result.failure.step, result.failure.report);
        continue;
      }
      print(`segment ${segment}: seed ${seed}, ${steps} steps`);
      try {
        const summary = await runSequence({
          seed,
          steps,
          deadline,
          defaultBackendService: options.defaultBackendService,
          watchIngressWithoutClass: options.watchIngressWithoutClass,
          pathNormalization: options.pathNormalization,
          ...generator,
          freshEvery: options.freshEvery,
          ignore: options.ignore,
          log: options.verbose ? print : undefined,
          shouldStop: () => stopping,
        });
        summaries.push(summary);
        stepsDone += summary.steps;
        print(describeSummary(summary));
        const missing = summary.steps >= 60 ? missingBoundaries(summary) : [];
        if (missing.length > 0) print(`  (boundaries not crossed in this segment: ${missing.join(', ')})`);
      } catch (error) {
        if (!(error instanceof InvariantFailure)) throw new Error(`segment of seed ${seed} crashed: ${(error as Error).stack ?? String(error)}`);
        if (error.summary) {
          summaries.push(error.summary);
          stepsDone += error.summary.steps;
        }
        failed(seed, error.step, error.message);
      }
    }
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }

  const seconds = ((Date.now() - started) / 1000).toFixed(0);
  const requests = summaries.reduce((sum, summary) => sum + summary.requests, 0);
  const reloads = new Map<string, number>();
  const boundaries = new Map<string, number>();
  for (const summary of summaries) {
    for (const [reason, count] of summary.reloads) reloads.set(reason, (reloads.get(reason) ?? 0) + count);
    for (const [boundary, count] of summary.counts) if (!boundary.startsWith('reload:')) boundaries.set(boundary, (boundaries.get(boundary) ?? 0) + count);
  }
  print('');
  print(`soak summary: master seed ${master}, ${seconds} s, ${stepsDone} steps${options.pure ? ` in ${pureSequences} pure sequences` : ` in ${summaries.length} segment(s) (${summaries.map((summary) => summary.seed).join(', ')}), ${requests} requests, ${summaries.reduce((sum, summary) => sum + summary.freshComparisons, 0)} fresh-start comparisons`}`);
  if (!options.pure) {
    print(`  reloads: ${[...reloads].map(([reason, count]) => `${reason} ${count}`).join(', ') || 'none'}`);
    print(`  boundaries crossed: ${[...boundaries].sort(([a], [b]) => (a < b ? -1 : 1)).map(([name, count]) => `${name} ×${count}`).join(', ')}`);
    const ignored = new Map<string, number>();
    for (const summary of summaries) for (const [kind, count] of summary.ignored) ignored.set(kind, (ignored.get(kind) ?? 0) + count);
    if (ignored.size > 0) print(`  ignored mismatches: ${[...ignored].map(([kind, count]) => `${kind} ${count}`).join(', ')}`);
  }
  if (failures.length > 0) {
    print(`  ${failures.length} violation(s), printed above:`);
    for (const failure of failures) print(`    seed ${failure.seed} step ${failure.step}: ${failure.report.split('\n').find((line) => /^\s+\[|only|differs|not served/.test(line))?.trim() ?? ''}`);
    return 1;
  }
  print('  no invariant violation');
  return 0;
}
