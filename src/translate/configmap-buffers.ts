// The ingress-nginx ConfigMap's large-client-header-buffers ("4 8k": nginx
// takes a request's header into at most four buffers of 8 KiB, so a header
// block of up to 32 KiB), read as the size of HAProxy's buffers
// (`tune.bufsize`), where the whole header block must fit, less the space
// HAProxy keeps for rewriting headers (tune.maxrewrite, 1 KiB).
//
// Without the key HAProxy's 16 KiB stay (about 15 KiB of header, where
// ingress-nginx's default takes 32 KiB): `portero migrate` says so. The size
// is capped: every active connection holds two buffers.

import type { Reader } from './configmap.js';
import { parseNginxSize } from './annotations/values.js';

export const HAPROXY_DEFAULT_BUFSIZE = 16_384;
/** HAProxy's default tune.maxrewrite: buffer space kept free for header rewrites. */
const MAXREWRITE = 1024;
const MAX_HEADER_BYTES = 256 * 1024;

/** tune.bufsize for the key, or undefined (HAProxy's default) when absent, invalid or not above the default. */
export function readHeaderBuffers(reader: Reader): number | undefined {
  const value = reader.raw('large-client-header-buffers');
  if (value === undefined) return undefined;
  const match = /^([0-9]{1,3})\s+(\S+)$/.exec(value);
  const size = match ? parseNginxSize(match[2]!) : undefined;
  if (!match || size === undefined || Number(match[1]) < 1 || size < 1) return reader.problem('large-client-header-buffers', 'must be a number of buffers and a size, such as "4 8k"');
  const headerBytes = Number(match[1]) * size;
  if (headerBytes > MAX_HEADER_BYTES) return reader.problem('large-client-header-buffers', `allows ${headerBytes} bytes of header; Portero takes at most ${MAX_HEADER_BYTES} (256k)`);
  const bufsize = headerBytes + MAXREWRITE;
  return bufsize > HAPROXY_DEFAULT_BUFSIZE ? bufsize : undefined;
}
