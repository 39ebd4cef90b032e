// translate: snapshot → { model, diagnostics }. Pure: no I/O, no clock (the
// time is part of the input), no globals. Every Ingress v1 rule is decided
// here; see DESIGN.md "Routing semantics". Invalid input yields a diagnostic
// naming the object and field and is left out; it never throws and never
// affects other objects.

import { describe } from '../objects/grammar.js';
import { levelsByHost, type Backend, type Certificate, type ClientAuth, type Model } from '../model/model.js';
import { keyOf, refOf, TLS_SECRET_TYPE, type ConfigMap, type KubeObject, type EndpointSlice, type Ingress, type IngressClass, type ObjectRef, type Secret, type Service } from '../objects/types.js';
import { backendFor, indexServices, indexSlices, type BackendSpec, type ServiceIndex, type SliceIndex } from './backends.js';
import { checkDiagnostics } from './check.js';
import { ageOf, checkedIngress } from './memo.js';
import { diagnosticKey, type Diagnostic } from './diagnostics.js';
import { isOurs, selectClasses, type ClassOptions } from './ingress-class.js';
import { annotationField, annotationsOf, DEFAULT_ANNOTATION_SETTINGS, SUPPORT, type AnnotationSettings } from './annotations/index.js';
import { addExtraHosts } from './extra-hosts.js';
import { addTargetEndpoints, resolveAuthTarget, resolveServiceTarget } from './ext-auth-endpoints.js';
import { withBasicAuth } from './auth.js';
import { withCustomHeaders } from './custom-headers.js';
import { withMixedSslRedirects, withSslForbid } from './ssl-redirect.js';
import { clientAuthLevels, withClientAuth } from './client-auth.js';
import { route, type OptionsOf, type ServiceRef } from './routes.js';
import { buildTls, inspectSecret, refusal, type RefusedCertificates } from './tls.js';
import { readConfigMap, type ConfigMapSettings } from './configmap.js';
import { resolveHeaderConfigMaps } from './configmap-headers.js';
import type { GatewayAttachment, PortSettings } from './gateway/index.js';
import { serveGateways, type GatewayServing } from './gateway/serve.js';
import { withGateway } from './gateway/merge.js';
import type { Gateway, GatewayClass, GRPCRoute, HTTPRoute, LabelSelector, Namespace, ReferenceGrant } from '../objects/gateway-types.js';
import { namespaceLabels, selectorMatches } from './gateway/references.js';

export interface Snapshot {
  ingresses: readonly Ingress[];
  ingressClasses: readonly IngressClass[];
  services: readonly Service[];
  endpointSlices: readonly EndpointSlice[];
  secrets: readonly Secret[];
  /** ConfigMaps; only the one named by `TranslateOptions.configMap` is read. */
  configMaps?: readonly ConfigMap[];
  // Gateway API (translate/gateway/); optional, so that Ingress-only callers need not name them.
  /** Namespaces: their labels select routes for a listener's `allowedRoutes`. */
  namespaces?: readonly Namespace[];
  gatewayClasses?: readonly GatewayClass[];
  gateways?: readonly Gateway[];
  httpRoutes?: readonly HTTPRoute[];
  grpcRoutes?: readonly GRPCRoute[];
  referenceGrants?: readonly ReferenceGrant[];
}

export type { ServiceRef };

/** The snapshot of a list of objects of any kind (tools and tests; the controller keeps its store by kind). */
export function snapshotOf(objects: readonly KubeObject[]): Snapshot {
  return {
    ingresses: objects.filter((o) => o.kind === 'Ingress'),
    ingressClasses: objects.filter((o) => o.kind === 'IngressClass'),
    services: objects.filter((o) => o.kind === 'Service'),
    endpointSlices: objects.filter((o) => o.kind === 'EndpointSlice'),
    secrets: objects.filter((o) => o.kind === 'Secret'),
    configMaps: objects.filter((o) => o.kind === 'ConfigMap'),
    namespaces: objects.filter((o) => o.kind === 'Namespace'),
    gatewayClasses: objects.filter((o) => o.kind === 'GatewayClass'),
    gateways: objects.filter((o) => o.kind === 'Gateway'),
    httpRoutes: objects.filter((o) => o.kind === 'HTTPRoute'),
    grpcRoutes: objects.filter((o) => o.kind === 'GRPCRoute'),
    referenceGrants: objects.filter((o) => o.kind === 'ReferenceGrant'),
  };
}

