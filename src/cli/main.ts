// Entry point: parse flags, start the source (manifests or Kubernetes), the
// control loop, HAProxy and the health server; stop gracefully on
// SIGTERM/SIGINT (see shutdown.ts for the steps). `portero migrate`,
// `check` and `explain` are commands of their own (src/cli/*/).

import { networkInterfaces } from 'node:os';
import { HaproxyDataplane } from '../dataplane/haproxy/apply.js';
import { checkHaproxy } from '../dataplane/haproxy/binary.js';
import { layout } from '../dataplane/haproxy/layout.js';
import { RuntimeApi } from '../dataplane/haproxy/runtime.js';
import { Store } from '../store/store.js';
import type { Snapshot, Translation } from '../translate/translate.js';
import { handleExplainRequest } from '../explain/http.js';
import { Dashboard } from '../telemetry/dashboard/server.js';
import { startHealthServer } from '../telemetry/health.js';
import { createLogger, type Logger } from '../telemetry/log.js';
import { collectGarbage } from '../telemetry/memory.js';
import { Metrics } from '../telemetry/metrics.js';
import { loadOrCreateDefaultCertificate } from '../tls/default-certificate.js';
import { Controller, type ApplyEvent } from './controller.js';
import { explainSetupOf } from './explain/setup.js';
import { durationMs, parseFlags, type Flags } from './flags.js';
import { manifestsMode } from './modes.js';
import { Shutdown } from './shutdown.js';
import { prepareStateDir } from './state-dir.js';
import { VERSION } from './version.js';

