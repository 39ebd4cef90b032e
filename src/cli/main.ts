// Entry point: parse flags, start the source (manifests or Kubernetes), the
// control loop, HAProxy and the health server; stop gracefully on
// SIGTERM/SIGINT.

import { HaproxyDataplane } from '../dataplane/haproxy/apply.js';
import { checkHaproxy } from '../dataplane/haproxy/binary.js';
import { layout } from '../dataplane/haproxy/layout.js';
import { Store } from '../store/store.js';
import { startHealthServer } from '../telemetry/health.js';
import { createLogger, type Logger } from '../telemetry/log.js';
import { collectGarbage } from '../telemetry/memory.js';
import { Metrics } from '../telemetry/metrics.js';
import { loadOrCreateDefaultCertificate } from '../tls/default-certificate.js';
import { Controller } from './controller.js';
import { durationMs, parseFlags, type Flags } from './flags.js';
import { kubeMode, manifestsMode } from './modes.js';
import { prepareStateDir } from './state-dir.js';

function waitForSignal(log: Logger): Promise<void> {
  return new Promise((resolve) => {
    const stop = (signal: string) => {
      log.info({ signal }, 'stopping: HAProxy finishes its connections, then Portero exits');
      resolve();
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
}

async function run(flags: Flags, log: Logger): Promise<void> {
  // First: the state directory must be safe before anything is read from it or written to it.
  await prepareStateDir(flags.stateDir);
  const version = await checkHaproxy(flags.haproxy);
  const paths = layout(flags.stateDir);
  const fallbackCertificatePem = await loadOrCreateDefaultCertificate(paths.defaultCertificate);
  const store = new Store({ debounceMs: 2, maxDelayMs: 50 });
  const metrics = new Metrics();
  const mode = flags.manifests ? manifestsMode(flags.manifests, store, log, flags.stateDir) : await kubeMode(flags, store, log, metrics);

  let controller: Controller | undefined;
  const dataplane = new HaproxyDataplane({
    binary: flags.haproxy,
    layout: paths,
    log,
    metrics,
    maxDrainMs: durationMs(flags.hardStopAfter),
    settings: {
      bindAddress: flags.bindAddress,
      httpPort: flags.httpPort,
      httpsPort: flags.httpsPort,
      hardStopAfter: flags.hardStopAfter,
      maxReloads: 8,
      accessLog: flags.accessLog,
      metricsPort: flags.haproxyMetricsPort,
    },
    onRestart: () => controller?.trigger(),
  });
  controller = new Controller({
    store,
    settings: {
      ingressClass: flags.ingressClass,
      controllerClass: flags.controllerClass,
      watchIngressWithoutClass: flags.watchIngressWithoutClass,
      fallbackCertificatePem,
      ...(flags.defaultBackendService ? { defaultBackendService: flags.defaultBackendService } : {}),
      ...(flags.defaultSslCertificate ? { defaultSslCertificate: flags.defaultSslCertificate } : {}),
    },
    dataplane,
    log,
    metrics,
    observe: (translation) => mode.observe(translation),
  });

  let ready = false;
  let shuttingDown = false;
  const health = await startHealthServer(flags.bindAddress, flags.healthPort, {
    live: () => !ready || dataplane.haproxyRunning,
    ready: () => ready && !shuttingDown && dataplane.haproxyRunning,
    metrics: () => metrics.render(),
  });
  process.on('SIGHUP', () => {
    log.info('SIGHUP: reloading HAProxy with the current configuration');
    controller?.forceReload();
  });
  const stopping = waitForSignal(log).then(() => {
    shuttingDown = true;
  });
  // Kubernetes mode may wait long for its first sync (API unreachable): a signal still stops it.
  await Promise.race([mode.start(), stopping]);
  if (!shuttingDown) {
    await controller!.start();
    ready = true;
    // Start-up garbage would otherwise hold on to memory for good; V8 gives
    // the freed room back to the system some seconds after these collections.
    setTimeout(collectGarbage, 1000).unref();
    setTimeout(collectGarbage, 5000).unref();
    log.info({ haproxy: version.text, http: flags.httpPort, https: flags.httpsPort, health: flags.healthPort }, 'Portero is ready');
  }
  await stopping;
  // Graceful shutdown: /readyz fails at once; HAProxy keeps serving through the
  // grace period while load balancers and kube-proxy stop sending new
  // connections; then it stops listening and finishes the requests in flight.
  if (ready && flags.shutdownGracePeriod > 0) {
    log.info({ gracePeriodMs: flags.shutdownGracePeriod }, 'not ready any more; still serving during the grace period');
    await new Promise((resolve) => setTimeout(resolve, flags.shutdownGracePeriod));
  }
  await mode.stop();
  await dataplane.stop(durationMs(flags.hardStopAfter) + 5000);
  health.closeAllConnections();
  await new Promise<void>((resolve) => health.close(() => resolve()));
  log.info('stopped');
}

export async function main(argv: readonly string[]): Promise<void> {
  const flags = parseFlags(argv);
  const log = createLogger(flags.logLevel);
  process.on('unhandledRejection', (reason) => log.error({ err: reason instanceof Error ? reason.stack : String(reason) }, 'unhandled rejection (ignored)'));
  try {
    await run(flags, log);
    process.exit(0);
  } catch (error) {
    log.fatal({ err: (error as Error).message }, 'Portero cannot run');
    process.exit(1);
  }
}