export interface TranslateOptions extends ClassOptions {
  /** `--default-backend-service`: answers requests that match nothing when no Ingress sets a default backend. */
  defaultBackendService?: ServiceRef;
  /** `--default-ssl-certificate`: a TLS Secret used when SNI matches no host. */
  defaultSslCertificate?: { namespace: string; name: string };
  /** The certificate generated at start, used when no valid default certificate is configured. */
  fallbackCertificatePem: string;
  /** The current time, for certificate validity warnings. */
  now: Date;
  /**
   * Certificates HAProxy refused although they passed inspection (the data
   * plane finds them): left out, their hosts on the default certificate.
   */
  refusedCertificates?: RefusedCertificates;
  /** How annotations are read (`--annotations-prefix`, `--allow-snippet-annotations`). */
  annotations?: AnnotationSettings;
  /** `--configmap`: the ingress-nginx ConfigMap whose keys set global defaults (configmap.ts). */
  configMap?: { namespace: string; name: string };
  /** `--gateway-controller-name`: the GatewayClasses Portero serves (default portero.dev/gateway-controller). */
  gatewayControllerName?: string;
  /** The node's interface addresses: Gateway addresses outside them (and loopback) are refused (AddressNotUsable). */
  localAddresses?: readonly string[];
  /** Portero's own ports: Gateway listeners on them are refused (PortUnavailable). */
  gatewayPorts?: PortSettings;
  /** Gateway sockets the data plane cannot bind, `address|port` ('' for --bind-address) → why: their listeners are PortUnavailable. */
  unbindableSockets?: ReadonlyMap<string, string>;
}

export interface Translation {
  model: Model;
  diagnostics: Diagnostic[];
  /** The Ingresses Portero serves (ours by class and valid), for status reporting. */
  served: ObjectRef[];
  /** Gateway API: what is served and the status of every object (absent without GatewayClasses and Gateways). */
  gateway?: GatewayAttachment;
}

export function compareAge(a: Ingress, b: Ingress): number {
  const at = ageOf(a);
  const bt = ageOf(b);
  if (at !== bt) return at - bt;
  const ak = keyOf(a.metadata.namespace, a.metadata.name);
  const bk = keyOf(b.metadata.namespace, b.metadata.name);
  return ak < bk ? -1 : ak > bk ? 1 : 0;
}

interface Selection {
  classes: readonly IngressClass[];
  /** The Namespaces the selection was made with (only compared with --watch-namespace-selector). */
  namespaces: readonly Namespace[] | undefined;
  key: string;
  /** Our valid Ingresses, oldest first. */
  valid: Ingress[];
  served: ObjectRef[];
  diagnostics: Diagnostic[];
  optionsOf: OptionsOf;
}

// The selection for the same Ingress and IngressClass arrays and options is the same (see memo.ts).
const selections = new WeakMap<readonly Ingress[], Selection>();

/**
 * `--watch-namespace-selector`: the namespaces whose labels the selector
 * selects (every Namespace carries kubernetes.io/metadata.name). A namespace
 * without its Namespace object (a manifest directory that does not declare
 * it) is selected only when its name label alone satisfies the selector.
 */
