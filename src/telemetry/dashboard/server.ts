// The read-only dashboard on the health port (`--dashboard`): a static page
// served from the package, and JSON under /dashboard/api/. GET and HEAD
// only. Every answer carries a Content-Security-Policy that allows nothing
// but this origin's own script and style, so even a value that escaped the
// page's DOM handling could not run; the page itself only ever sets
// textContent.

import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ApplyEvent } from '../../cli/controller.js';
import type { RuntimeApi } from '../../dataplane/haproxy/runtime.js';
import { backendsById, isIngressPort } from '../../model/model.js';
import { EventStreams } from './events.js';
import { LiveStats, MAX_SECTIONS, type ServerStats } from './live-stats.js';
import { pageOf, pageRequest } from './paging.js';
import { certificateRow, DashboardState, type DiagnosticRow } from './state.js';

export const DASHBOARD_PATH = '/dashboard';

export const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

export interface DashboardOptions {
  annotationsPrefix: string;
  /** Portero's own listeners, shown beside the Gateway API ones. */
  ports: { bindAddress: string; http: number; https: number };
  /** The runtime API of the running HAProxy (absent before it starts). */
  runtime: () => RuntimeApi | undefined;
  /** The HAProxy section serving a backend of the live model. */
  sectionOf: (backendId: string) => string | undefined;
  version: string;
  /** Objects refused before translation (manifests mode: invalid objects in files), shown with the diagnostics. */
  sourceProblems?: () => readonly DiagnosticRow[];
}

const ASSETS: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/style.css': { file: 'style.css', type: 'text/css; charset=utf-8' },
  '/favicon.svg': { file: 'favicon.svg', type: 'image/svg+xml' },
};

/** The page, its script and its style, read once at start: a build that lacks them fails at once, not on the first visit. */
function loadAssets(): Map<string, { body: Buffer; type: string }> {
  const assets = new Map<string, { body: Buffer; type: string }>();
  for (const [path, { file, type }] of Object.entries(ASSETS)) {
    const url = new URL(`./assets/${file}`, import.meta.url);
    try {
      assets.set(path, { body: readFileSync(url), type });
    } catch (error) {
      throw new Error(`the dashboard's ${file} is missing from ${url.pathname} (${(error as Error).message}); build with npm run build, which copies src/telemetry/dashboard/assets/`);
    }
  }
  return assets;
}

export class Dashboard {
  readonly state: DashboardState;
  private readonly streams: EventStreams;
  private readonly stats: LiveStats;
  private readonly assets = loadAssets();

  constructor(private readonly options: DashboardOptions) {
    this.state = new DashboardState(options.annotationsPrefix);
    this.streams = new EventStreams(SECURITY_HEADERS, () => this.state.generation);
    this.state.onChange((generation) => this.streams.changed(generation));
    this.stats = new LiveStats(options.runtime);
  }

  /** The controller's onApply hook. */
  record(event: ApplyEvent): void {
    this.state.record(event);
  }

