// Runs translate on objects written as manifest JSON, for unit tests.

import { decodeObject } from '../../src/objects/decode.js';
import type { KubeObject } from '../../src/objects/types.js';
import { snapshotOf, translate, type TranslateOptions, type Translation } from '../../src/translate/translate.js';

export { snapshotOf };
import type { Json } from './objects.js';

export const BASE_OPTIONS: TranslateOptions = {
  ingressClass: 'portero',
  controllerClass: 'portero.dev/ingress-controller',
  watchIngressWithoutClass: false,
  fallbackCertificatePem: 'GENERATED',
  now: new Date('2026-06-01T00:00:00Z'),
};

export function decodeAll(objects: readonly Json[]): KubeObject[] {
  return objects.map((raw, index) => {
    const result = decodeObject(raw, {
      defaultNamespace: 'default',
      creationTimestampFor: () => new Date(Date.UTC(2026, 0, 1, 0, 0, index)).toISOString(),
    });
    if (result.status !== 'ok') throw new Error(`test object ${index} does not decode: ${JSON.stringify(result)}`);
    return result.object;
  });
}

export function translateJson(objects: readonly Json[], options: Partial<TranslateOptions> = {}): Translation {
  return translate(snapshotOf(decodeAll(objects)), { ...BASE_OPTIONS, ...options });
}