async function run(flags: Flags, log: Logger, shutdown: Shutdown): Promise<void> {
  // /api/explain answers from the translation the dashboard holds as served, with the very objects it was made of.
  const explainOf = (served: { snapshot: Snapshot; translation: Translation } | undefined) => served && explainSetupOf(served.translation, served.snapshot, flags);
  // First: the state directory must be safe before anything is read from it or written to it.
  await prepareStateDir(flags.stateDir);
  const paths = layout(flags.stateDir);
  // Made (at first start) while HAProxy is checked and the objects are read.
  const fallbackCertificate = loadOrCreateDefaultCertificate(paths.defaultCertificate);
  fallbackCertificate.catch(() => undefined); // awaited below; a failure is reported there
  const version = await checkHaproxy(flags.haproxy);
  if (shutdown.started) return;
  const store = new Store({ debounceMs: 2, maxDelayMs: 50 });
  const metrics = new Metrics();
  const mode = flags.manifests ? manifestsMode(flags.manifests, store, log, flags.stateDir) : await (await import('./kube-mode.js')).kubeMode(flags, store, log, metrics);

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
  // From the first signal on, HAProxy exiting is expected: it must never be
  // started again, even when the signal reached HAProxy first.
  shutdown.onBegin(() => {
    dataplane.beginShutdown();
    controller?.stop();
  });
  shutdown.onForce(() => dataplane.stop(0));

  // The dashboard asks HAProxy for live counters with a short deadline of its own: a slow answer must not hold a page.
  const dashboardRuntime = new RuntimeApi(paths.adminSocket, 2000);
  const dashboard = flags.dashboard
    ? new Dashboard({
        annotationsPrefix: flags.annotationsPrefix,
        ports: { bindAddress: flags.bindAddress, http: flags.httpPort, https: flags.httpsPort },
        runtime: () => (dataplane.haproxyRunning ? dashboardRuntime : undefined),
        sectionOf: (id) => dataplane.liveNames?.nameOf(id),
        version: VERSION,
        sourceProblems: () => mode.sourceProblems?.() ?? [],
      })
    : undefined;
  shutdown.onBegin(() => dashboard?.close());

  let ready = false;
  // Whether load balancers may have been sending traffic when the signal came: only then is a grace period needed.
  let servedAtSignal = false;
  shutdown.onBegin(() => (servedAtSignal = ready));
  const health = await startHealthServer(flags.bindAddress, flags.healthPort, {
    live: () => !ready || dataplane.haproxyRunning,
    // Not ready while HAProxy serves the empty emergency configuration (it refused every other).
    ready: () => ready && !shutdown.started && dataplane.haproxyRunning && !controller?.servingFallback,
    metrics: () => metrics.render(),
    // With --dashboard: the page, and /api/explain for `portero explain --server` and the page's search box.
    handlers: dashboard ? [(request, response) => dashboard.handle(request, response), (request, response) => handleExplainRequest(request, response, () => explainOf(dashboard.state.served))] : [],
  });
  // Kubernetes mode may wait long for its first sync (API unreachable): a signal still stops it.
  if (!shutdown.started) await Promise.race([mode.start(), shutdown.requested]);
  if (!shutdown.started) {
    controller = new Controller({
      store,
      settings: {
        ingressClass: flags.ingressClass,
        controllerClass: flags.controllerClass,
        watchIngressWithoutClass: flags.watchIngressWithoutClass,
        ...(flags.ingressClassByName === true ? { ingressClassByName: true } : {}),
        ...(flags.disableCatchAll === true ? { disableCatchAll: true } : {}),
        ...(flags.watchNamespaceSelector ? { namespaceSelector: flags.watchNamespaceSelector } : {}),
        annotations: { prefix: flags.annotationsPrefix, allowSnippets: flags.allowSnippetAnnotations, sslPassthrough: flags.enableSslPassthrough === true },
        fallbackCertificatePem: await fallbackCertificate,
        ...(flags.defaultBackendService ? { defaultBackendService: flags.defaultBackendService } : {}),
        ...(flags.defaultSslCertificate ? { defaultSslCertificate: flags.defaultSslCertificate } : {}),
        ...(flags.configmap ? { configMap: flags.configmap } : {}),
        gatewayControllerName: flags.gatewayControllerName,
        // Read once: a Gateway address must be one of these (or loopback) to be bound.
        localAddresses: Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((entry) => entry.address)),
        // Gateway listeners on 80 and 443 are served on these; any other port of Portero's is refused to them.
        gatewayPorts: {
          http: flags.httpPort,
          https: flags.httpsPort,
          reserved: [{ port: flags.healthPort, flag: '--health-port' }, ...(flags.haproxyMetricsPort ? [{ port: flags.haproxyMetricsPort, flag: '--haproxy-metrics-port' }] : [])],
        },
      },
      dataplane,
      log,
      metrics,
      observe: (translation) => mode.observe(translation),
      ...(dashboard ? { onApply: (event: ApplyEvent) => dashboard.record(event) } : {}),
    });
    await controller.start();
    ready = true;
    shutdown.onReload(() => controller?.forceReload());
    // Start-up garbage would otherwise hold on to memory for good; V8 gives
    // the freed room back to the system some seconds after these collections.
    setTimeout(collectGarbage, 1000).unref();
    setTimeout(collectGarbage, 5000).unref();
    if (!shutdown.started) log.info({ haproxy: version.text, http: flags.httpPort, https: flags.httpsPort, health: flags.healthPort, ...(dashboard ? { dashboard: `http://${flags.bindAddress.includes(':') ? `[${flags.bindAddress}]` : flags.bindAddress}:${flags.healthPort}/dashboard/` } : {}) }, 'Portero is ready');
  }
  await shutdown.requested;
  // Graceful shutdown: /readyz fails at once; HAProxy keeps serving through the
  // grace period while load balancers and kube-proxy stop sending new
  // connections; then it stops listening and finishes the requests in flight.
  if (servedAtSignal && flags.shutdownGracePeriod > 0) {
    log.info({ gracePeriodMs: flags.shutdownGracePeriod }, 'not ready any more; still serving during the grace period');
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([new Promise((resolve) => (timer = setTimeout(resolve, flags.shutdownGracePeriod))), shutdown.hurried]);
    clearTimeout(timer);
  }
  await mode.stop();
  await dataplane.stop(durationMs(flags.hardStopAfter) + 5000);
  health.closeAllConnections();
  await new Promise<void>((resolve) => health.close(() => resolve()));
  log.info('stopped');
}

export async function main(argv: readonly string[]): Promise<void> {
  // Subcommands come first and have flags of their own; without one, the
  // arguments are the controller's flags, parsed as they always were.
  if (argv[0] === 'migrate') {
    const { runMigrate } = await import('./migrate/command.js');
    // Not process.exit: the report may still be on its way to a pipe.
    process.exitCode = await runMigrate(argv.slice(1));
    return;
  }
  if (argv[0] === 'explain') {
    const { runExplain } = await import('./explain/command.js');
    process.exitCode = await runExplain(argv.slice(1));
    return;
  }
  if (argv[0] === 'check') {
    const { runCheck } = await import('./check/command.js');
    process.exitCode = await runCheck(argv.slice(1));
    return;
  }
  const flags = parseFlags(argv);
  const log = createLogger(flags.logLevel);
  // First, before anything slow: until then a signal would kill Portero outright.
  const shutdown = new Shutdown(log);
  process.on('unhandledRejection', (reason) => log.error({ err: reason instanceof Error ? reason.stack : String(reason) }, 'unhandled rejection (ignored)'));
  log.info({ pid: process.pid, stateDir: flags.stateDir }, 'Portero is starting');
  for (const { flag, reason } of flags.noEffectFlags) log.warn({ flag, reason }, 'ingress-nginx flag accepted with no effect');
  try {
    await run(flags, log, shutdown);
    process.exit(0);
  } catch (error) {
    log.fatal({ err: (error as Error).message }, 'Portero cannot run');
    process.exit(1);
  }
}
