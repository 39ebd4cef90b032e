// `portero explain`: why one request goes where it goes, decided by the
// reference matcher (model/match.ts, model/scoped-match.ts) on the model
// translate made, the same one the data plane renders. The steps follow the
// data plane's order: listener, path normalisation (400), the HTTPS redirect
// of TLS hosts, client certificates, the host level, the route, a
// candidate (Gateway API), the backend and its features. Pure.

import {
  clientAuthAnswer,
  clientAuthOf,
  conditionHolds,
  effectiveShares,
  normalizeHost,
  normalizeRequestPath,
  redirectsToHttps,
  selectCandidate,
  selectRoute,
} from '../model/match.js';
import { backendsById, splitLevelHost, type HostLevel, type Model, type RequestCondition, type Route, type Scope, type Target, type WeightedTarget } from '../model/model.js';
import { exemptFromHttpsRedirect } from '../model/globals.js';
import { levelKind, scopeOf, selectArrivalLevel, type Arrival } from '../model/scoped-match.js';
import { SERVICE_NAME_LABEL, keyOf } from '../objects/types.js';
import { DEFAULT_ANNOTATION_SETTINGS, type AnnotationSettings } from '../translate/annotations/index.js';
import type { Diagnostic } from '../translate/diagnostics.js';
import type { ClassOptions } from '../translate/ingress-class.js';
import type { Snapshot, Translation } from '../translate/translate.js';
import { explainCertificate } from './certificate.js';
import { describeFeatures } from './features.js';
import { globalAnswerNotes, globalFeatureNotes } from './globals.js';
import { gatewayRules } from './gateway-rules.js';
import { fallbackSource, ingressRules } from './ingress-rules.js';
import { parseRequest, type ParsedRequest } from './request.js';
import type { BackendExplanation, CandidateExplanation, DecisionKind, Explanation, ExplainInput, SourceRef, TargetExplanation } from './types.js';

/** What explain needs besides the request: the translation, the objects it came from, and the flags Portero runs with. */
export interface ExplainSetup {
  translation: Translation;
  snapshot: Snapshot;
  classes: ClassOptions;
  /** --http-port and --https-port (80 and 443 by default). */
  ports: { http: number; https: number };
  annotations?: AnnotationSettings;
  /** --default-backend-service as given (`namespace/name:port`), to name it as the catch-all. */
  defaultBackendService?: string;
}

function arrivalOf(model: Model, request: ParsedRequest, ports: ExplainSetup['ports'], address: string | undefined): { arrival: Arrival; listenerPort: number } | undefined {
  const ingressPort = request.scheme === 'http' ? ports.http : ports.https;
  const onIngressPort = request.port === ingressPort;
  const listenerPort = onIngressPort ? (request.scheme === 'http' ? 80 : 443) : request.port;
  const scope = scopeOf(model, listenerPort, request.scheme, address);
  // --address names a Gateway's own address: when no listener has it, nothing listens there.
  if (address !== undefined && !scope?.addresses.includes(address)) return undefined;
  // A Gateway's own address is its scope alone; the shared bind on Portero's ports also has the Ingresses.
  const ingress = onIngressPort && (scope === undefined || scope.addresses.length === 0);
  if (!ingress && scope === undefined) return undefined;
  return { arrival: { ingress, ...(scope ? { scope } : {}) }, listenerPort };
}

function gatewayListeners(translation: Translation, scope: Scope | undefined): string[] {
  if (!scope) return [];
  return (translation.gateway?.listeners ?? [])
    .filter((listener) => listener.port === scope.port && listener.protocol.toLowerCase() === scope.protocol && [...listener.addresses].sort().join(',') === scope.addresses.join(','))
    .map((listener) => `${keyOf(listener.gateway.namespace, listener.gateway.name)} ${listener.name}${listener.hostname ? ` (${listener.hostname})` : ''}`);
}

function notReadyOf(snapshot: Snapshot, namespace: string, service: string): string[] {
  const out = new Set<string>();
  for (const slice of snapshot.endpointSlices) {
    if (slice.metadata.namespace !== namespace || slice.metadata.labels[SERVICE_NAME_LABEL] !== service) continue;
    for (const endpoint of slice.endpoints) if (endpoint.ready === false) for (const address of endpoint.addresses) out.add(address);
  }
  return [...out].sort();
}

