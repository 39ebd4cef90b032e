// The state directory: where it is by default, and the checks before Portero
// trusts it.
//
// It holds every Secret's private key, the default certificate and the
// runtime API socket, and HAProxy loads whatever config and certificates it
// finds there. A directory another local user can write is theirs: they can
// plant a default certificate whose key they hold, or replace admin.sock and
// read every key Portero sends through it. The old default,
// $TMPDIR/portero-UID, is a predictable name in a shared directory that
// anyone could create first. So: the default for a user other than root is
// in $XDG_RUNTIME_DIR (private to the user) when there is one, and any state
// directory, default or given, must be a real directory (not a symbolic
// link), owned by this user, and writable by nobody else.

import type { Stats } from 'node:fs';
import { lstat, mkdir } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';

/** The default --state-dir: /var/lib/portero as root, else $XDG_RUNTIME_DIR/portero, else $TMPDIR/portero-UID. */
export function defaultStateDir(env: NodeJS.ProcessEnv, uid: number | undefined, temporaryDirectory: string): string {
  if (uid === 0) return '/var/lib/portero';
  const runtime = env.XDG_RUNTIME_DIR;
  // The XDG Base Directory specification: a relative path is invalid and ignored.
  if (runtime && isAbsolute(runtime)) return join(runtime, 'portero');
  return join(temporaryDirectory, `portero-${uid ?? 'user'}`);
}

export class StateDirError extends Error {}

const DANGER = 'another local user could plant a certificate or replace the admin socket in it';

/** Why `info` (from lstat) is not a state directory Portero can trust, or undefined when it is. */
export function stateDirProblem(path: string, info: Stats, uid: number | undefined): string | undefined {
  if (info.isSymbolicLink()) return `state directory ${path} is a symbolic link; Portero does not follow one (${DANGER} through it). Give --state-dir the directory itself`;
  if (!info.isDirectory()) return `state directory ${path} exists but is not a directory`;
  if (uid !== undefined && info.uid !== uid) {
    return `state directory ${path} belongs to uid ${info.uid}, not to this user (uid ${uid}); ${DANGER}. Remove it, or give --state-dir a directory of your own`;
  }
  const writers = [info.mode & 0o020 ? 'group' : '', info.mode & 0o002 ? 'others' : ''].filter(Boolean);
  if (writers.length > 0) {
    return (
      `state directory ${path} is writable by ${writers.join(' and ')} (mode ${(info.mode & 0o7777).toString(8).padStart(4, '0')}); ${DANGER}. ` +
      `Run chmod 700 ${path}, or give --state-dir a directory that does not exist yet, such as ${join(path, 'state')}: Portero creates it with mode 0700`
    );
  }
  return undefined;
}

/**
 * Creates the state directory (mode 0700, parents too) when it is missing,
 * and refuses one Portero cannot trust. What is checked is always what
 * exists after mkdir: if another user created the path first (between a
 * check and mkdir), mkdir succeeds on their directory and the check refuses it.
 */
export async function prepareStateDir(path: string, uid: number | undefined = process.getuid?.()): Promise<void> {
  let info = await lstatIfPresent(path);
  if (!info) {
    try {
      await mkdir(path, { recursive: true, mode: 0o700 });
    } catch (error) {
      throw new StateDirError(`cannot create state directory ${path}: ${(error as Error).message}`);
    }
    info = await lstat(path);
  }
  const problem = stateDirProblem(path, info, uid);
  if (problem) throw new StateDirError(problem);
}

async function lstatIfPresent(path: string): Promise<Stats | undefined> {
  try {
    return await lstat(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new StateDirError(`cannot read state directory ${path}: ${(error as Error).message}`);
  }
}
