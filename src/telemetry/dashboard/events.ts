// Server-sent events: each open page gets a `changed` event with the new
// generation on every apply, and refetches what it shows. Bounded: at most
// MAX_STREAMS streams (more answer 503 and the page falls back to polling),
// a comment every HEARTBEAT_MS so that dead peers are found and proxies keep
// the stream open, and every stream is closed at shutdown.

import type { IncomingMessage, ServerResponse } from 'node:http';

export const MAX_STREAMS = 32;
const HEARTBEAT_MS = 15_000;

export class EventStreams {
  private readonly streams = new Set<ServerResponse>();
  private readonly heartbeat: NodeJS.Timeout;
  private closed = false;

  constructor(
    private readonly headers: Record<string, string>,
    private readonly generation: () => number,
  ) {
    this.heartbeat = setInterval(() => {
      for (const stream of this.streams) stream.write(': ping\n\n');
    }, HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  get open(): number {
    return this.streams.size;
  }

  /** Opens a stream; the first event carries the current generation. */
  accept(request: IncomingMessage, response: ServerResponse): void {
    if (this.closed || this.streams.size >= MAX_STREAMS) {
      response.writeHead(503, { ...this.headers, 'content-type': 'text/plain; charset=utf-8', 'retry-after': '5' }).end('too many dashboard streams; poll instead\n');
      return;
    }
    const headers = { ...this.headers, 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store' };
    // HEAD gets the headers only: a stream it could not read must not hold a place.
    if (request.method === 'HEAD') {
      response.writeHead(200, headers).end();
      return;
    }
    response.writeHead(200, { ...headers, connection: 'keep-alive' });
    // Reconnect after a second when the stream drops (a restart, a proxy).
    response.write(`retry: 1000\n\n${frame(this.generation())}`);
    this.streams.add(response);
    const forget = () => this.streams.delete(response);
    request.on('close', forget);
    response.on('close', forget);
  }

  changed(generation: number): void {
    const text = frame(generation);
    for (const stream of this.streams) stream.write(text);
  }

  /** Shutdown: ends every stream and refuses new ones. */
  close(): void {
    this.closed = true;
    clearInterval(this.heartbeat);
    for (const stream of this.streams) stream.end();
    this.streams.clear();
  }
}

function frame(generation: number): string {
  return `event: changed\ndata: ${JSON.stringify({ generation })}\n\n`;
}
