// The standalone source: files added, changed, replaced and removed reach
// traffic; a broken file is reported with its name and line and changes
// nothing else; an invalid object is refused and its last good version kept.

import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startBackend, type Backend } from '../helpers/backends.js';
import { whoAnswers } from '../helpers/http.js';
import { ingress, serviceWithEndpoints, toYaml } from '../helpers/objects.js';
import { eventually, startPortero, type Portero } from '../helpers/portero.js';

describe('manifest directory', () => {
  let portero: Portero;
  let one: Backend;
  let two: Backend;

  before(async () => {
    one = await startBackend('one');
    two = await startBackend('two');
    portero = await startPortero({
      files: {
        'services.yaml': [...serviceWithEndpoints({ name: 'one', endpoints: [one] }), ...serviceWithEndpoints({ name: 'two', endpoints: [two] })],
        'stable.yaml': [ingress({ name: 'stable', rules: [{ host: 'stable.test', paths: [{ service: 'one' }] }] })],
      },
    });
  });

  after(async () => {
    await portero?.dispose();
    await one?.close();
    await two?.close();
  });

  const served = (host: string, path = '/') => whoAnswers(portero.httpPort, host, path);

  test('a new file is served, a change re-routes, a removed file stops being served', async () => {
    await portero.write('new.yaml', [ingress({ name: 'new', rules: [{ host: 'new.test', paths: [{ path: '/a', service: 'one' }] }] })]);
    await eventually(async () => assert.equal(await served('new.test', '/a'), 'one'));
    await portero.write('new.yaml', [ingress({ name: 'new', rules: [{ host: 'new.test', paths: [{ path: '/a', service: 'two' }, { path: '/b', service: 'one' }] }] })]);
    await eventually(async () => assert.equal(await served('new.test', '/a'), 'two'));
    assert.equal(await served('new.test', '/b'), 'one');
    await portero.remove('new.yaml');
    await eventually(async () => assert.equal(await served('new.test', '/a'), 'status:404'));
  });

  test('a file that does not parse is reported with file and line; the others keep working', async () => {
    await portero.write('broken.yaml', 'apiVersion: v1\nkind: Service\nmetadata:\n  name: x\n  labels:\n    - a\n    b: 2\n');
    const error = await portero.waitForLog((entry) => entry.file === 'broken.yaml' && entry.level === 'error');
    assert.equal(error.line, 7);
    assert.match(String(error.msg), /cannot parse/);
    assert.equal(await served('stable.test'), 'one');
    await portero.remove('broken.yaml');
  });

  test('a broken file keeps its last good content until it is fixed', async () => {
    await portero.write('edit.yaml', [ingress({ name: 'edit', rules: [{ host: 'edit.test', paths: [{ service: 'one' }] }] })]);
    await eventually(async () => assert.equal(await served('edit.test'), 'one'));
    await portero.write('edit.yaml', 'apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: edit\nspec: [}\n');
    await portero.waitForLog((entry) => entry.file === 'edit.yaml' && entry.level === 'error');
    assert.equal(await served('edit.test'), 'one');
    await portero.write('edit.yaml', [ingress({ name: 'edit', rules: [{ host: 'edit.test', paths: [{ service: 'two' }] }] })]);
    await eventually(async () => assert.equal(await served('edit.test'), 'two'));
  });

  test('an invalid object is refused with the object, field and line; its last good version stays', async () => {
    await portero.write('strict.yaml', [ingress({ name: 'strict', rules: [{ host: 'strict.test', paths: [{ path: '/ok', service: 'one' }] }] })]);
    await eventually(async () => assert.equal(await served('strict.test', '/ok'), 'one'));
    const invalid = ingress({ name: 'strict', rules: [{ host: 'strict.test', paths: [{ path: 'relative', service: 'two' }] }] });
    await portero.write('strict.yaml', [invalid]);
    const error = await portero.waitForLog((entry) => entry.file === 'strict.yaml' && entry.level === 'error');
    assert.equal(error.object, 'Ingress default/strict');
    assert.equal(error.field, 'spec.rules[0].http.paths[0].path');
    assert.match(String(error.msg), /must be an absolute path/);
    assert.equal(typeof error.line, 'number');
    assert.equal(await served('strict.test', '/ok'), 'one');
  });

  test('a problem is logged once when it appears, and once more when it is resolved', async () => {
    await portero.write('ghostly.yaml', [ingress({ name: 'ghostly', rules: [{ host: 'ghostly.test', paths: [{ service: 'ghost' }] }] })]);
    const isGhostly = (entry: Record<string, unknown>) => entry.object === 'Ingress default/ghostly' && entry.field === 'spec.rules[0].http.paths[0].backend.service.name';
    const warning = await portero.waitForLog((entry) => isGhostly(entry) && entry.level === 'warn');
    assert.match(String(warning.msg), /Service default\/ghost not found/);
    await portero.write('ghost.yaml', serviceWithEndpoints({ name: 'ghost', endpoints: [two] }));
    await eventually(async () => assert.equal(await served('ghostly.test'), 'two'));
    const resolved = await portero.waitForLog((entry) => isGhostly(entry) && entry.level === 'info');
    assert.equal(resolved.msg, `resolved: ${String(warning.msg)}`);
    assert.equal(portero.entries().filter((entry) => isGhostly(entry) && entry.level === 'warn').length, 1, 'the warning is logged once');
  });

  test('objects the API server would reject are refused', async () => {
    const cases: [string, Record<string, unknown>, RegExp][] = [
      ['missing-type', { path: '/x', backend: { service: { name: 'one', port: { number: 80 } } } }, /pathType must be specified/],
      ['both-backends', { path: '/x', pathType: 'Prefix', backend: { service: { name: 'one', port: { number: 80 } }, resource: { kind: 'Bucket', name: 'b' } } }, /cannot set both/],
      ['bad-type', { path: '/x', pathType: 'Regex', backend: { service: { name: 'one', port: { number: 80 } } } }, /Unsupported value/],
    ];
    for (const [name, path, message] of cases) {
      const object = {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'Ingress',
        metadata: { name },
        spec: { ingressClassName: 'portero', rules: [{ host: `${name}.test`, http: { paths: [path] } }] },
      };
      await portero.write(`${name}.yaml`, [object]);
      const error = await portero.waitForLog((entry) => entry.file === `${name}.yaml` && entry.level === 'error');
      assert.match(String(error.msg), message);
      assert.equal(await served(`${name}.test`, '/x'), 'status:404');
    }
    for (const host of ['with.port:80', 'in*side.test', '10.0.0.1', 'UPPER.test']) {
      const name = `host-${host.replace(/[^a-z0-9]/gi, '').toLowerCase()}`;
      await portero.write(`${name}.yaml`, [ingress({ name, rules: [{ host, paths: [{ service: 'one' }] }] })]);
      const error = await portero.waitForLog((entry) => entry.file === `${name}.yaml` && entry.level === 'error');
      assert.equal(error.field, 'spec.rules[0].host');
    }
  });

  test('subdirectories, JSON files and kind: List are read', async () => {
    await mkdir(join(portero.manifests, 'team', 'nested'), { recursive: true });
    await writeFile(join(portero.manifests, 'team', 'nested', 'app.json'), JSON.stringify(ingress({ name: 'json', rules: [{ host: 'json.test', paths: [{ service: 'two' }] }] })));
    await writeFile(
      join(portero.manifests, 'team', 'list.yml'),
      toYaml([{ apiVersion: 'v1', kind: 'List', items: [ingress({ name: 'listed', rules: [{ host: 'list.test', paths: [{ service: 'one' }] }] })] }]),
    );
    await eventually(async () => {
      assert.equal(await served('json.test'), 'two');
      assert.equal(await served('list.test'), 'one');
    });
  });

  test('other kinds are ignored; a burst of files is applied together', async () => {
    await portero.write('configmap.yaml', [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ignored' }, data: { a: 'b' } }]);
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => portero.write(`burst-${i}.yaml`, [ingress({ name: `burst-${i}`, rules: [{ host: `burst${i}.test`, paths: [{ service: 'one' }] }] })])),
    );
    await eventually(async () => {
      for (let i = 0; i < 20; i += 1) assert.equal(await served(`burst${i}.test`), 'one');
    });
  });

  test('the same object in two files: the first file in path order wins, with a warning', async () => {
    await portero.write('a-dup.yaml', [ingress({ name: 'dup', rules: [{ host: 'dup.test', paths: [{ service: 'one' }] }] })]);
    await portero.write('b-dup.yaml', [ingress({ name: 'dup', rules: [{ host: 'dup.test', paths: [{ service: 'two' }] }] })]);
    await portero.waitForLog((entry) => entry.level === 'warn' && entry.file === 'b-dup.yaml' && entry.usedFrom === 'a-dup.yaml');
    await eventually(async () => assert.equal(await served('dup.test'), 'one'));
  });
});
