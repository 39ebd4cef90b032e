// Bad manifests and restarts: a file the parser or decoder chokes on stays
// with that file, an oversized file is refused, conflict winners and last
// good versions are the same after a restart as before it.

import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startBackend, type Backend } from '../helpers/backends.js';
import { whoAnswers } from '../helpers/http.js';
import { ingress, serviceWithEndpoints, toYaml, type Json } from '../helpers/objects.js';
import { eventually, startPortero, type Portero } from '../helpers/portero.js';

// "Billion laughs": nine levels of ten aliases each.
const ALIAS_BOMB = `${['a: &a [x,x,x,x,x,x,x,x,x,x]', ...'bcdefgh'.split('').map((name, i) => `${name}: &${name} [${Array(10).fill(`*${'abcdefgh'[i]}`).join(',')}]`), `i: [${Array(10).fill('*h').join(',')}]`].join('\n')}\n`;
const TYPE_BOMB = 'apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ntype: {toString: 1}\n';

const app = (name: string, host: string, service: string): Json => ingress({ name, rules: [{ host, paths: [{ service }] }] });

describe('manifest faults and restarts', () => {
  let one: Backend;
  let two: Backend;
  const started: Portero[] = [];
  const directories: string[] = [];

  before(async () => {
    one = await startBackend('one');
    two = await startBackend('two');
  });

  after(async () => {
    for (const portero of started) await portero.stop();
    for (const directory of directories) await rm(directory, { recursive: true, force: true });
    await one?.close();
    await two?.close();
  });

  /** A manifest directory and a state directory that outlive the Porteros started on them. */
  async function workspace(): Promise<{ manifests: string; state: string; start: () => Promise<Portero> }> {
    const manifests = await mkdtemp(join(tmpdir(), 'portero-manifests-'));
    const state = await mkdtemp(join(tmpdir(), 'portero-state-'));
    directories.push(manifests, state);
    await writeFile(join(manifests, 'services.yaml'), toYaml([...serviceWithEndpoints({ name: 'one', endpoints: [one] }), ...serviceWithEndpoints({ name: 'two', endpoints: [two] })]));
    return {
      manifests,
      state,
      start: async () => {
        // The later --state-dir wins over the helper's own temporary one.
        const portero = await startPortero({ manifestsDir: manifests, flags: ['--state-dir', state] });
        started.push(portero);
        return portero;
      },
    };
  }

  test('a file the parser or decoder throws on stays with that file; the batch and a fresh start serve the rest (H1)', async () => {
    const { start } = await workspace();
    let portero = await start();
    const served = (host: string) => whoAnswers(portero.httpPort, host, '/');
    // Within a few milliseconds, so they are read in one batch, bad files in the middle.
    await Promise.all([
      portero.write('a.yaml', [app('a', 'a.test', 'one')]),
      portero.write('b-aliases.yaml', ALIAS_BOMB),
      portero.write('b-type.yaml', TYPE_BOMB),
      portero.write('c.yaml', [app('c', 'c.test', 'two')]),
    ]);
    await eventually(async () => {
      assert.equal(await served('a.test'), 'one');
      assert.equal(await served('c.test'), 'two');
    });
    const error = await portero.waitForLog((entry) => entry.file === 'b-aliases.yaml' && entry.level === 'error');
    assert.match(String(error.msg), /^cannot parse: .*alias.*; the file keeps its last good content$/i);
    assert.deepEqual(portero.entries().filter((entry) => entry.msg === 'reading manifests failed'), []);

    await portero.stop();
    portero = await start();
    assert.equal(await served('a.test'), 'one');
    assert.equal(await served('c.test'), 'two');
  });

  test('objects without creationTimestamp: name decides a conflict, the same before and after a restart (M6)', async () => {
    const { start } = await workspace();
    let portero = await start();
    const served = (host: string) => whoAnswers(portero.httpPort, host, '/');
    const claimant = (name: string, service: string) =>
      ingress({ name, defaultBackend: { service }, rules: [{ host: 'shared.test', paths: [{ service }] }] });
    // zeta is written first; alpha comes first by name, which decides.
    await portero.write('zeta.yaml', [claimant('zeta', 'one')]);
    await eventually(async () => assert.equal(await served('shared.test'), 'one'));
    await portero.write('alpha.yaml', [claimant('alpha', 'two')]);
    await eventually(async () => {
      assert.equal(await served('shared.test'), 'two');
      assert.equal(await served('unknown.test'), 'two');
    });
    // An explicit creationTimestamp is older than none.
    await portero.write('zeta.yaml', [{ ...claimant('zeta', 'one'), metadata: { name: 'zeta', creationTimestamp: '2030-01-01T00:00:00Z' } }]);
    await eventually(async () => assert.equal(await served('shared.test'), 'one'));
    await portero.write('zeta.yaml', [claimant('zeta', 'one')]);
    await eventually(async () => assert.equal(await served('shared.test'), 'two'));

    await portero.stop();
    portero = await start();
    assert.equal(await served('shared.test'), 'two');
    assert.equal(await served('unknown.test'), 'two');
  });

  test('the last good version kept for an invalid edit survives a restart, and is dropped once fixed (L1)', async () => {
    const { state, start } = await workspace();
    const keptFile = join(state, 'manifests-kept.json');
    let portero = await start();
    const served = (host: string, path = '/') => whoAnswers(portero.httpPort, host, path);
    await portero.write('app.yaml', [app('app', 'app.test', 'one'), app('other', 'other.test', 'one')]);
    await eventually(async () => assert.equal(await served('app.test'), 'one'));
    await assert.rejects(stat(keptFile), 'nothing kept, nothing saved');

    // A relative path: refused, the last good version stays in use.
    const invalid = ingress({ name: 'app', rules: [{ host: 'app.test', paths: [{ path: 'api', service: 'two' }] }] });
    await portero.write('app.yaml', [invalid, app('other', 'other.test', 'two')]);
    await portero.waitForLog((entry) => entry.file === 'app.yaml' && /last good version stays in use/.test(String(entry.msg)));
    await eventually(async () => assert.equal(await served('other.test'), 'two'));
    assert.equal(await served('app.test'), 'one');
    await eventually(async () => assert.equal((await stat(keptFile)).mode & 0o777, 0o600));
    const saved = JSON.parse(await readFile(keptFile, 'utf8')) as { entries: { file: string; object: Json }[] };
    assert.deepEqual(saved.entries.map((entry) => [entry.file, (entry.object.metadata as Json).name]), [['app.yaml', 'app']]);

    await portero.stop();
    portero = await start();
    assert.equal(await served('app.test'), 'one');
    assert.equal(await served('other.test'), 'two');
    const warning = portero.entries().find((entry) => entry.file === 'app.yaml' && entry.object === 'Ingress default/app');
    assert.match(String(warning?.msg), /last good version stays in use/);

    // Fixed: the new version is used and nothing is kept any more.
    await portero.write('app.yaml', [app('app', 'app.test', 'two'), app('other', 'other.test', 'two')]);
    await eventually(async () => assert.equal(await served('app.test'), 'two'));
    await eventually(() => assert.rejects(stat(keptFile)));
  });

  test('a file that no longer parses keeps its last good content across a restart (L1)', async () => {
    const { start } = await workspace();
    let portero = await start();
    const served = (host: string) => whoAnswers(portero.httpPort, host, '/');
    await portero.write('app.yaml', [app('app', 'app.test', 'one')]);
    await eventually(async () => assert.equal(await served('app.test'), 'one'));
    await portero.write('app.yaml', 'apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: app\n');
    await portero.waitForLog((entry) => entry.file === 'app.yaml' && /cannot parse/.test(String(entry.msg)));
    await portero.stop();
    portero = await start();
    assert.equal(await served('app.test'), 'one');
    await portero.remove('app.yaml');
    await eventually(async () => assert.equal(await served('app.test'), 'status:404'));
  });

  test('a file over the size limit is refused once, with file and size, and keeps its last good content (M8)', async () => {
    const { start } = await workspace();
    const portero = await start();
    const served = (host: string) => whoAnswers(portero.httpPort, host, '/');
    await portero.write('big.yaml', [app('big', 'big.test', 'one')]);
    await eventually(async () => assert.equal(await served('big.test'), 'one'));
    const filler = `# ${'x'.repeat(1022)}\n`.repeat(16 * 1024 + 1); // 16 MiB + 1 KiB of comments
    await portero.write('big.yaml', `${filler}${toYaml([app('big', 'big.test', 'two')])}`);
    const error = await portero.waitForLog((entry) => entry.file === 'big.yaml' && entry.level === 'error');
    assert.match(String(error.msg), /^file is larger than 16777216 bytes; it keeps its last good content$/);
    assert.ok(Number(error.bytes) > 16 * 1024 * 1024);
    assert.equal(await served('big.test'), 'one');
  });

  test('endpoint addresses the API server refuses are refused with the address; a zoned IPv6 no longer freezes applies (L7, C1)', async () => {
    const { start } = await workspace();
    const portero = await start();
    const served = (host: string) => whoAnswers(portero.httpPort, host, '/');
    const slice = (name: string, addressType: string, address: string): Json => ({
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: `${name}-0`, labels: { 'kubernetes.io/service-name': name } },
      addressType,
      endpoints: [{ addresses: [address] }],
      ports: [{ name: 'http', port: 8080 }],
    });
    const service = (name: string): Json => ({ apiVersion: 'v1', kind: 'Service', metadata: { name }, spec: { ports: [{ name: 'http', port: 80 }] } });
    for (const [name, addressType, address] of [['zoned', 'IPv6', 'fe80::1%lo'], ['meta', 'IPv4', '169.254.169.254'], ['mapped', 'IPv6', '::ffff:127.0.0.1']] as const) {
      await portero.write(`${name}.yaml`, [service(name), slice(name, addressType, address), app(name, `${name}.test`, name)]);
      const error = await portero.waitForLog((entry) => entry.file === `${name}.yaml` && entry.level === 'error');
      assert.equal(error.field, 'endpoints[0].addresses[0]');
      assert.ok(String(error.msg).includes(JSON.stringify(address)), String(error.msg));
    }
    // Later changes still apply.
    await portero.write('after.yaml', [app('after', 'after.test', 'one')]);
    await eventually(async () => assert.equal(await served('after.test'), 'one'));
    assert.equal(await served('zoned.test'), 'status:503');
  });
});
