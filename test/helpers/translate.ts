// Runs translate on objects written as manifest JSON, for unit tests.

import { decodeObject } from '../../src/objects/decode.js';
import type { KubeObject } from '../../src/objects/types.js';
import { translate, type Snapshot, type TranslateOptions, type Translation } from '../../src/translate/translate.js';
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

export function snapshotOf(objects: readonly KubeObject[]): Snapshot {
  return {
    ingresses: objects.filter((o) => o.kind === 'Ingress'),
    ingressClasses: objects.filter((o) => o.kind === 'IngressClass'),
    services: objects.filter((o) => o.kind === 'Service'),
    endpointSlices: objects.filter((o) => o.kind === 'EndpointSlice'),
    secrets: objects.filter((o) => o.kind === 'Secret'),
    configMaps: objects.filter((o) => o.kind === 'ConfigMap'),
  };
}

export function translateJson(objects: readonly Json[], options: Partial<TranslateOptions> = {}): Translation {
  return translate(snapshotOf(decodeAll(objects)), { ...BASE_OPTIONS, ...options });
}
