// Series that describe what HAProxy serves now, for dashboards and alerts
// (deploy/monitoring, docs/monitoring.md):
//
// - portero_backend_info: which Service port each HAProxy backend serves.
//   HAProxy's exporter labels its series with the backend's section name
//   (`proxy`), which is a spare (`portero:spare:3`) or a featured id for many
//   Services, so PromQL joins the two `on(pod, proxy)` to get per-Service
//   series;
// - portero_service_ready_endpoints: ready endpoints of each routed Service
//   port (0: its routes answer 503);
// - portero_certificate_expiry_timestamp_seconds: notAfter of each served
//   certificate;
// - portero_host_service_info: which Service ports each host's routes send
//   requests to (HAProxy counts per backend, not per host).
//
// Every series is one per routed Service port, backend, certificate or
// host-Service pair, and is removed once that is gone, so cardinality
// follows the objects served. Set from the translation HAProxy serves
// (Controller.notify), never from one it refused.

import { X509Certificate } from 'node:crypto';
import { Gauge, type Registry } from 'prom-client';
import { parseBackendId, splitLevelHost, type Model, type Target } from '../model/model.js';

/** The HAProxy section serving a backend id (dataplane BackendNames), undefined when none does. */
export interface SectionNames {
  nameOf(id: string): string | undefined;
}

/** The Secret of `--default-ssl-certificate`, when the default certificate served is that Secret's (not the generated one). */
export interface DefaultSecret {
  namespace: string;
  name: string;
}

type Labels<L extends string> = Record<L, string>;

/**
 * The series of one gauge as a whole: `replace` sets the next set and
 * removes the series that are not in it. Synchronous, so a scrape never sees
 * a half-replaced set.
 */
class SeriesSet<L extends string> {
  private current: ReadonlyMap<string, { labels: Labels<L>; value: number }> = new Map();

  constructor(
    private readonly gauge: Gauge<L>,
    private readonly labelNames: readonly L[],
  ) {}

  /** Only series that are new, changed or gone touch the gauge: most applies change a few of thousands. */
  replace(next: ReadonlyMap<string, { labels: Labels<L>; value: number }>): void {
    for (const [key, { labels, value }] of next) if (this.current.get(key)?.value !== value) this.gauge.set(labels, value);
    for (const [key, { labels }] of this.current) if (!next.has(key)) this.gauge.remove(labels);
    this.current = next;
  }

  /** A key for a label set (label values never contain NUL). */
  key(labels: Labels<L>): string {
    return this.labelNames.map((name) => labels[name]).join('\u0000');
  }
}

const SERVICE_LABELS = ['namespace', 'service', 'port'] as const;
const BACKEND_LABELS = ['proxy', ...SERVICE_LABELS] as const;
const HOST_LABELS = ['host', ...SERVICE_LABELS] as const;
const CERTIFICATE_LABELS = ['certificate', 'namespace', 'secret'] as const;

/** The label of the level for rules without host (hosts.map's key for it too). */
export const HOSTLESS = '_';

export class ServedMetrics {
  private readonly backendInfo: SeriesSet<(typeof BACKEND_LABELS)[number]>;
  private readonly readyEndpoints: SeriesSet<(typeof SERVICE_LABELS)[number]>;
  private readonly hostServices: SeriesSet<(typeof HOST_LABELS)[number]>;
  private readonly certificateExpiry: SeriesSet<(typeof CERTIFICATE_LABELS)[number]>;
  /** notAfter (Unix seconds) by certificate id, kept while its PEM is the same: parsed once per certificate. */
  private expiryCache = new Map<string, { pem: string; seconds: number | undefined }>();
  /** What the last update described, by identity. */
  private last: (Pick<Model, 'backends' | 'levels' | 'catchAll' | 'passthrough' | 'certificates' | 'defaultCertificate'> & { names: SectionNames | undefined; defaultSecret: DefaultSecret | undefined }) | undefined;

