// What the endpoints receive and what is logged: upstream-vhost (the Host
// header), x-forwarded-prefix, connection-proxy-header, proxy-http-version,
// enable-access-log. nginx variables in values are refused: every value is a
// host name, a path or a list of tokens.

import type { AnnotationGroup } from './group.js';

const HOST = /^[a-z0-9](?:[-a-z0-9.]*[a-z0-9])?(?::[0-9]{1,5})?$/;
/** A path prefix as ingress-nginx's examples write it (`/api`): unreserved characters and slashes. */
const PREFIX = /^[A-Za-z0-9._~/-]{1,1024}$/;
const TOKEN = /^[A-Za-z0-9._-]{1,64}$/;

export const upstream: AnnotationGroup = {
  annotations: {
    'upstream-vhost': { status: 'difference', note: 'a host name with an optional port; nginx variables ($host, ...) are refused' },
    'x-forwarded-prefix': { status: 'supported' },
    'connection-proxy-header': { status: 'difference', note: 'keep-alive is not sent on (HAProxy keeps connections to endpoints alive by HTTP/1.1 default); close and upgrade are' },
    'proxy-http-version': { status: 'difference', note: 'HAProxy speaks HTTP/1.1 to endpoints; 1.0 is accepted and has no effect' },
    'enable-access-log': { status: 'supported' },
  },
  read(values, features) {
    const host = values.string('upstream-vhost');
    if (host !== undefined) {
      const lower = host.toLowerCase();
      const port = /:([0-9]+)$/.exec(lower)?.[1];
      if (!HOST.test(lower) || lower.length > 259 || (port !== undefined && (Number(port) < 1 || Number(port) > 65535))) {
        values.problem('upstream-vhost', 'must be a host name with an optional port, such as app.internal or app.internal:8080 (nginx variables are not supported)');
      } else features.upstreamHost = lower;
    }
    const prefix = values.string('x-forwarded-prefix');
    if (prefix !== undefined) {
      if (!PREFIX.test(prefix)) values.problem('x-forwarded-prefix', 'must be a path such as /api: letters, digits, . _ ~ - and /');
      // Stored whatever the route does: rendered only for routes that rewrite (render-features).
      else features.forwardedPrefix = prefix;
    }
    const connection = values.list('connection-proxy-header');
    if (values.string('connection-proxy-header') !== undefined && connection !== undefined) {
      const bad = connection.find((token) => !TOKEN.test(token));
      if (bad !== undefined || connection.length === 0 || connection.length > 8) values.problem('connection-proxy-header', 'must be a comma-separated list of tokens such as close, keep-alive or upgrade');
      else features.connectionHeader = connection.join(', ');
    }
    const version = values.string('proxy-http-version');
    if (version !== undefined && version !== '1.0' && version !== '1.1') values.problem('proxy-http-version', 'must be 1.0 or 1.1');
    if (values.bool('enable-access-log') === false) features.accessLogOff = true;
  },
};
