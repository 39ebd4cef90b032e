// /healthz and /readyz for kubelet probes and load balancers.
//
// /healthz: the process runs and HAProxy is alive.
// /readyz: the first configuration is serving and shutdown has not begun.
// /metrics: Portero's Prometheus metrics.
// Anything else is offered to the extra handlers (the dashboard under
// /dashboard/ with --dashboard) before answering 404.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

/** Answers a request it owns and returns true; returns false (without answering) for any other. */
export type HealthHandler = (request: IncomingMessage, response: ServerResponse) => boolean;

export interface HealthState {
  live(): boolean;
  ready(): boolean;
  /** Prometheus text for /metrics. */
  metrics?(): Promise<{ contentType: string; body: string }>;
  /** Tried in order for paths other than the three above. */
  handlers?: readonly HealthHandler[];
}

export function startHealthServer(address: string, port: number, state: HealthState): Promise<Server> {
  const server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (path === '/metrics' && state.metrics) {
      state
        .metrics()
        .then(({ contentType, body }) => response.writeHead(200, { 'content-type': contentType }).end(body))
        .catch((error: Error) => response.writeHead(500, { 'content-type': 'text/plain' }).end(`${error.message}\n`));
      return;
    }
    const check = path === '/healthz' ? state.live() : path === '/readyz' ? state.ready() : undefined;
    if (check === undefined && state.handlers?.some((handle) => handle(request, response))) return;
    if (check === undefined) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    response.writeHead(check ? 200 : 503, { 'content-type': 'text/plain' }).end(check ? 'ok\n' : 'not ready\n');
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, address, () => resolve(server));
  });
}
