// A client for HAProxy's CLI sockets (the master CLI and the runtime API).
//
// Without prompt mode HAProxy answers one command (or one `;`-separated line)
// and closes the connection, so a command's answer is everything read until
// the close. Every call has a deadline: a stuck socket must never stall the
// controller.

import { connect } from 'node:net';

export class SocketError extends Error {
  constructor(
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

/**
 * Sends `input` (one or more lines), half-closes, and resolves with all that
 * HAProxy answers until it closes the connection. `what` names the exchange
 * in the timeout error.
 */
export function exchange(socketPath: string, input: string, timeoutMs: number, what: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect(socketPath);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new SocketError(`no answer from ${socketPath} to ${what} within ${timeoutMs} ms`, 'ETIMEDOUT'));
    }, timeoutMs);
    socket.on('connect', () => socket.end(input));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(new SocketError(`${socketPath}: ${error.message}`, error.code));
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('utf8'));
    });
  });
}

export function sendCommand(socketPath: string, command: string, timeoutMs = 5000): Promise<string> {
  if (/[\r\n]/.test(command)) return Promise.reject(new SocketError('a CLI command must be one line'));
  return exchange(socketPath, `${command}\n`, timeoutMs, `"${command.split(' ')[0]}"`);
}

export interface ProcessList {
  masterPid: number;
  failedReloads: number;
  reloads: number;
  workers: number[];
  oldWorkers: number[];
}

/** Parses the master CLI's `show proc`. */
export function parseShowProc(text: string): ProcessList {
  const result: ProcessList = { masterPid: 0, failedReloads: 0, reloads: 0, workers: [], oldWorkers: [] };
  let section: 'master' | 'workers' | 'old' | 'other' = 'master';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#<PID>')) continue;
    if (line === '# workers') section = 'workers';
    else if (line === '# old workers') section = 'old';
    else if (line.startsWith('#')) section = 'other';
    else {
      const fields = line.split(/\s+/);
      const pid = Number(fields[0]);
      if (!Number.isInteger(pid)) continue;
      if (fields[1] === 'master') {
        result.masterPid = pid;
        result.reloads = Number(fields[2]) || 0;
        const failed = /\[failed: (\d+)\]/.exec(line);
        result.failedReloads = failed ? Number(failed[1]) : 0;
      } else if (section === 'workers') result.workers.push(pid);
      else if (section === 'old') result.oldWorkers.push(pid);
    }
  }
  return result;
}
