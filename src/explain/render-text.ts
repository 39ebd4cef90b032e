// An Explanation for people: the decision first, then each step that led to
// it, then the rules that lost and why. Pure.

import { formatDiagnostic } from '../translate/diagnostics.js';
import { keyOf } from '../objects/types.js';
import type { RequestCondition, ValueMatch } from '../model/model.js';
import type { ConsideredRule, Explanation, SourceRef, TargetExplanation } from './types.js';

function value(match: ValueMatch): string {
  return match.kind === 'exact' ? `= ${JSON.stringify(match.value)}` : `~ ${match.value}`;
}

/** `method POST, header version = "v2", query page ~ ^[0-9]+$`. */
export function describeCondition(when: RequestCondition | undefined): string {
  if (!when) return 'always';
  const parts = [
    ...(when.method !== undefined ? [`method ${when.method}`] : []),
    ...(when.path !== undefined ? [`path ${value(when.path)}`] : []),
    ...when.headers.map((header) => `header ${header.name} ${value(header.match)}`),
    ...when.query.map((param) => `query ${param.name} ${value(param.match)}`),
  ];
  return `when ${parts.join(', ')}`;
}

function source(ref: SourceRef): string {
  return `${ref.kind} ${keyOf(ref.namespace, ref.name)}${ref.field ? ` ${ref.field}` : ''}`;
}

function target(item: TargetExplanation, split: boolean): string[] {
  const weight = split ? `weight ${item.weight}: ` : '';
  if (!item.backend) return [`${weight}${item.kind} (answers ${item.status})`];
  const b = item.backend;
  const lines = [`${weight}Service ${keyOf(b.namespace, b.service)} port ${b.port} (backend ${b.id})`];
  lines.push(b.endpoints.length > 0 ? `  ready endpoints: ${b.endpoints.join(', ')}` : '  no ready endpoint: answers 503');
  if (b.notReady.length > 0) lines.push(`  not ready: ${b.notReady.join(', ')}`);
  return lines;
}

function rule(item: ConsideredRule): string {
  const host = item.host === '' ? '(any host)' : item.host;
  return `${item.result.padEnd(13)} ${host} ${item.pathType} ${JSON.stringify(item.path)}  ${source(item.source)}\n${' '.repeat(16)}${item.reason}`;
}

export function renderExplanationText(explanation: Explanation): string {
  const e = explanation;
  const out: string[] = [];
  const status = e.answer.status === null ? 'the backend answers' : `${e.answer.status}${e.answer.location ? ` → ${e.answer.location}` : ''}`;
  out.push(`${e.request.method} ${e.request.url}`);
  out.push(`  ${e.decision.matched ? 'matched' : 'not matched'}: ${e.decision.reason}`);
  out.push(`  answer: ${status}`);
  for (const note of e.answer.notes) out.push(`    (${note})`);
  out.push('');
  out.push('Request');
  out.push(`  Host ${JSON.stringify(e.request.hostHeader)} → ${JSON.stringify(e.request.host)}; path ${JSON.stringify(e.request.path)}${e.request.routedPath === null ? ' → refused (400)' : e.request.routedPath !== e.request.path ? ` → routed as ${JSON.stringify(e.request.routedPath)}` : ''}`);
  for (const [name, value] of e.request.headers) out.push(`  ${name}: ${value}`);
  const listener = e.listener;
  const scope = listener.scope ? `; Gateway scope ${listener.scope.id} (${listener.scope.protocol} ${listener.scope.port}${listener.scope.addresses.length > 0 ? ` on ${listener.scope.addresses.join(', ')}` : ''})` : '';
  out.push(`Listener: ${listener.frontend === 'ingress' ? `Portero's ${listener.scheme} port` : listener.frontend === 'gateway' ? 'a Gateway listener port' : 'none'} (${listener.scheme} ${e.request.port})${scope}`);
  for (const name of listener.gatewayListeners) out.push(`  Gateway listener ${name}`);
  if (e.tls) {
    const c = e.tls.certificate;
    out.push(`TLS: SNI ${e.tls.sni === null ? '(none)' : JSON.stringify(e.tls.sni)} → ${c.default ? 'the default certificate' : `Secret ${keyOf(c.secret?.namespace ?? '', c.secret?.name ?? c.id)}`} (by ${c.selectedBy} name)`);
    if (c.subject) out.push(`  subject ${c.subject}; names ${(c.subjectAltNames ?? []).join(', ') || '(none)'}; expires ${c.notAfter}`);
  }
  if (e.level) out.push(`Host level: ${e.level.host === '' ? '(rules without host)' : e.level.host} (${e.level.kind}${e.level.regex ? ', regular-expression paths' : ''}${e.level.scope ? `, scope ${e.level.scope}` : ''})`);
  else if (e.decision.kind === 'catch-all') out.push('Host level: none');
  if (e.route) {
    out.push(`Route: ${e.route.match} ${JSON.stringify(e.route.match === 'prefix' ? e.route.path || '/' : e.route.path)}${e.route.source ? ` from ${source(e.route.source)}` : ''}`);
    if (e.route.canary) out.push(`  canary: ${e.route.canary.backend}${e.route.canary.header ? `, header ${e.route.canary.header}` : ''}${e.route.canary.cookie ? `, cookie ${e.route.canary.cookie}` : ''}, ${e.route.canary.weightPercent}% by weight`);
  }
  for (const candidate of e.candidates ?? []) {
    out.push(`  candidate ${candidate.index} (${describeCondition(candidate.when)}): ${candidate.holds ? 'decides' : `no: ${candidate.failed.join('; ')}`}`);
  }
  if (e.fallback) out.push(`Default: ${e.fallback.role}${e.fallback.source ? ` from ${source(e.fallback.source)}` : e.targets[0]?.kind === 'not-found' ? " (none is set: Portero's 404)" : ''}`);
  if (e.targets.length > 0) {
    out.push('Backend');
    for (const item of e.targets) for (const line of target(item, e.targets.length > 1)) out.push(`  ${line}`);
  }
  if (e.features.length > 0) {
    out.push('Features (in the order they act)');
    for (const feature of e.features) out.push(`  ${feature.name}: ${feature.detail}${feature.answers ? ' [answers this request]' : ''}`);
  }
  if (e.considered.length > 0) {
    out.push('Rules considered');
    for (const item of e.considered) out.push(`  ${rule(item)}`);
  }
  if (e.diagnostics.length > 0) {
    out.push('Diagnostics');
    for (const diagnostic of e.diagnostics) out.push(`  ${diagnostic.severity}: ${formatDiagnostic(diagnostic)}`);
  }
  return `${out.join('\n')}\n`;
}
