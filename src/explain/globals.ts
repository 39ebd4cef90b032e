// What the ingress-nginx ConfigMap's global settings (model/globals.ts) do
// to every request, in explain's words. They are not features of a backend
// (explain/features.ts) but of the frontends, so they apply whatever route
// the request takes. Pure.

import type { GlobalHeader, GlobalSettings } from '../model/globals.js';
import type { FeatureNote } from './types.js';

function headerList(headers: readonly GlobalHeader[]): string {
  return headers.map((header) => (header.value === undefined ? `${header.name} removed` : `${header.name}: ${header.value}`)).join('; ');
}

/** Whether an Accept-Encoding value lists gzip with a weight above zero. */
function acceptsGzip(headers: readonly [string, string][]): boolean {
  return headers.some(
    ([name, value]) =>
      name.toLowerCase() === 'accept-encoding' &&
      value.split(',').some((item) => {
        const [coding, ...params] = item.trim().toLowerCase().split(';');
        const weight = params.map((param) => /^\s*q=([0-9.]+)\s*$/.exec(param)?.[1]).find((q) => q !== undefined);
        return (coding?.trim() === 'gzip' || coding?.trim() === '*') && (weight === undefined || Number(weight) > 0);
      }),
  );
}

/** The header and compression settings of the ConfigMap, as notes on the request's features. */
export function globalFeatureNotes(globals: GlobalSettings | undefined, headers: readonly [string, string][]): FeatureNote[] {
  if (!globals) return [];
  const notes: FeatureNote[] = [];
  if (globals.requestHeaders?.length) notes.push({ name: 'proxy-set-headers', detail: `the request sent to the endpoints gets ${headerList(globals.requestHeaders)}` });
  if (globals.hideHeaders?.length) notes.push({ name: 'hide-headers', detail: `removed from the endpoints' answer: ${globals.hideHeaders.join(', ')}` });
  if (globals.responseHeaders?.length) notes.push({ name: 'add-headers', detail: `every answer gets ${headerList(globals.responseHeaders)}` });
  const compression = globals.compression;
  if (compression) {
    const accepted = acceptsGzip(headers) ? 'this request accepts gzip' : 'this request does not accept gzip (no Accept-Encoding: gzip)';
    const disabled = (compression.disableUserAgents?.length ?? 0) + (compression.msie6 ? 1 : 0);
    const except = disabled > 0 ? `, except for ${disabled} User-Agent pattern(s) of gzip-disable` : '';
    notes.push({ name: 'use-gzip', detail: `answers of type ${compression.types.join(', ')} are compressed with gzip${except}; ${accepted}` });
  }
  return notes;
}

/** The refusals every host shares (block-cidrs, block-user-agents, block-referers), as notes on the answer. */
export function globalAnswerNotes(globals: GlobalSettings | undefined): string[] {
  if (!globals) return [];
  const notes: string[] = [];
  if (globals.blockSources?.length) notes.push(`block-cidrs: clients in ${globals.blockSources.join(', ')} get 403`);
  if (globals.blockUserAgents?.length) notes.push(`block-user-agents: ${globals.blockUserAgents.length} User-Agent pattern(s) get 403`);
  if (globals.blockReferers?.length) notes.push(`block-referers: ${globals.blockReferers.length} Referer pattern(s) get 403`);
  return notes;
}
