// Evaluates the rendered map files the way the rendered HAProxy rules do
// (host by field(1,:),lower; map_str exact lookups; map_beg longest-prefix
// lookups; the wildcard key made by regsub(^[^.]*,*); for a route key, its
// list in candidates.map as the Lua evaluates it), so unit tests can check
// that the files implement the same routing as the reference matcher in
// src/model/match.ts.

import type { Model } from '../../src/model/model.js';
import type { RequestParts } from '../../src/model/match.js';
import { HOSTLESS_LEVEL, mapContents } from '../../src/dataplane/haproxy/render-files.js';
import type { BackendNames } from '../../src/dataplane/haproxy/structure.js';
import { evaluateList, parseCandidateList, wholeList } from './candidates.js';

function toMap(entries: { key: string; value: { text: string } }[]): Map<string, string> {
  return new Map(entries.map((entry) => [entry.key, entry.value.text]));
}

/** The backend name HAProxy's map lookups give a request: a route key `?…` for a route with candidates. */
export function simulateMaps(model: Model, hostHeader: string, pathWithQuery: string, names?: BackendNames): string {
  const maps = mapContents(model, names);
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

/** The backends (with weights) a request may get through the maps, candidate lists included. */
export function simulateShares(model: Model, hostHeader: string, pathWithQuery: string, parts: RequestParts, names?: BackendNames): { weight: number; backend: string }[] {
  const routed = simulateMaps(model, hostHeader, pathWithQuery, names);
  if (!routed.startsWith('?')) return [{ weight: 1, backend: routed }];
  const candidates = toMap(mapContents(model, names).candidates);
  const list = wholeList((key) => candidates.get(key), routed);
  if (list === undefined) throw new Error(`route key ${routed} has no complete list in candidates.map`);
  return evaluateList(parseCandidateList(list), pathWithQuery, parts);
}
