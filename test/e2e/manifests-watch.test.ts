// The manifest tree as users and tools change it: new directories written
// into at once, directories whose names hold a dot, a root that is deleted
// and comes back, a root symlink swapped the git-sync way, and symlink loops.
// Each change must reach traffic through inotify, long before the 30 s
// safety rescan.

import assert from 'node:assert/strict';
import { mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startBackend, type Backend } from '../helpers/backends.js';
import { whoAnswers } from '../helpers/http.js';
import { ingress, serviceWithEndpoints, toYaml } from '../helpers/objects.js';
import { eventually, startPortero, type Portero } from '../helpers/portero.js';

/** Well below the 30 s safety rescan: a change seen only by the rescan fails. */
const SEEN_MS = 5_000;

const app = (name: string, host: string, service = 'one') => toYaml([ingress({ name, rules: [{ host, paths: [{ service }] }] })]);

describe('manifest tree changes are seen at once', () => {
  let portero: Portero;
  let one: Backend;

  before(async () => {
    one = await startBackend('one');
    portero = await startPortero({ files: { 'services.yaml': serviceWithEndpoints({ name: 'one', endpoints: [one] }) } });
  });

  after(async () => {
    await portero?.dispose();
    await one?.close();
  });

  const served = (host: string) => whoAnswers(portero.httpPort, host, '/');

  test('directories whose names contain a dot are watched and read (M5)', async () => {
    await mkdir(join(portero.manifests, 'conf.d'));
    await writeFile(join(portero.manifests, 'conf.d', 'x.yaml'), app('confd', 'confd.test'));
    await eventually(async () => assert.equal(await served('confd.test'), 'one'), SEEN_MS);

    await mkdir(join(portero.manifests, 'team.a', 'v1.2'), { recursive: true });
    await writeFile(join(portero.manifests, 'team.a', 'v1.2', 'x.yaml'), app('teama', 'teama.test'));
    await eventually(async () => assert.equal(await served('teama.test'), 'one'), SEEN_MS);
    // Watched, not only listed once: a later change in it is seen too.
    await portero.write('team.a/v1.2/x.yaml', app('teama', 'teama2.test'));
    await eventually(async () => assert.equal(await served('teama2.test'), 'one'), SEEN_MS);

    // A directory prepared elsewhere and moved in.
    const outside = await mkdtemp(join(tmpdir(), 'portero-moved-'));
    await mkdir(join(outside, 'apps.prod', 'inner'), { recursive: true });
    await writeFile(join(outside, 'apps.prod', 'inner', 'x.yaml'), app('moved', 'moved.test'));
    await rename(join(outside, 'apps.prod'), join(portero.manifests, 'apps.prod'));
    await rm(outside, { recursive: true, force: true });
    await eventually(async () => assert.equal(await served('moved.test'), 'one'), SEEN_MS);

    // Moved out again: its objects go.
    await rename(join(portero.manifests, 'apps.prod'), join(portero.manifests, '.apps.prod.old'));
    await eventually(async () => assert.equal(await served('moved.test'), 'status:404'), SEEN_MS);
  });

  test('symlink loops are listed once and do not stop new files from being seen (M7)', async () => {
    await symlink('.', join(portero.manifests, 'loop-a'));
    await symlink('.', join(portero.manifests, 'loop-b'));
    await mkdir(join(portero.manifests, 'looped'));
    await symlink('..', join(portero.manifests, 'looped', 'up'));
    await writeFile(join(portero.manifests, 'looped', 'x.yaml'), app('looped', 'looped.test'));
    await eventually(async () => assert.equal(await served('looped.test'), 'one'), SEEN_MS);
    // An event on a `..` entry (a ConfigMap volume's swap) lists the whole tree again, loops included.
    await writeFile(join(portero.manifests, '..rescan'), '');
    await mkdir(join(portero.manifests, 'after-loops'));
    await writeFile(join(portero.manifests, 'after-loops', 'x.yaml'), app('afterloops', 'afterloops.test'));
    await eventually(async () => assert.equal(await served('afterloops.test'), 'one'), SEEN_MS);
    assert.deepEqual(portero.entries().filter((entry) => entry.level === 'error' || entry.level === 'fatal'), []);
  });
});

describe('a file written into a directory created just before (mkdir -p, then write) is seen, every time (defect 3)', () => {
  let portero: Portero;
  let one: Backend;
  // Enough directories that listing the tree takes a while: a directory
  // listed before it is watched misses a file written in between, which
  // happened about once in 200 trials with a small tree and failed this
  // suite's subdirectory test 2 runs in 7.
  const PADDING = 2_000;

  before(async () => {
    one = await startBackend('one');
    const root = await mkdtemp(join(tmpdir(), 'portero-manifests-'));
    for (let i = 0; i < PADDING; i += 1) mkdirSync(join(root, `zz-pad-${i}`)); // listed after the new directories
    portero = await startOn(root, one);
  });

  after(async () => {
    await portero?.dispose();
    await one?.close();
  });

  test('written 0 to 180 ms after the mkdir: before, while and after Portero looks at the new directory', async () => {
    for (let trial = 0; trial < 10; trial += 1) {
      const directory = join(portero.manifests, `race-${trial}`, 'a', 'b');
      mkdirSync(directory, { recursive: true });
      await sleep(trial * 20);
      writeFileSync(join(directory, 'app.yaml'), app(`race-${trial}`, `race${trial}.test`));
      // Each trial on its own: a later listing must not be what finds the file.
      await eventually(async () => assert.equal(await whoAnswers(portero.httpPort, `race${trial}.test`, '/'), 'one', `race-${trial}`), 2_000);
    }
  });
});