function selectedNamespaces(snapshot: Snapshot, selector: LabelSelector): (namespace: string) => boolean {
  const byName = new Map((snapshot.namespaces ?? []).map((namespace) => [namespace.metadata.name, namespace]));
  const memo = new Map<string, boolean>();
  return (namespace) => {
    let selected = memo.get(namespace);
    if (selected === undefined) {
      selected = selectorMatches(selector, namespaceLabels(namespace, byName.get(namespace)));
      memo.set(namespace, selected);
    }
    return selected;
  };
}

/** The Ingresses Portero serves, valid and sorted oldest first, with the diagnostics of the refused ones. */
/** ingress-nginx's catch-all Ingress: a default backend and no rules (what --disable-catch-all leaves out). */
const isCatchAllIngress = (ingress: Ingress): boolean => ingress.spec.defaultBackend !== undefined && (ingress.spec.rules ?? []).length === 0;

function selectIngresses(snapshot: Snapshot, options: TranslateOptions, settings: AnnotationSettings): Selection {
  const key = `${JSON.stringify(options.namespaceSelector ?? null)}|${options.ingressClass}|${options.controllerClass}|${options.watchIngressWithoutClass}|${options.ingressClassByName === true}|${options.disableCatchAll === true}|${settings.prefix}|${settings.allowSnippets}|${JSON.stringify(settings.defaults ?? {})}|${settings.redirectCode}|${settings.sslPassthrough}|${JSON.stringify(settings.globalAuth ?? null)}|${settings.allowedResponseHeaders?.join(',')}`;
  const memo = selections.get(snapshot.ingresses);
  if (memo && memo.classes === snapshot.ingressClasses && memo.key === key && (options.namespaceSelector === undefined || memo.namespaces === snapshot.namespaces)) return memo;
  const classes = selectClasses(snapshot.ingressClasses, options);
  const optionsOf: OptionsOf = (ingress) => annotationsOf(ingress, settings);
  const selection: Selection = { classes: snapshot.ingressClasses, namespaces: snapshot.namespaces, key, valid: [], served: [], diagnostics: [], optionsOf };
  const inScope = options.namespaceSelector ? selectedNamespaces(snapshot, options.namespaceSelector) : () => true;
  for (const ingress of [...snapshot.ingresses].filter((candidate) => inScope(candidate.metadata.namespace) && isOurs(candidate, classes, options)).sort(compareAge)) {
    if (options.disableCatchAll === true && isCatchAllIngress(ingress)) {
      selection.diagnostics.push({ severity: 'warning', object: refOf(ingress), field: 'spec.defaultBackend', message: 'the Ingress has a default backend and no rules (a catch-all) and --disable-catch-all is set: it is not served, as ingress-nginx ignores it' });
      continue;
    }
    const annotations = annotationsOf(ingress, settings);
    const check = checkedIngress(ingress, annotations.regex);
    selection.diagnostics.push(...checkDiagnostics(ingress, check));
    selection.diagnostics.push(...annotationDiagnostics(ingress, settings));
    if (check.errors.length > 0 || annotations.problems.some((problem) => !problem.failClosed)) continue;
    selection.valid.push(ingress);
    selection.served.push(refOf(ingress));
  }
  selections.set(snapshot.ingresses, selection);
  return selection;
}

// The backends of the same specs over the same slices are the same (see memo.ts).
const backendLists = new WeakMap<ReadonlyMap<string, BackendSpec>, { slices: SliceIndex; services: ServiceIndex; backends: Backend[] }>();

function backendsOf(specs: ReadonlyMap<string, BackendSpec>, slices: SliceIndex, services: ServiceIndex): Backend[] {
  const memo = backendLists.get(specs);
  if (memo?.slices === slices && memo.services === services) return memo.backends;
  const backends = [...specs.values()].map((spec) => backendFor(slices, spec, services)).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  backendLists.set(specs, { slices, services, backends });
  return backends;
}

// The Gateway API result each model was translated with, so that the next
// translation (given that model as `previous`) reuses what did not change.
const gatewayServings = new WeakMap<Model, GatewayServing>();

