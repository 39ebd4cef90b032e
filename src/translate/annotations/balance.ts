// load-balance and upstream-hash-by: how the endpoints share requests, and
// service-upstream: the Service's ClusterIP as the only endpoint.
//
// upstream-hash-by takes an nginx variable; those with an HAProxy 2.6
// equivalent are translated (consistent hashing, as nginx's ketama), the
// others refused: HAProxy 2.6 has no `balance hash <expression>`, so
// $cookie_<name> and combinations of variables cannot be hashed.

import type { Balance } from '../../model/features.js';
import type { AnnotationGroup } from './group.js';
import { HEADER_NAME, PARAM_NAME } from './grammars.js';
import type { AnnotationValues } from './values.js';

const FIXED: Readonly<Record<string, Balance>> = {
  $request_uri: { kind: 'hash', by: 'uri' },
  $uri: { kind: 'hash', by: 'path' },
  $remote_addr: { kind: 'hash', by: 'source' },
  $binary_remote_addr: { kind: 'hash', by: 'source' },
  $host: { kind: 'hash', by: 'header', name: 'host' },
};

const UNSUPPORTED = 'must be one of $request_uri, $uri, $remote_addr, $binary_remote_addr, $host, $http_<header> or $arg_<parameter>';

function hashBy(values: AnnotationValues): Balance | undefined {
  const value = values.string('upstream-hash-by');
  if (value === undefined) return undefined;
  if (Object.hasOwn(FIXED, value)) return FIXED[value];
  const header = /^\$http_([a-z0-9_]+)$/i.exec(value)?.[1];
  // nginx's $http_x_user is the header X-User: underscores stand for dashes.
  if (header !== undefined) {
    const name = header.replace(/_/g, '-').toLowerCase();
    return HEADER_NAME.test(name) ? { kind: 'hash', by: 'header', name } : values.problem('upstream-hash-by', UNSUPPORTED);
  }
  const param = /^\$arg_(.+)$/.exec(value)?.[1];
  if (param !== undefined) return PARAM_NAME.test(param) ? { kind: 'hash', by: 'param', name: param } : values.problem('upstream-hash-by', UNSUPPORTED);
  if (value.startsWith('$cookie_')) return values.problem('upstream-hash-by', 'hashing a cookie is not supported by HAProxy 2.6; use affinity: cookie instead');
  return values.problem('upstream-hash-by', UNSUPPORTED);
}

function loadBalance(values: AnnotationValues): Balance | undefined {
  const value = values.string('load-balance');
  if (value === undefined || value === 'round_robin') return undefined;
  // ingress-nginx's least_connections balancer is HAProxy's leastconn; its ewma has no HAProxy equivalent and is served the same way.
  if (value === 'ewma' || value === 'least_connections') return { kind: 'leastconn' };
  return values.problem('load-balance', 'must be round_robin, ewma or least_connections');
}

export const balance: AnnotationGroup = {
  annotations: {
    'load-balance': { status: 'difference', note: 'ewma is served by least connections, as least_connections is (HAProxy has no EWMA)' },
    'upstream-hash-by': { status: 'difference', note: 'only one variable: $request_uri, $uri, $remote_addr, $binary_remote_addr, $host, $http_<header> or $arg_<parameter>; $cookie_<name> and combinations are refused' },
    'upstream-hash-by-subset': { status: 'ignored', note: 'accepted and checked; requests are hashed over all endpoints, not a subset' },
    'upstream-hash-by-subset-size': { status: 'ignored', note: 'accepted and checked; requests are hashed over all endpoints, not a subset' },
    'service-upstream': { status: 'supported' },
  },
  read(values, features) {
    values.bool('upstream-hash-by-subset');
    values.int('upstream-hash-by-subset-size', 1, 1000);
    // upstream-hash-by wins over load-balance, as in ingress-nginx (both are checked).
    const lb = loadBalance(values);
    const hash = hashBy(values);
    const chosen = hash ?? lb;
    if (chosen) features.balance = chosen;
    if (values.bool('service-upstream') === true) features.serviceUpstream = true;
  },
};
