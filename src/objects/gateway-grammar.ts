// The string grammars of the Gateway API (gateway.networking.k8s.io v1.6
// standard channel): the OpenAPI `pattern` of each string type and the
// patterns its CEL rules test, written from the upstream definitions
// (apis/v1/shared_types.go, httproute_types.go, grpcroute_types.go). Lengths
// are checked separately (checks.ts); each function here says what is wrong
// with a value of the right length, or nothing.
//
// The patterns are the API's, searched as the API server searches them
// (unanchored unless the pattern anchors itself), so that what the API
// accepts decodes. Translation applies Portero's own, stricter grammars to
// whatever it renders (DESIGN.md, "Security rules").

const DNS_SUBDOMAIN = '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*';
const HOSTNAME = new RegExp(`^(\\*\\.)?${DNS_SUBDOMAIN}$`);
const PRECISE_HOSTNAME = new RegExp(`^${DNS_SUBDOMAIN}$`);
const GROUP = new RegExp(`^$|^${DNS_SUBDOMAIN}$`);
const SECTION_NAME = new RegExp(`^${DNS_SUBDOMAIN}$`);
const NAMESPACE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const KIND = /^[a-zA-Z]([-a-zA-Z0-9]*[a-zA-Z0-9])?$/;
const CONTROLLER = new RegExp(`^${DNS_SUBDOMAIN}\\/[A-Za-z0-9\\/\\-._~%!$&'()*+,;=:]+$`);
// As upstream: the second alternative is anchored at its end only.
const PROTOCOL = new RegExp(`^[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?$|${DNS_SUBDOMAIN}\\/[A-Za-z0-9]+$`);
// As upstream: only the first alternative is anchored at its start, only the last at its end.
const ADDRESS_TYPE = new RegExp(`^Hostname|IPAddress|NamedAddress|${DNS_SUBDOMAIN}\\/[A-Za-z0-9\\/\\-._~%!$&'()*+,;=:]+$`);
const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+\-.^_`|~]+$/;
const DURATION = /^([0-9]{1,5}(h|m|s|ms)){1,4}$/;
const QUALIFIED_NAME = new RegExp(`^(${DNS_SUBDOMAIN}/)?([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9]$`);
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const CORS_ORIGIN = /(^\*$)|(^([a-zA-Z][a-zA-Z0-9+\-.]+):\/\/([^:/?#]+)(:([0-9]{1,5}))?$)/;
const HTTP_PATH = /^(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|[%][0-9a-fA-F]{2})+$/;
const GRPC_SERVICE = /^\.?[a-z_][a-z_0-9]*(\.[a-z_][a-z_0-9]*)*$/i;
const GRPC_METHOD = /^[A-Za-z_][A-Za-z_0-9]*$/;

function matching(pattern: RegExp, what: string): (value: string) => string[] {
  return (value) => (pattern.test(value) ? [] : [what]);
}

/** `Hostname`: a lowercase DNS name, optionally prefixed with a `*.` wildcard label. */
export const hostname = matching(HOSTNAME, "must be a lowercase DNS name (letters, digits, '-' and '.'), optionally starting with a '*.' wildcard label");

/** `PreciseHostname`: a lowercase DNS name, no wildcard. */
export const preciseHostname = matching(PRECISE_HOSTNAME, "must be a lowercase DNS name (letters, digits, '-' and '.'), without a wildcard");

/** `Group`: empty (the core group) or a DNS subdomain. */
export const group = matching(GROUP, "must be empty (the core API group) or a lowercase DNS subdomain such as gateway.networking.k8s.io");

/** `Kind`: CamelCase letters, digits and '-'. */
export const kind = matching(KIND, "must start with a letter and hold only letters, digits and '-', ending with a letter or digit");

/** `SectionName` (listener and rule names): a lowercase DNS subdomain. */
export const sectionName = matching(SECTION_NAME, "must be a lowercase RFC 1123 subdomain (letters, digits, '-' and '.')");

/** `Namespace`: a lowercase RFC 1123 label. */
export const namespace = matching(NAMESPACE, "must be a lowercase RFC 1123 label (letters, digits and '-')");

/** `GatewayController`: a domain-prefixed path such as `example.net/gateway-controller`. */
export const controllerName = matching(CONTROLLER, 'must be a domain-prefixed path, such as example.net/gateway-controller');

/** `ProtocolType`: HTTP, HTTPS, TLS, TCP, UDP, another un-prefixed name, or a domain-prefixed one such as example.com/proto. */
export const protocol = matching(PROTOCOL, 'must be a protocol name such as HTTP or HTTPS, or a domain-prefixed name such as example.com/proto');

/** `AddressType`: IPAddress, Hostname, NamedAddress or a domain-prefixed type. */
export const addressType = matching(ADDRESS_TYPE, 'must be IPAddress, Hostname, NamedAddress or a domain-prefixed type such as example.com/type');

/** `HeaderName`: an HTTP header (or query parameter) name, RFC 7230 token characters. */
export const headerName = matching(HEADER_NAME, "must be an HTTP token: letters, digits and ! # $ % & ' * + - . ^ _ ` | ~");

/** `Duration` (GEP-2257): up to four number-unit pairs, such as 500ms, 1s or 1h30m. */
export const duration = matching(DURATION, 'must be a duration such as 500ms, 10s or 1h30m (units h, m, s, ms)');

/** Label and annotation keys: an optional DNS-subdomain prefix and `/`, then a name of up to 63 characters. */
export const qualifiedName = matching(QUALIFIED_NAME, "must be a name of letters, digits, '-', '_' and '.' (starting and ending with a letter or digit), optionally prefixed by a DNS subdomain and '/'");

export const labelValue = matching(LABEL_VALUE, "must be empty or letters, digits, '-', '_' and '.', starting and ending with a letter or digit");

/** `CORSOrigin`: `*`, or scheme://host with an optional port. */
export const corsOrigin = matching(CORS_ORIGIN, "must be '*' or an origin such as https://example.com or https://*.example.com:8443");

/** The path of an Exact or PathPrefix match, or of a path modifier: RFC 3986 path characters and percent-encodings. */
export const httpPath = matching(HTTP_PATH, "must only contain valid characters (matching ^(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|[%][0-9a-fA-F]{2})+$)");

export const grpcService = matching(GRPC_SERVICE, 'service must only contain valid characters (matching ^(?i)\\.?[a-z_][a-z_0-9]*(\\.[a-z_][a-z_0-9]*)*$)');

export const grpcMethod = matching(GRPC_METHOD, 'method must only contain valid characters (matching ^[A-Za-z_][A-Za-z_0-9]*$)');

const UNIT_MS: Readonly<Record<string, number>> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 };

/** A Gateway API duration in milliseconds (as CEL's duration() reads it), or undefined when it is not one. */
export function durationMs(value: string): number | undefined {
  if (!DURATION.test(value)) return undefined;
  let total = 0;
  for (const [, amount, unit] of value.matchAll(/([0-9]+)(ms|h|m|s)/g)) total += Number(amount) * UNIT_MS[unit!]!;
  return total;
}
