// GatewayClasses: which are ours, and their status.
//
// A GatewayClass is ours when `spec.controllerName` equals our controller
// name (`--gateway-controller-name`). Implementations "MUST populate status
// on all GatewayClass resources which specify their controller name"
// (gatewayclass_types.go, GatewayClass.Status). Portero takes no
// parameters: a class with `parametersRef` is not accepted, reason
// InvalidParameters ("If the referent cannot be found, refers to an
// unsupported kind ... the GatewayClass will be rejected").
//
// SupportedVersion: Portero cannot see the CRDs' bundle-version annotation
// from the objects alone, so it reports True; `supportedFeatures` is the list
// the options give (the routing engineer maintains it), sorted by name as the
// API requires.

import type { GatewayClass } from '../../objects/gateway-types.js';
import { condition, quote } from './conditions.js';
import type { GatewayClassResult, GatewayDiagnostic } from './types.js';

/** The API's limit on `status.supportedFeatures`. */
const MAX_FEATURES = 64;

export function supportedFeatureList(features: readonly string[]): { name: string }[] {
  return [...new Set(features)].sort().slice(0, MAX_FEATURES).map((name) => ({ name }));
}

export function gatewayClassResult(gatewayClass: GatewayClass, features: readonly string[], diagnostics: GatewayDiagnostic[]): GatewayClassResult {
  const meta = gatewayClass.metadata;
  const parameters = gatewayClass.spec.parametersRef;
  const accepted = parameters === undefined;
  if (parameters) {
    diagnostics.push({
      severity: 'error',
      object: { kind: 'GatewayClass', namespace: '', name: meta.name },
      field: 'spec.parametersRef',
      message: `Portero takes no parameters (${quote(`${parameters.group}/${parameters.kind}`)} ${quote(parameters.name)}); the GatewayClass is not accepted and its Gateways are not served`,
    });
  }
  const acceptedCondition = accepted
    ? condition(meta, 'Accepted', true, 'Accepted', 'Portero manages Gateways of this class')
    : condition(meta, 'Accepted', false, 'InvalidParameters', `parametersRef ${quote(`${parameters!.group}/${parameters!.kind}`)} ${quote(parameters!.name)} is not supported: Portero takes no parameters`);
  return {
    gatewayClass,
    accepted,
    status: {
      conditions: [acceptedCondition, condition(meta, 'SupportedVersion', true, 'SupportedVersion', 'Gateway API v1')],
      supportedFeatures: supportedFeatureList(features),
    },
  };
}
