// An informer with client-go's reflector behaviour:
// - paginated LIST (resourceVersion=0 the first time, a quorum read after 410);
// - WATCH with bookmarks and a random 5-10 minute timeout, resumed from the
//   last resourceVersion after every normal end;
// - 410 Gone (HTTP or an in-stream ERROR) → relist, emitting deletes for
//   objects that vanished meanwhile;
// - any other failure → exponential backoff (0.8 s doubling to 30 s, with
//   jitter, reset after 2 minutes of health) and try again, for ever;
// - an idle watchdog: a watch that delivers no byte (not even a bookmark) for
//   `idleTimeoutMs` is dropped and re-opened;
// - a handler that throws is logged and never stops the informer.
//
// Memory: list responses are read item by item as they arrive (a LIST at
// resourceVersion=0 comes whole from the API server's cache, however large),
// each item goes to the handlers at once, and the informer itself keeps only
// each object's key and resourceVersion. The handlers (the source) keep what
// Portero reads; nothing holds the raw objects.

import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../telemetry/log.js';
import { ApiError, type KubeClient } from './client.js';

type Json = Record<string, any>;

export interface InformerHandlers {
  upsert(object: Json): void;
  /** An object that is gone. After a relist it carries only apiVersion, kind, metadata.namespace and metadata.name. */
  remove(object: Json): void;
}

export interface InformerOptions {
  client: KubeClient;
  /** Collection path, e.g. /apis/networking.k8s.io/v1/ingresses. */
  path: string;
  kind: string;
  apiVersion: string;
  labelSelector?: string;
  handlers: InformerHandlers;
  log: Logger;
  pageSize?: number;
  idleTimeoutMs?: number;
  backoff?: { initialMs: number; maxMs: number; resetAfterMs: number };
}

class Gone extends Error {}

function keyOf(object: Json): string {
  const metadata = object.metadata ?? {};
  return metadata.namespace ? `${metadata.namespace}/${metadata.name}` : String(metadata.name);
}

/** The list item with its kind: a real API server leaves apiVersion and kind out of list items. */
function withKind(item: Json, apiVersion: string, kind: string): Json {
  if (item.apiVersion === apiVersion && item.kind === kind) return item;
  item.apiVersion = apiVersion;
  item.kind = kind;
  return item;
}

export class Informer {
  /** namespace/name → resourceVersion of every object seen: enough to skip unchanged objects on a relist and to find the ones that vanished. */
  private readonly versions = new Map<string, string>();
  private resourceVersion = '';
  private relistQuorum = false;
  private needList = true;
  private stopped = false;
  private abort = new AbortController();
  private failures = 0;
  private lastFailure = 0;
  private resolveSynced!: () => void;
  readonly synced: Promise<void> = new Promise((resolve) => (this.resolveSynced = resolve));
  private running: Promise<void> | undefined;

  constructor(private readonly options: InformerOptions) {}

  start(): void {
    this.running ??= this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    await this.running;
  }

