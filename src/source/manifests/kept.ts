// The objects a manifest file keeps as "last good" (an invalid edit, a file
// that does not parse), saved in the state directory so that a restart keeps
// them too: without it a restart would turn a refused edit into an outage.
//
// The file is written only when that set changes (usually it stays empty and
// the file absent), atomically (a temporary file, then a rename) and with mode
// 0600, as it may hold TLS keys. Objects are saved as manifests and decoded
// again on load, with the same checks as any manifest: a damaged state file
// can never hand the rest of Portero an object it would not accept.

import { randomBytes } from 'node:crypto';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { decodeObject, type DecodeOptions } from '../../objects/decode.js';
import { apiVersionOf, type KubeObject, type SecretAuth, type SecretCa } from '../../objects/types.js';
import type { Logger } from '../../telemetry/log.js';
import { objectKey } from './file-objects.js';

export const KEPT_FILE_NAME = 'manifests-kept.json';
const FORMAT_VERSION = 1;

/** Kept objects: file (relative to the manifest directory) → object key → object. */
export type KeptObjects = Map<string, Map<string, KubeObject>>;

/** A decoded object written back as the manifest it came from (the fields Portero reads). */
export function toManifest(object: KubeObject): Record<string, unknown> {
  const base = { apiVersion: apiVersionOf(object.kind), kind: object.kind, metadata: object.metadata };
  switch (object.kind) {
    case 'Ingress':
    case 'IngressClass':
    case 'Service':
    case 'GatewayClass':
    case 'Gateway':
    case 'HTTPRoute':
    case 'GRPCRoute':
    case 'ReferenceGrant':
      // Gateway API objects carry their defaults filled in; decoding them again gives the same object.
      return { ...base, spec: object.spec };
    case 'Namespace':
      return base;
    case 'EndpointSlice':
      return {
        ...base,
        addressType: object.addressType,
        endpoints: object.endpoints.map((endpoint) => ({ addresses: endpoint.addresses, ...(endpoint.ready !== undefined ? { conditions: { ready: endpoint.ready } } : {}) })),
        ports: object.ports,
      };
    case 'ConfigMap':
      return { ...base, data: object.data };
    case 'Secret': {
      const ca = object.ca ? caStringData(object.ca) : {};
      if (object.auth) return { ...base, type: object.type, stringData: { ...authStringData(object.auth), ...ca } };
      return {
        ...base,
        type: object.type,
        stringData: { ...(object.tls.crt !== undefined ? { 'tls.crt': object.tls.crt } : {}), ...(object.tls.key !== undefined ? { 'tls.key': object.tls.key } : {}), ...ca },
      };
    }
  }
}

/** The kept CA keys as they were read; a key that could not be read is written as text that is no PEM, so that it is refused again. */
function caStringData(ca: SecretCa): Record<string, string> {
  if (ca.problem !== undefined) return { 'ca.crt': REFUSED };
  return { ...(ca.crt !== undefined ? { 'ca.crt': ca.crt } : {}), ...(ca.crl !== undefined ? { 'ca.crl': ca.crl } : {}) };
}

/**
 * The kept credentials written so that decoding them again gives the same
 * users (only names and hashes were kept). Credentials that were refused
 * are written as a value that is refused again, so they still deny.
 */
function authStringData(auth: SecretAuth): Record<string, string> {
  if (auth.file) return { auth: 'problem' in auth.file ? REFUSED : auth.file.users.map((user) => `${user.name}:${user.hash}\n`).join('') };
  if ('problem' in auth.map) return { auth: REFUSED };
  return Object.fromEntries(auth.map.users.map((user) => [user.name, user.hash]));
}

const REFUSED = 'refused';

function sameObjects(a: KeptObjects, b: KeptObjects): boolean {
  if (a.size !== b.size) return false;
  for (const [file, objects] of a) {
    const other = b.get(file);
    if (!other || other.size !== objects.size) return false;
    for (const [key, object] of objects) if (other.get(key) !== object) return false;
  }
  return true;
}

export class KeptStore {
  private saved: KeptObjects = new Map();
  private writing: Promise<void> = Promise.resolve();

  /** `stateDir` undefined: nothing is saved or loaded. */
  constructor(
    private readonly stateDir: string | undefined,
    private readonly log: Logger,
  ) {}

  private get path(): string | undefined {
    return this.stateDir === undefined ? undefined : join(this.stateDir, KEPT_FILE_NAME);
  }

  /** What the last run kept; entries that no longer decode are dropped with a warning. */
  async load(options: DecodeOptions): Promise<KeptObjects> {
    const kept: KeptObjects = new Map();
    const path = this.path;
    if (path === undefined) return kept;
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch {
      return kept; // none saved
    }
    let entries: unknown;
    try {
      const parsed = JSON.parse(text) as { version?: unknown; entries?: unknown };
      if (parsed.version !== FORMAT_VERSION || !Array.isArray(parsed.entries)) throw new Error(`not a version ${FORMAT_VERSION} file`);
      entries = parsed.entries;
    } catch (error) {
      this.log.warn({ file: path, err: (error as Error).message }, 'cannot read the saved last good versions; they are not used');
      return kept;
    }
    for (const entry of entries as unknown[]) {
      const { file, object } = (typeof entry === 'object' && entry !== null ? entry : {}) as { file?: unknown; object?: unknown };
      const result = decodeObject(object, options);
      if (typeof file !== 'string' || result.status !== 'ok') {
        this.log.warn({ file: path }, 'a saved last good version is damaged; it is not used');
        continue;
      }
      let objects = kept.get(file);
      if (!objects) kept.set(file, (objects = new Map()));
      const { kind, metadata } = result.object;
      objects.set(objectKey({ kind, namespace: metadata.namespace, name: metadata.name }), result.object);
    }
    this.saved = kept;
    return kept;
  }

  /** Saves `kept` if it differs from what was saved last; writes are serialized, the newest wins. */
  save(kept: KeptObjects): void {
    const path = this.path;
    if (path === undefined || sameObjects(kept, this.saved)) return;
    this.saved = kept;
    this.writing = this.writing.then(() => this.write(path, kept)).catch((error: unknown) => {
      this.log.error({ file: path, err: (error as Error).message }, 'cannot save the last good versions; a restart would not keep them');
    });
  }

  /** Resolves once every save so far is on disk. */
  flush(): Promise<void> {
    return this.writing;
  }

  private async write(path: string, kept: KeptObjects): Promise<void> {
    if (kept !== this.saved) return; // a newer save follows
    if (kept.size === 0) {
      await rm(path, { force: true });
      return;
    }
    const entries = [...kept].flatMap(([file, objects]) => [...objects.values()].map((object) => ({ file, object: toManifest(object) })));
    const temporary = join(dirname(path), `.${KEPT_FILE_NAME}.${randomBytes(6).toString('hex')}.tmp`);
    try {
      await writeFile(temporary, `${JSON.stringify({ version: FORMAT_VERSION, entries })}\n`, { mode: 0o600 });
      await rename(temporary, path);
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
  }
}
