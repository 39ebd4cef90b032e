// Runs the Kubernetes API test server on its own, for trying Portero by hand
// or for the benchmarks:
//   node --import tsx test/kube-api-server/main.ts [port]
// then: kubectl --server http://127.0.0.1:PORT --validate=false apply -f ...

import { KubeApiServer } from './server.js';

const port = Number(process.argv[2] ?? '0');
const server = await new KubeApiServer({ bookmarkIntervalMs: 30_000 }).start(port);
console.log(`Kubernetes API test server on ${server.url}`);
console.log(`  kubectl --server ${server.url} get ingresses -A`);
process.on('SIGINT', () => void server.close().then(() => process.exit(0)));
