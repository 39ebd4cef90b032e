// Path matching, table by table: translate + the reference matcher, and the
// rendered maps evaluated as HAProxy evaluates them.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { backendName } from '../../src/dataplane/haproxy/render-files.js';
import { answer, normalizeRequestPath } from '../../src/model/match.js';
import { ingress, serviceWithEndpoints } from '../helpers/objects.js';
import { simulateMaps } from '../helpers/map-simulator.js';
import { PATH_TABLE } from '../helpers/path-table.js';
import { translateJson } from '../helpers/translate.js';

describe('path matching (Kubernetes documentation examples)', () => {
  for (const [row, entry] of PATH_TABLE.entries()) {
    test(entry.title, () => {
      const services = entry.rules.flatMap((_, i) => serviceWithEndpoints({ name: `r${i}`, endpoints: [{ address: '10.0.0.1', port: 8000 + i }] }));
      const objects = [
        ingress({ name: `row${row}`, rules: [{ host: 'paths.test', paths: entry.rules.map(([pathType, path], i) => ({ path, pathType, service: `r${i}` })) }] }),
        ...services,
      ];
      const { model, diagnostics } = translateJson(objects);
      if (entry.warns) assert.ok(diagnostics.length === 1 && entry.warns.test(diagnostics[0]!.message), JSON.stringify(diagnostics));
      else assert.deepEqual(diagnostics, []);
      for (const path of entry.requests) {
        const result = answer(model, { scheme: 'http', host: 'paths.test', path, httpsPort: 443 });
        if (entry.expect === 'bad-request') {
          assert.deepEqual(result, { kind: 'bad-request' }, `request ${path}`);
          continue;
        }
        const expected = entry.expect === null ? { kind: 'not-found' } : { kind: 'backend', id: `default_r${entry.expect}_80` };
        assert.deepEqual(result, { kind: 'route', target: expected }, `request ${path}`);
        const normalized = normalizeRequestPath(path);
        assert.ok(normalized.ok);
        assert.equal(simulateMaps(model, 'paths.test', normalized.path), backendName(expected as never).text, `maps for request ${path}`);
      }
    });
  }
});
