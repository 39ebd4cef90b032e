// Evaluates the rendered map files the way the rendered HAProxy rules do
// (host by field(1,:),lower; map_str exact lookups; map_beg longest-prefix
// lookups; the wildcard key made by regsub(^[^.]*,*)), so unit tests can check
// that the files implement the same routing as the reference matcher in
// src/model/match.ts.

import type { Model } from '../../src/model/model.js';
import { HOSTLESS_LEVEL, mapContents } from '../../src/dataplane/haproxy/render-files.js';

function toMap(entries: { key: string; value: { text: string } }[]): Map<string, string> {
  return new Map(entries.map((entry) => [entry.key, entry.value.text]));
}

/** The backend name HAProxy would pick for a request. */
export function simulateMaps(model: Model, hostHeader: string, pathWithQuery: string): string {
  const maps = mapContents(model);
  const hosts = toMap(maps.hosts);
  const exact = toMap(maps.exact);
  const prefix = maps.prefix.map((entry) => ({ key: entry.key, value: entry.value.text }));
  // req.hdr(host),field(1,:),lower — a trailing dot is matched by the maps themselves.
  const host = (hostHeader.split(':')[0] ?? '').toLowerCase();
  const path = pathWithQuery.split('?')[0] ?? '';
  const level = hosts.get(host) ?? hosts.get(host.replace(/^[^.]*/, '*')) ?? HOSTLESS_LEVEL;
  const key = `${level}${path}`;
  const exactHit = exact.get(key);
  if (exactHit !== undefined) return exactHit;
  let best: { key: string; value: string } | undefined;
  for (const entry of prefix) {
    if (`${key}/`.startsWith(entry.key) && (!best || entry.key.length > best.key.length)) best = entry;
  }
  return best ? best.value : 'portero:not-found';
}