/** Portero on `root` (inside a parent directory the test owns), with one backend. */
async function startOn(root: string, backend: Backend): Promise<Portero> {
  return startPortero({ manifestsDir: root, files: { 'services.yaml': serviceWithEndpoints({ name: 'one', endpoints: [backend] }) } });
}

describe('the manifest root itself', () => {
  let one: Backend;
  let parent: string;
  let portero: Portero | undefined;

  before(async () => {
    one = await startBackend('one');
  });

  after(async () => {
    await one?.close();
  });

  const setUp = async () => {
    parent = await mkdtemp(join(tmpdir(), 'portero-root-'));
  };
  const tearDown = async () => {
    await portero?.dispose();
    portero = undefined;
    await rm(parent, { recursive: true, force: true });
  };
  const served = (host: string) => whoAnswers(portero!.httpPort, host, '/');

  test('a deleted root keeps its objects (warned once) and is read again as soon as it is back (M5)', async () => {
    await setUp();
    try {
      const root = join(parent, 'm');
      await mkdir(root);
      await writeFile(join(root, 'app.yaml'), app('kept', 'kept.test'));
      portero = await startOn(root, one);
      assert.equal(await served('kept.test'), 'one');

      // Deleted in one go (files first, then the directory), as rm -rf does.
      rmSync(root, { recursive: true });
      await portero.waitForLog((entry) => entry.level === 'warn' && /manifest directory is gone/.test(String(entry.msg)));
      assert.equal(await served('kept.test'), 'one');

      mkdirSync(root);
      writeFileSync(join(root, 'services.yaml'), toYaml(serviceWithEndpoints({ name: 'one', endpoints: [one] })));
      writeFileSync(join(root, 'back.yaml'), app('back', 'back.test'));
      await eventually(async () => {
        assert.equal(await served('back.test'), 'one');
        assert.equal(await served('kept.test'), 'status:404'); // gone from the new directory
      }, SEEN_MS);

      // Moved away (a rename: no file events at all), then moved back.
      renameSync(root, join(parent, 'elsewhere'));
      await eventually(() => assert.equal(portero!.entries().filter((entry) => /manifest directory is gone/.test(String(entry.msg))).length, 2), SEEN_MS);
      assert.equal(await served('back.test'), 'one');
      renameSync(join(parent, 'elsewhere'), root);
      await writeFile(join(root, 'again.yaml'), app('again', 'again.test'));
      await eventually(async () => assert.equal(await served('again.test'), 'one'), SEEN_MS);
      assert.equal(await served('back.test'), 'one');
    } finally {
      await tearDown();
    }
  });

  test('a root symlink swapped atomically (git-sync) is followed at once (M5)', async () => {
    await setUp();
    try {
      for (const version of ['v1', 'v2']) {
        await mkdir(join(parent, version));
        await writeFile(join(parent, version, 'services.yaml'), toYaml(serviceWithEndpoints({ name: 'one', endpoints: [one] })));
        await writeFile(join(parent, version, 'app.yaml'), app('app', `${version}.test`));
      }
      const root = join(parent, 'cur');
      await symlink('v1', root);
      portero = await startPortero({ manifestsDir: root });
      assert.equal(await served('v1.test'), 'one');

      await symlink('v2', join(parent, 'cur.tmp'));
      await rename(join(parent, 'cur.tmp'), root);
      await eventually(async () => {
        assert.equal(await served('v2.test'), 'one');
        assert.equal(await served('v1.test'), 'status:404');
      }, SEEN_MS);

      // The new target is the one watched now.
      await writeFile(join(parent, 'v2', 'more.yaml'), app('more', 'more.test'));
      await eventually(async () => assert.equal(await served('more.test'), 'one'), SEEN_MS);
      await writeFile(join(parent, 'v1', 'stale.yaml'), app('stale', 'stale.test'));
      await eventually(async () => assert.equal(await served('more.test'), 'one'));
      assert.equal(await served('stale.test'), 'status:404');
    } finally {
      // dispose() removes the manifests directory it was given: here a symlink.
      await tearDown();
    }
  });

  test('symlink loops present at start: Portero starts, lists each directory once and serves (M7)', async () => {
    await setUp();
    try {
      const root = join(parent, 'm');
      await mkdir(join(root, 'sub'), { recursive: true });
      await symlink('.', join(root, 'loop-a'));
      await symlink('.', join(root, 'loop-b'));
      await symlink('..', join(root, 'sub', 'up'));
      await symlink('../..', join(root, 'sub', 'parent'));
      await writeFile(join(root, 'sub', 'app.yaml'), app('loops', 'loops.test'));
      portero = await startOn(root, one);
      assert.equal(await served('loops.test'), 'one');
      // Read once: a file reached through several paths would be reported as defined in more than one file.
      assert.deepEqual(portero.entries().filter((entry) => /more than one file/.test(String(entry.msg))), []);
    } finally {
      await tearDown();
    }
  });
});
