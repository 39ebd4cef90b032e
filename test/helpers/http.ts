// Real HTTP(S) requests to Portero, one fresh connection each unless an
// agent is given, with the Host header (and SNI) under the test's control.

import { request as httpRequest, type Agent, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { TLSSocket, PeerCertificate } from 'node:tls';
import type { Echo } from './backends.js';

export interface Response {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  /** The backend's echo, when a test backend answered. */
  echo?: Echo;
  certificate?: PeerCertificate;
  alpn?: string | false;
}

export interface RequestOptions {
  port: number;
  host?: string;
  path?: string;
  method?: string;
  headers?: Record<string, string>;
  /** Header fields in order, sent as written (a name may repeat, in any case); after `headers`. */
  headerList?: readonly (readonly [string, string])[];
  body?: string;
  tls?: boolean;
  /** SNI name; defaults to the Host (without port). Use '' to send no SNI. */
  servername?: string;
  agent?: Agent | false;
  timeoutMs?: number;
  /** Source address of the connection (any 127.0.0.0/8 address), for tests of source address rules. */
  localAddress?: string;
  /** Address to connect to (default 127.0.0.1), for Gateways bound on addresses of their own. */
  address?: string;
  /** A client certificate (PEM, leaf first, maybe with its chain) and its key, presented when the server asks for one. */
  clientCertificate?: { cert: string; key: string };
}

export function request(options: RequestOptions): Promise<Response> {
  const send = options.tls ? httpsRequest : httpRequest;
  const fields: Record<string, string> = { ...(options.headers ?? {}) };
  if (options.host !== undefined) fields.host = options.host;
  // A flat [name, value, ...] array keeps repeated names and their case, as message.rawHeaders does.
  const headers = options.headerList ? [...Object.entries(fields).flat(), ...options.headerList.flat()] : fields;
  const servername = options.servername ?? (options.host ?? '').replace(/:\d+$/, '');
  return new Promise((resolve, reject) => {
    const req = send(
      {
        host: options.address ?? '127.0.0.1',
        port: options.port,
        path: options.path ?? '/',
        method: options.method ?? 'GET',
        headers,
        agent: options.agent ?? false,
        timeout: options.timeoutMs ?? 10_000,
        ...(options.localAddress ? { localAddress: options.localAddress } : {}),
        ...(options.tls ? { rejectUnauthorized: false, servername, ALPNProtocols: ['http/1.1'] } : {}),
        ...(options.tls && options.clientCertificate ? { cert: options.clientCertificate.cert, key: options.clientCertificate.key } : {}),
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8');
          const result: Response = { status: response.statusCode ?? 0, headers: response.headers, body };
          if (response.headers['x-backend']) {
            try {
              result.echo = JSON.parse(body) as Echo;
            } catch {
              // a streaming response
            }
          }
          if (options.tls) {
            const socket = response.socket as TLSSocket;
            result.certificate = socket.getPeerCertificate?.();
            result.alpn = socket.alpnProtocol ?? false;
          }
          resolve(result);
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`request to ${options.host ?? ''}${options.path ?? '/'} timed out`)));
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Which backend answered (its name), or `status:<code>` when none did. */
export async function whoAnswers(port: number, host: string, path: string): Promise<string> {
  const response = await request({ port, host, path });
  return response.echo ? response.echo.name : `status:${response.status}`;
}
