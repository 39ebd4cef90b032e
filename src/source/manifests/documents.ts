// The documents of a YAML stream, as slices of its text: a stream is split
// at `---` and `...` lines, which YAML forbids inside any scalar at the start
// of a line, so each document can be parsed (and, when an error must name a
// line, parsed again with positions) on its own. Pure.

/** One YAML document of a stream: `text.slice(start, end)`. */
export interface DocumentSlice {
  start: number;
  end: number;
}

function isMarker(text: string, at: number, marker: '---' | '...'): boolean {
  if (!text.startsWith(marker, at)) return false;
  const next = text.charCodeAt(at + 3);
  return Number.isNaN(next) || next === 0x0a || next === 0x20 || next === 0x09 || next === 0x0d;
}

/**
 * Splits a stream at `---` and `...` lines (which YAML forbids inside any
 * scalar at the start of a line); undefined when the stream has directives,
 * which a parser must read whole.
 */
export function splitDocuments(text: string): DocumentSlice[] | undefined {
  const slices: DocumentSlice[] = [];
  let start = 0;
  for (let at = 0; at < text.length; ) {
    const newline = text.indexOf('\n', at);
    const next = newline === -1 ? text.length : newline + 1;
    if (text.charCodeAt(at) === 0x25 /* % */) return undefined;
    if (isMarker(text, at, '---')) {
      if (at > start) slices.push({ start, end: at });
      start = at;
    } else if (isMarker(text, at, '...')) {
      slices.push({ start, end: next });
      start = next;
    }
    at = next;
  }
  if (start < text.length) slices.push({ start, end: text.length });
  return slices;
}

/** Offset of the first line of `slice` that holds content (not blank, a comment or a marker). */
export function contentStart(text: string, slice: DocumentSlice): number {
  for (let at = slice.start; at < slice.end; ) {
    const newline = text.indexOf('\n', at);
    const end = newline === -1 || newline > slice.end ? slice.end : newline;
    let start = at;
    while (start < end && text.charCodeAt(start) === 0x20) start += 1;
    const marker = isMarker(text, at, '---') || isMarker(text, at, '...');
    if (!marker && start < end && text.charCodeAt(start) !== 0x23) return start;
    at = end + 1;
  }
  return slice.start;
}
