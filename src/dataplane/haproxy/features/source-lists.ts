// Access lists by source address (allowlist-source-range, denylist-source-
// range) as pattern files of their section, changed at runtime. Pure.
//
// A section's rule reads its list from `sources/<section>.allow` (or
// `.deny`), loaded with `-f` when HAProxy loads the configuration; a new list
// of addresses is then `add acl` / `del acl` on that file, without a reload,
// like the values of settings.ts. Only whether a section has a list is part
// of its shape (settings.ts shapeKey).

import type { Features } from '../../../model/features.js';
import * as c from '../config-lines.js';

export type SourceListKind = 'allow' | 'deny';

const DIRECTORY = 'sources';

/** The pattern file of a section's list, relative to the generation directory. */
export function sourceListPath(section: string, kind: SourceListKind): string {
  return `${DIRECTORY}/${c.ident(section).text}.${kind}`;
}

/** The lists a section serving `features` has, denylist first (it is checked first). */
export function sourceLists(section: string, features: Features | undefined): { path: string; kind: SourceListKind; sources: readonly string[] }[] {
  const lists: { path: string; kind: SourceListKind; sources: readonly string[] }[] = [];
  if (features?.denySources) lists.push({ path: sourceListPath(section, 'deny'), kind: 'deny', sources: features.denySources });
  if (features?.allowSources) lists.push({ path: sourceListPath(section, 'allow'), kind: 'allow', sources: features.allowSources });
  return lists;
}

/** A pattern file: one address or range per line, each checked. */
export function sourceListFile(sources: readonly string[]): string {
  return sources.map((source) => `${c.source(source).text}\n`).join('');
}

/** The rules of a section's lists: 403 for a denied source, and for one an allowlist lacks. */
export function sourceListLines(section: string, features: Features, genDir: string): string[] {
  const lines: string[] = [];
  for (const { path, kind } of sourceLists(section, features)) {
    const file = c.filePath(`${genDir}/${path}`);
    if (kind === 'deny') lines.push(c.line`  acl portero_deny src -f ${file}`, '  http-request deny deny_status 403 if portero_deny');
    else lines.push(c.line`  acl portero_allow src -f ${file}`, '  http-request deny deny_status 403 if !portero_allow');
  }
  return lines;
}
