// Entry point: parse flags, start the source, the control loop, HAProxy and
// the health server; stop gracefully on SIGTERM/SIGINT.

import { mkdir } from 'node:fs/promises';
import type { Server } from 'node:http';
import { HaproxyDataplane } from '../dataplane/haproxy/apply.js';
import { checkHaproxy } from '../dataplane/haproxy/binary.js';
import { layout } from '../dataplane/haproxy/layout.js';
import { ManifestSource } from '../source/manifests/directory.js';
import { Store } from '../store/store.js';
import { startHealthServer } from '../telemetry/health.js';
import { createLogger, type Logger } from '../telemetry/log.js';
import { loadOrCreateDefaultCertificate } from '../tls/default-certificate.js';
import { Controller } from './controller.js';
import { parseFlags, type Flags } from './flags.js';

async function run(flags: Flags, log: Logger): Promise<void> {
  const version = await checkHaproxy(flags.haproxy);
  const paths = layout(flags.stateDir);
  await mkdir(flags.stateDir, { recursive: true, mode: 0o700 });
  const fallbackCertificatePem = await loadOrCreateDefaultCertificate(paths.defaultCertificate);

  if (!flags.manifests) {
    throw new Error('Kubernetes API mode is not available yet: pass --manifests DIR to serve manifests from a directory');
  }
  const store = new Store({ debounceMs: 5, maxDelayMs: 50 });
  const source = new ManifestSource({ directory: flags.manifests, store, log });
  await source.start();

  let restarts = 0;
  const dataplane = new HaproxyDataplane({
    binary: flags.haproxy,
    layout: paths,
    log,
    settings: {
      bindAddress: flags.bindAddress,
      httpPort: flags.httpPort,
      httpsPort: flags.httpsPort,
      hardStopAfter: flags.hardStopAfter,
      maxReloads: 8,
    },
    onRestart: () => {
      restarts += 1;
    },
  });
  const controller = new Controller(
    store,
    {
      ingressClass: flags.ingressClass,
      controllerClass: flags.controllerClass,
      watchIngressWithoutClass: flags.watchIngressWithoutClass,
      fallbackCertificatePem,
      ...(flags.defaultBackendService ? { defaultBackendService: flags.defaultBackendService } : {}),
      ...(flags.defaultSslCertificate ? { defaultSslCertificate: flags.defaultSslCertificate } : {}),
    },
    dataplane,
    log,
  );

  let ready = false;
  let shuttingDown = false;
  const health: Server = await startHealthServer(flags.bindAddress, flags.healthPort, {
    live: () => dataplane.haproxyRunning || !ready,
    ready: () => ready && !shuttingDown && dataplane.haproxyRunning,
  });
  await controller.start();
  ready = true;
  log.info(
    { haproxy: version.text, http: flags.httpPort, https: flags.httpsPort, health: flags.healthPort, restartsSoFar: restarts },
    'Portero is ready',
  );

  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      if (shuttingDown) return;
      shuttingDown = true;
      log.info({ signal }, 'stopping: HAProxy finishes its connections, then Portero exits');
      resolve();
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  await source.stop();
  await dataplane.stop(30_000);
  await new Promise<void>((resolve) => health.close(() => resolve()));
  log.info('stopped');
}

export async function main(argv: readonly string[]): Promise<void> {
  const flags = parseFlags(argv);
  const log = createLogger(flags.logLevel);
  process.on('unhandledRejection', (reason) => log.error({ err: String(reason) }, 'unhandled rejection (ignored)'));
  try {
    await run(flags, log);
    process.exit(0);
  } catch (error) {
    log.fatal({ err: (error as Error).message }, 'Portero cannot run');
    process.exit(1);
  }
}
