// Storage for the Kubernetes API test server: objects with a global integer
// resourceVersion, a bounded event history for watches (with a compaction
// watermark: older versions answer 410), generation, status-subresource and
// finalizer semantics, as the real API server has them.

import { randomUUID } from 'node:crypto';
import { groupVersion, resourceId, type Resource } from './resources.js';

type Json = any;

export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }

  status(): Json {
    return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: this.message, reason: this.reason, ...(this.details ? { details: this.details } : {}), code: this.code };
  }
}

export interface StoreEvent {
  rv: number;
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  resource: Resource;
  object: Json;
  /** The object before the change (MODIFIED), for selector transitions. */
  old?: Json;
}

function clone<T>(value: T): T {
  return JSON.parse(JSON.stringify(value));
}

/**
 * Stored objects are frozen and shared by the history, watch streams and
 * list responses (which only serialise them), so that a store of tens of
 * thousands of objects does not copy each one for every event and list page.
 * A write always stores a new object; freezing makes a stray mutation throw.
 */
function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

const serialized = new WeakMap<object, string>();
const serializedItems = new WeakMap<object, string>();

/** The JSON of a stored (frozen) object, computed once: lists and watch events send the same text again and again. */
export function jsonOf(object: Json): string {
  let text = serialized.get(object);
  if (text === undefined) {
    text = JSON.stringify(object);
    if (Object.isFrozen(object)) serialized.set(object, text);
  }
  return text;
}

/** The JSON of a stored object as a list item: a real server leaves kind and apiVersion out of list items. */
export function listItemJsonOf(object: Json): string {
  let text = serializedItems.get(object);
  if (text === undefined) {
    const { kind: _kind, apiVersion: _apiVersion, ...rest } = object;
    text = JSON.stringify(rest);
    if (Object.isFrozen(object)) serializedItems.set(object, text);
  }
  return text;
}

/** etcd's order: byte order of namespace/name. */
function byKey(a: Json, b: Json): number {
  const left = `${a.metadata.namespace ?? ''}/${a.metadata.name}`;
  const right = `${b.metadata.namespace ?? ''}/${b.metadata.name}`;
  return left < right ? -1 : left > right ? 1 : 0;
}

