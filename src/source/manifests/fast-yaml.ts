// A fast reader for the plain block-style YAML that kubectl, Helm and most
// people write, used before the yaml package and never instead of it: for
// anything outside a narrow subset it answers FALLBACK and the document goes
// to the yaml package. Pure.
//
// Why: the yaml package builds a token stream, a syntax tree and a document
// model for every document, about 0.7 MB/s on this project's machines; 10,000
// Ingresses with their Services and EndpointSlices (10 MB) took over 10 s of
// CPU to start. This reader turns the same text into values directly.
//
// The subset: block mappings with plain keys, block sequences (also at the
// key's indentation, and compact `- key: value`), single-line plain,
// single-quoted and double-quoted scalars resolved with the YAML 1.2 core
// schema exactly as the yaml package resolves them, empty `[]`/`{}`, and
// comments. Anything else (anchors, aliases, tags, block scalars, flow
// collections, multi-line scalars, tabs, CR, directives, duplicate or
// non-string keys, `__proto__`) falls back. test/unit/manifests-fast-yaml.test.ts
// compares the two on generated documents.

export const FALLBACK: unique symbol = Symbol('fallback');
/** Thrown (one shared instance, no stack to capture) when the text leaves the subset. */
const unsupported = new Error('outside the fast subset');

/** One YAML document of a stream: `text.slice(start, end)`. */
export interface DocumentSlice {
  start: number;
  end: number;
}

/** Characters that send a document to the yaml package: tab, CR, BOM, control and non-ASCII-safe characters. */
const UNSUPPORTED_CHARACTER = /[\x00-\x08\x09\x0b-\x1f\x7f-\x9f\r\ufeff\ud800-\udfff]/;

function isMarker(text: string, at: number, marker: '---' | '...'): boolean {
  if (!text.startsWith(marker, at)) return false;
  const next = text.charCodeAt(at + 3);
  return Number.isNaN(next) || next === 0x0a || next === 0x20 || next === 0x09 || next === 0x0d;
}

/**
 * Splits a stream at `---` and `...` lines (which YAML forbids inside any
 * scalar at the start of a line); undefined when the stream has directives,
 * which the yaml package must read whole.
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

/**
 * Plain keys: a safe first character, then anything but spaces (managedFields
 * keys such as `f:metadata` and `k:{"port":80}` included); a key ending in
 * `:` goes to the yaml package.
 */
const KEY = /^[A-Za-z0-9_][^\s]*(?<!:)$/;
const NULL = /^(?:~|[Nn]ull|NULL)?$/;
const BOOL = /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/;
const INT_OCT = /^0o[0-7]+$/;
const INT = /^[-+]?[0-9]+$/;
const INT_HEX = /^0x[0-9a-fA-F]+$/;
const FLOAT_NAN = /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/;
const FLOAT_EXP = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/;
const FLOAT = /^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/;

/** A plain scalar's value under the YAML 1.2 core schema, in the yaml package's order of tags. */
export function resolvePlain(text: string): unknown {
  const first = text.charCodeAt(0);
  // Most values are names: a letter other than those that start null, true, false.
  if ((first >= 0x61 && first <= 0x7a) || (first >= 0x41 && first <= 0x5a)) {
    if (!'nNtTfF'.includes(text[0]!)) return text;
  }
  if (NULL.test(text)) return null;
  if (BOOL.test(text)) return first === 0x74 || first === 0x54;
  if (INT_OCT.test(text)) return parseInt(text.substring(2), 8);
  if (INT.test(text)) return parseInt(text, 10);
  if (INT_HEX.test(text)) return parseInt(text.substring(2), 16);
  if (FLOAT_NAN.test(text)) return text.slice(-3).toLowerCase() === 'nan' ? NaN : text[0] === '-' ? -Infinity : Infinity;
  if (FLOAT_EXP.test(text) || FLOAT.test(text)) return parseFloat(text);
  return text;
}

/**
 * Values every manifest repeats: one shared copy each instead of one per
 * object (ten thousand `http`, `TCP` and `default` strings otherwise).
 */
const COMMON = new Map(
  ['default', 'http', 'https', 'TCP', 'UDP', 'SCTP', 'Prefix', 'Exact', 'ImplementationSpecific', 'IPv4', 'IPv6', 'FQDN', 'ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName', 'portero', 'v1', 'Ingress', 'Service', 'EndpointSlice', 'Secret', 'IngressClass', 'networking.k8s.io/v1', 'discovery.k8s.io/v1', 'kubernetes.io/tls', 'kubernetes.io/service-name', 'kubernetes.io/ingress.class'].map((value) => [value, value]),
);

/**
 * A string that does not share memory with the file's text. V8 represents a
 * substring of 13 characters or more as a view into its parent, so one kept
 * host name would keep the whole file's text alive; concatenating and slicing
 * makes it a view into a private copy instead.
 */
