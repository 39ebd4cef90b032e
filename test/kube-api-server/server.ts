// A Kubernetes API server for tests: the REST contract of the real one
// (discovery, list/watch with resourceVersion semantics, bookmarks, 410 on
// expired versions, selectors, 409 conflicts, the status subresource,
// generation, merge / JSON / strategic-merge patches, Leases), close enough
// that the real kubectl can get, create, replace, apply and delete against
// it. Test hooks compact history, close or stall watches, fail or delay
// requests, and log every request. Test-only: never shipped.

import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { setTimeout as sleep } from 'node:timers/promises';
import { stringify } from 'yaml';
import { discovery } from './discovery.js';
import { jsonPatch, mergePatch, PatchError, strategicMergePatch } from './patch.js';
import { CREATE_ON_UPDATE, GATEWAY_API_RESOURCES, RESOURCES, groupVersion, inVersion, resourceId, servedVersions, serves, type Resource } from './resources.js';
import { fieldSelector, labelSelector, SelectorError } from './selectors.js';
import { ApiError, ApiStore, listItemJsonOf } from './store.js';
import { WatchStream } from './watch.js';

type Json = any;

export interface KubeApiServerOptions {
  /** Serve HTTPS with this certificate (PEM); plain HTTP otherwise. */
  tls?: { cert: string; key: string };
  /** Accept client certificates signed by this CA (PEM) as authentication. */
  clientCA?: string;
  /** When set, requests need `Authorization: Bearer <one of these>` or a client certificate. */
  tokens?: string[];
  bookmarkIntervalMs?: number;
  historyLimit?: number;
  /** Behave like a minimal server: refuse every field selector (400) and every PATCH (415). */
  minimal?: boolean;
  /**
   * Serve the Gateway API kinds (gateway.networking.k8s.io), as a cluster
   * with their CRDs installed does; default true. Without them, their paths
   * and discovery answer 404 until installGatewayApi() is called.
   */
  gatewayApi?: boolean;
}

export interface LoggedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  status: number;
  userAgent: string;
  verb: string;
  resource?: string;
  subresource?: string;
  namespace?: string;
}

interface Fault {
  count: number;
  code: number;
  watch?: boolean;
  method?: string;
  pathIncludes?: string;
}

interface Target {
  resource: Resource;
  /** The version the request named: objects go out in it. */
  version: string;
  namespace: string;
  name?: string;
  subresource?: string;
}

export class KubeApiServer {
  readonly store: ApiStore;
  readonly requests: LoggedRequest[] = [];
  private readonly watches = new Set<WatchStream>();
  private readonly faults: Fault[] = [];
  /** Path fragments answered 403 Forbidden, as RBAC without a rule for them would. */
  private readonly forbidden = new Set<string>();
  private watchDelayMs = 0;
  private server: Server | undefined;
  /** The kinds served now: the built-in ones, and the Gateway API ones once installed. */
  private readonly resources: Resource[] = [...RESOURCES];
  url = '';

  constructor(private readonly options: KubeApiServerOptions = {}) {
    this.store = new ApiStore(options.historyLimit);
    this.store.resourceOfKey = (key) => this.resources.find((resource) => key.startsWith(`${resourceId(resource)}|`));
    if (options.gatewayApi !== false) this.installGatewayApi();
    for (const name of ['default', 'kube-system', 'kube-public']) this.store.create(this.resource('', 'namespaces'), '', { metadata: { name } });
  }

  /** Starts serving the Gateway API kinds, as installing their CRDs does (discovery included); does nothing when they are served already. */
  installGatewayApi(): void {
    for (const resource of GATEWAY_API_RESOURCES) if (!this.resources.includes(resource)) this.resources.push(resource);
  }

  get servesGatewayApi(): boolean {
    return GATEWAY_API_RESOURCES.every((resource) => this.resources.includes(resource));
  }

  /** The served resource for an object's apiVersion and kind. */
  private resourceFor(apiVersion: string, kind: string): Resource | undefined {
    return this.resources.find((candidate) => candidate.kind === kind && serves(candidate, apiVersion));
  }

  resource(group: string, plural: string): Resource {
    const found = this.resources.find((resource) => resource.group === group && resource.plural === plural);
    if (!found) throw new Error(`no resource ${group}/${plural}`);
    return found;
  }

