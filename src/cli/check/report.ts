// `portero check`'s report: every GatewayClass, Gateway (with its
// listeners) and route, with the status Portero would write (computed by the
// same translate code Kubernetes mode writes from), the Ingresses served,
// and every diagnostic. Pure.

import type { Condition } from '../../objects/gateway-types.js';
import type { GatewayStatus } from '../../translate/gateway/index.js';
import { formatDiagnostic, type Diagnostic } from '../../translate/diagnostics.js';
import type { Translation } from '../../translate/translate.js';

export interface CheckReport {
  gatewayClasses: { name: string; status: unknown }[];
  gateways: { namespace: string; name: string; status: GatewayStatus }[];
  routes: { kind: string; namespace: string; name: string; status: { parents: { parentRef: { name: string; namespace?: string; sectionName?: string }; conditions: Condition[] }[] } }[];
  ingresses: string[];
  diagnostics: { severity: string; object: string; field?: string; message: string }[];
  /** 0: every object accepted with its references resolved and no warning; 1 otherwise. */
  exitCode: number;
}

function healthy(conditions: readonly Condition[]): boolean {
  return conditions.every((condition) => (condition.type === 'Conflicted' || condition.type === 'PartiallyInvalid' || condition.type === 'OverlappingTLSConfig' ? condition.status === 'False' : condition.status === 'True'));
}

export function checkReport(translation: Translation): CheckReport {
  const attachment = translation.gateway;
  const report: CheckReport = {
    gatewayClasses: (attachment?.gatewayClasses ?? []).map((result) => ({ name: result.gatewayClass.metadata.name, status: result.status })),
    gateways: (attachment?.gateways ?? []).map((result) => ({ namespace: result.gateway.metadata.namespace, name: result.gateway.metadata.name, status: result.status })),
    routes: (attachment?.routes ?? []).map((result) => ({ kind: result.kind, namespace: result.route.metadata.namespace, name: result.route.metadata.name, status: result.status })),
    ingresses: translation.served.map((ref) => `${ref.namespace}/${ref.name}`),
    diagnostics: translation.diagnostics.map((diagnostic: Diagnostic) => ({
      severity: diagnostic.severity,
      object: `${diagnostic.object.kind} ${diagnostic.object.namespace ? `${diagnostic.object.namespace}/` : ''}${diagnostic.object.name}`,
      ...(diagnostic.field !== undefined ? { field: diagnostic.field } : {}),
      message: diagnostic.message,
    })),
    exitCode: 0,
  };
  const allHealthy =
    report.gateways.every((gateway) => healthy(gateway.status.conditions) && gateway.status.listeners.every((listener) => healthy(listener.conditions))) &&
    report.routes.every((route) => route.status.parents.every((parent) => healthy(parent.conditions))) &&
    translation.diagnostics.length === 0;
  report.exitCode = allHealthy ? 0 : 1;
  return report;
}

function conditions(list: readonly Condition[]): string {
  return list.map((condition) => `${condition.type}=${condition.status}${condition.status === 'True' && condition.reason === condition.type ? '' : ` (${condition.reason}${condition.message ? `: ${condition.message}` : ''})`}`).join(', ');
}

export function renderCheckText(report: CheckReport, translation: Translation): string {
  const lines: string[] = [];
  for (const gatewayClass of translation.gateway?.gatewayClasses ?? []) lines.push(`GatewayClass ${gatewayClass.gatewayClass.metadata.name}: ${conditions(gatewayClass.status.conditions)}`);
  for (const gateway of report.gateways) {
    lines.push(`Gateway ${gateway.namespace}/${gateway.name}: ${conditions(gateway.status.conditions)}`);
    for (const listener of gateway.status.listeners) lines.push(`  listener ${listener.name}: attachedRoutes=${listener.attachedRoutes}; ${conditions(listener.conditions)}`);
  }
  for (const route of report.routes) {
    if (route.status.parents.length === 0) lines.push(`${route.kind} ${route.namespace}/${route.name}: no parent of ours`);
    for (const parent of route.status.parents) {
      const ref = `${parent.parentRef.namespace ?? route.namespace}/${parent.parentRef.name}${parent.parentRef.sectionName ? `/${parent.parentRef.sectionName}` : ''}`;
      lines.push(`${route.kind} ${route.namespace}/${route.name} → ${ref}: ${conditions(parent.conditions)}`);
    }
  }
  lines.push(`Ingresses served: ${report.ingresses.length}`);
  for (const diagnostic of translation.diagnostics) lines.push(`${diagnostic.severity}: ${formatDiagnostic(diagnostic)}`);
  lines.push(report.exitCode === 0 ? 'everything is accepted and resolved' : 'some objects are not accepted, not resolved, or have diagnostics');
  return `${lines.join('\n')}\n`;
}