function owned(value: string): string {
  const common = COMMON.get(value);
  if (common !== undefined) return common;
  return value.length < 13 ? value : (' ' + value).slice(1);
}

const ESCAPES: Record<string, string> = { '\\': '\\', '"': '"', '/': '/', n: '\n', t: '\t', r: '\r', '0': '\0', b: '\b', f: '\f', ' ': ' ' };

/** A content line (not blank, not a comment) of the document being read. */
interface Line {
  indent: number;
  /** Offset of the first character after the indentation. */
  start: number;
  /** Offset of the end of the line (its newline, or the end of the slice). */
  end: number;
}

class Reader {
  // Content lines as three columns rather than an object each: a 16 MiB
  // document of short lines would otherwise cost hundreds of megabytes.
  private readonly indents: Int32Array;
  private readonly starts: Int32Array;
  private readonly ends: Int32Array;
  private count = 0;
  private index = 0;

  constructor(private readonly text: string, slice: DocumentSlice) {
    const body = text.slice(slice.start, slice.end);
    if (UNSUPPORTED_CHARACTER.test(body)) throw unsupported;
    let lines = 1;
    for (let at = text.indexOf('\n', slice.start); at !== -1 && at < slice.end; at = text.indexOf('\n', at + 1)) lines += 1;
    this.indents = new Int32Array(lines);
    this.starts = new Int32Array(lines);
    this.ends = new Int32Array(lines);
    for (let at = slice.start; at < slice.end; ) {
      const newline = text.indexOf('\n', at);
      const end = newline === -1 || newline > slice.end ? slice.end : newline;
      let start = at;
      while (start < end && text.charCodeAt(start) === 0x20) start += 1;
      const marker = at === slice.start && (isMarker(text, at, '---') || isMarker(text, at, '...'));
      if (marker || isMarker(text, at, '...')) {
        // Only a comment may follow a marker here; `--- value` is for the yaml package.
        let rest = at + 3;
        while (rest < end && text.charCodeAt(rest) === 0x20) rest += 1;
        if (rest < end && (text.charCodeAt(rest) !== 0x23 || rest === at + 3)) throw unsupported;
      } else if (start < end && text.charCodeAt(start) !== 0x23 /* # */) {
        this.indents[this.count] = start - at;
        this.starts[this.count] = start;
        this.ends[this.count] = end;
        this.count += 1;
      }
      at = end + 1;
    }
  }

  read(): unknown {
    if (this.count === 0) return null;
    const value = this.block(this.indents[0]!);
    if (this.index < this.count) throw unsupported;
    return value;
  }

  /** Offset of `search` in `[from, end)`, or -1: searches never run past the line. */
  private find(search: string, from: number, end: number): number {
    const first = search.charCodeAt(0);
    for (let at = from; at + search.length <= end; at += 1) {
      if (this.text.charCodeAt(at) === first && (search.length === 1 || this.text.startsWith(search, at))) return at;
    }
    return -1;
  }

  private get current(): Line | undefined {
    const index = this.index;
    return index < this.count ? { indent: this.indents[index]!, start: this.starts[index]!, end: this.ends[index]! } : undefined;
  }

  private isDash(line: Line): boolean {
    return this.text.charCodeAt(line.start) === 0x2d && (line.start + 1 === line.end || this.text.charCodeAt(line.start + 1) === 0x20);
  }

  /** The collection starting at the current line, whose indentation is `indent`. */
  private block(indent: number): unknown {
    return this.isDash(this.current!) ? this.sequence(indent) : this.mapping(indent);
  }

  private sequence(indent: number): unknown[] {
    const items: unknown[] = [];
    for (let line = this.current; line && line.indent === indent && this.isDash(line); line = this.current) {
      let at = line.start + 1;
      while (at < line.end && this.text.charCodeAt(at) === 0x20) at += 1;
      if (at === line.end || this.text.charCodeAt(at) === 0x23) {
        if (at !== line.end && at === line.start + 1) throw unsupported; // `-#`
        this.index += 1;
        const next = this.current;
        items.push(next && next.indent > indent ? this.block(next.indent) : null);
      } else if (this.isDash({ indent: 0, start: at, end: line.end })) {
        throw unsupported; // `- - x`
      } else if (this.keyAt(at, line.end) !== undefined) {
        // `- key: value`: a mapping whose indentation is the key's column.
        const column = at - (line.start - line.indent);
        this.indents[this.index] = column;
        this.starts[this.index] = at;
        items.push(this.mapping(column));
      } else {
        items.push(this.scalar(at, line.end));
        this.index += 1;
        this.noContinuation(indent);
      }
    }
    const rest = this.current;
    if (rest && rest.indent > indent) throw unsupported;
    return items;
  }

