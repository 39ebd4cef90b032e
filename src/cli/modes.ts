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
  /** Objects the source refused before translation (manifests mode: invalid objects in files), for the dashboard. */
  sourceProblems?(): SourceProblem[];
}

export interface SourceProblem {
  severity: 'error' | 'warning';
  /** `Kind namespace/name`, when the problem is about one object. */
  object: string;
  field: string;
  message: string;
  /** Where: `file:line`. */
  location: string;
}

export function manifestsMode(directory: string, store: Store, log: Logger, stateDir: string): Mode {
  const source = new ManifestSource({ directory, store, log, stateDir });
  return {
    start: () => source.start(),
    observe: () => undefined,
    stop: () => source.stop(),
    sourceProblems: () =>
      source.problems().map(({ file, problem }) => ({
        severity: problem.level === 'error' ? 'error' : 'warning',
        object: problem.object ?? '',
        field: problem.field ?? '',
        message: problem.message,
        location: problem.line === undefined ? file : `${file}:${problem.line}`,
      })),
  };
}

