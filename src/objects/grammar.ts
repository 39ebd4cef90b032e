// Strict grammars for every string that comes from a Kubernetes object.
//
// Nothing from the API reaches haproxy.cfg, a map or a file name unless it has
// passed one of these checks (see DESIGN.md, "Security rules"). The rules follow
// the Kubernetes API server's own validation (k8s.io/apimachinery
// util/validation) so that what the API server accepts, we accept, with a few
// deliberate narrowings that are noted where they apply.
//
// Each check returns a list of human-readable problems; an empty list means
// the value is valid.

import { isIP } from 'node:net';

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const IANA_SVC_NAME = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

/** Characters HAProxy config lines, maps and the runtime CLI never see raw; used in messages. */
export function describe(value: string, max = 80): string {
  const shown = value.length > max ? `${value.slice(0, max)}…` : value;
  return JSON.stringify(shown);
}

export function dns1123Label(value: string): string[] {
  const problems: string[] = [];
  if (value.length > 63) problems.push('must be no more than 63 characters');
  if (!DNS1123_LABEL.test(value)) {
    problems.push(
      "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character",
    );
  }
  return problems;
}

export function dns1123Subdomain(value: string): string[] {
  const problems: string[] = [];
  if (value.length > 253) problems.push('must be no more than 253 characters');
  if (!DNS1123_SUBDOMAIN.test(value)) {
    problems.push(
      "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",
    );
  }
  return problems;
}

export function dns1035Label(value: string): string[] {
  const problems: string[] = [];
  if (value.length > 63) problems.push('must be no more than 63 characters');
  if (!DNS1035_LABEL.test(value)) {
    problems.push(
      "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character",
    );
  }
  return problems;
}

/** `*.` followed by a DNS-1123 subdomain, as the API server accepts for wildcard hosts. */
export function wildcardDns1123Subdomain(value: string): string[] {
  const problems: string[] = [];
  if (value.length > 253) problems.push('must be no more than 253 characters');
  if (!value.startsWith('*.') || !DNS1123_SUBDOMAIN.test(value.slice(2))) {
    problems.push(
      "a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, which must consist of lower case alphanumeric characters, '-' or '.' and end with an alphanumeric character",
    );
  }
  return problems;
}

/** A host in an Ingress rule or TLS section: a DNS name or a `*.` wildcard, never an IP. */
export function ingressHost(value: string): string[] {
  if (value.includes('*')) return wildcardDns1123Subdomain(value);
  const problems = dns1123Subdomain(value);
  if (isIP(value) !== 0) problems.push('must be a DNS name, not an IP address');
  return problems;
}

export function portNumber(value: number): string[] {
  if (!Number.isInteger(value) || value < 1 || value > 65535) {
    return ['must be between 1 and 65535, inclusive'];
  }
  return [];
}

/** IANA_SVC_NAME, the grammar of named ports. */
export function portName(value: string): string[] {
  const problems: string[] = [];
  if (value.length > 15) problems.push('must be no more than 15 characters');
  if (!IANA_SVC_NAME.test(value)) {
    problems.push("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-), and must start and end with an alpha-numeric character");
  }
  if (value.includes('--')) problems.push('must not contain consecutive hyphens');
  if (!/[a-z]/.test(value)) problems.push('must contain at least one letter (a-z)');
  return problems;
}

/**
 * Characters allowed in a routing path: RFC 3986 `pchar` plus `/`, without
 * the single quote, and with `%` only as the start of a valid
 * percent-encoding. This is narrower than what the API server accepts (it
 * accepts any string): whitespace, quotes, `#`, `?`, `\` and control
 * characters are meaningless in a request path and dangerous in a map file or
 * a CLI command, so they are refused here.
 */
const PATH_CHARS = /^[A-Za-z0-9\-._~!$&()*+,;=:@/]*$/;
export const MAX_PATH_LENGTH = 1024;

export function pathCharacters(value: string): string[] {
  const problems: string[] = [];
  if (value.length > MAX_PATH_LENGTH) problems.push(`must be no more than ${MAX_PATH_LENGTH} characters`);
  const withoutEscapes = value.replace(/%[0-9A-Fa-f]{2}/g, '');
  if (!PATH_CHARS.test(withoutEscapes)) {
    problems.push(
      "may contain only letters, digits, '/', percent-encodings (%XX) and the characters - . _ ~ ! $ & ( ) * + , ; = : @",
    );
  }
  return problems;
}

/** A Kubernetes object name that may be used in a file name (Secrets, Ingresses, ...). */
export function objectName(value: string): string[] {
  return dns1123Subdomain(value);
}

export function namespaceName(value: string): string[] {
  return dns1123Label(value);
}

/** Service names: DNS-1035 labels, relaxed to DNS-1123 labels as newer API servers allow. */
export function serviceName(value: string): string[] {
  return dns1123Label(value);
}

const QUALIFIED_NAME_PART = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;

/**
 * A qualified name, as the API server validates Service `appProtocol`
 * (apimachinery IsQualifiedName): a name of up to 63 characters, optionally
 * prefixed by a DNS subdomain and `/` (such as `kubernetes.io/h2c`).
 */
export function qualifiedName(value: string): string[] {
  const parts = value.split('/');
  if (parts.length > 2) return ["a qualified name must consist of alphanumeric characters, '-', '_' or '.', with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"];
  const name = parts[parts.length - 1]!;
  const problems: string[] = [];
  if (parts.length === 2) {
    if (parts[0] === '') problems.push('prefix part must be non-empty');
    else problems.push(...dns1123Subdomain(parts[0]!).map((problem) => `prefix part ${problem}`));
  }
  if (name.length > 63) problems.push('name part must be no more than 63 characters');
  if (!QUALIFIED_NAME_PART.test(name)) {
    problems.push("name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character");
  }
  return problems;
}

/** IngressClass `spec.controller`: a domain-prefixed path such as `portero.dev/ingress-controller`. */
export function domainPrefixedPath(value: string): string[] {
  if (value.length > 250) return ['must be no more than 250 characters'];
  const slash = value.indexOf('/');
  if (slash <= 0) return ["must be a domain-prefixed path (such as \"acme.io/foo\")"];
  const problems = dns1123Subdomain(value.slice(0, slash));
  if (!/^[A-Za-z0-9/\-._~%!$&'()*+,;=:]+$/.test(value.slice(slash + 1))) {
    problems.push('path part must be a valid URI path');
  }
  return problems;
}
