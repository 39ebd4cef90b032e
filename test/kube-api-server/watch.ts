// Watch streams of the Kubernetes API test server: one JSON event per line,
// replay from a resourceVersion (or synthetic ADDED events), selector
// transitions turned into ADDED/DELETED, bookmarks, timeoutSeconds, and an
// in-stream 410 ERROR for versions older than the compaction watermark.

import type { ServerResponse } from 'node:http';
import { groupVersion, inVersion, type Resource } from './resources.js';
import type { Matcher } from './selectors.js';
import { jsonOf, type ApiStore, type StoreEvent } from './store.js';

type Json = any;

export interface WatchOptions {
  resource: Resource;
  /** The version the watch named; objects go out in it. */
  version?: string;
  namespace?: string;
  matches: Matcher;
  resourceVersion?: string;
  bookmarks: boolean;
  bookmarkIntervalMs: number;
  timeoutSeconds?: number;
}

export class WatchStream {
  private closed = false;
  stalled = false;
  private readonly timers: NodeJS.Timeout[] = [];
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly store: ApiStore,
    private readonly response: ServerResponse,
    private readonly options: WatchOptions,
    private readonly onClose: (stream: WatchStream) => void,
  ) {}

  private inScope(object: Json): boolean {
    const { resource, namespace } = this.options;
    return !resource.namespaced || !namespace || object.metadata?.namespace === namespace;
  }

  private visible(object: Json | undefined): boolean {
    return object !== undefined && this.inScope(object) && this.options.matches(object);
  }

  private send(type: string, object: Json): void {
    if (this.closed || this.stalled) return;
    const { resource, version = resource.version } = this.options;
    const json = version === resource.version ? jsonOf(object) : JSON.stringify(inVersion(object, resource, version));
    this.response.write(`{"type":${JSON.stringify(type)},"object":${json}}\n`);
  }

  /** Translates a store event into what this watcher sees, if anything. */
  private deliver(event: StoreEvent): void {
    if (event.resource !== this.options.resource) return;
    const now = this.visible(event.object);
    if (event.type === 'ADDED') {
      if (now) this.send('ADDED', event.object);
    } else if (event.type === 'DELETED') {
      if (now) this.send('DELETED', event.object);
    } else {
      const before = this.visible(event.old);
      if (before && now) this.send('MODIFIED', event.object);
      else if (before && !now) this.send('DELETED', event.object);
      else if (!before && now) this.send('ADDED', event.object);
    }
  }

  start(): void {
    const { resourceVersion, resource } = this.options;
    const requested = resourceVersion === undefined || resourceVersion === '' || resourceVersion === '0' ? undefined : Number(resourceVersion);
    if (requested !== undefined && (!Number.isFinite(requested) || requested < this.store.compactedRV)) {
      this.response.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
      this.response.write(
        `${JSON.stringify({
          type: 'ERROR',
          object: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: `too old resource version: ${resourceVersion} (${this.store.compactedRV})`, reason: 'Expired', code: 410 },
        })}\n`,
      );
      this.response.end();
      this.closed = true;
      this.onClose(this);
      return;
    }
    this.response.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    this.response.flushHeaders();
    if (requested === undefined) {
      for (const object of this.store.view(resource, this.options.namespace)) if (this.visible(object)) this.send('ADDED', object);
    } else {
      for (const event of this.store.eventsAfter(requested)) this.deliver(event);
    }
    this.unsubscribe = this.store.onEvent((event) => this.deliver(event));
    // Unref'd: a watch the client has given up on never keeps a test process alive.
    if (this.options.bookmarks) {
      const interval = setInterval(() => {
        this.send('BOOKMARK', { kind: resource.kind, apiVersion: groupVersion(resource), metadata: { resourceVersion: String(this.store.resourceVersion) } });
      }, this.options.bookmarkIntervalMs);
      this.timers.push(interval.unref());
    }
    if (this.options.timeoutSeconds !== undefined && this.options.timeoutSeconds > 0) {
      this.timers.push(setTimeout(() => this.close(), this.options.timeoutSeconds * 1000).unref());
    }
    this.response.on('close', () => this.close());
    // The client may have gone while the request waited (delayWatches).
    if (this.response.destroyed) this.close();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.unsubscribe?.();
    this.response.end();
    this.onClose(this);
  }
}
