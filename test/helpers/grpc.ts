// gRPC-shaped traffic on loopback without a gRPC library: a backend that
// speaks HTTP/2 in clear text only (h2c with prior knowledge, as gRPC servers
// do) and a client that sends what a gRPC client sends (POST, content-type
// application/grpc, `te: trailers`, one length-prefixed message) and reads
// the answer's trailers. Messages are JSON text, not protobuf: what matters
// to a proxy is the framing, the pseudo-headers and the trailers.

import { connect, constants, createServer, type ClientHttp2Session, type Http2Server, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { nextLoopbackAddress } from './backends.js';

/** What the backend saw, sent back as the answer's message. */
export interface GrpcEcho {
  name: string;
  method: string;
  /** The `:path` it received, `/<service>/<method>`. */
  path: string;
  authority: string;
  headers: IncomingHttpHeaders;
  /** The request's message, decoded from its 5-byte frame. */
  message: string;
}

export interface GrpcBackend {
  name: string;
  address: string;
  port: number;
  close(): Promise<void>;
}

/** One gRPC message frame: no compression, 4-byte big-endian length, then the bytes. */
export function grpcFrame(message: string): Buffer {
  const body = Buffer.from(message, 'utf8');
  const head = Buffer.alloc(5);
  head.writeUInt32BE(body.length, 1);
  return Buffer.concat([head, body]);
}

/** The messages of a gRPC body (frames back to back). */
export function grpcMessages(body: Buffer): string[] {
  const out: string[] = [];
  let at = 0;
  while (at + 5 <= body.length) {
    const length = body.readUInt32BE(at + 1);
    out.push(body.subarray(at + 5, at + 5 + length).toString('utf8'));
    at += 5 + length;
  }
  return out;
}

/**
 * An h2c-only server (an HTTP/1.1 request fails, as it does on a gRPC
 * server) answering every stream with 200, content-type application/grpc,
 * one message (a GrpcEcho) and the trailers `grpc-status: 0`.
 */
export async function startGrpcBackend(name: string, address = nextLoopbackAddress()): Promise<GrpcBackend> {
  const server: Http2Server = createServer();
  server.on('stream', (stream, headers) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => {
      const echo: GrpcEcho = {
        name,
        method: String(headers[':method']),
        path: String(headers[':path']),
        authority: String(headers[':authority'] ?? headers.host ?? ''),
        headers,
        message: grpcMessages(Buffer.concat(chunks)).join(''),
      };
      stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'x-backend': name }, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0', 'grpc-message': 'OK' }));
      stream.end(grpcFrame(JSON.stringify(echo)));
    });
    stream.on('error', () => undefined);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, address, () => resolve());
  });
  return {
    name,
    address,
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export interface GrpcCall {
  /** `http://127.0.0.1:<port>` (h2c with prior knowledge) or `https://...` (h2 by ALPN). */
  url: string;
  /** The `:authority`, the host routes match. */
  authority: string;
  /** `/<service>/<method>`. */
  path: string;
  headers?: OutgoingHttpHeaders;
  message?: string;
  /** SNI for https; defaults to the authority. */
  servername?: string;
}

export interface GrpcAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  trailers: IncomingHttpHeaders;
  /** The backend's echo, when a GrpcBackend answered. */
  echo?: GrpcEcho;
  body: Buffer;
}

/** One unary gRPC-shaped call on a connection of its own. */
export async function grpcCall(call: GrpcCall): Promise<GrpcAnswer> {
  const session: ClientHttp2Session = connect(call.url, call.url.startsWith('https:') ? { servername: call.servername ?? call.authority, rejectUnauthorized: false } : {});
  try {
    return await new Promise<GrpcAnswer>((resolve, reject) => {
      session.on('error', reject);
      const stream = session.request({
        [constants.HTTP2_HEADER_METHOD]: 'POST',
        [constants.HTTP2_HEADER_PATH]: call.path,
        [constants.HTTP2_HEADER_AUTHORITY]: call.authority,
        'content-type': 'application/grpc',
        te: 'trailers',
        ...(call.headers ?? {}),
      });
      let headers: IncomingHttpHeaders = {};
      let trailers: IncomingHttpHeaders = {};
      const chunks: Buffer[] = [];
      stream.on('response', (received) => (headers = received));
      stream.on('trailers', (received) => (trailers = received));
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('error', reject);
      stream.on('end', () => {
        const body = Buffer.concat(chunks);
        const answer: GrpcAnswer = { status: Number(headers[':status']), headers, trailers, body };
        if (headers['x-backend'] !== undefined) answer.echo = JSON.parse(grpcMessages(body)[0] ?? '{}') as GrpcEcho;
        resolve(answer);
      });
      // After 'end' this is a no-op; without one (reset, timeout) the call fails instead of hanging.
      stream.on('close', () => reject(new Error(`stream to ${call.authority}${call.path} closed without an answer (code ${stream.rstCode})`)));
      stream.setTimeout(10_000, () => stream.close(constants.NGHTTP2_CANCEL));
      stream.end(grpcFrame(call.message ?? 'hello'));
    });
  } finally {
    session.close();
  }
}
