// The real data plane (HaproxyDataplane: render, `haproxy -c`, start, runtime
// API, reloads) driven with hand-built models, without translate or the
// controller: for features whose translation is not written yet, and for
// checking that a change is carried out without a reload.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { HaproxyDataplane, type ApplyResult } from '../../src/dataplane/haproxy/apply.js';
import { layout } from '../../src/dataplane/haproxy/layout.js';
import type { Backend, Certificate, HostLevel, Model, Target } from '../../src/model/model.js';
import { Metrics } from '../../src/telemetry/metrics.js';
import { generateSelfSigned } from '../../src/tls/default-certificate.js';
import { inspectKeyPair } from '../../src/tls/inspect.js';
import { currentWorker } from './haproxy.js';
import { freePorts } from './portero.js';

let defaultCertificate: Promise<Certificate> | undefined;

/** One self-signed default certificate for every test model. */
export function testCertificate(): Promise<Certificate> {
  defaultCertificate ??= generateSelfSigned('portero-test.invalid', ['portero-test.invalid'], 30).then(({ cert, key }) => {
    const checked = inspectKeyPair(cert, key);
    if (!checked.ok) throw new Error('the test certificate does not check');
    return { id: 'default', pem: checked.info.pem, hosts: [] };
  });
  return defaultCertificate;
}

/** A model of the given levels and backends; everything else empty. */
export async function modelOf(levels: HostLevel[], backends: Backend[], catchAll: Target = { kind: 'not-found' }): Promise<Model> {
  return { levels, backends, catchAll, defaultCertificate: await testCertificate(), certificates: [], redirectHosts: [] };
}

export interface RunningDataplane {
  dataplane: HaproxyDataplane;
  stateDir: string;
  httpPort: number;
  httpsPort: number;
  /** Log lines (JSON) the data plane wrote. */
  logs: string[];
  metrics: Metrics;
  /** Applies a model; fails the test unless it is carried out at runtime (no reload) or unchanged. */
  applyWithoutReload(model: Model): Promise<ApplyResult>;
  /** portero_haproxy_reloads_total, summed over reasons (the start counts as one). */
  reloads(): Promise<number>;
  /** The current HAProxy worker's PID. */
  worker(): Promise<number>;
  stop(): Promise<void>;
}

export async function startDataplane(model: Model): Promise<RunningDataplane> {
  const stateDir = await mkdtemp(join(tmpdir(), 'portero-dp-'));
  const [httpPort, httpsPort] = (await freePorts(2)) as [number, number];
  const logs: string[] = [];
  const log = pino({ level: 'info' }, { write: (line: string) => void logs.push(line) });
  const metrics = new Metrics();
  const dataplane = new HaproxyDataplane({
    binary: 'haproxy',
    layout: layout(stateDir),
    log,
    metrics,
    maxDrainMs: 2000,
    settings: { bindAddress: '127.0.0.1', httpPort, httpsPort, hardStopAfter: '10s', maxReloads: 8 },
  });
  const started = await dataplane.start(model);
  if (!started.ok) {
    await rm(stateDir, { recursive: true, force: true });
    throw new Error(`the data plane did not start: ${started.reason}`);
  }
  const reloads = async () => ((await metrics.reloads.get()).values ?? []).reduce((sum, value) => sum + value.value, 0);
  return {
    dataplane,
    stateDir,
    httpPort,
    httpsPort,
    logs,
    metrics,
    reloads,
    worker: () => currentWorker(stateDir),
    async applyWithoutReload(next: Model): Promise<ApplyResult> {
      const result = await dataplane.apply(next);
      if (result.status !== 'runtime' && result.status !== 'unchanged') throw new Error(`expected a runtime change, got ${JSON.stringify(result)}`);
      return result;
    },
    async stop() {
      dataplane.beginShutdown();
      await dataplane.stop(5000);
      await rm(stateDir, { recursive: true, force: true });
    },
  };
}
