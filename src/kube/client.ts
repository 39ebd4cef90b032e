// A small Kubernetes API client on node:http(s): JSON requests, streamed
// lists and watch streams, with the cluster CA, client certificates and
// bearer tokens. Errors name the method, the API path and the server's Status
// message.

import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { ClusterConnection } from './config.js';
import { readList, type ListMetadata } from './list-stream.js';
import { prunedText } from './prune.js';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    readonly statusMessage: string,
    readonly method: string,
    readonly path: string,
  ) {
    super(`${method} ${path}: ${status} ${reason}${statusMessage ? `: ${statusMessage}` : ''}`);
  }
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

export interface WatchEvent {
  type: WatchEventType;
  object: Record<string, any>;
}

export interface RequestOptions {
  query?: Record<string, string | undefined>;
  body?: unknown;
  contentType?: string;
  signal?: AbortSignal;
}

export interface KubeClientOptions {
  userAgent?: string;
  /** Deadline for a request's response headers, and for each pause while its body is read. */
  timeoutMs?: number;
  /** Called with every request made (method, and path with query), e.g. for an RBAC audit. */
  onRequest?: (method: string, path: string) => void;
}

function withQuery(path: string, query: Record<string, string | undefined> = {}): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined) search.set(key, value);
  const text = search.toString();
  return text === '' ? path : `${path}?${text}`;
}

/** A response whose status is below 400, with its body still to read. */
interface Response {
  statusCode: number;
  body: IncomingMessage;
}

