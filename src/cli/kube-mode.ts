// Kubernetes mode: the API client, informers feeding the store, leader
// election, Ingress status and Events.

import { hostname } from 'node:os';
import { KubeClient } from '../kube/client.js';
import { resolveConnection } from '../kube/config.js';
import { LeaderElector } from '../kube/leader.js';
import { isDiscovery, permissionFor, requestAttributes } from '../kube/permissions.js';
import { KubeSource } from '../source/kube/source.js';
import type { AddressMode } from '../status/addresses.js';
import { EventRecorder } from '../status/events.js';
import { StatusReporter } from '../status/reporter.js';
import type { Store } from '../store/store.js';
import type { Logger } from '../telemetry/log.js';
import type { Metrics } from '../telemetry/metrics.js';
import { durationMs, type Flags } from './flags.js';
import type { Mode } from './modes.js';
import { VERSION } from './version.js';

/**
 * `PORTERO_DISCOVERY_INTERVAL` (a duration such as 30s): how soon Portero
 * asks again whether Gateway API CRDs not installed at start are installed
 * now (growing to twice this). Tests shorten it; the default is 30 s.
 */
function discoveryInterval(env: NodeJS.ProcessEnv, log: Logger): number | undefined {
  const value = env.PORTERO_DISCOVERY_INTERVAL;
  if (value === undefined || value === '') return undefined;
  try {
    return durationMs(value);
  } catch {
    log.warn({ PORTERO_DISCOVERY_INTERVAL: value }, 'not a duration such as 30s; using the default');
    return undefined;
  }
}

export async function kubeMode(flags: Flags, store: Store, log: Logger, metrics: Metrics, env: NodeJS.ProcessEnv = process.env): Promise<Mode> {
  const connection = await resolveConnection(flags.kubeconfig, env);
  log.info({ source: connection.source, server: connection.server }, 'using the Kubernetes API');
  const podNamespace = env.POD_NAMESPACE || 'default';
  const identity = env.POD_NAME || hostname();
  const client = new KubeClient(connection, {
    userAgent: `portero/${VERSION} (${identity})`,
    // Every request must be one the RBAC rules in deploy/ allow: see permissions.ts.
    onRequest: (method, path) => {
      if (isDiscovery(method, path)) return;
      const attributes = requestAttributes(method, path);
      if (!attributes || !permissionFor(attributes, podNamespace)) log.error({ method, path }, 'request not declared in src/kube/permissions.ts; RBAC may refuse it');
    },
  });
  const discoveryRecheckMs = discoveryInterval(env, log);
  const source = new KubeSource({
    client,
    store,
    log,
    idleTimeoutMs: flags.watchIdleTimeout,
    ...(flags.watchNamespace ? { watchNamespace: flags.watchNamespace } : {}),
    ...(flags.configmap ? { configMap: flags.configmap } : {}),
    ...(discoveryRecheckMs ? { discoveryRecheckMs } : {}),
  });
  const mode: AddressMode = flags.publishStatusAddress
    ? { kind: 'static', addresses: flags.publishStatusAddress }
    : flags.publishService
      ? { kind: 'service', ...flags.publishService }
      : { kind: 'nodes', podNamespace, podName: env.POD_NAME || undefined };
  let reporter: StatusReporter | undefined;
  const elector = new LeaderElector({
    client,
    namespace: podNamespace,
    name: flags.electionId,
    identity,
    log,
    onStartedLeading: () => {
      metrics.leader.set(1);
      reporter?.onStartedLeading();
    },
    onStoppedLeading: () => metrics.leader.set(0),
  });
  reporter = new StatusReporter({
    client,
    store,
    log,
    mode,
    isLeader: () => elector.isLeader(),
    events: new EventRecorder({ client, log, component: flags.controllerClass, instance: identity }),
    updateStatus: flags.updateStatus,
    refreshMs: flags.statusRefreshInterval,
    gatewayControllerName: flags.gatewayControllerName,
  });
  return {
    async start() {
      source.start();
      await source.synced();
      log.info(
        {
          ingresses: store.count('Ingress'),
          services: store.count('Service'),
          endpointSlices: store.count('EndpointSlice'),
          secrets: store.count('Secret'),
          ...(source.optionalKinds.includes('Gateway') ? { gateways: store.count('Gateway'), httpRoutes: store.count('HTTPRoute'), grpcRoutes: store.count('GRPCRoute') } : {}),
        },
        'initial sync done',
      );
      elector.start();
      reporter.start();
    },
    observe: (translation) => reporter.onTranslation(translation),
    async stop() {
      await elector.stop();
      await reporter.stop();
      await source.stop();
      await client.close();
    },
  };
}
