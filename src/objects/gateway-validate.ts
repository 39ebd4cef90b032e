// The checks the API server applies to GatewayClass, Gateway and
// ReferenceGrant objects (gateway.networking.k8s.io v1.6 standard CRDs):
// OpenAPI lengths, patterns, enums, ranges and item counts, and the CEL
// rules (`x-kubernetes-validations`), written from the upstream definitions
// in apis/v1/*_types.go. Routes are checked in gateway-route-validate.ts.
//
// Values the API accepts but Portero may not support (a TLS or TCP
// listener, a domain-prefixed protocol, a Passthrough listener) pass here:
// translation reports them in status. Messages are the CEL rules' own, on
// the item that breaks them.
//
// One deliberate narrowing: label selectors (allowedRoutes.namespaces.selector)
// are held to metav1's rules (operators In, NotIn, Exists, DoesNotExist;
// values only and always with In and NotIn), which the CRD leaves unchecked
// but without which a selector cannot be evaluated at all.

import { isIP } from 'node:net';
import { Checks } from './checks.js';
import type { FieldError, FieldPath } from './field-errors.js';
import * as grammar from './gateway-grammar.js';
import type { Gateway, GatewayClass, LabelSelector, Listener, ReferenceGrant } from './gateway-types.js';

export const PORT_MAX = 65535;

// Shared reference checks (routes use them too).

export function checkGroup(checks: Checks, path: FieldPath, value: string | undefined): void {
  checks.text(path, value, { max: 253, grammar: grammar.group });
}

export function checkKind(checks: Checks, path: FieldPath, value: string | undefined): void {
  checks.text(path, value, { min: 1, max: 63, grammar: grammar.kind });
}

/** `ObjectName`: any string of 1 to 253 characters (the API has no pattern for it). */
export function checkObjectName(checks: Checks, path: FieldPath, value: string | undefined): void {
  checks.text(path, value, { min: 1, max: 253 });
}

export function checkNamespace(checks: Checks, path: FieldPath, value: string | undefined): void {
  checks.text(path, value, { min: 1, max: 63, grammar: grammar.namespace });
}

export function checkSectionName(checks: Checks, path: FieldPath, value: string | undefined): void {
  checks.text(path, value, { min: 1, max: 253, grammar: grammar.sectionName });
}

export function checkHostname(checks: Checks, path: FieldPath, value: string | undefined): void {
  checks.text(path, value, { min: 1, max: 253, grammar: grammar.hostname });
}

export function checkPort(checks: Checks, path: FieldPath, value: number | undefined): void {
  checks.range(path, value, 1, PORT_MAX);
}

export function validateGatewayClass(gatewayClass: GatewayClass): FieldError[] {
  const checks = new Checks();
  const { spec } = gatewayClass;
  checks.text(['spec', 'controllerName'], spec.controllerName, { min: 1, max: 253, grammar: grammar.controllerName });
  checks.text(['spec', 'description'], spec.description, { max: 64 });
  if (spec.parametersRef) {
    const at: FieldPath = ['spec', 'parametersRef'];
    checkGroup(checks, [...at, 'group'], spec.parametersRef.group);
    checkKind(checks, [...at, 'kind'], spec.parametersRef.kind);
    checkObjectName(checks, [...at, 'name'], spec.parametersRef.name);
    checkNamespace(checks, [...at, 'namespace'], spec.parametersRef.namespace);
  }
  return checks.errors;
}

const TLS_MODES = ['Terminate', 'Passthrough'];
const FROM_NAMESPACES = ['All', 'Selector', 'Same'];
const SELECTOR_OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist'];

/** Whether a listener's protocol is one of `names`: core protocol names are case-insensitive. */
function isProtocol(listener: Listener, names: readonly string[]): boolean {
  return names.includes(listener.protocol.toUpperCase());
}