  /** Answers requests under /dashboard; false for any other path. */
  handle(request: IncomingMessage, response: ServerResponse): boolean {
    const url = new URL(request.url ?? '/', 'http://dashboard');
    if (url.pathname !== DASHBOARD_PATH && !url.pathname.startsWith(`${DASHBOARD_PATH}/`)) return false;
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { ...SECURITY_HEADERS, allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }).end('the dashboard is read-only\n');
      return true;
    }
    const path = url.pathname.slice(DASHBOARD_PATH.length);
    if (path === '') {
      response.writeHead(308, { ...SECURITY_HEADERS, location: `${DASHBOARD_PATH}/` }).end();
      return true;
    }
    const asset = this.assets.get(path);
    if (asset) {
      response.writeHead(200, { ...SECURITY_HEADERS, 'content-type': asset.type }).end(asset.body);
      return true;
    }
    if (path === '/api/events') {
      this.streams.accept(request, response);
      return true;
    }
    this.api(path, url.searchParams)
      .then((body) => {
        if (body === undefined) response.writeHead(404, { ...SECURITY_HEADERS, 'content-type': 'text/plain; charset=utf-8' }).end('not found\n');
        else response.writeHead(200, { ...SECURITY_HEADERS, 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
      })
      .catch((error: Error) => response.writeHead(500, { ...SECURITY_HEADERS, 'content-type': 'text/plain; charset=utf-8' }).end(`${error.message}\n`));
    return true;
  }

  /** Shutdown: open event streams end. */
  close(): void {
    this.streams.close();
  }

  private async api(path: string, params: URLSearchParams): Promise<unknown> {
    const state = this.state;
    const tables = state.current();
    const served = state.served;
    const generation = state.generation;
    const request = pageRequest(params);
    switch (path) {
      case '/api/summary': {
        const model = served?.translation.model;
        const diagnostics = [...(served?.translation.diagnostics ?? []), ...(this.options.sourceProblems?.() ?? [])];
        return {
          generation,
          version: this.options.version,
          servedSince: served?.time.toISOString() ?? null,
          streams: this.streams.open,
          counts: {
            ingresses: served?.translation.served.length ?? 0,
            gatewayRoutes: served?.translation.gateway?.routes.filter((route) => route.accepted).length ?? 0,
            routes: tables?.routes.rows.length ?? 0,
            hosts: model?.levels.length ?? 0,
            backends: model?.backends.length ?? 0,
            endpoints: model?.backends.reduce((sum, backend) => sum + backend.endpoints.length, 0) ?? 0,
            certificates: model?.certificates.length ?? 0,
            errors: diagnostics.filter((d) => d.severity === 'error').length,
            warnings: diagnostics.filter((d) => d.severity === 'warning').length,
          },
          lastChange: state.changes[0] ?? null,
        };
      }
      case '/api/routes': {
        const routes = tables?.routes;
        return { generation, ...pageOf(routes?.rows ?? [], (_row, i) => routes?.text[i] ?? '', request) };
      }
      case '/api/hosts':
        return { generation, ...pageOf(tables?.hosts ?? [], (row) => `${row.host} ${row.scope ?? ''} ${row.fallback}`.toLowerCase(), request) };
      case '/api/listeners': {
        const { bindAddress, http, https } = this.options.ports;
        const own = [
          { name: 'HTTP (Ingresses, Gateway listeners on port 80)', gateway: '', address: bindAddress, port: http, protocol: 'HTTP', hostname: '', routes: null },
          { name: 'HTTPS (Ingresses, Gateway listeners on port 443)', gateway: '', address: bindAddress, port: https, protocol: 'HTTPS', hostname: '', routes: null },
        ];
        const gateway = (served?.translation.gateway?.listeners ?? []).map((listener) => ({
          name: listener.name,
          gateway: `${listener.gateway.namespace}/${listener.gateway.name}`,
          address: listener.addresses.length > 0 ? listener.addresses.join(', ') : bindAddress,
          // Listeners on 80 and 443 are served on Portero's own HTTP and HTTPS ports.
          port: isIngressPort(listener.port, listener.protocol === 'HTTP' ? 'http' : 'https') ? (listener.protocol === 'HTTP' ? http : https) : listener.port,
          protocol: listener.protocol,
          hostname: listener.hostname ?? '',
          routes: listener.routes.length,
        }));
        const rows = [...own, ...gateway];
        return { generation, ...pageOf(rows, (row) => `${row.name} ${row.gateway} ${row.address} ${row.port} ${row.protocol} ${row.hostname}`.toLowerCase(), request) };
      }
      case '/api/certificates': {
        const model = served?.translation.model;
        const now = Date.now();
        const rows = model ? [certificateRow(model.defaultCertificate, now), ...model.certificates.map((certificate) => certificateRow(certificate, now))] : [];
        return { generation, ...pageOf(rows, (row) => `${row.secret} ${row.hosts.join(' ')} ${row.subject}`.toLowerCase(), request) };
      }
      case '/api/diagnostics': {
        const rows = [...(this.options.sourceProblems?.() ?? []), ...(tables?.diagnostics ?? [])];
        return { generation, ...pageOf(rows, (row) => `${row.severity} ${row.object} ${row.field} ${row.message} ${row.location ?? ''}`.toLowerCase(), request) };
      }
      case '/api/changes':
        return { generation, items: state.changes };
      case '/api/backends':
        return { generation, items: await this.backends((params.get('ids') ?? '').split(',').filter((id) => id !== '').slice(0, MAX_SECTIONS)) };
      default:
        return undefined;
    }
  }

  /** Each backend's endpoints, with HAProxy's live state and counters for each server. */
  private async backends(ids: readonly string[]): Promise<unknown[]> {
    const model = this.state.served?.translation.model;
    if (!model) return [];
    const byId = backendsById(model);
    const sections = new Map(ids.map((id) => [id, this.options.sectionOf(id)]));
    const live = await this.stats.servers([...sections.values()].filter((section): section is string => section !== undefined));
    return ids.map((id) => {
      const backend = byId.get(id);
      const section = sections.get(id);
      const servers: ServerStats[] | undefined = section === undefined ? undefined : live.get(section);
      const byAddress = new Map((servers ?? []).map((server) => [server.address, server]));
      const endpoint = (address: string, port: number, backup: boolean) => {
        const key = address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
        const stats = byAddress.get(key);
        byAddress.delete(key);
        return { address: key, backup, live: stats ?? null };
      };
      const endpoints = backend ? [...backend.endpoints.map((e) => endpoint(e.address, e.port, false)), ...(backend.backupEndpoints ?? []).map((e) => endpoint(e.address, e.port, true))] : [];
      // Servers HAProxy still holds that the model dropped: draining until their connections end.
      const leaving = [...byAddress.values()].map((stats) => ({ address: stats.address, backup: stats.backup, live: stats, removed: true }));
      return { id, section: section ?? null, service: backend ? `${backend.namespace}/${backend.service}:${backend.port}` : null, live: servers !== undefined, endpoints: [...endpoints, ...leaving] };
    });
  }
}
