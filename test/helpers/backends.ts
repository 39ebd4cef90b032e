// Real backends on loopback: small HTTP servers that answer with their own
// name and echo what they received, plus WebSocket echo on any path.

import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo, Server as NetServer } from 'node:net';
import { WebSocketServer } from 'ws';

export interface Echo {
  name: string;
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
  httpVersion: string;
  /** Port of the proxy's connection to this backend: equal ports mean a reused connection. */
  remotePort: number;
}

export interface Backend {
  name: string;
  address: string;
  port: number;
  /** Requests seen, newest last. */
  requests: Echo[];
  close(): Promise<void>;
}

let nextHost = 10;

/** A distinct loopback address for each backend, as pods have distinct IPs. */
export function nextLoopbackAddress(): string {
  nextHost += 1;
  return `127.0.${Math.floor(nextHost / 250) + 10}.${(nextHost % 250) + 1}`;
}

/** A server of a test listening on a loopback address of its own. */
export interface Listening {
  address: string;
  port: number;
  /** Closes the server, ending the connections still open. */
  close(): Promise<void>;
}

/** Starts `server` (HTTP, HTTPS or HTTP/2) on a fresh loopback address. */
export async function listenOnLoopback(server: NetServer): Promise<Listening> {
  const address = nextLoopbackAddress();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, address, () => resolve());
  });
  return {
    address,
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        if ('closeAllConnections' in server && typeof server.closeAllConnections === 'function') server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export async function startBackend(name: string, address = nextLoopbackAddress()): Promise<Backend> {
  const requests: Echo[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const echo: Echo = {
        name,
        method: request.method ?? '',
        url: request.url ?? '',
        headers: request.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        httpVersion: request.httpVersion,
        remotePort: request.socket.remotePort ?? 0,
      };
      requests.push(echo);
      const url = new URL(echo.url, 'http://backend');
      if (url.pathname.endsWith('/stream')) {
        // A long download: `chunks` pieces, one every `interval` ms.
        const count = Number(url.searchParams.get('chunks') ?? '10');
        const interval = Number(url.searchParams.get('interval') ?? '100');
        response.writeHead(200, { 'content-type': 'text/plain', 'x-backend': name });
        let sent = 0;
        const timer = setInterval(() => {
          sent += 1;
          response.write(`${name} chunk ${sent}\n`);
          if (sent >= count) {
            clearInterval(timer);
            response.end();
          }
        }, interval);
        response.on('close', () => clearInterval(timer));
        return;
      }
      const answer = () => {
        // `X-Echo-Set-Header: Name: value, Other: value`: response headers to send, as the Gateway API conformance echo server does.
        // A name given twice is sent on two header lines (two Set-Cookie lines).
        for (const pair of String(request.headers['x-echo-set-header'] ?? '').split(',').filter((item) => item.includes(':'))) {
          const at = pair.indexOf(':');
          const [name, value] = [pair.slice(0, at).trim(), pair.slice(at + 1).trim()];
          const before = response.getHeader(name);
          response.setHeader(name, before === undefined ? value : [...(Array.isArray(before) ? before : [String(before)]), value]);
        }
        response.writeHead(200, { 'content-type': 'application/json', 'x-backend': name, server: 'test-backend' });
        response.end(JSON.stringify(echo));
      };
      // `/delay?ms=N`: the whole answer comes after N ms (for timeouts).
      // `?delay=1s` / `?delay=500ms` on any path: the same, as the Gateway API conformance echo server does.
      const delay = /^([0-9]+)(ms|s)$/.exec(url.searchParams.get('delay') ?? '');
      if (url.pathname.endsWith('/delay') || delay) {
        const ms = delay ? Number(delay[1]) * (delay[2] === 's' ? 1000 : 1) : Number(url.searchParams.get('ms') ?? '1000');
        const timer = setTimeout(answer, ms);
        response.on('close', () => clearTimeout(timer));
        return;
      }
      answer();
    });
  });
  server.keepAliveTimeout = 65_000;
  const sockets = new WebSocketServer({ server });
  sockets.on('connection', (socket) => {
    socket.on('message', (data) => socket.send(`${name}: ${data.toString()}`));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, address, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    name,
    address,
    port,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of sockets.clients) client.terminate();
        sockets.close();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
