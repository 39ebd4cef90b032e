// What a running Portero hands /api/explain (src/explain/http.ts): the
// translation it serves now, the objects, and the flags it runs with, so
// that `portero explain --server` explains exactly what is served.

import type { ExplainSetup } from '../../explain/explain.js';
import type { Snapshot, Translation } from '../../translate/translate.js';
import type { Flags } from '../flags.js';

/**
 * The setup of a translation that is now serving. `snapshot`: the store's
 * objects when it was observed (they may be a change newer than the
 * translation; the next observation catches up).
 */
export function explainSetupOf(translation: Translation, snapshot: Snapshot, flags: Flags): ExplainSetup {
  const service = flags.defaultBackendService;
  return {
    translation,
    snapshot,
    classes: { ingressClass: flags.ingressClass, controllerClass: flags.controllerClass, watchIngressWithoutClass: flags.watchIngressWithoutClass },
    annotations: { prefix: flags.annotationsPrefix, allowSnippets: flags.allowSnippetAnnotations, sslPassthrough: flags.enableSslPassthrough === true },
    ports: { http: flags.httpPort, https: flags.httpsPort },
    ...(service ? { defaultBackendService: `${service.namespace}/${service.name}:${service.port}` } : {}),
  };
}