  private call(what: 'upsert' | 'remove', object: Json): void {
    try {
      this.options.handlers[what](object);
    } catch (error) {
      this.options.log.error({ kind: this.options.kind, object: keyOf(object), err: (error as Error).stack ?? String(error) }, 'informer handler failed; the informer goes on');
    }
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        if (this.needList) await this.list();
        await this.watchOnce();
      } catch (error) {
        if (this.stopped) break;
        if (error instanceof Gone || (error instanceof ApiError && error.status === 410)) {
          this.options.log.info({ kind: this.options.kind, resourceVersion: this.resourceVersion }, 'resource version expired; listing again');
          this.needList = true;
          this.relistQuorum = true;
          continue;
        }
        await this.backoff(error as Error);
      }
    }
  }

  private async backoff(error: Error): Promise<void> {
    const { initialMs, maxMs, resetAfterMs } = this.options.backoff ?? { initialMs: 800, maxMs: 30_000, resetAfterMs: 120_000 };
    if (Date.now() - this.lastFailure > resetAfterMs) this.failures = 0;
    this.lastFailure = Date.now();
    const base = Math.min(initialMs * 2 ** this.failures, maxMs);
    this.failures += 1;
    const delay = Math.round(base * (1 + Math.random() * 0.5));
    this.options.log.warn({ kind: this.options.kind, err: error.message, retryInMs: delay }, 'watch failed; retrying');
    // Ends early when the informer stops.
    await sleep(delay, undefined, { signal: this.abort.signal }).catch(() => undefined);
  }

  private query(extra: Record<string, string | undefined>): Record<string, string | undefined> {
    return { labelSelector: this.options.labelSelector, ...extra };
  }

  /**
   * Paginated LIST, streamed: each new or changed object goes to the handlers
   * as it is read; once the list is complete, the objects that are not in it
   * any more are removed. A list that fails part way leaves the objects it
   * already delivered (newer versions, from the same consistent list) and
   * removes nothing; the next list completes the picture.
   */
  private async list(): Promise<void> {
    // Before anything is known, nothing can vanish: no need to remember what the list held.
    const seen = this.versions.size > 0 ? new Set<string>() : undefined;
    let continueToken: string | undefined;
    let listRV = '';
    const firstRV = this.relistQuorum ? '' : '0';
    const onItem = (raw: Json) => {
      const item = withKind(raw, this.options.apiVersion, this.options.kind);
      const key = keyOf(item);
      seen?.add(key);
      const version = String(item.metadata?.resourceVersion ?? '');
      if (this.versions.get(key) === version) return;
      this.versions.set(key, version);
      this.call('upsert', item);
    };
    for (;;) {
      const metadata = await this.options.client.list(
        this.options.path,
        {
          query: this.query({ limit: String(this.options.pageSize ?? 500), ...(continueToken ? { continue: continueToken } : firstRV ? { resourceVersion: firstRV } : {}) }),
          signal: this.abort.signal,
        },
        onItem,
      );
      continueToken = metadata.continue;
      listRV = metadata.resourceVersion ?? listRV;
      if (!continueToken) break;
    }
    if (seen) {
      for (const key of [...this.versions.keys()]) {
        if (seen.has(key)) continue;
        this.versions.delete(key);
        this.call('remove', this.stub(key));
      }
    }
    this.resourceVersion = listRV;
    this.needList = false;
    this.relistQuorum = false;
    this.resolveSynced(); // the first list only: later calls do nothing
  }

  /** What is known of an object that vanished between two lists. */
  private stub(key: string): Json {
    const slash = key.indexOf('/');
    const metadata = slash === -1 ? { name: key } : { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
    return { apiVersion: this.options.apiVersion, kind: this.options.kind, metadata };
  }

  private async watchOnce(): Promise<void> {
    const started = Date.now();
    let events = 0;
    const timeoutSeconds = String(300 + Math.floor(Math.random() * 300));
    const stream = this.options.client.watch(
      this.options.path,
      this.query({ allowWatchBookmarks: 'true', resourceVersion: this.resourceVersion, timeoutSeconds }),
      this.options.idleTimeoutMs ?? 150_000,
      this.abort.signal,
    );
    for await (const event of stream) {
      events += 1;
      const object = event.object ?? {};
      if (event.type === 'ERROR') {
        if (object.code === 410) throw new Gone(String(object.message ?? 'Gone'));
        throw new ApiError(Number(object.code ?? 500), String(object.reason ?? 'Error'), String(object.message ?? ''), 'WATCH', this.options.path);
      }
      const rv = object.metadata?.resourceVersion;
      if (event.type === 'BOOKMARK') {
        if (rv) this.resourceVersion = rv;
        continue;
      }
      const item = withKind(object, this.options.apiVersion, this.options.kind);
      const key = keyOf(item);
      if (event.type === 'DELETED') {
        this.versions.delete(key);
        this.call('remove', item);
      } else {
        this.versions.set(key, String(rv ?? ''));
        this.call('upsert', item);
      }
      if (rv) this.resourceVersion = rv;
    }
    // A watch that ends at once without any event points at a server problem: back off.
    if (!this.stopped && events === 0 && Date.now() - started < 1000) throw new Error('watch closed immediately without events');
    if (events > 0) this.failures = 0;
  }
}