function now(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function specOf(object: Json): string {
  const { metadata: _metadata, status: _status, ...rest } = object;
  return JSON.stringify(rest);
}

function qualified(resource: Resource, name: string): string {
  return `${resource.plural}${resource.group ? `.${resource.group}` : ''} "${name}"`;
}

export class ApiStore {
  private readonly objects = new Map<string, Json>();
  /** Sorted objects of each resource (by resourceId), dropped when one of them changes. */
  private readonly sorted = new Map<string, readonly Json[]>();
  private history: StoreEvent[] = [];
  private readonly listeners = new Set<(event: StoreEvent) => void>();
  resourceVersion = 1000;
  compactedRV = 0;

  constructor(private readonly historyLimit = 5000) {}

  private key(resource: Resource, namespace: string, name: string): string {
    return `${resourceId(resource)}|${resource.namespaced ? namespace : ''}|${name}`;
  }

  onEvent(listener: (event: StoreEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private put(key: string, resource: Resource, object: Json | undefined): void {
    if (object === undefined) this.objects.delete(key);
    else this.objects.set(key, deepFreeze(object));
    this.sorted.delete(resourceId(resource));
  }

  private emit(event: StoreEvent): void {
    this.history.push(event);
    // Trimmed in batches (keeping at least historyLimit events), not one event per write.
    if (this.history.length > this.historyLimit + Math.ceil(this.historyLimit / 8)) {
      const dropped = this.history.splice(0, this.history.length - this.historyLimit);
      this.compactedRV = dropped[dropped.length - 1]!.rv;
    }
    for (const listener of this.listeners) listener(event);
  }

  /** Forgets the event history: watches from any older resourceVersion get 410. */
  compact(): void {
    this.compactedRV = this.resourceVersion;
    this.history = [];
  }

  eventsAfter(rv: number): StoreEvent[] {
    return this.history.filter((event) => event.rv > rv);
  }

  get(resource: Resource, namespace: string, name: string): Json | undefined {
    const found = this.objects.get(this.key(resource, namespace, name));
    return found ? clone(found) : undefined;
  }

  require(resource: Resource, namespace: string, name: string): Json {
    const found = this.get(resource, namespace, name);
    if (!found) throw new ApiError(404, 'NotFound', `${qualified(resource, name)} not found`, { name, group: resource.group, kind: resource.plural });
    return found;
  }

  /** Copies of the objects of a resource (in one namespace, or all), in key order. */
  list(resource: Resource, namespace?: string): Json[] {
    return this.view(resource, namespace).map(clone);
  }

  /** Serialises every stored object now, as a server that has been running a while has them: a first list is then as fast as later ones. */
  warm(): void {
    const resources = new Set<Resource>();
    for (const [key, object] of this.objects) {
      listItemJsonOf(object);
      const resource = this.resourceOfKey?.(key);
      if (resource) resources.add(resource);
    }
    for (const resource of resources) this.view(resource);
  }

  /** The stored (frozen, shared) objects of a resource, in key order: for serialising, never for changing. */
  view(resource: Resource, namespace?: string): readonly Json[] {
    const id = resourceId(resource);
    let all = this.sorted.get(id);
    if (!all) {
      const prefix = `${id}|`;
      const items: Json[] = [];
      for (const [key, object] of this.objects) if (key.startsWith(prefix)) items.push(object);
      all = items.sort(byKey);
      this.sorted.set(id, all);
    }
    return namespace && resource.namespaced ? all.filter((object) => object.metadata.namespace === namespace) : all;
  }

  private ensureNamespace(resource: Resource, namespace: string): void {
    if (!resource.namespaced) return;
    if (!this.objects.has(`/namespaces||${namespace}`)) throw new ApiError(404, 'NotFound', `namespaces "${namespace}" not found`, { name: namespace, kind: 'namespaces' });
  }

  private normalize(resource: Resource, object: Json): void {
    object.apiVersion = groupVersion(resource);
    object.kind = resource.kind;
    if (resource.kind === 'Secret') {
      object.type ??= 'Opaque';
      if (object.stringData) {
        object.data = { ...(object.data ?? {}) };
        for (const [key, value] of Object.entries(object.stringData)) object.data[key] = Buffer.from(String(value)).toString('base64');
        delete object.stringData;
      }
    }
    if (resource.kind === 'Service') object.spec = { type: 'ClusterIP', ...(object.spec ?? {}) };
    // As the real API server (1.21+) does: every Namespace carries its name as a label.
    if (resource.kind === 'Namespace' && object.metadata?.name) object.metadata = { ...object.metadata, labels: { ...(object.metadata.labels ?? {}), 'kubernetes.io/metadata.name': object.metadata.name } };
  }

  create(resource: Resource, namespace: string, body: Json): Json {
    const object = clone(body);
    object.metadata ??= {};
    if (!object.metadata.name && object.metadata.generateName) object.metadata.name = `${object.metadata.generateName}${randomUUID().slice(0, 5)}`;
    const name = object.metadata.name;
    if (!name) throw new ApiError(422, 'Invalid', `${resource.kind} "" is invalid: metadata.name: Required value: name or generateName is required`);
    if (object.metadata.resourceVersion) throw new ApiError(400, 'BadRequest', 'resourceVersion should not be set on objects to be created');
    this.ensureNamespace(resource, namespace);
    if (this.objects.has(this.key(resource, namespace, name))) {
      throw new ApiError(409, 'AlreadyExists', `${qualified(resource, name)} already exists`, { name, group: resource.group, kind: resource.plural });
    }
    this.normalize(resource, object);
    if (resource.namespaced) object.metadata.namespace = namespace;
    else delete object.metadata.namespace;
    object.metadata.uid = randomUUID();
    object.metadata.creationTimestamp = now();
    if (resource.generation) object.metadata.generation = 1;
    if (resource.status) delete object.status;
    if (resource.kind === 'Namespace') object.status = { phase: 'Active' };
    object.metadata.resourceVersion = String(++this.resourceVersion);
    this.put(this.key(resource, namespace, name), resource, object);
    this.emit({ rv: this.resourceVersion, type: 'ADDED', resource, object });
    return clone(object);
  }

  /**
   * Replaces an object. `subresource === 'status'` takes only .status; the
   * main resource keeps the stored .status. A resourceVersion in the body
   * must match (409 otherwise); none means an unconditional update.
   */
  update(resource: Resource, namespace: string, name: string, body: Json, subresource?: 'status'): Json {
    const current = this.objects.get(this.key(resource, namespace, name));
    if (!current) throw new ApiError(404, 'NotFound', `${qualified(resource, name)} not found`, { name, group: resource.group, kind: resource.plural });
    const incoming = clone(body);
    incoming.metadata ??= {};
    if (incoming.metadata.name && incoming.metadata.name !== name) throw new ApiError(400, 'BadRequest', `the name of the object (${incoming.metadata.name}) does not match the name on the URL (${name})`);
    if (incoming.metadata.uid && incoming.metadata.uid !== current.metadata.uid) throw new ApiError(409, 'Conflict', `Precondition failed: UID in precondition: ${incoming.metadata.uid}, UID in object meta: ${current.metadata.uid}`);
    if (incoming.metadata.resourceVersion && incoming.metadata.resourceVersion !== current.metadata.resourceVersion) {
      throw new ApiError(409, 'Conflict', `Operation cannot be fulfilled on ${qualified(resource, name)}: the object has been modified; please apply your changes to the latest version and try again`, { name, group: resource.group, kind: resource.plural });
    }
    let next: Json;
    if (subresource === 'status') {
      next = clone(current);
      next.status = incoming.status;
    } else {
      next = incoming;
      this.normalize(resource, next);
      next.metadata = { ...incoming.metadata };
      for (const field of ['uid', 'creationTimestamp', 'generation', 'deletionTimestamp']) {
        if (current.metadata[field] !== undefined) next.metadata[field] = current.metadata[field];
        else delete next.metadata[field];
      }
      next.metadata.name = name;
      if (resource.namespaced) next.metadata.namespace = namespace;
      if (resource.status) {
        if (current.status !== undefined) next.status = current.status;
        else delete next.status;
      }
      if (resource.generation && specOf(next) !== specOf(current)) next.metadata.generation = (current.metadata.generation ?? 1) + 1;
    }
    next.metadata.resourceVersion = current.metadata.resourceVersion;
    if (JSON.stringify(next) === JSON.stringify(current)) return clone(current);
    if (current.metadata.deletionTimestamp && (next.metadata.finalizers ?? []).length === 0) {
      return this.remove(resource, namespace, name, true);
    }
    next.metadata.resourceVersion = String(++this.resourceVersion);
    this.put(this.key(resource, namespace, name), resource, next);
    this.emit({ rv: this.resourceVersion, type: 'MODIFIED', resource, object: next, old: current });
    return clone(next);
  }

  remove(resource: Resource, namespace: string, name: string, ignoreFinalizers = false, preconditions?: { uid?: string; resourceVersion?: string }): Json {
    const key = this.key(resource, namespace, name);
    const current = this.objects.get(key);
    if (!current) throw new ApiError(404, 'NotFound', `${qualified(resource, name)} not found`, { name, group: resource.group, kind: resource.plural });
    if (preconditions?.uid && preconditions.uid !== current.metadata.uid) throw new ApiError(409, 'Conflict', 'Precondition failed: UID does not match');
    if (preconditions?.resourceVersion && preconditions.resourceVersion !== current.metadata.resourceVersion) throw new ApiError(409, 'Conflict', 'Precondition failed: ResourceVersion does not match');
    if (!ignoreFinalizers && (current.metadata.finalizers ?? []).length > 0) {
      if (current.metadata.deletionTimestamp) return clone(current);
      const marked = clone(current);
      marked.metadata.deletionTimestamp = now();
      marked.metadata.resourceVersion = String(++this.resourceVersion);
      this.put(key, resource, marked);
      this.emit({ rv: this.resourceVersion, type: 'MODIFIED', resource, object: marked, old: current });
      return clone(marked);
    }
    this.put(key, resource, undefined);
    const gone = clone(current);
    gone.metadata.resourceVersion = String(++this.resourceVersion);
    this.emit({ rv: this.resourceVersion, type: 'DELETED', resource, object: deepFreeze(clone(gone)) });
    if (resource.kind === 'Namespace') this.removeNamespaceContents(name);
    return gone;
  }

  private removeNamespaceContents(namespace: string): void {
    for (const [key, object] of [...this.objects]) {
      if (object.metadata.namespace !== namespace) continue;
      const resource = this.resourceOfKey?.(key);
      this.objects.delete(key);
      if (resource) this.sorted.delete(resourceId(resource));
      const gone = clone(object);
      gone.metadata.resourceVersion = String(++this.resourceVersion);
      if (resource) this.emit({ rv: this.resourceVersion, type: 'DELETED', resource, object: deepFreeze(gone) });
    }
  }

  /** Set by the server so namespace deletion can name the resource of each object. */
  resourceOfKey?: (key: string) => Resource | undefined;
}
