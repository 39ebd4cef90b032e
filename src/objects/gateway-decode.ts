// Raw JSON → the Gateway API objects of gateway-types.ts (Namespace,
// GatewayClass, Gateway, ReferenceGrant; the routes are in
// gateway-route-decode.ts), with the defaults the API server fills in
// (gateway.networking.k8s.io v1.6 CRDs), so that translation never has to
// guess one. Types are checked here; values (patterns, enums, ranges, CEL
// rules) by gateway-validate.ts, as decode.ts and validate.ts do for
// Ingress. The few fields Portero keeps no copy of (a Gateway's
// infrastructure labels and annotations) are checked here, where they are
// still at hand.

import { Checks } from './checks.js';
import type { FieldPath } from './field-errors.js';
import * as grammar from './gateway-grammar.js';
import {
  GATEWAY_GROUP,
  type Gateway,
  type GatewayAddress,
  type GatewayClass,
  type LabelSelector,
  type Listener,
  type Namespace,
  type ReferenceGrant,
  type SecretObjectReference,
} from './gateway-types.js';
import { EMPTY_MAP, shared, type JsonObject, type Shape } from './shape.js';
import type { ObjectMeta } from './types.js';

/** `spec`, which these kinds require. */
export function requiredSpec(shape: Shape, raw: JsonObject): JsonObject {
  if (raw.spec === undefined || raw.spec === null) shape.fail(['spec'], 'Required value');
  return shape.object(raw.spec, ['spec']);
}

/** A required string that may be empty (a `group`, where '' is the core API group). */
export function presentString(shape: Shape, value: unknown, path: FieldPath): string {
  if (value === undefined || value === null) {
    shape.fail(path, 'Required value');
    return '';
  }
  return shape.optionalString(value, path) ?? '';
}

export function requiredInteger(shape: Shape, value: unknown, path: FieldPath): number {
  if (value === undefined || value === null) {
    shape.fail(path, 'Required value');
    return 0;
  }
  return shape.optionalInteger(value, path) ?? 0;
}

/** A list of strings. */
export function stringList(shape: Shape, value: unknown, path: FieldPath): string[] {
  return shared(shape.list(value, path).map((item, i) => shape.optionalString(item, [...path, i]) ?? ''));
}

/** Copies the optional fields that are present (an object literal cannot leave an absent key out). */
export function withOptional<T extends object>(object: T, optional: Partial<T>): T {
  for (const [key, value] of Object.entries(optional)) if (value !== undefined) (object as Record<string, unknown>)[key] = value;
  return object;
}

/** The label the API server sets on every Namespace to its name (Kubernetes 1.21 and later). */
export const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';

export function decodeNamespace(metadata: ObjectMeta): Namespace {
  // Only the labels are read (a listener's allowedRoutes selector); a
  // Namespace's annotations are often large and never read. The API server
  // sets the name label whatever the manifest says, and selectors use it.
  const labels = metadata.labels[NAMESPACE_NAME_LABEL] === metadata.name ? metadata.labels : { ...metadata.labels, [NAMESPACE_NAME_LABEL]: metadata.name };
  if (labels === metadata.labels && metadata.annotations === EMPTY_MAP) return { kind: 'Namespace', metadata };
  return { kind: 'Namespace', metadata: { ...metadata, labels, annotations: EMPTY_MAP } };
}

export function decodeGatewayClass(shape: Shape, raw: JsonObject, metadata: ObjectMeta): GatewayClass {
  const spec = requiredSpec(shape, raw);
  const at: FieldPath = ['spec'];
  const gatewayClass: GatewayClass = { kind: 'GatewayClass', metadata, spec: { controllerName: shape.requiredString(spec.controllerName, [...at, 'controllerName']) } };
  const description = shape.optionalString(spec.description, [...at, 'description']);
  if (description !== undefined) gatewayClass.spec.description = description;
  if (spec.parametersRef !== undefined && spec.parametersRef !== null) {
    const ref = shape.object(spec.parametersRef, [...at, 'parametersRef']);
    const refAt: FieldPath = [...at, 'parametersRef'];
    gatewayClass.spec.parametersRef = withOptional<NonNullable<GatewayClass['spec']['parametersRef']>>(
      { group: presentString(shape, ref.group, [...refAt, 'group']), kind: shape.requiredString(ref.kind, [...refAt, 'kind']), name: shape.requiredString(ref.name, [...refAt, 'name']) },
      { namespace: shape.optionalString(ref.namespace, [...refAt, 'namespace']) },
    );
  }
  return gatewayClass;
}