/**
 * `previous`, the model of the last translation, changes nothing in the
 * result's values: parts equal to its parts are its very objects, so the data
 * plane can skip them cheaply.
 */
export function translate(snapshot: Snapshot, options: TranslateOptions, previous?: Model): Translation {
  const diagnostics: Diagnostic[] = [];
  const configured = configMapSettings(snapshot, options);
  if (configured) diagnostics.push(...configured.read.diagnostics);
  // add-headers and proxy-set-headers name other ConfigMaps: joined here, so that their changes take effect.
  const globalHeaders = configured && options.configMap ? resolveHeaderConfigMaps(configured.read.globals, configured.read.headerConfigMaps, snapshot.configMaps ?? [], { kind: 'ConfigMap', namespace: options.configMap.namespace, name: options.configMap.name }) : undefined;
  if (globalHeaders) diagnostics.push(...globalHeaders.diagnostics);
  const globals = globalHeaders?.globals;
  const annotationSettings = configured?.annotations ?? options.annotations ?? DEFAULT_ANNOTATION_SETTINGS;
  const selection = selectIngresses(snapshot, options, annotationSettings);
  diagnostics.push(...selection.diagnostics);
  const valid = selection.valid;

  // Basic auth joins the users of a Secret to the options of the Ingresses that name it.
  const auth = withBasicAuth(selection.optionsOf, valid, snapshot.secrets, annotationSettings);
  diagnostics.push(...auth.diagnostics);
  const headers = withCustomHeaders(auth.optionsOf, valid, snapshot.configMaps ?? [], annotationSettings);
  diagnostics.push(...headers.diagnostics);
  // Client authentication: a CA bundle the Secret must hold, or the Ingress's paths are denied.
  const tlsAuth = withClientAuth(headers.optionsOf, valid, snapshot.secrets, annotationSettings, options.refusedCertificates);
  diagnostics.push(...tlsAuth.diagnostics);
  const optionsOf = withMixedSslRedirects(withSslForbid(tlsAuth.optionsOf, valid), valid, annotationSettings);
  const routed = route(valid, indexServices(snapshot.services), options.defaultBackendService, previous ? levelsByHost(previous) : undefined, optionsOf, options.disableCatchAll !== true);
  const routing = addExtraHosts(valid, routed, annotationSettings);
  diagnostics.push(...routing.diagnostics);
  const clientAuth = clientAuthLevels(valid, tlsAuth, routing, annotationSettings);
  diagnostics.push(...clientAuth.diagnostics);

  const secrets = new Map<string, Secret>();
  // Certificates come from TLS Secrets only; other Secrets are kept for their basic-auth credentials.
  for (const secret of snapshot.secrets) if (secret.type === TLS_SECRET_TYPE) secrets.set(keyOf(secret.metadata.namespace, secret.metadata.name), secret);
  const tls = buildTls(valid, secrets, options.now, diagnostics, options.refusedCertificates, (ingress) => annotationsOf(ingress, annotationSettings).sslRedirectOff === true);

  diagnostics.push(...authDiagnostics(valid, snapshot, annotationSettings));

  const gateway = serveGateways(snapshot, {
    ...(options.gatewayControllerName ? { controllerName: options.gatewayControllerName } : {}),
    ...(options.refusedCertificates ? { refusedCertificates: options.refusedCertificates } : {}),
    now: options.now,
    ...(options.localAddresses ? { localAddresses: options.localAddresses } : {}),
    ...(options.gatewayPorts ? { ports: options.gatewayPorts } : {}),
    ...(options.unbindableSockets && options.unbindableSockets.size > 0 ? { unbindableSockets: options.unbindableSockets } : {}),
    ingressHosts: new Set(routing.levels.map((level) => level.host)),
  }, previous ? gatewayServings.get(previous) : undefined);
  if (gateway) diagnostics.push(...gateway.diagnostics);
  const served = gateway ? withGateway(routing.levels, routing.specs, tls.certificates, gateway) : { levels: routing.levels, specs: routing.specs, certificates: tls.certificates };

  const model: Model = {
    levels: served.levels,
    ...('scopes' in served && served.scopes.length > 0 ? { scopes: served.scopes } : {}),
    backends: addTargetEndpoints(backendsOf(served.specs, indexSlices(snapshot.endpointSlices), indexServices(snapshot.services)), indexServices(snapshot.services), indexSlices(snapshot.endpointSlices)),
    catchAll: routing.catchAll,
    defaultCertificate: defaultCertificate(secrets, options, diagnostics),
    certificates: served.certificates,
    redirectHosts: tls.redirectHosts,
    ...(routing.passthrough ? { passthrough: routing.passthrough } : {}),
    ...(globals && Object.keys(globals).length > 0 ? { globals } : {}),
    ...(clientAuth.clientAuth.length > 0 ? { clientAuth: sameClientAuth(previous?.clientAuth, clientAuth.clientAuth) } : {}),
  };
  if (gateway) gatewayServings.set(model, gateway);
  return {
    model,
    diagnostics: dedupe(diagnostics),
    served: selection.served,
    ...(gateway ? { gateway: gateway.attachment } : {}),
  };
}