export function validateGateway(gateway: Gateway): FieldError[] {
  const checks = new Checks();
  const { spec } = gateway;
  checks.text(['spec', 'gatewayClassName'], spec.gatewayClassName, { min: 1, max: 253 });
  const listenersAt: FieldPath = ['spec', 'listeners'];
  checks.minItems(listenersAt, spec.listeners, 1);
  checks.maxItems(listenersAt, spec.listeners, 64);
  spec.listeners.forEach((listener, i) => checkListener(checks, listener, [...listenersAt, i]));
  // listType=map keyed by name, and the CEL rule "Listener name must be unique within the Gateway".
  checks.unique(listenersAt, spec.listeners, (listener) => listener.name, 'name');
  checks.unique(
    listenersAt,
    spec.listeners,
    (listener) => JSON.stringify([listener.port, listener.protocol, listener.hostname ?? null]),
    undefined,
    'Combination of port, protocol and hostname must be unique for each listener',
  );
  checkAddresses(checks, gateway);
  const parametersRef = spec.infrastructure?.parametersRef;
  if (parametersRef) {
    const at: FieldPath = ['spec', 'infrastructure', 'parametersRef'];
    checkGroup(checks, [...at, 'group'], parametersRef.group);
    checkKind(checks, [...at, 'kind'], parametersRef.kind);
    checks.text([...at, 'name'], parametersRef.name, { min: 1, max: 253 });
  }
  return checks.errors;
}

function checkListener(checks: Checks, listener: Listener, at: FieldPath): void {
  checkSectionName(checks, [...at, 'name'], listener.name);
  checkHostname(checks, [...at, 'hostname'], listener.hostname);
  checkPort(checks, [...at, 'port'], listener.port);
  checks.text([...at, 'protocol'], listener.protocol, { min: 1, max: 255, grammar: grammar.protocol });
  const { tls } = listener;
  if (tls) {
    checks.oneOf([...at, 'tls', 'mode'], tls.mode, TLS_MODES);
    checks.maxItems([...at, 'tls', 'certificateRefs'], tls.certificateRefs, 64);
    tls.certificateRefs.forEach((ref, i) => {
      const refAt: FieldPath = [...at, 'tls', 'certificateRefs', i];
      checkGroup(checks, [...refAt, 'group'], ref.group);
      checkKind(checks, [...refAt, 'kind'], ref.kind);
      checkObjectName(checks, [...refAt, 'name'], ref.name);
      checkNamespace(checks, [...refAt, 'namespace'], ref.namespace);
    });
    if (tls.mode === 'Terminate') {
      checks.rule([...at, 'tls'], tls.certificateRefs.length > 0 || tls.options !== undefined, 'certificateRefs or options must be specified when mode is Terminate');
    }
  }
  // The CEL rules of spec.listeners, reported on the listener that breaks them.
  checks.rule([...at, 'tls'], !(isProtocol(listener, ['HTTP', 'TCP', 'UDP']) && tls), "tls must not be specified for protocols ['HTTP', 'TCP', 'UDP']");
  if (isProtocol(listener, ['HTTPS']) && tls) checks.rule([...at, 'tls', 'mode'], tls.mode === 'Terminate', 'tls mode must be Terminate for protocol HTTPS');
  if (isProtocol(listener, ['TLS'])) checks.rule([...at, 'tls'], tls !== undefined, 'tls mode must be set for protocol TLS');
  if (isProtocol(listener, ['TCP', 'UDP'])) {
    checks.rule([...at, 'hostname'], listener.hostname === undefined || listener.hostname === '', "hostname must not be specified for protocols ['TCP', 'UDP']");
  }
  const routesAt: FieldPath = [...at, 'allowedRoutes'];
  const { namespaces, kinds } = listener.allowedRoutes;
  checks.oneOf([...routesAt, 'namespaces', 'from'], namespaces.from, FROM_NAMESPACES);
  if (namespaces.selector) checkSelector(checks, namespaces.selector, [...routesAt, 'namespaces', 'selector']);
  checks.maxItems([...routesAt, 'kinds'], kinds, 8);
  kinds.forEach((kind, i) => {
    checkGroup(checks, [...routesAt, 'kinds', i, 'group'], kind.group);
    checkKind(checks, [...routesAt, 'kinds', i, 'kind'], kind.kind);
  });
}

