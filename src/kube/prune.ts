// Cuts the bulky fields Portero never reads out of an object's JSON bytes
// before they are parsed: `metadata.managedFields` (server-side field
// tracking) becomes null, and the `kubectl.kubernetes.io/last-applied-configuration`
// annotation (a JSON copy of the whole object) is removed. Together they are
// often more than half of an object as the API server sends it; not parsing
// them leaves less garbage behind, and nothing has to be deleted from the
// parsed object afterwards (a deletion turns a V8 object into a slow one).
//
// The cuts are safe on any valid JSON: the patterns end with an unescaped
// quote and a colon, so they only ever match an object key, never text inside
// a string, and a match counts only when the byte before its opening quote
// (spaces aside) is `{` or `,`. None of the kinds Portero reads has another
// field of these names.

const MANAGED_FIELDS = Buffer.from('"managedFields":');
const LAST_APPLIED = Buffer.from('"kubectl.kubernetes.io/last-applied-configuration":');

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

function isSpace(byte: number | undefined): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
}

/** Where a key starting at `at` is really a key: `{` or `,` before it. */
function startsKey(bytes: Buffer, at: number): boolean {
  let before = at - 1;
  while (before >= 0 && isSpace(bytes[before])) before -= 1;
  return before >= 0 && (bytes[before] === 0x7b || bytes[before] === 0x2c);
}

/** The index just past the JSON string that starts (with its quote) at `at`. */
function stringEnd(bytes: Buffer, at: number): number {
  let i = at + 1;
  for (;;) {
    const quote = bytes.indexOf(QUOTE, i);
    if (quote === -1) return -1;
    let slashes = 0;
    while (bytes[quote - 1 - slashes] === BACKSLASH) slashes += 1;
    if (slashes % 2 === 0) return quote + 1;
    i = quote + 1;
  }
}

/** The index just past the JSON value that starts at `at`, for strings, objects and arrays; -1 otherwise. */
function valueEnd(bytes: Buffer, at: number): number {
  const first = bytes[at];
  if (first === QUOTE) return stringEnd(bytes, at);
  if (first !== 0x5b && first !== 0x7b) return -1;
  let depth = 0;
  let i = at;
  while (i < bytes.length) {
    const byte = bytes[i]!;
    if (byte === QUOTE) {
      i = stringEnd(bytes, i);
      if (i === -1) return -1;
      continue;
    }
    if (byte === 0x5b || byte === 0x7b) depth += 1;
    else if (byte === 0x5d || byte === 0x7d) {
      depth -= 1;
      if (depth === 0) return i + 1;
    }
    i += 1;
  }
  return -1;
}

/** The first key `pattern` in `bytes`: where the key starts, and its value's range; or undefined. */
function memberOf(bytes: Buffer, pattern: Buffer): { key: number; start: number; end: number } | undefined {
  let from = 0;
  for (;;) {
    const at = bytes.indexOf(pattern, from);
    if (at === -1) return undefined;
    from = at + 1;
    if (!startsKey(bytes, at)) continue;
    let start = at + pattern.length;
    while (isSpace(bytes[start])) start += 1;
    const end = valueEnd(bytes, start);
    return end === -1 ? undefined : { key: at, start, end };
  }
}

/** The range that removes a whole member (`"key":value` and one comma next to it) from its object. */
function wholeMember(bytes: Buffer, member: { key: number; end: number }): [number, number] {
  let after = member.end;
  while (isSpace(bytes[after])) after += 1;
  if (bytes[after] === 0x2c) return [member.key, after + 1];
  let before = member.key - 1;
  while (before >= 0 && isSpace(bytes[before])) before -= 1;
  // The last member: take the comma before it instead (after `{` there is none to take).
  return bytes[before] === 0x2c ? [before, member.end] : [member.key, member.end];
}

/** The object's JSON text, with managedFields null and without the last-applied annotation. */
export function prunedText(bytes: Buffer): string {
  const cuts: [number, number, string][] = [];
  const managed = memberOf(bytes, MANAGED_FIELDS);
  if (managed) cuts.push([managed.start, managed.end, 'null']);
  const applied = memberOf(bytes, LAST_APPLIED);
  if (applied && bytes[applied.start] === QUOTE) cuts.push([...wholeMember(bytes, applied), '']);
  if (cuts.length === 0) return bytes.toString('utf8');
  cuts.sort((a, b) => a[0] - b[0]);
  let text = '';
  let at = 0;
  for (const [start, end, replacement] of cuts) {
    if (start < at) continue; // overlapping: cannot happen in valid JSON, but never corrupt the text
    text += bytes.toString('utf8', at, start) + replacement;
    at = end;
  }
  return text + bytes.toString('utf8', at);
}
