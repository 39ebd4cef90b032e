// Runs wrk (the Debian package) and reads its report.

import { spawn } from 'node:child_process';

export interface WrkResult {
  requests: number;
  seconds: number;
  requestsPerSecond: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  non2xx3xx: number;
  socketErrors: number;
  raw: string;
}

function milliseconds(text: string): number {
  const match = /([\d.]+)(us|ms|s)/.exec(text);
  if (!match) return Number.NaN;
  const value = Number(match[1]);
  return match[2] === 'us' ? value / 1000 : match[2] === 's' ? value * 1000 : value;
}

export function parseWrk(raw: string): WrkResult {
  const requests = /(\d+) requests in ([\d.]+)(ms|s|m)/.exec(raw);
  const seconds = requests ? Number(requests[2]) * (requests[3] === 'ms' ? 0.001 : requests[3] === 'm' ? 60 : 1) : Number.NaN;
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(raw);
  return {
    requests: requests ? Number(requests[1]) : 0,
    seconds,
    requestsPerSecond: Number(/Requests\/sec:\s+([\d.]+)/.exec(raw)?.[1] ?? Number.NaN),
    latencyP50Ms: milliseconds(/^\s+50%\s+(\S+)/m.exec(raw)?.[1] ?? ''),
    latencyP99Ms: milliseconds(/^\s+99%\s+(\S+)/m.exec(raw)?.[1] ?? ''),
    non2xx3xx: Number(/Non-2xx or 3xx responses: (\d+)/.exec(raw)?.[1] ?? 0),
    socketErrors: socket ? socket.slice(1).reduce((sum, value) => sum + Number(value), 0) : 0,
    raw,
  };
}

export interface WrkOptions {
  url: string;
  host: string;
  seconds: number;
  connections?: number;
  threads?: number;
  /** More request headers, `Name: value`. */
  headers?: readonly string[];
}

export function runWrk(options: WrkOptions): Promise<WrkResult> {
  const args = [
    `-t${options.threads ?? 1}`,
    `-c${options.connections ?? 50}`,
    `-d${options.seconds}s`,
    '--latency',
    '-H', `Host: ${options.host}`,
    ...(options.headers ?? []).flatMap((header) => ['-H', header]),
    options.url,
  ];
  return new Promise((resolve, reject) => {
    const child = spawn('wrk', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(parseWrk(output)) : reject(new Error(`wrk exited with ${code}: ${output}`))));
  });
}