function explainTarget(model: Model, snapshot: Snapshot, share: WeightedTarget): TargetExplanation {
  const target = share.target;
  if (target.kind !== 'backend') return { weight: share.weight, kind: target.kind, status: target.kind === 'not-found' ? 404 : target.kind === 'invalid' ? 500 : 503 };
  const backend = backendsById(model).get(target.id);
  if (!backend) return { weight: share.weight, kind: 'backend', status: 503 };
  const explained: BackendExplanation = {
    id: backend.id,
    namespace: backend.namespace,
    service: backend.service,
    port: backend.port,
    endpoints: backend.endpoints.map((endpoint) => `${endpoint.address}:${endpoint.port}`),
    notReady: notReadyOf(snapshot, backend.namespace, backend.service),
  };
  const backup = (backend.backupEndpoints ?? []).length > 0;
  return { weight: share.weight, kind: 'backend', backend: explained, status: backend.endpoints.length > 0 || backup ? null : 503 };
}

/** Which parts of a condition fail for the request. */
function failedParts(when: RequestCondition | undefined, path: string, request: ParsedRequest): string[] {
  if (!when) return [];
  const failed: string[] = [];
  const none = { headers: [], query: [] };
  if (when.method !== undefined && !conditionHolds({ ...none, method: when.method }, path, request.parts)) failed.push(`method is not ${when.method}`);
  if (when.path !== undefined && !conditionHolds({ ...none, path: when.path }, path, request.parts)) failed.push(`path does not match ${when.path.value}`);
  for (const header of when.headers) if (!conditionHolds({ ...none, headers: [header] }, path, request.parts)) failed.push(`header ${header.name} is not ${header.match.kind === 'exact' ? JSON.stringify(header.match.value) : `~ ${header.match.value}`}`);
  for (const param of when.query) if (!conditionHolds({ ...none, query: [param] }, path, request.parts)) failed.push(`query ${param.name} is not ${param.match.kind === 'exact' ? JSON.stringify(param.match.value) : `~ ${param.match.value}`}`);
  return failed;
}

function candidatesOf(route: Route, path: string, request: ParsedRequest): CandidateExplanation[] | undefined {
  if (!route.candidates) return undefined;
  let decided = false;
  return route.candidates.map((candidate, index) => {
    const failed = failedParts(candidate.when, path, request);
    const holds = failed.length === 0 && !decided;
    if (failed.length === 0) decided = true;
    return { index, ...(candidate.when ? { when: candidate.when } : {}), holds, failed: failed.length === 0 && !holds ? ['an earlier candidate decides'] : failed };
  });
}

/** A level in words: its host without the Gateway scope, or the rules without host. */
function levelName(level: HostLevel): string {
  const host = splitLevelHost(level.host).host;
  return host === '' ? 'the rules without host' : host;
}

function describeTargetShort(target: Target): string {
  return target.kind === 'backend' ? target.id : target.kind;
}

