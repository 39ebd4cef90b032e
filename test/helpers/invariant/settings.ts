// The settings of a run beyond its seed: the Portero flags it runs with and
// which request spellings it asks. Settings a caller leaves open are drawn
// from the seed, from a stream of their own (the worlds' stream stays the
// same whatever the settings).

import type { TranslateOptions } from '../../../src/translate/translate.js';
import { Rng } from './prng.js';
import { CONTROLLER } from './world.js';

export interface RunSettings {
  /** Portero runs with --default-backend-service default/dflt:80. */
  defaultBackendService: boolean;
  /** Portero runs with --watch-ingress-without-class. */
  watchIngressWithoutClass: boolean;
  /** Dot-segment and escape spellings are asked too. */
  pathNormalization: boolean;
}

export function settingsFor(options: { seed: number } & Partial<RunSettings>): RunSettings {
  const rng = new Rng((options.seed ^ 0x5eed5eed) >>> 0);
  const defaultBackendService = rng.chance(0.5);
  const watchIngressWithoutClass = rng.chance(0.25);
  return {
    defaultBackendService: options.defaultBackendService ?? defaultBackendService,
    watchIngressWithoutClass: options.watchIngressWithoutClass ?? watchIngressWithoutClass,
    pathNormalization: options.pathNormalization ?? false,
  };
}

/** The commands that repeat a run up to `steps` (for failure reports); `clientAuth`: the worlds had client certificates changing on top. */
export function reproduction(seed: number, steps: number, settings: RunSettings, clientAuth = false): string {
  const env = `DEFAULT_BACKEND=${settings.defaultBackendService ? 1 : 0} WATCH_WITHOUT_CLASS=${settings.watchIngressWithoutClass ? 1 : 0} PATH_NORMALIZATION=${settings.pathNormalization ? 1 : 0}${clientAuth ? ' CLIENT_AUTH=1' : ''}`;
  const prefixed = env.replace(/(^| )/g, '$1INVARIANT_');
  return [
    `SEED=${seed} STEPS=${steps} ${env} npm run test:soak`,
    `INVARIANT_SEED=${seed} INVARIANT_STEPS=${steps} ${prefixed} node scripts/test.mjs test/e2e/invariant.test.ts`,
    `INVARIANT_PURE_SEED=${seed} INVARIANT_PURE_STEPS=${steps} ${prefixed.replace(/ INVARIANT_PATH_NORMALIZATION=\d/, '')} node scripts/test.mjs test/unit/invariant-plan.test.ts   (the same worlds, simulated HAProxy)`,
  ].join('\n  ');
}

/** The translate options Portero runs with under these settings. */
export function translateOptionsFor(settings: RunSettings, fallbackCertificatePem: string, now: Date): TranslateOptions {
  return {
    ingressClass: 'portero',
    controllerClass: CONTROLLER,
    watchIngressWithoutClass: settings.watchIngressWithoutClass,
    fallbackCertificatePem,
    now,
    ...(settings.defaultBackendService ? { defaultBackendService: { namespace: 'default', name: 'dflt', port: 80 } } : {}),
  };
}