async function readText(body: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Reads and drops a body, so the connection can be used again. */
async function drain(body: IncomingMessage): Promise<void> {
  for await (const _chunk of body) {
    // dropped
  }
}

export class KubeClient {
  private readonly agent: HttpAgent;
  private readonly send_: typeof httpRequest;

  constructor(
    readonly connection: ClusterConnection,
    private readonly options: KubeClientOptions = {},
  ) {
    const secure = new URL(connection.server).protocol === 'https:';
    // node:http rather than undici: the same keep-alive connections and TLS
    // settings, without loading a large library at every start.
    this.agent = secure
      ? new HttpsAgent({
          keepAlive: true,
          ...(connection.ca ? { ca: connection.ca } : {}),
          ...(connection.cert ? { cert: connection.cert } : {}),
          ...(connection.key ? { key: connection.key } : {}),
          ...(connection.tlsServerName ? { servername: connection.tlsServerName } : {}),
          rejectUnauthorized: !connection.insecureSkipTlsVerify,
        })
      : new HttpAgent({ keepAlive: true });
    this.send_ = secure ? httpsRequest : httpRequest;
  }

  async close(): Promise<void> {
    this.agent.destroy();
  }

  private async headers(refreshToken: boolean, contentType?: string): Promise<Record<string, string>> {
    const token = await this.connection.credentials.token(refreshToken);
    return {
      accept: 'application/json',
      'user-agent': this.options.userAgent ?? 'portero',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(contentType ? { 'content-type': contentType } : {}),
    };
  }

  /**
   * One HTTP exchange: resolves with the response once its headers arrive
   * (within the request timeout); after that the connection may go quiet for
   * no longer than `idleMs` at a time (a watch's watchdog, and a guard
   * against half-dead connections).
   */
  private exchange(method: string, url: URL, headers: Record<string, string>, body: string | undefined, idleMs: number, signal?: AbortSignal): Promise<IncomingMessage> {
    const headersMs = this.options.timeoutMs ?? 30_000;
    return new Promise((resolve, reject) => {
      const request = this.send_(url, {
        method,
        headers: body !== undefined ? { ...headers, 'content-length': String(Buffer.byteLength(body)) } : headers,
        agent: this.agent,
        ...(signal ? { signal } : {}),
      });
      const headersTimer = setTimeout(() => request.destroy(new Error(`no response within ${headersMs} ms`)), headersMs);
      request.once('response', (response) => {
        clearTimeout(headersTimer);
        // From here on, the idle limit. ClientRequest.setTimeout follows the
        // socket and is removed when the socket goes back to the pool.
        request.setTimeout(idleMs, () => request.destroy(new Error(`no data for ${idleMs} ms`)));
        resolve(response);
      });
      request.once('error', (error) => {
        clearTimeout(headersTimer);
        reject(error);
      });
      request.end(body);
    });
  }

  private async send(method: string, path: string, options: RequestOptions, bodyTimeout: number, refreshToken = false): Promise<Response> {
    const target = withQuery(path, options.query);
    this.options.onRequest?.(method, target);
    const url = new URL(`${this.connection.server}${target}`);
    const body = options.body === undefined ? undefined : JSON.stringify(options.body);
    let response: IncomingMessage;
    try {
      response = await this.exchange(method, url, await this.headers(refreshToken, body !== undefined ? (options.contentType ?? 'application/json') : undefined), body, bodyTimeout, options.signal);
    } catch (error) {
      if ((error as Error).name === 'AbortError') throw error;
      throw new ApiError(0, 'ConnectionFailed', (error as Error).message, method, path);
    }
    const statusCode = response.statusCode ?? 0;
    if (statusCode === 401 && !refreshToken) {
      await drain(response).catch(() => undefined);
      return this.send(method, path, options, bodyTimeout, true);
    }
    if (statusCode >= 400) {
      const text = await readText(response).catch(() => '');
      let reason = 'Error';
      let message = text.slice(0, 500);
      try {
        const status = JSON.parse(text) as { reason?: string; message?: string };
        reason = status.reason ?? reason;
        message = status.message ?? message;
      } catch {
        // not a Status object
      }
      throw new ApiError(statusCode, reason, message, method, path);
    }
    return { statusCode, body: response };
  }

  async request<T = Record<string, any>>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const response = await this.send(method, path, options, this.options.timeoutMs ?? 30_000);
    let text: string;
    try {
      text = await readText(response.body);
    } catch (error) {
      throw new ApiError(response.statusCode, 'BadResponse', `unreadable body: ${(error as Error).message}`, method, path);
    }
    try {
      return JSON.parse(text) as T;
    } catch (error) {
      throw new ApiError(response.statusCode, 'BadResponse', `unreadable body: ${(error as Error).message}`, method, path);
    }
  }

  /** A request whose answer is not needed (a status write): the body is drained, never parsed. */
  async requestDiscard(method: string, path: string, options: RequestOptions = {}): Promise<void> {
    const response = await this.send(method, path, options, this.options.timeoutMs ?? 30_000);
    await drain(response.body);
  }

  /**
   * GETs a collection and hands each item to `onItem` as it is read off the
   * wire, so a large list is never held whole (see list-stream.ts), without
   * managedFields and the last-applied annotation (prune.ts). Resolves with
   * the list's metadata once the response is complete.
   */
  async list(path: string, options: RequestOptions, onItem: (item: Record<string, any>) => void): Promise<ListMetadata> {
    const response = await this.send('GET', path, options, this.options.timeoutMs ?? 30_000);
    try {
      return await readList(response.body, onItem, prunedText);
    } catch (error) {
      response.body.destroy();
      if (error instanceof ApiError || (error as Error).name === 'AbortError') throw error;
      throw new ApiError(response.statusCode, 'BadResponse', `unreadable list: ${(error as Error).message}`, 'GET', path);
    }
  }

  /**
   * Opens a watch and yields its events, each without managedFields and the
   * last-applied annotation (prune.ts). The stream ends when the server
   * closes it; it fails when no byte arrives for `idleTimeoutMs` (a watchdog
   * against half-dead connections) or when `signal` aborts.
   */
  async *watch(path: string, query: Record<string, string | undefined>, idleTimeoutMs: number, signal?: AbortSignal): AsyncGenerator<WatchEvent> {
    const response = await this.send('GET', path, { query: { ...query, watch: 'true' }, ...(signal ? { signal } : {}) }, idleTimeoutMs);
    // The bytes of an event line not complete yet.
    let pending: Buffer[] = [];
    try {
      for await (const chunk of response.body) {
        const bytes = chunk as Buffer;
        let start = 0;
        for (let newline = bytes.indexOf(0x0a); newline !== -1; newline = bytes.indexOf(0x0a, start)) {
          const part = bytes.subarray(start, newline);
          const line = pending.length === 0 ? part : Buffer.concat([...pending, part]);
          pending = [];
          start = newline + 1;
          const event = parseEventLine(line);
          if (event) yield event;
        }
        if (start < bytes.length) pending.push(bytes.subarray(start));
      }
    } finally {
      response.body.destroy();
    }
  }
}

function parseEventLine(line: Buffer): WatchEvent | undefined {
  let start = 0;
  let end = line.length;
  while (start < end && line[start]! <= 0x20) start += 1;
  while (end > start && line[end - 1]! <= 0x20) end -= 1;
  if (start === end) return undefined;
  return JSON.parse(prunedText(line.subarray(start, end))) as WatchEvent;
}
