// What Portero should do with the manifest files of a step: the files are
// parsed and decoded exactly as the manifest source does (parseManifest,
// decodeObject with namespace `default`), then the pure translate runs with
// the options Portero runs with. Every generated object carries its own
// creationTimestamp, so decoding never needs a "first seen" time.

import { X509Certificate, createHash } from 'node:crypto';
import type { Model, Target } from '../../../src/model/model.js';
import { decodeObject } from '../../../src/objects/decode.js';
import { keyOf, SERVICE_NAME_LABEL, type KubeObject } from '../../../src/objects/types.js';
import { parseManifest } from '../../../src/source/manifests/parse.js';
import { translate, type Snapshot, type TranslateOptions, type Translation } from '../../../src/translate/translate.js';
import { snapshotOf } from '../translate.js';

export class HarnessError extends Error {}

function decodeOne(value: unknown, where: string): KubeObject {
  const result = decodeObject(value, {
    defaultNamespace: 'default',
    creationTimestampFor: (ref) => {
      throw new HarnessError(`generated object ${ref.kind} ${ref.namespace}/${ref.name} has no creationTimestamp`);
    },
  });
  if (result.status !== 'ok') throw new HarnessError(`generated object in ${where} is not accepted: ${JSON.stringify(result)}`);
  return result.object;
}

/** The objects of one file's content: decoded again only when the content changed, as the manifest source does. */
export class FileDecoder {
  private previous = new Map<string, { content: string; objects: KubeObject[] }>();

  /**
   * Decodes every file as the manifest source does; a generated object that
   * does not decode, or that two files define, is a bug of the generator, not
   * of Portero.
   */
  decode(files: ReadonlyMap<string, string | readonly unknown[]>): KubeObject[] {
    const objects: KubeObject[] = [];
    const seen = new Map<string, string>();
    const next = new Map<string, { content: string; objects: KubeObject[] }>();
    for (const [name, content] of [...files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      const text = typeof content === 'string' ? content : JSON.stringify(content);
      let entry = this.previous.get(name);
      if (entry?.content !== text) entry = { content: text, objects: decodeContent(name, content) };
      next.set(name, entry);
      for (const object of entry.objects) {
        const key = `${object.kind}/${keyOf(object.metadata.namespace, object.metadata.name)}`;
        const other = seen.get(key);
        if (other !== undefined) throw new HarnessError(`generated object ${key} is defined in both ${other} and ${name}`);
        seen.set(key, name);
        objects.push(object);
      }
    }
    this.previous = next;
    return objects;
  }
}

function decodeContent(name: string, content: string | readonly unknown[]): KubeObject[] {
  let values: readonly unknown[];
  if (typeof content === 'string') {
    const parsed = parseManifest(name, content);
    if (!parsed.ok) throw new HarnessError(`generated file ${name} does not parse: ${parsed.message}`);
    values = parsed.documents.map((document) => document.value);
  } else values = content;
  return values.map((value) => decodeOne(value, name));
}

/** Decodes files with no memory of earlier calls. */
export function decodeFiles(files: ReadonlyMap<string, string | readonly unknown[]>): KubeObject[] {
  return new FileDecoder().decode(files);
}


/** Facts about one step's objects and model that boundary detection and the generator's hints need. */
export interface Facts {
  model: Model;
  /** `namespace/name` of every Ingress, and of those Portero serves. */
  ingresses: Set<string>;
  served: Set<string>;
  /** `namespace/name` of Services that exist, and of those a served Ingress (or the flag) refers to. */
  services: Set<string>;
  referenced: Set<string>;
  /** Served Ingresses with spec.defaultBackend. */
  defaults: number;
  /** `namespace/service address` of endpoints listed as not ready, for referenced Services. */
  notReady: Set<string>;
}

export interface Expectation {
  translation: Translation;
  snapshot: Snapshot;
  facts: Facts;
}

/** `files`: manifest texts (parsed as the source parses them), or the objects themselves (for the pure simulation). */
export function expectFor(files: ReadonlyMap<string, string | readonly unknown[]>, options: TranslateOptions, previous?: Model, decoder = new FileDecoder()): Expectation {
  const snapshot = snapshotOf(decoder.decode(files));
  const translation = translate(snapshot, options, previous);
  return { translation, snapshot, facts: factsOf(snapshot, translation, options) };
}

function factsOf(snapshot: Snapshot, translation: Translation, options: TranslateOptions): Facts {
  const served = new Set(translation.served.map((ref) => keyOf(ref.namespace, ref.name)));
  const referenced = new Set<string>();
  let defaults = 0;
  for (const ingress of snapshot.ingresses) {
    const key = keyOf(ingress.metadata.namespace, ingress.metadata.name);
    if (!served.has(key)) continue;
    const refer = (name: string | undefined) => name !== undefined && referenced.add(keyOf(ingress.metadata.namespace, name));
    if (ingress.spec.defaultBackend) {
      defaults += 1;
      refer(ingress.spec.defaultBackend.service?.name);
    }
    for (const rule of ingress.spec.rules) for (const path of rule.http?.paths ?? []) refer(path.backend.service?.name);
  }
  if (options.defaultBackendService) referenced.add(keyOf(options.defaultBackendService.namespace, options.defaultBackendService.name));
  const notReady = new Set<string>();
  for (const slice of snapshot.endpointSlices) {
    const service = keyOf(slice.metadata.namespace, slice.metadata.labels[SERVICE_NAME_LABEL] ?? '');
    if (!referenced.has(service)) continue;
    for (const endpoint of slice.endpoints) if (endpoint.ready === false) for (const address of endpoint.addresses) notReady.add(`${service} ${address}`);
  }
  return {
    model: translation.model,
    ingresses: new Set(snapshot.ingresses.map((ingress) => keyOf(ingress.metadata.namespace, ingress.metadata.name))),
    served,
    services: new Set(snapshot.services.map((service) => keyOf(service.metadata.namespace, service.metadata.name))),
    referenced,
    defaults,
    notReady,
  };
}

// ---------------------------------------------------------------------------
// Certificates.

/** The first certificate of a PEM bundle (certificate chain and key). */
export function leafOf(pem: string): X509Certificate {
  const block = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/.exec(pem);
  if (!block) throw new HarnessError('PEM without a certificate');
  return new X509Certificate(block[0]);
}

const fingerprints = new Map<string, { sha256: string; sha1: string }>();

/** SHA-256 (as Node prints it for a peer certificate) and SHA-1 (as HAProxy's `show ssl cert` does) of the leaf. */
export function fingerprintsOf(pem: string): { sha256: string; sha1: string } {
  const key = createHash('sha256').update(pem).digest('hex');
  let result = fingerprints.get(key);
  if (!result) {
    const leaf = leafOf(pem);
    result = { sha256: leaf.fingerprint256, sha1: leaf.fingerprint.replace(/:/g, '') };
    if (fingerprints.size > 1000) fingerprints.clear();
    fingerprints.set(key, result);
  }
  return result;
}

export function describeTarget(target: Target): string {
  return target.kind === 'backend' ? target.id : target.kind;
}
