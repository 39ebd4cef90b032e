// use-gzip (the ingress-nginx ConfigMap): HAProxy's compression filter in the
// HTTP frontends, gzip by libslz, for the types listed. HAProxy compresses
// only when the client accepts gzip, the response is not already encoded,
// has no Cache-Control: no-transform, and is a 200; it sends
// Vary: Accept-Encoding. Clients gzip-disable names lose their
// Accept-Encoding here, before the filter looks at the request.

import type { CompressionSettings } from '../../../model/globals.js';
import * as c from '../config-lines.js';

/** nginx's `gzip_disable msie6`: Internet Explorer 4 to 6. */
const MSIE6 = 'MSIE [4-6][.]';

export function compressionLines(compression: CompressionSettings | undefined): string[] {
  if (!compression) return [];
  const disabled = [
    ...(compression.msie6 ? [c.line`  http-request del-header Accept-Encoding if { req.hdr(user-agent) -m reg ${c.regex(MSIE6)} }`] : []),
    ...(compression.disableUserAgents ?? []).map((pattern) => c.line`  http-request del-header Accept-Encoding if { req.hdr(user-agent) -m reg -i ${c.headerRegex(pattern)} }`),
  ];
  return [
    ...disabled,
    '  filter compression',
    '  compression algo gzip',
    c.line`  compression type ${c.join(compression.types.map(c.mimeType), ' ')}`,
  ];
}