  async start(port = 0): Promise<this> {
    const handler = (request: IncomingMessage, response: ServerResponse) => void this.handle(request, response);
    this.server = this.options.tls
      ? createHttpsServer({ cert: this.options.tls.cert, key: this.options.tls.key, ...(this.options.clientCA ? { ca: this.options.clientCA, requestCert: true, rejectUnauthorized: false } : {}) }, handler)
      : createHttpServer(handler);
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', () => resolve()));
    const address = this.server.address() as AddressInfo;
    this.url = `${this.options.tls ? 'https' : 'http'}://127.0.0.1:${address.port}`;
    return this;
  }

  async close(): Promise<void> {
    this.closeWatches();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  // ---- test hooks ----

  /** Forgets the event history: watches resuming from older versions get 410 Gone. */
  compact(): void {
    this.store.compact();
  }

  /** Ends every open watch, as a server restart or a timeout would. */
  closeWatches(): void {
    for (const watch of [...this.watches]) watch.close();
  }

  /** The next `count` watch requests fail with `code`. */
  failNextWatches(count: number, code = 500): void {
    this.faults.push({ count, code, watch: true });
  }

  /** The next `count` requests matching method/path fail with `code`. */
  failNextRequests(count: number, code: number, match: { method?: string; pathIncludes?: string } = {}): void {
    this.faults.push({ count, code, ...match });
  }

  /**
   * Answers 403 Forbidden to every non-discovery request whose path includes
   * `pathIncludes` (discovery stays open to all, as system:discovery allows),
   * until the returned function is called.
   */
  forbid(pathIncludes: string): () => void {
    this.forbidden.add(pathIncludes);
    return () => this.forbidden.delete(pathIncludes);
  }

  /** Holds new watch requests for `ms` before answering them. */
  delayWatches(ms: number): void {
    this.watchDelayMs = ms;
  }

  /** The watches open now stay connected but deliver nothing more, not even bookmarks (a half-dead connection). */
  stallWatches(): void {
    for (const watch of this.watches) watch.stalled = true;
  }

  get openWatches(): number {
    return this.watches.size;
  }

  /** A kubeconfig for this server, as YAML. */
  kubeconfig(user: Record<string, unknown> = {}, cluster: Record<string, unknown> = {}): string {
    return stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'test', cluster: { server: this.url, ...cluster } }],
      users: [{ name: 'test', user }],
      contexts: [{ name: 'test', context: { cluster: 'test', user: 'test', namespace: 'default' } }],
      'current-context': 'test',
    });
  }

  // ---- object helpers for tests (same code paths as HTTP) ----

  apply(object: Json): Json {
    const resource = this.resourceFor(object.apiVersion, object.kind);
    if (!resource) throw new Error(`unknown kind ${object.apiVersion} ${object.kind}`);
    const namespace = resource.namespaced ? (object.metadata?.namespace ?? 'default') : '';
    const existing = this.store.get(resource, namespace, object.metadata.name);
    const { resourceVersion: _ignored, ...metadata } = object.metadata;
    const updated = existing ? this.store.update(resource, namespace, object.metadata.name, { ...object, metadata }) : this.store.create(resource, namespace, { ...object, metadata });
    if (resource.status && object.status !== undefined) return this.store.update(resource, namespace, object.metadata.name, { status: object.status, metadata: {} }, 'status');
    return updated;
  }

  delete(apiVersion: string, kind: string, namespace: string, name: string): void {
    const resource = this.resourceFor(apiVersion, kind)!;
    this.store.remove(resource, resource.namespaced ? namespace : '', name);
  }

  get(apiVersion: string, kind: string, namespace: string, name: string): Json | undefined {
    const resource = this.resourceFor(apiVersion, kind)!;
    return this.store.get(resource, resource.namespaced ? namespace : '', name);
  }

  // ---- HTTP ----

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://server');
    const query = Object.fromEntries(url.searchParams);
    const entry: LoggedRequest = { method: request.method ?? 'GET', path: url.pathname, query, status: 0, userAgent: String(request.headers['user-agent'] ?? ''), verb: '' };
    this.requests.push(entry);
    const reply = (code: number, body: Json, contentType = 'application/json') => {
      entry.status = code;
      response.writeHead(code, { 'content-type': contentType });
      if (body instanceof ListBody) return void body.writeTo(response);
      response.end(JSON.stringify(body));
    };
    try {
      if (!this.authorized(request)) throw new ApiError(401, 'Unauthorized', 'Unauthorized');
      const body = await readBody(request);
      const found = discovery(url.pathname, this.resources);
      if (found !== undefined) {
        if (found === null) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
        entry.verb = 'discovery';
        return reply(200, found);
      }
      if ([...this.forbidden].some((fragment) => url.pathname.includes(fragment))) {
        throw new ApiError(403, 'Forbidden', `${url.pathname} is forbidden: User "system:serviceaccount:portero-system:portero" cannot access it`);
      }
      const target = this.route(url.pathname);
      Object.assign(entry, { resource: target.resource.plural, subresource: target.subresource, namespace: target.namespace || undefined });
      const watching = query.watch === 'true' || query.watch === '1';
      entry.verb = verbOf(request.method ?? 'GET', target, watching);
      const fault = this.faults.find((candidate) => candidate.count > 0 && (candidate.watch ? watching : (!candidate.method || candidate.method === request.method) && (!candidate.pathIncludes || url.pathname.includes(candidate.pathIncludes))));
      if (fault) {
        fault.count -= 1;
        throw new ApiError(fault.code, fault.code === 500 ? 'InternalError' : 'ServiceUnavailable', 'injected fault');
      }
      if (watching) {
        if (this.watchDelayMs > 0) await sleep(this.watchDelayMs);
        entry.status = 200;
        return this.watch(target, query, response);
      }
      const { code, object } = this.dispatch(request.method ?? 'GET', target, query, body, String(request.headers['content-type'] ?? ''));
      // Objects (never lists or Status answers) go out in the version the request named.
      return reply(code, object?.kind === target.resource.kind ? inVersion(object, target.resource, target.version) : object);
    } catch (error) {
      const apiError =
        error instanceof ApiError ? error
        : error instanceof SelectorError ? new ApiError(400, 'BadRequest', error.message)
        : error instanceof PatchError ? new ApiError(error.code, error.code === 400 ? 'BadRequest' : 'Invalid', error.message)
        : error instanceof SyntaxError ? new ApiError(400, 'BadRequest', `invalid body: ${error.message}`)
        : new ApiError(500, 'InternalError', String(error));
      return reply(apiError.code, apiError.status());
    }
  }

  private authorized(request: IncomingMessage): boolean {
    if (!this.options.tokens && !this.options.clientCA) return true;
    const token = /^Bearer (.+)$/.exec(String(request.headers.authorization ?? ''))?.[1];
    if (token && this.options.tokens?.includes(token)) return true;
    const socket = request.socket as TLSSocket;
    return this.options.clientCA !== undefined && socket.authorized === true;
  }

  private route(pathname: string): Target {
    const parts = pathname.split('/').filter(Boolean);
    let group: string;
    let rest: string[];
    if (parts[0] === 'api' && parts[1] === 'v1') [group, rest] = ['', parts.slice(2)];
    else if (parts[0] === 'apis' && parts.length >= 3) [group, rest] = [parts[1]!, parts.slice(3)];
    else throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
    const version = group === '' ? 'v1' : parts[2]!;
    const find = (plural: string | undefined) => this.resources.find((resource) => resource.group === group && servedVersions(resource).includes(version) && resource.plural === plural);
    if (rest[0] === 'namespaces' && rest.length >= 3 && find(rest[2])?.namespaced) {
      return { resource: find(rest[2])!, version, namespace: rest[1]!, ...(rest[3] ? { name: rest[3] } : {}), ...(rest[4] ? { subresource: rest[4] } : {}) };
    }
    const resource = find(rest[0]);
    if (!resource || rest.length > 3) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
    return { resource, version, namespace: '', ...(rest[1] ? { name: rest[1] } : {}), ...(rest[2] ? { subresource: rest[2] } : {}) };
  }

  private matcher(resource: Resource, query: Record<string, string>) {
    if (this.options.minimal && query.fieldSelector) throw new ApiError(400, 'BadRequest', `field label not supported: ${query.fieldSelector.split('=')[0]}`);
    const labels = labelSelector(query.labelSelector ?? null);
    const fields = fieldSelector(query.fieldSelector ?? null, {
      'metadata.name': (o) => o.metadata?.name,
      'metadata.namespace': (o) => o.metadata?.namespace ?? '',
      ...(resource.fields ?? {}),
    });
    return (object: Json) => labels(object) && fields(object);
  }

  private watch(target: Target, query: Record<string, string>, response: ServerResponse): void {
    const stream = new WatchStream(
      this.store,
      response,
      {
        resource: target.resource,
        version: target.version,
        ...(target.namespace ? { namespace: target.namespace } : {}),
        matches: this.matcher(target.resource, query),
        ...(query.resourceVersion !== undefined ? { resourceVersion: query.resourceVersion } : {}),
        bookmarks: query.allowWatchBookmarks === 'true',
        bookmarkIntervalMs: this.options.bookmarkIntervalMs ?? 200,
        ...(query.timeoutSeconds ? { timeoutSeconds: Number(query.timeoutSeconds) } : {}),
      },
      (closed) => this.watches.delete(closed),
    );
    this.watches.add(stream);
    stream.start();
  }

  private list(target: Target, query: Record<string, string>): Json {
    const { resource } = target;
    const current = this.store.resourceVersion;
    if (query.resourceVersion && query.resourceVersion !== '0') {
      const requested = Number(query.resourceVersion);
      if (query.resourceVersionMatch === 'Exact' && requested !== current) throw new ApiError(410, 'Expired', `too old resource version: ${requested} (${current})`);
      if (requested > current) throw new ApiError(504, 'Timeout', `Too large resource version: ${requested}, current: ${current}`, { causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }] });
    }
    const matches = this.matcher(resource, query);
    let items = this.store.view(resource, target.namespace || undefined).filter(matches);
    let listRV = current;
    if (query.continue) {
      let token: { rv: number; after: string };
      try {
        token = JSON.parse(Buffer.from(query.continue, 'base64').toString());
      } catch {
        throw new ApiError(400, 'BadRequest', 'invalid continue token');
      }
      if (token.rv < this.store.compactedRV) throw new ApiError(410, 'Expired', 'The provided continue parameter is too old to display a consistent list result.');
      listRV = token.rv;
      // As etcd does, the next page starts after the last key served, so writes between pages shift nothing.
      items = items.filter((object) => keyOf(object) > token.after);
    }
    // With resourceVersion=0 the real server answers from its watch cache, which
    // ignores `limit`: a client must cope with the whole collection in one response.
    const limit = query.limit && !(query.resourceVersion === '0' && !query.continue) ? Number(query.limit) : 0;
    const metadata: Json = { resourceVersion: String(listRV) };
    if (limit > 0 && items.length > limit) {
      items = items.slice(0, limit);
      metadata.continue = Buffer.from(JSON.stringify({ rv: listRV, after: keyOf(items[items.length - 1]) })).toString('base64');
    }
    return new ListBody({ kind: `${resource.kind}List`, apiVersion: groupVersion(resource, target.version), metadata }, items);
  }

  private dispatch(method: string, target: Target, query: Record<string, string>, body: string, contentType: string): { code: number; object: Json } {
    const { resource, namespace, name, subresource } = target;
    const scope = resource.namespaced ? namespace : '';
    if (resource.namespaced && !namespace && method !== 'GET') throw new ApiError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
    if (subresource !== undefined && (subresource !== 'status' || !resource.status)) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
    const dryRun = query.dryRun === 'All';
    const parsed = () => (body === '' ? {} : JSON.parse(body));
    const checkNamespace = (object: Json) => {
      if (resource.namespaced && object.metadata?.namespace && object.metadata.namespace !== namespace) {
        throw new ApiError(400, 'BadRequest', 'the namespace of the provided object does not match the namespace sent on the request');
      }
    };
    if (method === 'GET') return { code: 200, object: name ? this.store.require(resource, scope, name) : this.list(target, query) };
    if (method === 'POST' && !name) {
      const object = parsed();
      checkNamespace(object);
      if (dryRun) return { code: 201, object };
      return { code: 201, object: this.store.create(resource, scope, object) };
    }
    if (method === 'PUT' && name) {
      const object = parsed();
      checkNamespace(object);
      if (!this.store.get(resource, scope, name)) {
        if (!CREATE_ON_UPDATE.has(resource.kind) || subresource) throw new ApiError(404, 'NotFound', `${resource.plural} "${name}" not found`);
        return { code: 201, object: this.store.create(resource, scope, object) };
      }
      return { code: 200, object: dryRun ? object : this.store.update(resource, scope, name, object, subresource === 'status' ? 'status' : undefined) };
    }
    if (method === 'PATCH' && this.options.minimal) throw new ApiError(415, 'UnsupportedMediaType', 'PATCH is not supported by this server');
    if (method === 'PATCH' && name) return this.patch(target, scope, name, parsed(), contentType.split(';')[0]!.trim(), dryRun);
    if (method === 'DELETE' && name) {
      const options = body === '' ? {} : JSON.parse(body);
      return { code: 200, object: this.store.remove(resource, scope, name, false, options.preconditions) };
    }
    if (method === 'DELETE') {
      const matches = this.matcher(resource, query);
      const removed = this.store.view(resource, scope || undefined).filter(matches).map((object) => this.store.remove(resource, object.metadata.namespace ?? '', object.metadata.name));
      return { code: 200, object: { kind: `${resource.kind}List`, apiVersion: groupVersion(resource), metadata: {}, items: removed } };
    }
    throw new ApiError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
  }

  private patch(target: Target, scope: string, name: string, patch: Json, contentType: string, dryRun: boolean): { code: number; object: Json } {
    const { resource, subresource } = target;
    const current = this.store.get(resource, scope, name);
    if (!current) {
      if (contentType === 'application/apply-patch+yaml') {
        // Server-side apply, approximated as create-or-merge: field ownership and managedFields are not modelled.
        return { code: 201, object: dryRun ? patch : this.store.create(resource, scope, { ...patch, metadata: { ...patch.metadata, name } }) };
      }
      throw new ApiError(404, 'NotFound', `${resource.plural} "${name}" not found`, { name, group: resource.group, kind: resource.plural });
    }
    let next: Json;
    switch (contentType) {
      case 'application/merge-patch+json':
      case 'application/apply-patch+yaml':
        next = mergePatch(current, patch);
        break;
      case 'application/json-patch+json':
        next = jsonPatch(current, patch);
        break;
      case 'application/strategic-merge-patch+json':
        next = strategicMergePatch(current, patch);
        break;
      default:
        throw new ApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json`);
    }
    // A resourceVersion in the patch is a precondition; otherwise the patch applies to the current version.
    const precondition = contentType !== 'application/json-patch+json' ? patch?.metadata?.resourceVersion : undefined;
    next.metadata = { ...next.metadata, resourceVersion: precondition ?? current.metadata.resourceVersion };
    if (dryRun) return { code: 200, object: next };
    return { code: 200, object: this.store.update(resource, scope, name, next, subresource === 'status' ? 'status' : undefined) };
  }
}

/**
 * A list response, written as the real server does: streamed, not built as
 * one string (a list of 10,000 objects runs to tens of megabytes), with each
 * item's JSON computed once per object version.
 */
class ListBody {
  constructor(
    private readonly head: Json,
    private readonly items: readonly Json[],
  ) {}

  /** For in-process callers (dryRun DELETE collection answers, tests): the plain object. */
  toJSON(): Json {
    return { ...this.head, items: this.items.map((item) => JSON.parse(listItemJsonOf(item))) };
  }

  async writeTo(response: ServerResponse): Promise<void> {
    const head = JSON.stringify(this.head);
    let batch = `${head.slice(0, -1)},"items":[`;
    for (let index = 0; index < this.items.length; index += 1) {
      batch += `${index === 0 ? '' : ','}${listItemJsonOf(this.items[index])}`;
      if (batch.length >= 256 * 1024) {
        const more = response.write(batch);
        batch = '';
        if (!more) {
          await new Promise<void>((resolve) => {
            const done = () => {
              response.off('drain', done).off('close', done);
              resolve();
            };
            response.on('drain', done).on('close', done);
          });
        }
        if (response.destroyed) return;
      }
    }
    response.end(`${batch}]}`);
  }
}

function keyOf(object: Json): string {
  return `${object.metadata.namespace ?? ''}/${object.metadata.name}`;
}

function verbOf(method: string, target: Target, watching: boolean): string {
  if (method === 'GET') return watching ? 'watch' : target.name ? 'get' : 'list';
  if (method === 'POST') return 'create';
  if (method === 'PUT') return 'update';
  if (method === 'PATCH') return 'patch';
  if (method === 'DELETE') return target.name ? 'delete' : 'deletecollection';
  return method.toLowerCase();
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

export async function startKubeApiServer(options: KubeApiServerOptions = {}): Promise<KubeApiServer> {
  return new KubeApiServer(options).start();
}
