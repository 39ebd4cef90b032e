import { decodeObject } from '../src/objects/decode.js';
import { translate } from '../src/translate/translate.js';
import { renderConfig } from '../src/dataplane/haproxy/render-config.js';
import { BackendNames, structureFor } from '../src/dataplane/haproxy/structure.js';
import { ingress, serviceWithEndpoints } from './helpers/objects.js';
import { BASE_OPTIONS, snapshotOf } from './helpers/translate.js';
const A = 'nginx.ingress.kubernetes.io';
const raw = [...serviceWithEndpoints({ name: 'app', endpoints: [{ address: '10.0.0.1', port: 8080 }] }),
 { apiVersion: 'v1', kind: 'Secret', type: 'Opaque', metadata: { name: 's', namespace: 'default' }, stringData: { auth: 'foo:$apr1$Vb7nO5rP$Xme3Fy3usD0WC2SYtpt4a.\nbar:$2y$05$abcdefghijklmnopqrstuu5ZkV8i3b4rG3t3e7YxMYqzVxZJ0ZUxW\n' } },
 ingress({ name: 'x', annotations: { [`${A}/satisfy`]: 'any', [`${A}/auth-type`]: 'basic', [`${A}/auth-secret`]: 's', [`${A}/allowlist-source-range`]: '10.0.0.0/8', [`${A}/denylist-source-range`]: '10.1.0.0/16', [`${A}/auth-url`]: 'http://10.0.0.9/auth', [`${A}/auth-signin`]: 'https://login.test/start', [`${A}/auth-response-headers`]: 'X-User' }, rules: [{ host: 'a.test', paths: [{ path: '/', service: 'app' }] }] })];
const objects = raw.flatMap((r) => { const x = decodeObject(r as never, { defaultNamespace: 'default', creationTimestampFor: () => '2026-01-01T00:00:00Z' }); return x.status === 'ok' ? [x.object] : []; });
const { model, diagnostics } = translate(snapshotOf(objects), { ...BASE_OPTIONS, annotations: { prefix: A, allowSnippets: false } });
console.log(JSON.stringify(diagnostics));
const settings = { stateDir: '/s', adminSocket: '/s/admin.sock', bindAddress: '127.0.0.1', httpPort: 80, httpsPort: 443, hardStopAfter: '5m', maxReloads: 8 };
const cfg = renderConfig(model, settings as never, '/s/gen-1', new BackendNames(structureFor(model)));
console.log(cfg.slice(cfg.indexOf('backend default_app'), cfg.indexOf('backend portero:spare:0')));