  constructor(registry: Registry) {
    const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[]) =>
      new SeriesSet(new Gauge<L>({ name, help, labelNames, registers: [registry] }), labelNames);
    this.backendInfo = gauge('portero_backend_info', "1 for each HAProxy backend (proxy, as HAProxy's exporter names it) serving a Service port: join on(pod, proxy) for per-Service HAProxy series.", BACKEND_LABELS);
    this.readyEndpoints = gauge('portero_service_ready_endpoints', 'Ready endpoints of each Service port that routes send requests to (0: they answer 503).', SERVICE_LABELS);
    this.hostServices = gauge('portero_host_service_info', '1 for each host and Service port its routes send requests to (host "_": hosts without rules of their own).', HOST_LABELS);
    this.certificateExpiry = gauge('portero_certificate_expiry_timestamp_seconds', 'Unix time at which each served certificate expires (notAfter of its leaf).', CERTIFICATE_LABELS);
  }

  /**
   * Describes `model`, which HAProxy now serves under `names` (absent: each
   * backend under its own id). Runs after every apply, so the parts of the
   * model that are the very objects of the last call are skipped (translate
   * keeps unchanged parts, and BackendNames is the same table while no
   * backend changes section): an endpoint change recomputes the backends
   * only.
   */
  update(model: Model, names: SectionNames | undefined, defaultSecret?: DefaultSecret): void {
    const last = this.last;
    if (model.backends !== last?.backends || names !== last.names) this.updateBackends(model, names);
    if (model.levels !== last?.levels || model.catchAll !== last.catchAll || model.passthrough !== last.passthrough) this.updateHosts(model);
    const sameDefault = defaultSecret?.namespace === last?.defaultSecret?.namespace && defaultSecret?.name === last?.defaultSecret?.name;
    if (model.certificates !== last?.certificates || model.defaultCertificate !== last.defaultCertificate || !sameDefault) this.updateCertificates(model, defaultSecret);
    this.last = { backends: model.backends, names, levels: model.levels, catchAll: model.catchAll, passthrough: model.passthrough, certificates: model.certificates, defaultCertificate: model.defaultCertificate, defaultSecret };
  }

  private updateBackends(model: Model, names: SectionNames | undefined): void {
    const info = new Map<string, { labels: Labels<(typeof BACKEND_LABELS)[number]>; value: number }>();
    const ready = new Map<string, { labels: Labels<(typeof SERVICE_LABELS)[number]>; value: number }>();
    for (const backend of model.backends) {
      const service = { namespace: backend.namespace, service: backend.service, port: String(backend.port) };
      // Backends of one Service port with different features have the same endpoints.
      ready.set(this.readyEndpoints.key(service), { labels: service, value: backend.endpoints.length });
      const proxy = names ? names.nameOf(backend.id) : backend.id;
      if (proxy === undefined) continue;
      const labels = { proxy, ...service };
      info.set(this.backendInfo.key(labels), { labels, value: 1 });
    }
    this.backendInfo.replace(info);
    this.readyEndpoints.replace(ready);
  }

  private updateHosts(model: Model): void {
    const pairs = new Map<string, { labels: Labels<(typeof HOST_LABELS)[number]>; value: number }>();
    const add = (host: string, target: Target) => {
      // The id says which Service port (model.ts): the levels alone decide these series.
      const service = target.kind === 'backend' ? parseBackendId(target.id) : undefined;
      if (!service) return;
      const labels = { host: host === '' ? HOSTLESS : host, namespace: service.namespace, service: service.service, port: String(service.port) };
      pairs.set(this.hostServices.key(labels), { labels, value: 1 });
    };
    for (const level of model.levels) {
      const { host } = splitLevelHost(level.host);
      add(host, level.fallback);
      for (const route of level.routes) {
        add(host, route.target);
        if (route.canary) add(host, route.canary.target);
        for (const candidate of route.candidates ?? []) for (const share of candidate.split) if (share.weight > 0) add(host, share.target);
      }
    }
    for (const passthrough of model.passthrough ?? []) add(passthrough.host, passthrough.target);
    // Requests to hosts without rules of their own, as on the host-less level.
    add('', model.catchAll);
    this.hostServices.replace(pairs);
  }

  private updateCertificates(model: Model, defaultSecret: DefaultSecret | undefined): void {
    const series = new Map<string, { labels: Labels<(typeof CERTIFICATE_LABELS)[number]>; value: number }>();
    const cache = new Map<string, { pem: string; seconds: number | undefined }>();
    const add = (id: string, pem: string, namespace: string, secret: string) => {
      const cached = this.expiryCache.get(id);
      const seconds = cached?.pem === pem ? cached.seconds : notAfterSeconds(pem);
      cache.set(id, { pem, seconds });
      if (seconds === undefined) return;
      const labels = { certificate: id, namespace, secret };
      series.set(this.certificateExpiry.key(labels), { labels, value: seconds });
    };
    for (const certificate of model.certificates) {
      // Ids are `namespace_name` (names and namespaces never hold `_`); a shortened long name keeps its digest after the name.
      const at = certificate.id.indexOf('_');
      add(certificate.id, certificate.pem, certificate.id.slice(0, at), certificate.id.slice(at + 1));
    }
    // The generated default certificate is left out: nobody trusts it, and it is renewed at start.
    if (defaultSecret) add(model.defaultCertificate.id, model.defaultCertificate.pem, defaultSecret.namespace, defaultSecret.name);
    this.expiryCache = cache;
    this.certificateExpiry.replace(series);
  }
}

/** The leaf's notAfter in Unix seconds; the PEM was re-encoded by Portero (tls/inspect.ts), leaf first. */
function notAfterSeconds(pem: string): number | undefined {
  const end = pem.indexOf('-----END CERTIFICATE-----');
  if (end === -1) return undefined;
  try {
    return Math.floor(new Date(new X509Certificate(pem.slice(0, end + '-----END CERTIFICATE-----'.length)).validTo).getTime() / 1000);
  } catch {
    return undefined;
  }
}

/** The `--default-ssl-certificate` Secret when the model serves it, rather than the generated certificate it falls back to. */
export function servedDefaultSecret(model: Model, settings: { defaultSslCertificate?: DefaultSecret; fallbackCertificatePem: string }): DefaultSecret | undefined {
  return settings.defaultSslCertificate && model.defaultCertificate.pem !== settings.fallbackCertificatePem ? settings.defaultSslCertificate : undefined;
}
