// The invariant of a running Portero (DESIGN.md) for Gateway API objects:
// random sequences of changes (HTTPRoutes on shared hostnames and paths,
// conditions, weights with invalid references, filters, Services and
// endpoints, a second listener, a Gateway with an address of its own) on ONE
// running Portero, each step checked against the reference matcher for a
// fresh translation of the same files, and HAProxy's live state against the
// files. test/helpers/gateway-invariant/run.ts does the work.
//
// Repeat a failure with the command it prints:
//   GW_INVARIANT_SEED=<seed> GW_INVARIANT_STEPS=<step> node scripts/test.mjs test/e2e/gateway-invariant.test.ts
// GW_INVARIANT_VERBOSE=1 prints every step as it runs.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { describeSummary, runGatewaySequence } from '../helpers/gateway-invariant/run.js';

interface Sequence {
  seed: number;
  steps: number;
}

const sequences: Sequence[] =
  process.env.GW_INVARIANT_SEED !== undefined
    ? [{ seed: Number(process.env.GW_INVARIANT_SEED) >>> 0, steps: Number(process.env.GW_INVARIANT_STEPS ?? 30) }]
    : [
        { seed: 1, steps: 30 },
        { seed: 2, steps: 30 },
      ];

describe('Gateway API: a running Portero routes like a fresh translation, and HAProxy holds what its files say', () => {
  for (const sequence of sequences) {
    test(`seed ${sequence.seed}, ${sequence.steps} steps`, { timeout: 300_000 }, async () => {
      const summary = await runGatewaySequence({ ...sequence, log: process.env.GW_INVARIANT_VERBOSE === '1' ? (line) => console.log(line) : undefined });
      console.log(describeSummary(summary));
      assert.equal(summary.steps, sequence.steps, 'every step ran');
      // A run that never saw a backend answer, a 404 or a 500 checked little.
      for (const kind of ['backend', '404', '500']) assert.ok((summary.matched.get(kind) ?? 0) > 0, `answers of kind ${kind} were checked (${[...summary.matched].join(' ')})`);
    });
  }
});
