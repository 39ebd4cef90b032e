// The Gateway API kinds (and Namespaces) for decode.ts, which dispatches
// every kind: their decoders and validators in one place.

import type { FieldError } from './field-errors.js';
import { decodeGateway, decodeGatewayClass, decodeNamespace, decodeReferenceGrant } from './gateway-decode.js';
import { decodeGRPCRoute, decodeHTTPRoute } from './gateway-route-decode.js';
import { validateGRPCRoute, validateHTTPRoute } from './gateway-route-validate.js';
import type { GatewayObject } from './gateway-types.js';
import { validateGateway, validateGatewayClass, validateReferenceGrant } from './gateway-validate.js';
import type { JsonObject, Shape } from './shape.js';
import type { ObjectMeta } from './types.js';

export function decodeGatewayObject(kind: GatewayObject['kind'], shape: Shape, raw: JsonObject, metadata: ObjectMeta): GatewayObject {
  switch (kind) {
    case 'Namespace':
      return decodeNamespace(metadata);
    case 'GatewayClass':
      return decodeGatewayClass(shape, raw, metadata);
    case 'Gateway':
      return decodeGateway(shape, raw, metadata);
    case 'HTTPRoute':
      return decodeHTTPRoute(shape, raw, metadata);
    case 'GRPCRoute':
      return decodeGRPCRoute(shape, raw, metadata);
    case 'ReferenceGrant':
      return decodeReferenceGrant(shape, raw, metadata);
  }
}

/** The API server's checks of a decoded object (run once it decoded without type errors). */
export function validateGatewayObject(object: GatewayObject): FieldError[] {
  switch (object.kind) {
    case 'Namespace':
      return [];
    case 'GatewayClass':
      return validateGatewayClass(object);
    case 'Gateway':
      return validateGateway(object);
    case 'HTTPRoute':
      return validateHTTPRoute(object);
    case 'GRPCRoute':
      return validateGRPCRoute(object);
    case 'ReferenceGrant':
      return validateReferenceGrant(object);
  }
}