interface Configured {
  read: ConfigMapSettings;
  /** The annotation settings with the ConfigMap's defaults: the same object while neither changes (memo keys compare it). */
  annotations: AnnotationSettings;
}

const NOT_FOUND: ConfigMap = { kind: 'ConfigMap', metadata: { namespace: '', name: '', creationTimestamp: '', labels: {}, annotations: {} }, data: {} };
const configuredMemo = new WeakMap<AnnotationSettings, WeakMap<ConfigMap, Configured>>();

/** The ConfigMap's settings, read once per ConfigMap object and annotation settings. */
function configMapSettings(snapshot: Snapshot, options: TranslateOptions): Configured | undefined {
  const ref = options.configMap;
  if (!ref) return undefined;
  const base = options.annotations ?? DEFAULT_ANNOTATION_SETTINGS;
  const found = (snapshot.configMaps ?? []).find((candidate) => candidate.metadata.namespace === ref.namespace && candidate.metadata.name === ref.name);
  let byObject = configuredMemo.get(base);
  if (!byObject) configuredMemo.set(base, (byObject = new WeakMap()));
  const memo = byObject.get(found ?? NOT_FOUND);
  if (memo) return memo;
  const read = readConfigMap(found, { kind: 'ConfigMap', namespace: ref.namespace, name: ref.name });
  const annotations: AnnotationSettings = {
    ...base,
    // The flag or the key enables snippets.
    allowSnippets: base.allowSnippets || read.allowSnippets,
    ...(Object.keys(read.annotationDefaults).length > 0 ? { defaults: read.annotationDefaults } : {}),
    ...(read.redirectCode !== undefined ? { redirectCode: read.redirectCode } : {}),
    ...(read.globalAuth ? { globalAuth: read.globalAuth } : {}),
    ...(read.allowedResponseHeaders ? { allowedResponseHeaders: read.allowedResponseHeaders } : {}),
  };
  const configured = { read, annotations };
  byObject.set(found ?? NOT_FOUND, configured);
  return configured;
}

function defaultCertificate(secrets: ReadonlyMap<string, Secret>, options: TranslateOptions, diagnostics: Diagnostic[]): Certificate {
  const generated: Certificate = { id: 'default', pem: options.fallbackCertificatePem, hosts: [] };
  const flag = options.defaultSslCertificate;
  if (!flag) return generated;
  const object: ObjectRef = { kind: 'Secret', namespace: flag.namespace, name: flag.name };
  const secret = secrets.get(keyOf(flag.namespace, flag.name));
  if (!secret) {
    diagnostics.push({ severity: 'warning', object, message: '--default-ssl-certificate: Secret not found (or not of type kubernetes.io/tls); using the generated certificate' });
    return generated;
  }
  const result = inspectSecret(secret);
  if (!result.ok) {
    diagnostics.push({ severity: 'warning', object, field: `data[${JSON.stringify(result.field)}]`, message: `--default-ssl-certificate: ${result.field} ${result.reason}; using the generated certificate` });
    return generated;
  }
  const refused = refusal(options.refusedCertificates, 'default', result.info.pem);
  if (refused !== undefined) {
    diagnostics.push({ severity: 'warning', object, message: `--default-ssl-certificate: HAProxy refuses the certificate (${refused}); using the generated certificate` });
    return generated;
  }
  return { id: 'default', pem: result.info.pem, hosts: [] };
}