/** The explanation of one request under a translation. Throws ExplainInputError for a request that cannot be sent. */
export function explainRequest(setup: ExplainSetup, input: ExplainInput): Explanation {
  const model = setup.translation.model;
  const request = parseRequest(input);
  const annotations = setup.annotations ?? DEFAULT_ANNOTATION_SETTINGS;
  const context = { snapshot: setup.snapshot, translation: setup.translation, classes: setup.classes, annotations };
  const host = normalizeHost(request.hostHeader);
  const normalized = normalizeRequestPath(request.path);
  const placed = arrivalOf(model, request, setup.ports, input.address);
  const out: Explanation = {
    request: {
      method: request.method,
      url: input.url,
      scheme: request.scheme,
      port: request.port,
      hostHeader: request.hostHeader,
      host,
      path: request.path,
      routedPath: normalized.ok ? normalized.pathWithQuery : null,
      headers: request.headers,
      ...(request.sni !== undefined ? { sni: request.sni } : {}),
    },
    listener: {
      frontend: placed === undefined ? 'none' : placed.arrival.ingress ? 'ingress' : 'gateway',
      scheme: request.scheme,
      port: placed?.listenerPort ?? request.port,
      ...(placed?.arrival.scope ? { scope: placed.arrival.scope } : {}),
      gatewayListeners: gatewayListeners(setup.translation, placed?.arrival.scope),
    },
    decision: { kind: 'no-listener', matched: false, reason: '' },
    answer: { status: null, notes: [] },
    level: null,
    route: null,
    considered: [],
    targets: [],
    features: [],
    diagnostics: [],
  };
  if (request.scheme === 'https') out.tls = { sni: request.sni ?? null, certificate: explainCertificate(model, request.sni ?? null) };
  const decide = (kind: DecisionKind, matched: boolean, reason: string) => (out.decision = { kind, matched, reason });

  if (!placed) {
    decide('no-listener', false, input.address !== undefined ? `no Gateway listener has address ${input.address} and ${request.scheme} port ${request.port} (leave --address out for Portero's shared bind address)` : `nothing listens on ${request.scheme} port ${request.port}: not Portero's --${request.scheme}-port (${request.scheme === 'http' ? setup.ports.http : setup.ports.https}), and no Gateway listener`);
    out.answer.notes.push('the connection is refused');
    return withDiagnostics(out, setup);
  }
  if (!normalized.ok) {
    decide('bad-request', false, 'the path has a broken %-escape, or a dot segment only a backend would resolve (docs/routing.md, Path normalisation)');
    out.answer.status = 400;
    return withDiagnostics(out, setup);
  }
  const { arrival } = placed;
  // ssl-passthrough: the TLS connection goes to the backend as it is, chosen by SNI alone, before any HTTP.
  const passthrough = request.scheme === 'https' && arrival.ingress ? model.passthrough?.find((entry) => entry.host === (request.sni ?? '').toLowerCase()) : undefined;
  if (passthrough) {
    decide('route', true, `TLS for ${passthrough.host} is passed to the backend as it is (ssl-passthrough): Portero sees no HTTP, the backend's own certificate is served`);
    delete out.tls;
    out.targets = [explainTarget(model, setup.snapshot, { target: passthrough.target, weight: 1 })];
    out.features.push({ name: 'ssl-passthrough', detail: 'TLS passed through by SNI; host levels, paths and HTTP features do not apply' });
    out.answer.status = out.targets[0]!.status;
    return withDiagnostics(out, setup);
  }
  const level = selectArrivalLevel(model, arrival, request.hostHeader);
  const route = level ? selectRoute(level, normalized.pathWithQuery) : undefined;
  const chosen = route ? selectCandidate(route, normalized.pathWithQuery, request.parts) : undefined;
  const fromIngresses = ingressRules(context, host, level, route, normalized.pathWithQuery);
  const fromRoutes = gatewayRules(setup.translation, arrival.scope, host, normalized.pathWithQuery, request.parts, level && splitLevelHost(level.host).scope !== undefined ? route : undefined, chosen);
  const rules = { considered: [...fromIngresses.considered, ...fromRoutes.considered], source: fromIngresses.source ?? fromRoutes.source };
  out.considered = rules.considered;
  if (level) {
    const { host: levelHost, scope } = splitLevelHost(level.host);
    out.level = { host: levelHost, kind: levelKind(level), ...(scope !== undefined ? { scope } : {}), regex: level.regex === true };
  }

  if (arrival.ingress && request.scheme === 'http' && !exemptFromHttpsRedirect(model.globals, normalized.path) && redirectsToHttps(model, request.hostHeader)) {
    const port = setup.ports.https === 443 ? '' : `:${setup.ports.https}`;
    const location = `https://${(request.hostHeader.split(':')[0] ?? '').toLowerCase()}${port}${normalized.pathWithQuery}`;
    decide('https-redirect', true, `${host} is a TLS host (spec.tls of an Ingress): plain HTTP is redirected to HTTPS`);
    out.answer = { status: model.globals?.redirectCode ?? 308, location, notes: [] };
    return withDiagnostics(out, setup);
  }
  if (arrival.ingress) {
    const auth = clientAuthOf(model, request.hostHeader);
    const refused = auth ? clientAuthAnswer(auth, { scheme: request.scheme, host: request.hostHeader, path: request.path, httpsPort: setup.ports.https, ...(request.sni !== undefined ? { sni: request.sni } : {}) }) : undefined;
    if (auth) out.features.push({ name: 'auth-tls', detail: `client certificates (${auth.verify}) checked against CA ${auth.ca.id}${auth.matchCn ? `, subject must match ${auth.matchCn}` : ''}` });
    if (refused) {
      decide('client-auth', false, 'client-certificate authentication (auth-tls-*) of the level refuses a request without a certificate');
      out.answer = refused.kind === 'client-auth-redirect' ? { status: 302, location: refused.location, notes: [] } : { status: refused.kind === 'client-auth' ? refused.status : null, notes: [] };
      return withDiagnostics(out, setup);
    }
  }

  let shares: readonly WeightedTarget[];
  if (!level) {
    const target: Target = arrival.ingress ? model.catchAll : { kind: 'not-found' };
    shares = [{ target, weight: 1 }];
    const source = arrival.ingress ? fallbackSource(context, undefined, setup.defaultBackendService) : undefined;
    out.fallback = { role: 'catch-all', ...(source ? { source } : {}) };
    decide('catch-all', false, `no host level matches ${JSON.stringify(host)}${arrival.ingress ? '' : ' on this Gateway listener'}: ${target.kind === 'not-found' ? 'Portero answers 404' : `the catch-all ${describeTargetShort(target)} answers`}`);
  } else if (!route) {
    shares = [{ target: level.fallback, weight: 1 }];
    const source = splitLevelHost(level.host).scope !== undefined ? undefined : fallbackSource(context, level.host, setup.defaultBackendService);
    out.fallback = { role: 'level-default', ...(source ? { source } : {}) };
    decide('level-default', false, `no path of ${levelName(level)} matches ${JSON.stringify(normalized.path)}: its default answers (${describeTargetShort(level.fallback)})`);
  } else {
    const candidate = chosen;
    shares = candidate ? effectiveShares(candidate.split) : [{ target: route.target, weight: 1 }];
    const candidates = candidatesOf(route, normalized.pathWithQuery, request);
    if (candidates) out.candidates = candidates;
    out.route = {
      match: route.match,
      path: route.path,
      ...(rules.source ? { source: rules.source } : {}),
      ...(route.canary
        ? { canary: { backend: route.canary.target.id, ...(route.canary.header ? { header: route.canary.header } : {}), ...(route.canary.cookie ? { cookie: route.canary.cookie } : {}), weightPercent: route.canary.weight / 100 } }
        : {}),
    };
    const via = candidates ? (candidate ? `, candidate ${route.candidates!.indexOf(candidate)}` : ', no candidate holds: the route\'s own target') : '';
    decide('route', true, `route ${route.match} ${JSON.stringify(route.match === 'prefix' ? route.path || '/' : route.path)} of ${levelName(level)}${via}${rules.source ? ` (${rules.source.kind} ${keyOf(rules.source.namespace, rules.source.name)} ${rules.source.field})` : ''}`);
    if (route.canary) out.answer.notes.push(`the canary ${route.canary.target.id} may take the request instead (by header, cookie, or ${route.canary.weight / 100}% by weight)`);
  }
  out.targets = shares.map((share) => explainTarget(model, setup.snapshot, share));
  if (shares.length > 1) out.answer.notes.push(`a weighted split: one of ${shares.length} targets is chosen at random by weight`);
  answerOf(out, model, shares, request, normalized.pathWithQuery, setup);
  return withDiagnostics(out, setup);
}

