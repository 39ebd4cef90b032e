// PEM parsing (RFC 7468) in one pass over the lines of the text.
//
// Secrets come from tenants, so the parser must stay linear on any input: it
// reads each line once, never searches ahead for an END line, and stops at
// the first malformed block or once the block limit is passed. (A regular
// expression that looked ahead for the matching END took 22 s on 1 MiB of
// BEGIN lines.) Text outside blocks is ignored, as OpenSSL ignores it
// (`Bag Attributes` lines from `openssl pkcs12`, comments); a block that does
// not close, or closes with another label, is an error rather than skipped,
// so a truncated chain is reported instead of served short.

export interface PemBlock {
  label: string;
  /** The decoded body. */
  der: Buffer;
  /** RFC 1421 header lines (`Proc-Type: 4,ENCRYPTED`), as written. */
  headers: string[];
  /** 1-based line of the BEGIN line. */
  line: number;
}

export type PemResult =
  | { ok: true; blocks: PemBlock[]; linesRead: number }
  /** `reason` completes a sentence about the text ("tls.crt " + reason). */
  | { ok: false; reason: string; linesRead: number };

export interface PemLimits {
  /** Longest text read at all (a Secret holds at most 1 MiB). */
  maxLength: number;
  /** Most blocks read; one more is an error. */
  maxBlocks: number;
}

export const DEFAULT_PEM_LIMITS: PemLimits = { maxLength: 1024 * 1024, maxBlocks: 32 };

const LABEL = /^[A-Z0-9]+(?: [A-Z0-9]+)*$/;
const BASE64_LINE = /^[A-Za-z0-9+/]*={0,2}$/;
const HEADER_LINE = /^[A-Za-z0-9-]+:/;

export function parsePem(text: string, limits: Partial<PemLimits> = {}): PemResult {
  const { maxLength, maxBlocks } = { ...DEFAULT_PEM_LIMITS, ...limits };
  if (text.length > maxLength) {
    return { ok: false, reason: `is larger than ${describeSize(maxLength)}, more than a Secret can hold`, linesRead: 0 };
  }
  const blocks: PemBlock[] = [];
  let open: { label: string; line: number; headers: string[]; body: string[] } | undefined;
  let lineNumber = 0;
  let start = 0;
  const fail = (reason: string): PemResult => ({ ok: false, reason, linesRead: lineNumber });
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    const line = text.slice(start, end).trim();
    start = end + 1;
    lineNumber += 1;

    if (line.startsWith('-----BEGIN')) {
      const label = markerLabel(line, '-----BEGIN ');
      if (label === undefined) return fail(`line ${lineNumber} is not a valid PEM BEGIN line`);
      if (open) return fail(`line ${open.line}: the -----BEGIN ${open.label}----- block has no -----END ${open.label}----- line before line ${lineNumber}`);
      if (blocks.length === maxBlocks) return fail(`holds more than ${maxBlocks} PEM blocks`);
      open = { label, line: lineNumber, headers: [], body: [] };
    } else if (line.startsWith('-----END')) {
      const label = markerLabel(line, '-----END ');
      if (label === undefined) return fail(`line ${lineNumber} is not a valid PEM END line`);
      if (!open) return fail(`line ${lineNumber}: -----END ${label}----- without a BEGIN line`);
      if (label !== open.label) return fail(`line ${lineNumber}: -----END ${label}----- closes the -----BEGIN ${open.label}----- block of line ${open.line}`);
      blocks.push({ label, der: Buffer.from(open.body.join(''), 'base64'), headers: open.headers, line: open.line });
      open = undefined;
    } else if (open) {
      // RFC 1421 headers come first, then (after a blank line) the base64 body.
      if (open.body.length === 0 && HEADER_LINE.test(line)) open.headers.push(line);
      else if (BASE64_LINE.test(line)) open.body.push(line);
      else return fail(`line ${lineNumber} is not base64 (in the -----BEGIN ${open.label}----- block of line ${open.line})`);
    }
  }
  if (open) return fail(`line ${open.line}: the -----BEGIN ${open.label}----- block has no -----END ${open.label}----- line`);
  return { ok: true, blocks, linesRead: lineNumber };
}

/** The label of a `-----BEGIN LABEL-----` / `-----END LABEL-----` line, or undefined when malformed. */
function markerLabel(line: string, prefix: string): string | undefined {
  if (!line.startsWith(prefix) || !line.endsWith('-----') || line.length < prefix.length + 6) return undefined;
  const label = line.slice(prefix.length, -5);
  return LABEL.test(label) ? label : undefined;
}

function describeSize(bytes: number): string {
  return bytes % (1024 * 1024) === 0 ? `${bytes / (1024 * 1024)} MiB` : `${bytes} bytes`;
}

/** Wraps DER in a PEM block, 64 characters a line. */
export function toPem(label: string, der: Buffer): string {
  const base64 = der.toString('base64');
  const lines: string[] = [];
  for (let index = 0; index < base64.length; index += 64) lines.push(base64.slice(index, index + 64));
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}