/** A listener's allowedRoutes when none is given: routes from the Gateway's namespace, of the kinds that suit the protocol. */
const DEFAULT_ALLOWED_ROUTES: Listener['allowedRoutes'] = Object.freeze({ namespaces: Object.freeze({ from: 'Same' as const }), kinds: [] as never[] });

export function decodeGateway(shape: Shape, raw: JsonObject, metadata: ObjectMeta): Gateway {
  const spec = requiredSpec(shape, raw);
  const listeners = shape.list(spec.listeners, ['spec', 'listeners']).map((value, i) => decodeListener(shape, value, ['spec', 'listeners', i]));
  const addresses = shape.list(spec.addresses, ['spec', 'addresses']).map((value, i): GatewayAddress => {
    const at: FieldPath = ['spec', 'addresses', i];
    const address = shape.object(value, at);
    return { type: shape.optionalString(address.type, [...at, 'type']) ?? 'IPAddress', value: shape.optionalString(address.value, [...at, 'value']) ?? '' };
  });
  const gateway: Gateway = {
    kind: 'Gateway',
    metadata,
    spec: { gatewayClassName: shape.requiredString(spec.gatewayClassName, ['spec', 'gatewayClassName']), listeners, addresses: shared(addresses) },
  };
  if (spec.infrastructure !== undefined && spec.infrastructure !== null) gateway.spec.infrastructure = decodeInfrastructure(shape, spec.infrastructure);
  return gateway;
}

function decodeListener(shape: Shape, value: unknown, at: FieldPath): Listener {
  const raw = shape.object(value, at);
  const listener: Listener = {
    name: shape.requiredString(raw.name, [...at, 'name']),
    port: requiredInteger(shape, raw.port, [...at, 'port']),
    protocol: shape.requiredString(raw.protocol, [...at, 'protocol']),
    allowedRoutes: decodeAllowedRoutes(shape, raw.allowedRoutes, [...at, 'allowedRoutes']),
  };
  const hostname = shape.optionalString(raw.hostname, [...at, 'hostname']);
  if (hostname !== undefined) listener.hostname = hostname;
  if (raw.tls !== undefined && raw.tls !== null) {
    const tls = shape.object(raw.tls, [...at, 'tls']);
    const options = shape.stringMap(tls.options, [...at, 'tls', 'options']);
    checkStringMap(shape, options, [...at, 'tls', 'options'], 16, 4096);
    listener.tls = {
      mode: (shape.optionalString(tls.mode, [...at, 'tls', 'mode']) ?? 'Terminate') as 'Terminate' | 'Passthrough',
      certificateRefs: shared(shape.list(tls.certificateRefs, [...at, 'tls', 'certificateRefs']).map((ref, i) => decodeSecretRef(shape, ref, [...at, 'tls', 'certificateRefs', i]))),
      ...(Object.keys(options).length > 0 ? { options } : {}),
    };
  }
  return listener;
}

function decodeAllowedRoutes(shape: Shape, value: unknown, at: FieldPath): Listener['allowedRoutes'] {
  if (value === undefined || value === null) return DEFAULT_ALLOWED_ROUTES;
  const raw = shape.object(value, at);
  const namespaces = shape.object(raw.namespaces, [...at, 'namespaces']);
  const from = (shape.optionalString(namespaces.from, [...at, 'namespaces', 'from']) ?? 'Same') as Listener['allowedRoutes']['namespaces']['from'];
  const kinds = shape.list(raw.kinds, [...at, 'kinds']).map((entry, i) => {
    const kind = shape.object(entry, [...at, 'kinds', i]);
    return { group: shape.optionalString(kind.group, [...at, 'kinds', i, 'group']) ?? GATEWAY_GROUP, kind: shape.requiredString(kind.kind, [...at, 'kinds', i, 'kind']) };
  });
  const selector = namespaces.selector !== undefined && namespaces.selector !== null ? decodeLabelSelector(shape, namespaces.selector, [...at, 'namespaces', 'selector']) : undefined;
  return { namespaces: selector ? { from, selector } : from === 'Same' ? DEFAULT_ALLOWED_ROUTES.namespaces : { from }, kinds: shared(kinds) };
}