/** metav1.LabelSelector as ValidateLabelSelector checks it (see the note at the top). */
function checkSelector(checks: Checks, selector: LabelSelector, at: FieldPath): void {
  for (const [key, value] of Object.entries(selector.matchLabels)) {
    checks.text([...at, 'matchLabels', key], key, { min: 1, max: 253, grammar: grammar.qualifiedName });
    checks.text([...at, 'matchLabels', key], value, { max: 63, grammar: grammar.labelValue });
  }
  selector.matchExpressions.forEach((expression, i) => {
    const expressionAt: FieldPath = [...at, 'matchExpressions', i];
    checks.text([...expressionAt, 'key'], expression.key, { min: 1, max: 253, grammar: grammar.qualifiedName });
    if (!checks.oneOf([...expressionAt, 'operator'], expression.operator, SELECTOR_OPERATORS)) return;
    if (expression.operator === 'In' || expression.operator === 'NotIn') {
      checks.rule([...expressionAt, 'values'], expression.values.length > 0, "must be specified when `operator` is 'In' or 'NotIn'");
    } else {
      checks.rule([...expressionAt, 'values'], expression.values.length === 0, "may not be specified when `operator` is 'Exists' or 'DoesNotExist'");
    }
    expression.values.forEach((value, j) => checks.text([...expressionAt, 'values', j], value, { max: 63, grammar: grammar.labelValue }));
  });
}

function checkAddresses(checks: Checks, gateway: Gateway): void {
  const at: FieldPath = ['spec', 'addresses'];
  const { addresses } = gateway.spec;
  checks.maxItems(at, addresses, 16);
  addresses.forEach((address, i) => {
    checks.text([...at, i, 'type'], address.type, { min: 1, max: 253, grammar: grammar.addressType });
    if (!checks.text([...at, i, 'value'], address.value, { max: 253 })) return;
    if (address.type === 'IPAddress' && address.value !== '' && (isIP(address.value) === 0 || address.value.includes('%'))) {
      checks.add([...at, i, 'value'], `Invalid value: ${JSON.stringify(address.value)}: must be a valid IPv4 or IPv6 address`);
    }
    if (address.type === 'Hostname' && address.value !== '') {
      checks.rule(
        [...at, i, 'value'],
        grammar.hostname(address.value).length === 0,
        'Hostname value must be empty or contain only valid characters (matching ^(\\*\\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$)',
      );
    }
  });
  for (const type of ['IPAddress', 'Hostname']) {
    const valued = addresses.map((address, i) => ({ address, i })).filter(({ address }) => address.type === type && address.value !== '');
    const seen = new Set<string>();
    for (const { address, i } of valued) {
      checks.rule([...at, i, 'value'], !seen.has(address.value), `${type} values must be unique`);
      seen.add(address.value);
    }
  }
}

export function validateReferenceGrant(grant: ReferenceGrant): FieldError[] {
  const checks = new Checks();
  const { from, to } = grant.spec;
  checks.minItems(['spec', 'from'], from, 1);
  checks.maxItems(['spec', 'from'], from, 16);
  from.forEach((entry, i) => {
    checkGroup(checks, ['spec', 'from', i, 'group'], entry.group);
    checkKind(checks, ['spec', 'from', i, 'kind'], entry.kind);
    checkNamespace(checks, ['spec', 'from', i, 'namespace'], entry.namespace);
  });
  checks.minItems(['spec', 'to'], to, 1);
  checks.maxItems(['spec', 'to'], to, 16);
  to.forEach((entry, i) => {
    checkGroup(checks, ['spec', 'to', i, 'group'], entry.group);
    checkKind(checks, ['spec', 'to', i, 'kind'], entry.kind);
    checkObjectName(checks, ['spec', 'to', i, 'name'], entry.name);
  });
  return checks.errors;
}
