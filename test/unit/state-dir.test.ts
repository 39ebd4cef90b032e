// The state directory holds the default certificate's key, every Secret's key
// and the runtime API socket: Portero uses only a directory that no other user
// can write, and creates a missing one with mode 0700. Real directories.

import assert from 'node:assert/strict';
import { chmod, chown, lstat, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { defaultStateDir, prepareStateDir } from '../../src/cli/state-dir.js';

describe('default state directory', () => {
  test('root: /var/lib/portero', () => {
    assert.equal(defaultStateDir({ XDG_RUNTIME_DIR: '/run/user/0' }, 0, '/tmp'), '/var/lib/portero');
  });

  test('another user: $XDG_RUNTIME_DIR/portero when set (absolute), else $TMPDIR/portero-UID', () => {
    assert.equal(defaultStateDir({ XDG_RUNTIME_DIR: '/run/user/1000' }, 1000, '/tmp'), '/run/user/1000/portero');
    assert.equal(defaultStateDir({ XDG_RUNTIME_DIR: '/run/user/1000/' }, 1000, '/tmp'), '/run/user/1000/portero');
    assert.equal(defaultStateDir({}, 1000, '/var/tmp'), '/var/tmp/portero-1000');
    assert.equal(defaultStateDir({ XDG_RUNTIME_DIR: '' }, 1000, '/tmp'), '/tmp/portero-1000');
    // The XDG specification says to ignore a relative path.
    assert.equal(defaultStateDir({ XDG_RUNTIME_DIR: 'run/user' }, 1000, '/tmp'), '/tmp/portero-1000');
  });
});

describe('prepareStateDir', () => {
  let base: string;
  const uid = process.getuid!();

  before(async () => {
    base = await mkdtemp(join(tmpdir(), 'portero-statedir-'));
  });

  after(async () => {
    await rm(base, { recursive: true, force: true });
  });

  test('a missing directory is created with mode 0700, parents too', async () => {
    const path = join(base, 'new', 'parent', 'state');
    await prepareStateDir(path);
    const info = await lstat(path);
    assert.ok(info.isDirectory());
    assert.equal(info.mode & 0o777, 0o700);
    assert.equal(info.uid, uid);
    // Twice is fine: the directory is now ours and private.
    await prepareStateDir(path);
  });

  test('an existing private directory of ours is used; readable by others is fine', async () => {
    const path = join(base, 'mine');
    await mkdir(path, { mode: 0o755 });
    await chmod(path, 0o755);
    await prepareStateDir(path);
    assert.equal((await lstat(path)).mode & 0o777, 0o755, 'the mode is left alone');
  });

  test('a directory writable by others or by the group is refused, with what to do', async () => {
    for (const mode of [0o777, 0o770, 0o703, 0o1777]) {
      const path = join(base, `open-${mode.toString(8)}`);
      await mkdir(path);
      await chmod(path, mode);
      await assert.rejects(prepareStateDir(path), (error: Error) => {
        assert.match(error.message, new RegExp(`^state directory ${path} is writable by (group and others|group|others) \\(mode 0?${mode.toString(8)}\\); another local user could plant a certificate or replace the admin socket in it`));
        assert.match(error.message, new RegExp(`chmod 700 ${path}`));
        assert.match(error.message, new RegExp(`${path}/state`), 'suggests a new directory inside it (a Kubernetes emptyDir is mode 0777)');
        return true;
      });
    }
  });

  test('a symbolic link is refused, even to a good directory', async () => {
    const target = join(base, 'target');
    await mkdir(target, { mode: 0o700 });
    const link = join(base, 'link');
    await symlink(target, link);
    await assert.rejects(prepareStateDir(link), /^Error: state directory .*\/link is a symbolic link; Portero does not follow one/);
  });

  test('something that is not a directory is refused', async () => {
    const file = join(base, 'file');
    await writeFile(file, '', { mode: 0o600 });
    await assert.rejects(prepareStateDir(file), /^Error: state directory .*\/file exists but is not a directory/);
  });

  test("another user's directory is refused", { skip: uid !== 0 && 'needs root to make a directory owned by another user' }, async () => {
    const path = join(base, 'nobody');
    await mkdir(path, { mode: 0o700 });
    await chown(path, 65534, 65534);
    await assert.rejects(prepareStateDir(path), new RegExp(`^Error: state directory ${path} belongs to uid 65534, not to this user \\(uid ${uid}\\); another local user could plant a certificate or replace the admin socket in it`));
  });

  test('a path under a file cannot be used: the error says which path', async () => {
    await writeFile(join(base, 'plain'), '');
    await assert.rejects(prepareStateDir(join(base, 'plain', 'state')), /^Error: cannot read state directory .*\/plain\/state: ENOTDIR/);
  });
});
