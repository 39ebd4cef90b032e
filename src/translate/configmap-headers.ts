// The ingress-nginx ConfigMap's header keys and global request lists. Pure.
//
// - add-headers: `namespace/name` of a ConfigMap whose data are response
//   headers set on every answer (nginx's more_set_headers at http level);
// - proxy-set-headers: `namespace/name` of a ConfigMap whose data are request
//   headers set on every request sent to endpoints (proxy_set_header);
// - hide-headers: endpoint response headers removed (proxy_hide_header);
// - block-user-agents, block-referers: nginx map keys (exact strings compared
//   ignoring case, `~` regular expressions, `~*` ignoring case); a request
//   matching one is refused (403) on every host.
//
// The two named ConfigMaps are other objects: readConfigMap only checks the
// names, and resolveHeaderConfigMaps joins their data, per translation, with
// the grammar of the custom-headers annotation (custom-headers.ts). A
// missing ConfigMap, or a header outside the grammar, is a warning that
// leaves out only those headers.

import type { ConfigMap, ObjectRef } from '../objects/types.js';
import { keyOf } from '../objects/types.js';
import { namespaceName, objectName } from '../objects/grammar.js';
import type { BlockPattern, GlobalHeader, GlobalSettings } from '../model/globals.js';
import type { Diagnostic } from './diagnostics.js';
import { HEADER_NAME } from './annotations/grammars.js';
import { headersOfConfigMap } from './custom-headers.js';
import { headerSearchRegex } from './regex.js';
import { byNamespacedName } from './join.js';
import type { Reader } from './configmap.js';

export type HeaderKey = 'add-headers' | 'proxy-set-headers';

/** A ConfigMap of headers named by add-headers or proxy-set-headers, checked. */
export interface HeaderConfigMapRef {
  key: HeaderKey;
  namespace: string;
  name: string;
}

/**
 * Request headers that proxy-set-headers may not set: Host decides routing
 * (upstream-vhost sets it per Ingress), and the framing headers are HAProxy's.
 */
const FIXED_REQUEST_HEADERS = new Set(['host', 'content-length', 'transfer-encoding', 'connection', 'upgrade', 'te']);

/** `add-headers` or `proxy-set-headers`: a `namespace/name`, as ingress-nginx requires. */
export function headerConfigMapRef(reader: Reader, key: HeaderKey): HeaderConfigMapRef | undefined {
  const value = reader.raw(key);
  if (value === undefined || value === '') return undefined;
  const parts = value.split('/');
  if (parts.length !== 2 || namespaceName(parts[0]!).length > 0 || objectName(parts[1]!).length > 0) return reader.problem(key, 'must name a ConfigMap as namespace/name');
  return { key, namespace: parts[0]!, name: parts[1]! };
}

/** hide-headers: a comma-separated list of header names, lowercase and sorted. */
export function hideHeaders(reader: Reader): string[] | undefined {
  const value = reader.raw('hide-headers');
  if (value === undefined) return undefined;
  const names = value.split(',').map((name) => name.trim()).filter((name) => name !== '');
  const bad = names.find((name) => !HEADER_NAME.test(name));
  if (bad !== undefined) return reader.problem('hide-headers', `${JSON.stringify(bad)} is not a header name`);
  if (names.length > 64) return reader.problem('hide-headers', 'holds more than 64 names');
  return [...new Set(names.map((name) => name.toLowerCase()))].sort();
}

/** Text an exact entry may hold: printable ASCII with spaces, without quotes or backslashes. */
const EXACT = /^[\x20\x21\x23-\x26\x28-\x5b\x5d-\x7e]{1,1024}$/;
const MAX_ENTRIES = 256;

