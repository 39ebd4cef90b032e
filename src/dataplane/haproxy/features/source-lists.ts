// Pattern lists of a section, changed at runtime. Pure.
//
// A section's rules read its access lists by source address (allowlist-
// source-range, denylist-source-range) from `sources/<section>.allow` (or
// `.deny`), the clients its limits never count (limit-whitelist) from
// `sources/<section>.exempt`, and the origins its CORS allows (cors-allow-origin) from
// `sources/<section>.origins` (the Gateway API CORS filter's too: gateway-
// cors.ts; a section has one CORS or the other, never both), all loaded with `-f` when HAProxy loads the
// configuration; a new list is then `add acl` / `del acl` on that file,
// without a reload, like the values of settings.ts. Only whether a section
// has a list is part of its shape (settings.ts shapeKey).

import type { Features } from '../../../model/features.js';
import * as c from '../config-lines.js';
import { gatewayCorsOrigins } from './gateway-cors.js';
import { activeCors } from './settings.js';

export type PatternListKind = 'allow' | 'deny' | 'exempt' | 'origins';

const DIRECTORY = 'sources';

export interface PatternList {
  /** Relative to the generation directory. */
  path: string;
  kind: PatternListKind;
  /** The file's lines, each checked by its kind's grammar (patternOf). */
  patterns: readonly string[];
}

/** The pattern file of a section's list, relative to the generation directory. */
export function patternListPath(section: string, kind: PatternListKind): string {
  return `${DIRECTORY}/${c.ident(section).text}.${kind}`;
}

/** A line of a list, checked again by the grammar of the list its path names: a source address or range, or an origin's regular expression. */
export function patternOf(path: string, pattern: string): c.Safe {
  return path.endsWith('.origins') ? c.listRegex(pattern) : c.source(pattern);
}

/** The lists a section serving `features` has, denylist first (it is checked first). */
export function patternLists(section: string, features: Features | undefined): PatternList[] {
  const lists: PatternList[] = [];
  if (features?.denySources) lists.push({ path: patternListPath(section, 'deny'), kind: 'deny', patterns: features.denySources.map((source) => c.source(source).text) });
  if (features?.allowSources) lists.push({ path: patternListPath(section, 'allow'), kind: 'allow', patterns: features.allowSources.map((source) => c.source(source).text) });
  const exempt = features?.limits?.exempt;
  if (exempt && exempt.length > 0) lists.push({ path: patternListPath(section, 'exempt'), kind: 'exempt', patterns: exempt.map((source) => c.source(source).text) });
  const origins = activeCors(features)?.origins;
  if (origins) lists.push({ path: patternListPath(section, 'origins'), kind: 'origins', patterns: origins.map((origin) => c.originRegex(origin).text) });
  const gatewayOrigins = origins ? undefined : gatewayCorsOrigins(features?.gateway?.cors);
  if (gatewayOrigins) lists.push({ path: patternListPath(section, 'origins'), kind: 'origins', patterns: gatewayOrigins.map((origin) => c.gatewayOriginRegex(origin).text) });
  return lists;
}

/** A pattern file: one pattern per line, each checked. */
export function patternListFile(path: string, patterns: readonly string[]): string {
  return patterns.map((pattern) => `${patternOf(path, pattern).text}\n`).join('');
}

/** The rules of a section's access lists: 403 for a denied source, and for one an allowlist lacks. */
export function sourceListLines(section: string, features: Features, genDir: string): string[] {
  const lines: string[] = [];
  for (const { path, kind } of patternLists(section, features)) {
    const file = c.filePath(`${genDir}/${path}`);
    if (kind === 'deny') lines.push(c.line`  acl portero_deny src -f ${file}`, '  http-request deny deny_status 403 if portero_deny');
    if (kind === 'allow') lines.push(c.line`  acl portero_allow src -f ${file}`, '  http-request deny deny_status 403 if !portero_allow');
  }
  return lines;
}