function decodeLabelSelector(shape: Shape, value: unknown, at: FieldPath): LabelSelector {
  const raw = shape.object(value, at);
  const matchExpressions = shape.list(raw.matchExpressions, [...at, 'matchExpressions']).map((entry, i) => {
    const expressionAt: FieldPath = [...at, 'matchExpressions', i];
    const expression = shape.object(entry, expressionAt);
    return {
      key: shape.requiredString(expression.key, [...expressionAt, 'key']),
      operator: shape.requiredString(expression.operator, [...expressionAt, 'operator']) as LabelSelector['matchExpressions'][number]['operator'],
      values: stringList(shape, expression.values, [...expressionAt, 'values']),
    };
  });
  return { matchLabels: shared(shape.stringMap(raw.matchLabels, [...at, 'matchLabels'])), matchExpressions: shared(matchExpressions) };
}

/** A certificate reference: group defaults to '' (core), kind to Secret. */
function decodeSecretRef(shape: Shape, value: unknown, at: FieldPath): SecretObjectReference {
  const raw = shape.object(value, at);
  return withOptional<SecretObjectReference>(
    { group: shape.optionalString(raw.group, [...at, 'group']) ?? '', kind: shape.optionalString(raw.kind, [...at, 'kind']) ?? 'Secret', name: shape.requiredString(raw.name, [...at, 'name']) },
    { namespace: shape.optionalString(raw.namespace, [...at, 'namespace']) },
  );
}

function decodeInfrastructure(shape: Shape, value: unknown): NonNullable<Gateway['spec']['infrastructure']> {
  const at: FieldPath = ['spec', 'infrastructure'];
  const raw = shape.object(value, at);
  // Labels and annotations for resources an implementation creates: Portero
  // creates none, so they are checked as the API checks them, then dropped.
  checkStringMap(shape, shape.stringMap(raw.labels, [...at, 'labels']), [...at, 'labels'], 8, 63, grammar.labelValue);
  checkStringMap(shape, shape.stringMap(raw.annotations, [...at, 'annotations']), [...at, 'annotations'], 16, 4096);
  if (raw.parametersRef === undefined || raw.parametersRef === null) return {};
  const ref = shape.object(raw.parametersRef, [...at, 'parametersRef']);
  const refAt: FieldPath = [...at, 'parametersRef'];
  return {
    parametersRef: { group: presentString(shape, ref.group, [...refAt, 'group']), kind: shape.requiredString(ref.kind, [...refAt, 'kind']), name: shape.requiredString(ref.name, [...refAt, 'name']) },
  };
}

/** A map of qualified-name keys (labels, annotations, TLS options) with its count and value limits. */
function checkStringMap(shape: Shape, map: Record<string, string>, at: FieldPath, maxProperties: number, maxValue: number, value?: (value: string) => string[]): void {
  const checks = new Checks();
  const keys = Object.keys(map);
  if (keys.length > maxProperties) checks.add(at, `Too many: ${keys.length}: must have at most ${maxProperties} items`);
  for (const key of keys) {
    checks.text([...at, key], key, { min: 1, max: 253, grammar: grammar.qualifiedName });
    checks.text([...at, key], map[key], { max: maxValue, ...(value ? { grammar: value } : {}) });
  }
  shape.errors.push(...checks.errors);
}

export function decodeReferenceGrant(shape: Shape, raw: JsonObject, metadata: ObjectMeta): ReferenceGrant {
  const spec = requiredSpec(shape, raw);
  const from = shape.list(spec.from, ['spec', 'from']).map((value, i) => {
    const at: FieldPath = ['spec', 'from', i];
    const entry = shape.object(value, at);
    return { group: presentString(shape, entry.group, [...at, 'group']), kind: shape.requiredString(entry.kind, [...at, 'kind']), namespace: shape.requiredString(entry.namespace, [...at, 'namespace']) };
  });
  const to = shape.list(spec.to, ['spec', 'to']).map((value, i) => {
    const at: FieldPath = ['spec', 'to', i];
    const entry = shape.object(value, at);
    return withOptional<ReferenceGrant['spec']['to'][number]>({ group: presentString(shape, entry.group, [...at, 'group']), kind: shape.requiredString(entry.kind, [...at, 'kind']) }, { name: shape.optionalString(entry.name, [...at, 'name']) });
  });
  return { kind: 'ReferenceGrant', metadata, spec: { from, to } };
}
