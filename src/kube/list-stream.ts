// Reads a Kubernetes List response as it arrives, one item at a time.
//
// A LIST with resourceVersion=0 is answered from the API server's watch
// cache, which ignores `limit`: 10,000 Ingresses come back as one response of
// tens of megabytes. Reading it whole would hold the bytes, the text and the
// parsed tree of every item at once (hundreds of MiB at the peak). Here the
// bytes are scanned for the boundaries of each element of the top-level
// `items` array, and each element is parsed and handed on by itself; only the
// element being read is kept. `metadata` (resourceVersion, continue) is
// parsed whole; other top-level fields are skipped.
//
// The scan needs no UTF-8 decoding: the bytes it looks for (quotes,
// backslashes, brackets, braces, colons and commas) never occur inside a
// multi-byte UTF-8 sequence.

type Json = Record<string, any>;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const COLON = 0x3a;
const COMMA = 0x2c;

export interface ListMetadata {
  resourceVersion?: string;
  continue?: string;
}

export class ListFormatError extends Error {}

/** What the byte at depth 1 (inside the top-level object) means next. */
type TopState = 'key' | 'colon' | 'value' | 'after-value';

export class ListStreamParser {
  private depth = 0;
  private inString = false;
  /** Inside a string: how many backslashes run up to where scanning resumes (an odd run escapes a quote). */
  private slashes = 0;
  private top: TopState = 'key';
  /** Bytes of the top-level key being read, and the last complete key. */
  private keyParts: Buffer[] | undefined;
  private key = '';
  /** Capturing an element of `items` (depth 2 start) or the `metadata` object (depth 1 start). */
  private capture: { parts: Buffer[]; start: number; into: 'item' | 'metadata' } | undefined;
  private inItems = false;
  private started = false;
  private ended = false;
  metadata: ListMetadata = {};
  count = 0;

  /** `text` turns an item's bytes into the JSON text to parse (prune.ts cuts unread fields there). */
  constructor(
    private readonly onItem: (item: Json) => void,
    private readonly text: (bytes: Buffer) => string = (bytes) => bytes.toString('utf8'),
  ) {}

  /** Feeds the next chunk of the response body. */
  write(chunk: Buffer): void {
    const length = chunk.length;
    let i = 0;
    if (this.capture) this.capture.start = 0;
    while (i < length) {
      if (this.inString) {
        // Jump from quote to quote: a quote ends the string unless an odd run of backslashes precedes it.
        const quote = chunk.indexOf(QUOTE, i);
        const until = quote === -1 ? length : quote;
        let run = 0;
        while (until - 1 - run >= i && chunk[until - 1 - run] === BACKSLASH) run += 1;
        if (until - run === i) run += this.slashes;
        if (quote === -1) {
          this.keyParts?.push(chunk.subarray(i));
          this.slashes = run;
          i = length;
          continue;
        }
        this.slashes = 0;
        if (run % 2 === 1) {
          this.keyParts?.push(chunk.subarray(i, quote + 1));
          i = quote + 1;
          continue;
        }
        this.inString = false;
        if (this.keyParts) {
          this.keyParts.push(chunk.subarray(i, quote));
          this.key = Buffer.concat(this.keyParts).toString('utf8');
          this.keyParts = undefined;
          this.top = 'colon';
        } else if (this.depth === 1 && this.top === 'value') {
          this.top = 'after-value';
        }
        i = quote + 1;
        continue;
      }
      const byte = chunk[i]!;
      switch (byte) {
        case QUOTE:
          if (this.depth === 2 && this.inItems) throw new ListFormatError('list items must be objects');
          this.inString = true;
          this.slashes = 0;
          if (this.depth === 1 && this.top === 'key') this.keyParts = [];
          break;
        case OPEN_OBJECT:
        case OPEN_ARRAY:
          this.open(byte, i);
          break;
        case CLOSE_OBJECT:
        case CLOSE_ARRAY:
          this.close(chunk, i);
          break;
        case COLON:
          if (this.depth === 1 && this.top === 'colon') this.top = 'value';
          break;
        case COMMA:
          if (this.depth === 1) this.top = 'key';
          break;
        default:
          if (byte > 0x20) {
            if (this.depth === 0) throw new ListFormatError('a list response must be a JSON object');
            if (this.depth === 2 && this.inItems) throw new ListFormatError('list items must be objects');
            // A number, true, false or null as the value of a top-level key.
            if (this.depth === 1 && this.top === 'value') this.top = 'after-value';
          }
      }
      i += 1;
    }
    if (this.capture) this.capture.parts.push(chunk.subarray(this.capture.start));
  }

  private open(byte: number, at: number): void {
    if (this.ended) throw new ListFormatError('data after the end of the list');
    this.depth += 1;
    if (this.depth === 1) {
      if (byte !== OPEN_OBJECT) throw new ListFormatError('a list response must be a JSON object');
      this.started = true;
      return;
    }
    if (this.depth === 2) {
      // The value of a top-level key.
      this.top = 'after-value';
      if (this.key === 'items' && byte === OPEN_ARRAY) this.inItems = true;
      else if (this.key === 'metadata' && byte === OPEN_OBJECT) this.capture = { parts: [], start: at, into: 'metadata' };
      return;
    }
    if (this.depth === 3 && this.inItems) {
      if (byte !== OPEN_OBJECT) throw new ListFormatError('list items must be objects');
      this.capture = { parts: [], start: at, into: 'item' };
    }
  }

  private close(chunk: Buffer, at: number): void {
    this.depth -= 1;
    if (this.depth < 0) throw new ListFormatError('unbalanced brackets in the list response');
    if (this.depth === 0) {
      this.ended = true;
      return;
    }
    if (this.depth === 1) this.inItems = false;
    const capture = this.capture;
    if (!capture) return;
    const done = (capture.into === 'item' && this.depth === 2) || (capture.into === 'metadata' && this.depth === 1);
    if (!done) return;
    capture.parts.push(chunk.subarray(capture.start, at + 1));
    this.capture = undefined;
    const bytes = capture.parts.length === 1 ? capture.parts[0]! : Buffer.concat(capture.parts);
    const value = JSON.parse(capture.into === 'item' ? this.text(bytes) : bytes.toString('utf8')) as Json;
    if (capture.into === 'metadata') {
      this.metadata = {
        ...(typeof value.resourceVersion === 'string' ? { resourceVersion: value.resourceVersion } : {}),
        ...(typeof value.continue === 'string' && value.continue !== '' ? { continue: value.continue } : {}),
      };
      return;
    }
    this.count += 1;
    this.onItem(value);
  }

  /** Checks that the response was one complete JSON object. */
  end(): ListMetadata {
    if (!this.started || !this.ended || this.inString) throw new ListFormatError('the list response ended early');
    return this.metadata;
  }
}

/** Reads a List response body, calling `onItem` for each item in order; resolves with the list's metadata. */
export async function readList(body: AsyncIterable<Uint8Array>, onItem: (item: Json) => void, text?: (bytes: Buffer) => string): Promise<ListMetadata> {
  const parser = new ListStreamParser(onItem, text);
  for await (const chunk of body) parser.write(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
  return parser.end();
}
