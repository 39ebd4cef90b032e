// Features: what annotations ask of the requests of a route beyond choosing
// its Service (redirects, limits, timeouts, access lists, ...). Plain,
// checked data: translate/annotations/ makes it from an Ingress's annotations
// after every value passed a strict grammar, and dataplane/ renders it.
//
// A route with features goes to a backend of its own kind: the Service port's
// backend id plus a digest of the features (`ns_svc_80.3f9a0c1b2d`). Routes
// without features keep the plain backend and pay nothing for any feature.

import { createHash } from 'node:crypto';

/** A redirect answered by the proxy instead of the Service. */
export interface FixedRedirect {
  /** An absolute http(s) URL, checked by the annotation grammar. */
  location: string;
  /** 301, 302, 303, 307 or 308. */
  code: number;
}

export interface Timeouts {
  /** Establishing the connection to an endpoint. */
  connectSeconds?: number;
  /** Waiting for the endpoint: between two reads (and writes) of the response. */
  serverSeconds?: number;
}

/** Source addresses as IPv4/IPv6 addresses or CIDR ranges, already checked and normalised. */
export type SourceList = readonly string[];

/**
 * Per-client request limits of one Ingress (limit-*). The client is its
 * source address. Counters are shared by every path of the Ingress named by
 * `zone` (ingress-nginx keeps one zone per Ingress object) and by no other
 * Ingress, and they live in each replica's HAProxy.
 */
export interface Limits {
  /** `namespace/name` of the Ingress whose paths share the counters. */
  zone: string;
  /** At most this many requests of one client in progress at once (limit-connections). */
  connections?: number;
  /** Requests per minute (limit-rpm): at most `rpm × burstMultiplier` admitted within any `burstMultiplier` minutes. */
  rpm?: number;
  /** Requests per second (limit-rps): at most `rps × burstMultiplier` admitted within any `burstMultiplier` seconds. */
  rps?: number;
  /** limit-burst-multiplier (default 5): the window is this many periods and holds this many periods' worth of requests. */
  burstMultiplier: number;
  /** Clients never limited (limit-whitelist), checked and normalised like SourceList. */
  exempt?: SourceList;
}

/** Every request is redirected, with its path and query, to another host (from-to-www-redirect). */
export interface HostRedirect {
  /** A lowercase DNS host name, checked by the host grammar. */
  host: string;
  /** 308, as ingress-nginx's default `http-redirect-code`. */
  code: number;
}

export interface Features {
  /** Plain-HTTP requests are redirected to HTTPS with 308, whether or not the host has TLS (force-ssl-redirect). */
  httpsRedirect?: boolean;
  /** Every request is redirected to this URL (permanent-redirect, temporal-redirect). */
  redirect?: FixedRedirect;
  /** Requests for `/` are redirected (302) to this path (app-root). */
  appRoot?: string;
  /** Clients whose address is in this list are refused with 403 (denylist-source-range); checked first. */
  denySources?: SourceList;
  /** Only clients whose address is in this list are served; others get 403 (allowlist-source-range). */
  allowSources?: SourceList;
  /** Per-client limits; refused requests get 503 (limit-*). */
  limits?: Limits;
  /** The whole level redirects to its `www.` twin or back (from-to-www-redirect); set by translate, not by a group. */
  hostRedirect?: HostRedirect;
  /** Request bodies larger than this are refused with 413 (proxy-body-size); absent: no limit. */
  maxBodyBytes?: number;
  timeouts?: Timeouts;
  /**
   * The annotations could not be honoured safely (an invalid value for an
   * access-control annotation): every request answers 503, as ingress-nginx's
   * "location denied".
   */
  denied?: boolean;
}

function sortedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedKeys);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    const inner = (value as Record<string, unknown>)[key];
    if (inner !== undefined) out[key] = sortedKeys(inner);
  }
  return out;
}

/** A canonical text of features: equal features, equal text, whatever the key order. */
export function featuresKey(features: Features): string {
  return JSON.stringify(sortedKeys(features));
}

/** True when `features` asks for nothing. */
export function isEmptyFeatures(features: Features): boolean {
  return featuresKey(features) === '{}';
}

/** The id of the backend that serves `baseId`'s Service port with `features`. */
export function featuredBackendId(baseId: string, features: Features): string {
  return `${baseId}.${createHash('sha256').update(featuresKey(features)).digest('hex').slice(0, 10)}`;
}
