// A small Kubernetes API client on undici: JSON requests and watch streams,
// with the cluster CA, client certificates and bearer tokens. Errors name the
// method, the API path and the server's Status message.

import { Agent, request } from 'undici';
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
  /** Deadline for a request's response headers and body. */
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

export class KubeClient {
  private readonly agent: Agent;

  constructor(
    readonly connection: ClusterConnection,
    private readonly options: KubeClientOptions = {},
  ) {
    this.agent = new Agent({
      connect: {
        ...(connection.ca ? { ca: connection.ca } : {}),
        ...(connection.cert ? { cert: connection.cert } : {}),
        ...(connection.key ? { key: connection.key } : {}),
        ...(connection.tlsServerName ? { servername: connection.tlsServerName } : {}),
        rejectUnauthorized: !connection.insecureSkipTlsVerify,
      },
      keepAliveTimeout: 30_000,
    });
  }

  async close(): Promise<void> {
    await this.agent.close();
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

  private async send(method: string, path: string, options: RequestOptions, bodyTimeout: number, refreshToken = false): Promise<Awaited<ReturnType<typeof request>>> {
    const target = withQuery(path, options.query);
    this.options.onRequest?.(method, target);
    const url = `${this.connection.server}${target}`;
    const body = options.body === undefined ? undefined : JSON.stringify(options.body);
    let response;
    try {
      response = await request(url, {
        dispatcher: this.agent,
        method: method as 'GET',
        headers: await this.headers(refreshToken, body !== undefined ? (options.contentType ?? 'application/json') : undefined),
        ...(body !== undefined ? { body } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
        headersTimeout: this.options.timeoutMs ?? 30_000,
        bodyTimeout,
      });
    } catch (error) {
      throw new ApiError(0, 'ConnectionFailed', (error as Error).message, method, path);
    }
    if (response.statusCode === 401 && !refreshToken) {
      await response.body.dump();
      return this.send(method, path, options, bodyTimeout, true);
    }
    if (response.statusCode >= 400) {
      const text = await response.body.text().catch(() => '');
      let reason = 'Error';
      let message = text.slice(0, 500);
      try {
        const status = JSON.parse(text) as { reason?: string; message?: string };
        reason = status.reason ?? reason;
        message = status.message ?? message;
      } catch {
        // not a Status object
      }
      throw new ApiError(response.statusCode, reason, message, method, path);
    }
    return response;
  }

  async request<T = Record<string, any>>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const response = await this.send(method, path, options, this.options.timeoutMs ?? 30_000);
    try {
      return (await response.body.json()) as T;
    } catch (error) {
      throw new ApiError(response.statusCode, 'BadResponse', `unreadable body: ${(error as Error).message}`, method, path);
    }
  }

  /** A request whose answer is not needed (a status write): the body is drained, never parsed. */
  async requestDiscard(method: string, path: string, options: RequestOptions = {}): Promise<void> {
    const response = await this.send(method, path, options, this.options.timeoutMs ?? 30_000);
    await response.body.dump();
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
