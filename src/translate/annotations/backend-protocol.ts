// backend-protocol and the proxy-ssl-* annotations that HAProxy can honour
// without a CA file: how requests reach the endpoints. HTTPS and GRPCS do not
// verify the endpoint's certificate (ingress-nginx's default, proxy-ssl-verify
// off); SNI is sent only with proxy-ssl-server-name on. These become options
// of every server of the backend, also of servers added at runtime.
//
// Difference: ingress-nginx maps an unknown protocol to HTTP silently;
// Portero refuses the Ingress with a diagnostic, as for every invalid value.

import type { UpstreamProtocol } from '../../model/features.js';
import type { AnnotationGroup } from './group.js';
import { SERVER_NAME } from './grammars.js';
import type { AnnotationValues } from './values.js';

const KINDS: Readonly<Record<string, UpstreamProtocol['kind'] | undefined>> = {
  HTTP: undefined,
  HTTPS: 'https',
  GRPC: 'h2c',
  H2C: 'h2c',
  GRPCS: 'h2-tls',
};

const REFUSED: Readonly<Record<string, string>> = {
  AUTO_HTTP: 'AUTO_HTTP is not supported: choose HTTP or HTTPS',
  FCGI: 'FCGI is not supported',
  AJP: 'AJP is not supported',
};

/** nginx's on/off switches; undefined when absent or invalid (with a problem). */
function onOff(values: AnnotationValues, name: string): boolean | undefined {
  const value = values.string(name);
  if (value === undefined) return undefined;
  if (value === 'on') return true;
  if (value === 'off') return false;
  return values.problem(name, 'must be on or off');
}

function sni(values: AnnotationValues): UpstreamProtocol['sni'] {
  const on = onOff(values, 'proxy-ssl-server-name');
  const raw = values.string('proxy-ssl-name');
  const name = raw?.toLowerCase();
  if (name !== undefined && !SERVER_NAME.test(name)) return values.problem('proxy-ssl-name', 'must be a DNS name (letters, digits, - and .)');
  if (!on) return undefined;
  return name !== undefined ? { from: 'name', name } : { from: 'host' };
}

export const backendProtocol: AnnotationGroup = {
  annotations: {
    'backend-protocol': { status: 'difference', note: 'AUTO_HTTP and FCGI are refused, and an unknown value refuses the Ingress where ingress-nginx falls back to HTTP; H2C (HTTP/2 in clear text) is accepted besides GRPC' },
    'proxy-ssl-verify': { status: 'difference', note: 'only off is supported: on needs proxy-ssl-secret, which Portero does not read yet' },
    'proxy-ssl-server-name': { status: 'difference', note: 'without proxy-ssl-name the SNI is the request host (nginx sends the upstream name, which no endpoint expects)' },
    'proxy-ssl-name': { status: 'supported' },
    'proxy-ssl-secret': { status: 'difference', note: 'refused: Portero cannot yet present a client certificate to the endpoint or verify it against a CA' },
  },
  read(values, features) {
    const server = sni(values);
    if (onOff(values, 'proxy-ssl-verify') === true) {
      values.problem('proxy-ssl-verify', 'on is not supported yet: it needs proxy-ssl-secret (a CA), which Portero does not read yet');
    }
    if (values.string('proxy-ssl-secret') !== undefined) {
      values.problem('proxy-ssl-secret', 'is not supported yet: Portero does not read CA or client certificates for endpoints');
    }
    const raw = values.string('backend-protocol');
    if (raw === undefined) return;
    const protocol = raw.toUpperCase();
    if (Object.hasOwn(REFUSED, protocol)) return void values.problem('backend-protocol', REFUSED[protocol]!);
    if (!Object.hasOwn(KINDS, protocol)) return void values.problem('backend-protocol', `must be one of ${Object.keys(KINDS).join(', ')}`);
    const kind = KINDS[protocol];
    if (kind === undefined) return;
    // SNI only means something over TLS; nginx ignores proxy_ssl_* for cleartext upstreams too.
    features.upstream = kind !== 'h2c' && server ? { kind, sni: server } : { kind };
  },
};
