// Finds the HAProxy executable and checks that it is 2.6 or newer.

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const INSTALL_HINT = 'install it with: sudo apt-get install -y haproxy (or pass --haproxy PATH)';

export interface HaproxyVersion {
  major: number;
  minor: number;
  text: string;
}

export function parseVersion(output: string): HaproxyVersion | undefined {
  const match = /HA-?Proxy version (\d+)\.(\d+)(\S*)/.exec(output);
  if (!match) return undefined;
  return { major: Number(match[1]), minor: Number(match[2]), text: `${match[1]}.${match[2]}${match[3]}` };
}

/** Throws an error whose message says exactly what to install when HAProxy is missing or too old. */
export async function checkHaproxy(binary: string): Promise<HaproxyVersion> {
  let output: string;
  try {
    output = (await run(binary, ['-v'], { timeout: 10_000 })).stdout;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new Error(`HAProxy 2.6 or newer is required, but "${binary}" was not found; ${INSTALL_HINT}`);
    throw new Error(`cannot run "${binary} -v": ${(error as Error).message}`);
  }
  const version = parseVersion(output);
  if (!version) throw new Error(`"${binary} -v" did not print an HAProxy version`);
  if (version.major < 2 || (version.major === 2 && version.minor < 6)) {
    throw new Error(`HAProxy ${version.text} is too old: Portero needs 2.6 or newer; ${INSTALL_HINT}`);
  }
  return version;
}
