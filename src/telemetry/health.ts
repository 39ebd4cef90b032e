// /healthz and /readyz for kubelet probes and load balancers.
//
// /healthz: the process runs and HAProxy is alive.
// /readyz: the first configuration is serving and shutdown has not begun.

import { createServer, type Server } from 'node:http';

export interface HealthState {
  live(): boolean;
  ready(): boolean;
}

export function startHealthServer(address: string, port: number, state: HealthState): Promise<Server> {
  const server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    const check = path === '/healthz' ? state.live() : path === '/readyz' ? state.ready() : undefined;
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