/** The problems of an Ingress's annotations: each names the annotation, its value and what happens. */
function annotationDiagnostics(ingress: Ingress, settings: AnnotationSettings): Diagnostic[] {
  const { problems, notices, unknown } = annotationsOf(ingress, settings);
  const object = refOf(ingress);
  const refused = problems.some((problem) => !problem.failClosed);
  const out: Diagnostic[] = problems.map((problem) => ({
    severity: refused ? 'error' : 'warning',
    object,
    field: annotationField(settings, problem.name),
    message: `value ${describe(problem.value)}: ${problem.message}; ${refused ? 'the Ingress is not served' : 'its paths answer 503 until this is fixed'}`,
  }));
  for (const notice of notices) {
    out.push({ severity: 'warning', object, field: annotationField(settings, notice.name), message: `value ${describe(notice.value)}: ${notice.message}` });
  }
  for (const name of unknown) {
    out.push({ severity: 'warning', object, field: annotationField(settings, name), message: 'this annotation is not supported by Portero and is ignored' });
  }
  // Known annotations whose effect is missing (annotations/not-implemented.ts): ignored, with the reason.
  const start = `${settings.prefix}/`;
  for (const key of Object.keys(ingress.metadata.annotations)) {
    const name = key.slice(start.length);
    const support = key.startsWith(start) && Object.hasOwn(SUPPORT, name) ? SUPPORT[name] : undefined;
    if (support?.warn) out.push({ severity: 'warning', object, field: annotationField(settings, name), message: `this annotation is ignored: ${support.note ?? 'not supported'}` });
  }
  return out;
}

/** A warning for each served Ingress whose auth service (auth-url) cannot be asked (its requests answer 500), or whose mirror (mirror-target) cannot be reached (no copy is sent). */
function authDiagnostics(valid: readonly Ingress[], snapshot: Snapshot, settings: AnnotationSettings): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const ingress of valid) {
    const features = annotationsOf(ingress, settings).features;
    const auth = features?.externalAuth;
    if (auth) {
      const { problem } = resolveAuthTarget(auth.target, indexServices(snapshot.services), indexSlices(snapshot.endpointSlices));
      if (problem !== undefined) out.push({ severity: 'warning', object: refOf(ingress), field: annotationField(settings, 'auth-url'), message: problem });
    }
    for (const mirror of features?.mirrors ?? []) {
      const { problem } = resolveServiceTarget(mirror.target, indexServices(snapshot.services), indexSlices(snapshot.endpointSlices), 'mirror-target');
      if (problem !== undefined) out.push({ severity: 'warning', object: refOf(ingress), field: annotationField(settings, 'mirror-target'), message: `${problem}; no copy of the requests is sent` });
    }
  }
  return out;
}

/** The previous model's list when equal (so the data plane can compare by identity), else `next`. */
function sameClientAuth(previous: ClientAuth[] | undefined, next: ClientAuth[]): ClientAuth[] {
  if (!previous || previous.length !== next.length) return next;
  return next.every((auth, i) => JSON.stringify(auth) === JSON.stringify(previous[i])) ? previous : next;
}

function dedupe(diagnostics: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return diagnostics.filter((diagnostic) => {
    const key = diagnosticKey(diagnostic);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