/** The answer: what the first target's features answer by themselves, else what the target answers. */
function answerOf(out: Explanation, model: Model, shares: readonly WeightedTarget[], request: ParsedRequest, pathWithQuery: string, setup: ExplainSetup): void {
  const first = shares[0]!.target;
  const backend = first.kind === 'backend' ? backendsById(model).get(first.id) : undefined;
  const described = describeFeatures(backend?.features, {
    scheme: request.scheme,
    hostHeader: request.hostHeader,
    pathWithQuery,
    method: request.method,
    headers: request.headers,
    httpsPort: setup.ports.https,
    ...(model.globals ? { globals: model.globals } : {}),
  });
  out.features.push(...described.notes, ...globalFeatureNotes(model.globals, request.headers));
  out.answer.notes.push(...globalAnswerNotes(model.globals));
  out.answer.notes.push(...described.depends);
  if (shares.length === 1 && described.answer) {
    out.answer.status = described.answer.status;
    if (described.answer.location !== undefined) out.answer.location = described.answer.location;
    return;
  }
  if (shares.length === 1) out.answer.status = out.targets[0]!.status;
  else if (shares.some((share) => share.target.kind === 'backend' && backendsById(model).get(share.target.id)?.features)) out.answer.notes.push('features are those of the first target; the others may have their own');
}

/** The diagnostics of the objects that took part: the rules considered, the Services of the targets, the certificate's Secret. */
function withDiagnostics(out: Explanation, setup: ExplainSetup): Explanation {
  const keys = new Set<string>();
  const add = (kind: string, namespace: string, name: string) => keys.add(`${kind}|${keyOf(namespace, name)}`);
  for (const rule of out.considered) add(rule.source.kind, rule.source.namespace, rule.source.name);
  const sources: (SourceRef | undefined)[] = [out.route?.source, out.fallback?.source];
  for (const source of sources) if (source) add(source.kind, source.namespace, source.name);
  for (const target of out.targets) if (target.backend) add('Service', target.backend.namespace, target.backend.service);
  if (out.tls?.certificate.secret) add('Secret', out.tls.certificate.secret.namespace, out.tls.certificate.secret.name);
  out.diagnostics = setup.translation.diagnostics.filter((diagnostic: Diagnostic) => keys.has(`${diagnostic.object.kind}|${keyOf(diagnostic.object.namespace, diagnostic.object.name)}`));
  return out;
}

