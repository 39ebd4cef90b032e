// Gateway API status writes (status/gateway-status.ts): conditions of types
// Portero does not own survive its merges (gateway-preserve-foreign-conditions.go).

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { withForeign } from '../../src/status/gateway-status.js';

const condition = (type: string, status: 'True' | 'False', extra: Record<string, unknown> = {}) => ({ type, status, reason: type, message: '', observedGeneration: 2, lastTransitionTime: '', ...extra });

describe('status merge: foreign conditions', () => {
  test('ours are replaced (lastTransitionTime kept while unchanged), foreign types stay as they were', () => {
    const foreign = { type: 'StaleCondition', status: 'True', reason: 'Seeded', message: '', observedGeneration: 1, lastTransitionTime: '2026-01-01T00:00:00Z' };
    const before = [{ ...condition('Accepted', 'True', { observedGeneration: 1 }), lastTransitionTime: '2026-01-01T00:00:05Z' }, foreign];
    const merged = withForeign([condition('Accepted', 'True'), condition('Programmed', 'True')], before, 'NOW');
    assert.deepEqual(merged, [{ ...condition('Accepted', 'True'), lastTransitionTime: '2026-01-01T00:00:05Z' }, { ...condition('Programmed', 'True'), lastTransitionTime: 'NOW' }, foreign]);
  });

  test('a type Portero owns but no longer sets (OverlappingTLSConfig gone) is removed, not kept as foreign', () => {
    const before = [condition('Accepted', 'True'), condition('OverlappingTLSConfig', 'True')];
    assert.deepEqual(withForeign([condition('Accepted', 'True')], before, 'NOW').map((entry) => entry.type), ['Accepted']);
  });

  test('no status yet', () => {
    assert.deepEqual(withForeign([condition('Accepted', 'True')], undefined, 'NOW'), [{ ...condition('Accepted', 'True'), lastTransitionTime: 'NOW' }]);
  });
});