/** One entry of block-user-agents or block-referers, or why it is skipped. */
export function blockPattern(entry: string): BlockPattern | { problem: string } {
  if (!entry.startsWith('~')) {
    if (!EXACT.test(entry)) return { problem: 'an exact entry must be printable characters without quotes or backslashes' };
    return { kind: 'exact', text: entry };
  }
  const caseInsensitive = entry.startsWith('~*');
  const written = entry.slice(caseInsensitive ? 2 : 1).trim();
  if (written === '') return { problem: 'the regular expression is empty' };
  const regex = headerSearchRegex(written);
  if (!regex.ok) return { problem: `as a regular expression it ${regex.problem}` };
  return { kind: 'regex', pattern: regex.pattern, caseInsensitive };
}

/** block-user-agents or block-referers: the usable entries; each one outside the grammar is skipped with a warning naming it. */
export function blockList(reader: Reader, key: 'block-user-agents' | 'block-referers'): BlockPattern[] | undefined {
  const value = reader.raw(key);
  if (value === undefined) return undefined;
  const entries = [...new Set(value.split(',').map((entry) => entry.trim()).filter((entry) => entry !== ''))];
  if (entries.length > MAX_ENTRIES) return reader.problem(key, `holds more than ${MAX_ENTRIES} entries`);
  const out: BlockPattern[] = [];
  for (const entry of entries) {
    const pattern = blockPattern(entry);
    if ('problem' in pattern) reader.note(key, `entry ${JSON.stringify(entry.length > 80 ? `${entry.slice(0, 80)}…` : entry)}: ${pattern.problem}; the entry is skipped`);
    else out.push(pattern);
  }
  return out;
}

export interface ResolvedHeaders {
  globals: GlobalSettings;
  diagnostics: Diagnostic[];
}

const resolvedMemo = new WeakMap<object, { named: readonly (ConfigMap | undefined)[]; result: ResolvedHeaders }>();

/**
 * `globals` with the headers of the ConfigMaps `refs` name, looked up in
 * `configMaps`; the same result while those ConfigMaps are the same objects.
 * `object` is the ingress-nginx ConfigMap, which the warnings name.
 */
export function resolveHeaderConfigMaps(globals: GlobalSettings, refs: readonly HeaderConfigMapRef[], configMaps: readonly ConfigMap[], object: ObjectRef): ResolvedHeaders {
  if (refs.length === 0) return { globals, diagnostics: [] };
  const index = byNamespacedName(configMaps);
  const named = refs.map((ref) => index.get(keyOf(ref.namespace, ref.name)));
  const memo = resolvedMemo.get(globals);
  if (memo && memo.named.length === named.length && memo.named.every((one, i) => one === named[i])) return memo.result;
  const diagnostics: Diagnostic[] = [];
  const out: GlobalSettings = { ...globals };
  refs.forEach((ref, i) => {
    const field = `data[${JSON.stringify(ref.key)}]`;
    const configMap = named[i];
    if (!configMap) {
      diagnostics.push({ severity: 'warning', object, field, message: `ConfigMap ${keyOf(ref.namespace, ref.name)} not found; no headers are ${ref.key === 'add-headers' ? 'added to responses' : 'set on requests'} until it exists` });
      return;
    }
    const { headers, problems } = headersOfConfigMap(configMap);
    for (const problem of problems) diagnostics.push({ severity: 'warning', object, field, message: `${problem}; that header is left out` });
    let usable: GlobalHeader[] = headers;
    if (ref.key === 'proxy-set-headers') {
      usable = headers.filter((header) => !FIXED_REQUEST_HEADERS.has(header.name));
      for (const header of headers.filter((one) => FIXED_REQUEST_HEADERS.has(one.name))) {
        diagnostics.push({ severity: 'warning', object, field, message: `ConfigMap ${keyOf(ref.namespace, ref.name)}: Portero does not let proxy-set-headers set ${header.name}; that header is left out` });
      }
    }
    if (usable.length === 0) return;
    if (ref.key === 'add-headers') out.responseHeaders = usable;
    else out.requestHeaders = usable;
  });
  const result = { globals: out, diagnostics };
  resolvedMemo.set(globals, { named, result });
  return result;
}
