// The other processes of a benchmark: an nginx upstream (several ports, all
// answering 200 at once), an nginx reverse proxy, and HAProxy with a
// hand-written configuration, both doing what Portero's HAProxy does for one
// host: the same forwarding headers, keep-alive to the same upstream.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export interface Running {
  /** The process whose tree does the proxying work (for CPU time). */
  pid: number;
  stop(): Promise<void>;
}

async function waitForPort(port: number, host = 'example.com'): Promise<void> {
  for (let i = 0; i < 200; i += 1) {
    try {
      const response = await fetch(`http://127.0.0.1:${port}/`, { headers: { host } });
      await response.arrayBuffer();
      return;
    } catch {
      await sleep(25);
    }
  }
  throw new Error(`nothing answers on port ${port}`);
}

function stopChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill(signal);
    setTimeout(() => child.kill('SIGKILL'), 5000).unref();
  });
}

/** Runs nginx (one worker, in the foreground) with the given `http { }` body; `name` names its files in `directory`. */
async function startNginx(directory: string, name: string, http: string, port: number): Promise<Running> {
  await mkdir(directory, { recursive: true });
  const config = `worker_processes 1;
daemon off;
pid ${directory}/${name}.pid;
error_log ${directory}/${name}-error.log;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 1000000;
${http}
}
`;
  await writeFile(join(directory, `${name}.conf`), config);
  const child = spawn('nginx', ['-c', join(directory, `${name}.conf`), '-p', directory], { stdio: 'ignore' });
  await waitForPort(port);
  return { pid: child.pid!, stop: () => stopChild(child, 'SIGQUIT') };
}

/** nginx answering `200 ok` on each port: the upstream every proxy forwards to. */
export function startUpstream(directory: string, ports: readonly number[]): Promise<Running> {
  const servers = ports.map((port) => `  server { listen 127.0.0.1:${port}; location / { return 200 "ok ${port}\\n"; } }`).join('\n');
  return startNginx(directory, 'upstream', servers, ports[0]!);
}

/** nginx as a reverse proxy for one host, with the forwarding headers Portero sets. */
export function startNginxProxy(directory: string, port: number, upstreamPort: number): Promise<Running> {
  return startNginx(
    directory,
    'proxy',
    `  upstream app { server 127.0.0.1:${upstreamPort}; keepalive 64; }
  server {
    listen 127.0.0.1:${port};
    server_name example.com;
    location / {
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $remote_addr;
      proxy_set_header X-Real-IP $remote_addr;
      proxy_set_header X-Forwarded-Proto http;
      proxy_set_header X-Forwarded-Host $http_host;
      proxy_set_header X-Forwarded-Port ${port};
    }
  }`,
    port,
  );
}

/**
 * The hand-written HAProxy configuration an expert would write for one host:
 * the same forwarding headers as Portero, one ACL on the host. `bare` leaves
 * the headers out, for reference.
 */
export function handWrittenConfig(port: number, upstreamPort: number, bare = false): string {
  const headers = bare
    ? []
    : [
        '  http-request del-header X-Forwarded-For',
        '  option forwardfor',
        '  http-request set-header X-Real-IP %[src]',
        '  http-request set-header X-Forwarded-Proto http',
        `  http-request set-header X-Forwarded-Port ${port}`,
        '  http-request set-header X-Forwarded-Host %[req.hdr(host)]',
        '  http-after-response set-header Server portero',
      ];
  return [
    'global',
    '  hard-stop-after 5m',
    'defaults',
    '  mode http',
    '  option http-keep-alive',
    '  option idle-close-on-response',
    '  timeout connect 5s',
    '  timeout client 60s',
    '  timeout server 60s',
    'frontend fe',
    `  bind 127.0.0.1:${port}`,
    ...headers,
    '  use_backend app if { hdr(host) -i example.com }',
    'backend app',
    '  balance roundrobin',
    `  server s1 127.0.0.1:${upstreamPort}`,
    '',
  ].join('\n');
}

/** HAProxy in master-worker mode (as Portero runs it) on a given configuration. */
export async function startHaproxy(directory: string, name: string, config: string, port: number): Promise<Running> {
  const path = join(directory, `${name}.cfg`);
  await writeFile(path, config);
  const child = spawn('haproxy', ['-W', '-f', path], { stdio: 'ignore' });
  await waitForPort(port);
  return { pid: child.pid!, stop: () => stopChild(child, 'SIGUSR1') };
}
