// The invariant of a running Portero (DESIGN.md), as a model-based test:
// fixed seeds, a bounded number of steps, every structural boundary crossed.
// See docs/testing.md; test/helpers/invariant/harness.ts does the work.
//
// Environment overrides (to repeat a failure printed by this test or by
// `npm run test:soak`): INVARIANT_SEED, INVARIANT_STEPS,
// INVARIANT_DEFAULT_BACKEND=0|1, INVARIANT_WATCH_WITHOUT_CLASS=0|1,
// INVARIANT_PATH_NORMALIZATION=0|1, INVARIANT_CLIENT_AUTH=0|1 (auth-tls-* changing on top),
// INVARIANT_IGNORE=class,class.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DEFAULT_GENERATOR, REQUIRED_BOUNDARIES } from '../helpers/invariant/generate.js';
import { describeSummary, missingBoundaries, runSequence, type RunOptions } from '../helpers/invariant/harness.js';

const flag = (name: string): boolean | undefined => (process.env[name] === undefined ? undefined : process.env[name] === '1');
const ignore = new Set((process.env.INVARIANT_IGNORE ?? '').split(',').filter(Boolean));

interface Sequence extends RunOptions {
  title: string;
  /** The fixed-seed sequences must cross every required boundary... */
  boundaries: readonly string[];
  /** ...and check answers of these kinds (statuses, `certificate:default`, `certificate:secret`). */
  kinds: readonly string[];
}

const sequences: Sequence[] =
  process.env.INVARIANT_SEED !== undefined
    ? [
        {
          title: `seed ${process.env.INVARIANT_SEED} (from INVARIANT_SEED)`,
          seed: Number(process.env.INVARIANT_SEED) >>> 0,
          steps: Number(process.env.INVARIANT_STEPS ?? 40),
          defaultBackendService: flag('INVARIANT_DEFAULT_BACKEND'),
          watchIngressWithoutClass: flag('INVARIANT_WATCH_WITHOUT_CLASS'),
          pathNormalization: flag('INVARIANT_PATH_NORMALIZATION'),
          ...(flag('INVARIANT_CLIENT_AUTH') ? { generator: { ...DEFAULT_GENERATOR, clientAuth: true } } : {}),
          boundaries: [],
          kinds: [],
        },
      ]
    : [
        {
          title: 'without --default-backend-service',
          // Crosses every required boundary by step 17 (the pure simulation follows the same
          // sequence: INVARIANT_PURE_SEED=20); the rest is margin and random steps.
          seed: 20,
          steps: 30,
          defaultBackendService: false,
          watchIngressWithoutClass: false,
          pathNormalization: flag('INVARIANT_PATH_NORMALIZATION') ?? true,
          boundaries: REQUIRED_BOUNDARIES,
          kinds: ['200', '308', '404', '503', 'certificate:default', 'certificate:secret'],
        },
        {
          title: 'with client certificates (auth-tls-*) changing on top (requests without a certificate)',
          // Hosts start and stop asking for certificates by step 8 (INVARIANT_PURE_SEED=28 with client
          // certificates: the same worlds); requests get 400, 421 and the error page's 302 on the way.
          seed: 28,
          steps: 16,
          defaultBackendService: false,
          watchIngressWithoutClass: false,
          pathNormalization: false,
          generator: { ...DEFAULT_GENERATOR, clientAuth: true },
          boundaries: ['client-auth:first', 'client-certificates:first', 'client-certificates:last'],
          kinds: ['200', '302', '400', '421', '503'],
        },
      ];

describe('a running Portero routes like a fresh one, and HAProxy holds what its files say', () => {
  for (const sequence of sequences) {
    test(sequence.title, { timeout: 600_000 }, async () => {
      const summary = await runSequence({ ...sequence, ignore, log: process.env.INVARIANT_VERBOSE === '1' ? (line) => console.log(line) : undefined });
      console.log(describeSummary(summary));
      assert.equal(summary.steps, sequence.steps, 'every step ran');
      for (const kind of sequence.kinds) {
        assert.ok((summary.matched.get(kind) ?? 0) > 0, `some answers of kind ${kind} were checked (${[...summary.matched].join(' ')})`);
      }
      assert.deepEqual(missingBoundaries(summary, sequence.boundaries), [], `boundaries not crossed by seed ${sequence.seed} in ${sequence.steps} steps`);
    });
  }
});