  /** The end of a `key:` at `at` (the offset after the colon), if the line holds one. */
  private keyAt(at: number, end: number): number | undefined {
    for (let colon = this.find(':', at, end); colon !== -1; colon = this.find(':', colon + 1, end)) {
      if (colon + 1 === end || this.text.charCodeAt(colon + 1) === 0x20) return colon;
    }
    return undefined;
  }

  private mapping(indent: number): Record<string, unknown> {
    const map: Record<string, unknown> = {};
    for (let line = this.current; line && line.indent === indent && !this.isDash(line); line = this.current) {
      const colon = this.keyAt(line.start, line.end);
      if (colon === undefined) throw unsupported;
      const key = this.text.slice(line.start, colon);
      if (!KEY.test(key) || typeof resolvePlain(key) !== 'string' || key === '__proto__' || Object.hasOwn(map, key)) throw unsupported;
      let at = colon + 1;
      while (at < line.end && this.text.charCodeAt(at) === 0x20) at += 1;
      this.index += 1;
      if (at === line.end || this.text.charCodeAt(at) === 0x23) {
        if (at !== line.end && at === colon + 1) throw unsupported; // `key:#`
        const next = this.current;
        if (next && next.indent > indent) map[key] = this.block(next.indent);
        else if (next && next.indent === indent && this.isDash(next)) map[key] = this.sequence(indent);
        else map[key] = null;
      } else {
        map[key] = this.scalar(at, line.end);
        this.noContinuation(indent);
      }
    }
    const rest = this.current;
    if (rest && rest.indent >= indent && (rest.indent > indent || this.isDash(rest))) throw unsupported;
    return map;
  }

  /** A more indented line after a scalar would continue it (multi-line scalar) or be an error. */
  private noContinuation(indent: number): void {
    const next = this.current;
    if (next && next.indent > indent) throw unsupported;
  }

  /** The single-line scalar in `[at, end)` (its first character is not a space). */
  private scalar(at: number, end: number): unknown {
    const first = this.text[at]!;
    if (first === '"' || first === "'") return this.quoted(at, end, first);
    if (first === '[' || first === '{') {
      const close = first === '[' ? ']' : '}';
      if (this.text[at + 1] !== close) throw unsupported;
      this.onlyComment(at + 2, end);
      return first === '[' ? [] : {};
    }
    if ('&*!|>%@`,?:#'.includes(first)) throw unsupported;
    if (first === '-' && (at + 1 === end || this.text.charCodeAt(at + 1) === 0x20)) throw unsupported;
    let stop = this.find(' #', at, end);
    if (stop === -1) stop = end;
    let last = stop;
    while (last > at && this.text.charCodeAt(last - 1) === 0x20) last -= 1;
    const value = this.text.slice(at, last);
    if (value.includes(': ') || value.endsWith(':')) throw unsupported;
    const resolved = resolvePlain(value);
    return typeof resolved === 'string' ? owned(resolved) : resolved;
  }

  private quoted(at: number, end: number, quote: '"' | "'"): string {
    let out = '';
    let from = at + 1;
    for (;;) {
      const next = this.find(quote, from, end);
      const escape = quote === '"' ? this.find('\\', from, end) : -1;
      if (escape !== -1 && (next === -1 || escape < next)) {
        out += this.text.slice(from, escape);
        const code = this.text[escape + 1];
        if (code === 'u' && /^[0-9a-fA-F]{4}$/.test(this.text.slice(escape + 2, escape + 6))) {
          const unit = parseInt(this.text.slice(escape + 2, escape + 6), 16);
          if (unit >= 0xd800 && unit <= 0xdfff) throw unsupported;
          out += String.fromCharCode(unit);
          from = escape + 6;
        } else if (code !== undefined && Object.hasOwn(ESCAPES, code)) {
          out += ESCAPES[code];
          from = escape + 2;
        } else throw unsupported;
        if (from > end) throw unsupported;
        continue;
      }
      if (next === -1) throw unsupported; // continues on the next line
      if (quote === "'" && this.text[next + 1] === "'") {
        out += this.text.slice(from, next + 1);
        from = next + 2;
        continue;
      }
      out += this.text.slice(from, next);
      this.onlyComment(next + 1, end);
      return owned(out);
    }
  }

  /** After a value: nothing, or spaces and a comment. */
  private onlyComment(at: number, end: number): void {
    let rest = at;
    while (rest < end && this.text.charCodeAt(rest) === 0x20) rest += 1;
    if (rest < end && (this.text.charCodeAt(rest) !== 0x23 || rest === at)) throw unsupported;
  }
}

/** The value of one document, or FALLBACK when it is outside the subset. */
export function readBlockDocument(text: string, slice: DocumentSlice): unknown {
  try {
    return new Reader(text, slice).read();
  } catch {
    // Unsupported, or anything unexpected (a stack exhausted by thousands of
    // nesting levels): the yaml package decides.
    return FALLBACK;
  }
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
