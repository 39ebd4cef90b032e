// Every row of the path-matching table, through real HAProxy with real
// backends: each rule of a row points at its own backend server.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startBackend, type Backend } from '../helpers/backends.js';
import { whoAnswers } from '../helpers/http.js';
import { ingress, serviceWithEndpoints, type Json } from '../helpers/objects.js';
import { PATH_TABLE } from '../helpers/path-table.js';
import { startPortero, type Portero } from '../helpers/portero.js';

describe('path matching through HAProxy', () => {
  let portero: Portero;
  const backends: Backend[] = [];

  before(async () => {
    const objects: Json[] = [];
    for (const [row, entry] of PATH_TABLE.entries()) {
      const paths = [];
      for (const [i, [pathType, path]] of entry.rules.entries()) {
        const backend = await startBackend(`row${row}-rule${i}`);
        backends.push(backend);
        objects.push(...serviceWithEndpoints({ name: `row${row}-rule${i}`, endpoints: [backend] }));
        paths.push({ path, pathType, service: `row${row}-rule${i}` });
      }
      objects.push(ingress({ name: `row${row}`, rules: [{ host: `row${row}.paths.test`, paths }] }));
    }
    portero = await startPortero({ files: { 'paths.yaml': objects } });
  });

  after(async () => {
    await portero?.dispose();
    await Promise.all(backends.map((backend) => backend.close()));
  });

  for (const [row, entry] of PATH_TABLE.entries()) {
    test(entry.title, async () => {
      const expected = entry.expect === null ? 'status:404' : entry.expect === 'bad-request' ? 'status:400' : `row${row}-rule${entry.expect}`;
      for (const path of entry.requests) {
        assert.equal(await whoAnswers(portero.httpPort, `row${row}.paths.test`, path), expected, `request ${path}`);
      }
    });
  }
});
