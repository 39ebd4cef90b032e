// The two ways Portero gets its objects: a directory of manifests, or the
// Kubernetes API (with leader election, Ingress status and Events, in
// kube-mode.ts, loaded only in that mode). Both fill the same store;
// everything downstream is the same.

import { ManifestSource } from '../source/manifests/directory.js';
import type { Store } from '../store/store.js';
import type { Logger } from '../telemetry/log.js';
import type { Translation } from '../translate/translate.js';

export interface Mode {
  /** Starts reading objects; resolves once the store holds a complete first view. */
  start(): Promise<void>;
  /** Called with every translation (for status and Events). */
  observe(translation: Translation): void;
  stop(): Promise<void>;
}

export function manifestsMode(directory: string, store: Store, log: Logger, stateDir: string): Mode {
  const source = new ManifestSource({ directory, store, log, stateDir });
  return {
    start: () => source.start(),
    observe: () => undefined,
    stop: () => source.stop(),
  };
}

