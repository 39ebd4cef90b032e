// custom-headers: the ConfigMap an Ingress names, joined into its features
// as response headers. A missing ConfigMap, a header name not allowed by
// global-allowed-response-headers, or a value Portero cannot render denies
// the Ingress's paths (503) with a warning. Pure.

import type { ConfigMap, Ingress } from '../objects/types.js';
import { keyOf } from '../objects/types.js';
import type { AnnotationSettings } from './annotations/index.js';
import type { CustomHeadersSpec } from './annotations/custom-headers.js';
import { HEADER_NAME } from './annotations/grammars.js';
import { byNamespacedName, makeJoin, type JoinResult } from './join.js';
import type { OptionsOf } from './routes.js';

/**
 * Printable ASCII and spaces, without `$` (nginx variables are not
 * evaluated), `'` or backslashes; double quotes are plain characters of the
 * value (nginx writes them escaped): config-lines' logFormatValue.
 */
const VALUE = /^[\x20-\x23\x25-\x26\x28-\x5b\x5d-\x7e]{0,1024}$/;
const MAX_HEADERS = 64;

export interface HeaderData {
  /** The usable headers, lowercase names sorted; an empty value (no `value`) removes the header, as more_set_headers does. */
  headers: { name: string; value?: string }[];
  /** Why some headers are left out, each naming the ConfigMap and the header. */
  problems: string[];
}

/**
 * The data of a ConfigMap of headers (custom-headers, and the ingress-nginx
 * ConfigMap's add-headers and proxy-set-headers): each key a header name,
 * each value its value, both through a strict grammar. Pure.
 */
export function headersOfConfigMap(configMap: ConfigMap): HeaderData {
  const name = keyOf(configMap.metadata.namespace, configMap.metadata.name);
  const names = Object.keys(configMap.data).sort();
  if (names.length > MAX_HEADERS) return { headers: [], problems: [`ConfigMap ${name} holds more than ${MAX_HEADERS} headers`] };
  const headers: { name: string; value?: string }[] = [];
  const problems: string[] = [];
  for (const header of names) {
    const value = configMap.data[header]!.trim();
    if (!HEADER_NAME.test(header)) problems.push(`ConfigMap ${name}: ${JSON.stringify(header.slice(0, 64))} is not a header name`);
    else if (!VALUE.test(value)) problems.push(`ConfigMap ${name}: the value of ${header} holds characters Portero does not set ($, single quotes, backslashes, control characters) or is longer than 1024`);
    else headers.push(value === '' ? { name: header.toLowerCase() } : { name: header.toLowerCase(), value });
  }
  return { headers, problems };
}

const joinCustomHeaders = makeJoin<CustomHeadersSpec, ConfigMap>({
  annotation: 'custom-headers',
  specOf: (options) => options.customHeaders,
  lookup: (spec, configMaps) => byNamespacedName(configMaps).get(keyOf(spec.namespace, spec.name)),
  join(features, spec, configMap) {
    const name = keyOf(spec.namespace, spec.name);
    if (!configMap) return { problem: `ConfigMap ${name} not found` };
    const { headers, problems } = headersOfConfigMap(configMap);
    if (problems.length > 0) return { problem: problems[0]! };
    // Named as written in the ConfigMap.
    const refused = Object.keys(configMap.data).sort().find((header) => !spec.allowed.includes(header.toLowerCase()));
    if (refused !== undefined) return { problem: `ConfigMap ${name}: header ${refused} is not allowed; list it in the ingress-nginx ConfigMap's global-allowed-response-headers` };
    return { features: headers.length === 0 ? features : { ...features, responseHeaders: headers } };
  },
});

/** `optionsOf` with each Ingress's custom-headers ConfigMap joined in. */
export function withCustomHeaders(optionsOf: OptionsOf, ingresses: readonly Ingress[], configMaps: readonly ConfigMap[], settings: AnnotationSettings): JoinResult {
  return joinCustomHeaders(optionsOf, ingresses, configMaps, settings);
}
