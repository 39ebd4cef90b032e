// The invariant of a running Portero (DESIGN.md) for Gateway API objects:
// random sequences of changes (HTTPRoutes on shared hostnames and paths,
// conditions, weights with invalid references, filters, Services and
// endpoints, a second listener, a Gateway with an address of its own, an
// Ingress next to them) on ONE running Portero per seed, each step checked
// against the reference matcher for a fresh translation of the same files,
// HAProxy's live state against the files, and every reload's cause against
// the documented ones. test/helpers/gateway-invariant/run.ts does the work.
//
// The seeds run at once, each with its own Portero: most of a step is
// waiting (for the files to follow the runtime changes, 500 ms after they
// pause), not CPU.
//
// Repeat a failure with the command it prints:
//   GW_INVARIANT_SEED=<seed> GW_INVARIANT_STEPS=<step> node scripts/test.mjs test/e2e/gateway-invariant.test.ts
// GW_INVARIANT_VERBOSE=1 prints every step as it runs.

import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { describeSummary, runGatewaySequence, type SequenceSummary } from '../helpers/gateway-invariant/run.js';

interface Sequence {
  seed: number;
  steps: number;
}

const fixed = process.env.GW_INVARIANT_SEED === undefined;
const sequences: Sequence[] = fixed
  ? [
      { seed: 2, steps: 30 },
      { seed: 4, steps: 30 },
      { seed: 7, steps: 30 },
    ]
  : [{ seed: Number(process.env.GW_INVARIANT_SEED) >>> 0, steps: Number(process.env.GW_INVARIANT_STEPS ?? 30) }];

describe('Gateway API: a running Portero routes like a fresh translation, and HAProxy holds what its files say', { concurrency: true }, () => {
  const summaries: SequenceSummary[] = [];

  for (const sequence of sequences) {
    test(`seed ${sequence.seed}, ${sequence.steps} steps`, { timeout: 300_000 }, async () => {
      const summary = await runGatewaySequence({ ...sequence, log: process.env.GW_INVARIANT_VERBOSE === '1' ? (line) => console.log(`[seed ${sequence.seed}] ${line}`) : undefined });
      console.log(describeSummary(summary));
      summaries.push(summary);
      assert.equal(summary.steps, sequence.steps, 'every step ran');
    });
  }

  // The fixed seeds together must have checked every kind of answer and crossed a structural reload: else they checked little.
  after(() => {
    if (!fixed || summaries.length !== sequences.length) return;
    const kinds = new Set(summaries.flatMap((summary) => [...summary.matched.keys()].map((kind) => kind.replace(/^redirect \d+$/, 'redirect'))));
    for (const kind of ['backend', 'backend+filter', '404', '500', '503', 'redirect', 'refused']) assert.ok(kinds.has(kind), `answers of kind ${kind} were checked (${[...kinds].join(', ')})`);
    assert.ok(summaries.some((summary) => (summary.reloads.get('structural') ?? 0) > 0), 'some step reloaded for a structural change');
  });
});
