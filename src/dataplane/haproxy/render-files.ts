// model → the map files, crt-list and PEM files of one generation. Pure.
//
// Routing uses maps, not one ACL per rule (see notes/haproxy-2.6.md §4):
//   hosts.map     host or `*.wildcard` → itself: which host level a request is on
//   exact.map     level + path → backend, for Exact paths
//   prefix.map    level + prefix + `/` → backend, looked up with map_beg on
//                 level + path + `/`: a prefix tree where the longest key wins,
//                 and the added `/` on both sides makes the match element-wise
//   fallback.map  level → backend for requests that match none of its paths
//   redirect.map  TLS hosts whose plain-HTTP requests get a 308 to HTTPS
// The host-less level's key is `_`, which no valid host can be.

import type { Model, Target } from '../../model/model.js';
import { crtList, hostName, ident, mapFile, type MapEntry, type Safe } from './config-lines.js';
import { GENERATION_FILES } from './layout.js';

export const HOSTLESS_LEVEL = '_';
export const NOT_FOUND_BACKEND = 'portero:not-found';
export const UNAVAILABLE_BACKEND = 'portero:unavailable';

export interface RenderedFile {
  /** Relative to the generation directory. */
  path: string;
  content: string;
  mode: number;
}

export function backendName(target: Target): Safe {
  switch (target.kind) {
    case 'backend':
      return ident(target.id);
    case 'unavailable':
      return ident(UNAVAILABLE_BACKEND);
    case 'not-found':
      return ident(NOT_FOUND_BACKEND);
  }
}

function levelKey(host: string): string {
  return host === '' ? HOSTLESS_LEVEL : hostName(host).text;
}

export function certificateFile(id: string): string {
  return `${GENERATION_FILES.certsDir}/${ident(id).text}.pem`;
}

export interface MapContents {
  hosts: MapEntry[];
  exact: MapEntry[];
  prefix: MapEntry[];
  fallback: MapEntry[];
  redirect: MapEntry[];
}

export function mapContents(model: Model): MapContents {
  const maps: MapContents = { hosts: [], exact: [], prefix: [], fallback: [], redirect: [] };
  let hasHostless = false;
  for (const level of model.levels) {
    const key = levelKey(level.host);
    if (level.host === '') hasHostless = true;
    else maps.hosts.push({ key, value: hostName(level.host) });
    for (const route of level.routes) {
      if (route.match === 'exact') maps.exact.push({ key: `${key}${route.path}`, value: backendName(route.target) });
      else maps.prefix.push({ key: `${key}${route.path}/`, value: backendName(route.target) });
    }
    maps.fallback.push({ key, value: backendName(level.fallback) });
  }
  if (!hasHostless) maps.fallback.push({ key: HOSTLESS_LEVEL, value: backendName(model.catchAll) });
  for (const host of model.redirectHosts) maps.redirect.push({ key: hostName(host).text, value: ident('1') });
  return maps;
}

function errorFile(status: string, body: string): string {
  return `HTTP/1.1 ${status}\r\ncontent-type: text/plain; charset=utf-8\r\ncache-control: no-cache\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
}

/** Every file of a generation; `genDir` is the absolute directory they will live in. */
export function renderFiles(model: Model, genDir: string): RenderedFile[] {
  const maps = mapContents(model);
  const files: RenderedFile[] = [
    { path: GENERATION_FILES.hostsMap, content: mapFile(maps.hosts), mode: 0o644 },
    { path: GENERATION_FILES.exactMap, content: mapFile(maps.exact), mode: 0o644 },
    { path: GENERATION_FILES.prefixMap, content: mapFile(maps.prefix), mode: 0o644 },
    { path: GENERATION_FILES.fallbackMap, content: mapFile(maps.fallback), mode: 0o644 },
    { path: GENERATION_FILES.redirectMap, content: mapFile(maps.redirect), mode: 0o644 },
    { path: GENERATION_FILES.error503, content: errorFile('503 Service Unavailable', '503 Service Unavailable: no ready endpoints\n'), mode: 0o644 },
  ];
  const crtEntries = [{ file: `${genDir}/${certificateFile(model.defaultCertificate.id)}`, sni: [] as string[] }];
  files.push({ path: certificateFile(model.defaultCertificate.id), content: model.defaultCertificate.pem, mode: 0o600 });
  for (const certificate of model.certificates) {
    files.push({ path: certificateFile(certificate.id), content: certificate.pem, mode: 0o600 });
    crtEntries.push({ file: `${genDir}/${certificateFile(certificate.id)}`, sni: certificate.hosts });
  }
  files.push({ path: GENERATION_FILES.crtList, content: crtList(crtEntries), mode: 0o644 });
  return files;
}
