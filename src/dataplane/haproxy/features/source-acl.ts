// An ACL of source addresses, on as many lines as it takes.

import * as c from '../config-lines.js';

/** At most this many addresses or ranges per ACL line; an ACL defined on several lines matches any of them. */
const SOURCES_PER_LINE = 16;

export function sourceAcl(name: string, sources: readonly string[]): string[] {
  const lines: string[] = [];
  for (let i = 0; i < sources.length; i += SOURCES_PER_LINE) {
    const chunk = c.join(sources.slice(i, i + SOURCES_PER_LINE).map(c.source), ' ');
    lines.push(c.line`  acl ${c.ident(name)} src ${chunk}`);
  }
  return lines;
}
