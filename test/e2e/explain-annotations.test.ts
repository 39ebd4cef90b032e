// `portero explain` against real HAProxy for Ingresses with ingress-nginx
// annotations that answer requests themselves (redirects, app-root,
// force-ssl-redirect, basic auth, CORS preflights, a refused access list),
// and beside them, the TLS redirect and what they leave to the backend: the
// explained status and Location must be HAProxy's, and a request explained
// as reaching the backend must reach it (the rewritten path included).

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { explainRequest, type ExplainSetup } from '../../src/explain/explain.js';
import type { ExplainInput } from '../../src/explain/types.js';
import { generateSelfSigned } from '../../src/tls/default-certificate.js';
import { translate } from '../../src/translate/translate.js';
import { startBackend, type Backend } from '../helpers/backends.js';
import { request } from '../helpers/http.js';
import { ingress, ingressClass, serviceWithEndpoints, tlsSecret, type Json } from '../helpers/objects.js';
import { startPortero, type Portero } from '../helpers/portero.js';
import { BASE_OPTIONS, decodeAll, snapshotOf } from '../helpers/translate.js';

const A = 'nginx.ingress.kubernetes.io';
const CLASSES = { ingressClass: 'nginx', controllerClass: 'k8s.io/ingress-nginx', watchIngressWithoutClass: false };

function annotated(name: string, host: string, annotations: Record<string, string>, extra: Partial<Parameters<typeof ingress>[0]> = {}): Json {
  return ingress({ name, className: 'nginx', annotations, rules: [{ host, paths: [{ service: 'app' }] }], ...extra });
}

interface Case {
  scheme?: 'http' | 'https';
  method?: string;
  host: string;
  path: string;
  headers?: [string, string][];
}

const CASES: Case[] = [
  { host: 'plain.ex.test', path: '/x?y=1' },
  { host: 'force.ex.test', path: '/a?b=c' },
  { scheme: 'https', host: 'force.ex.test', path: '/a' },
  { host: 'force.ex.test', path: '/.well-known/acme-challenge/token' },
  { host: 'tls.ex.test', path: '/secure' },
  { scheme: 'https', host: 'tls.ex.test', path: '/secure' },
  { host: 'moved.ex.test', path: '/anything' },
  { host: 'temporal.ex.test', path: '/' },
  { host: 'approot.ex.test', path: '/' },
  { host: 'approot.ex.test', path: '/other' },
  { host: 'badallow.ex.test', path: '/' },
  { host: 'auth.ex.test', path: '/' },
  { host: 'cors.ex.test', path: '/api', method: 'OPTIONS', headers: [['Origin', 'https://web.ex.test']] },
  { host: 'cors.ex.test', path: '/api', method: 'OPTIONS', headers: [['Origin', 'https://evil.test']] },
  { host: 'cors.ex.test', path: '/api', method: 'GET', headers: [['Origin', 'https://web.ex.test']] },
  { host: 'rewrite.ex.test', path: '/app/users?page=2' },
  { host: 'rewrite.ex.test', path: '/nope' },
];

describe('portero explain says what HAProxy does, for ingress-nginx annotations', () => {
  let portero: Portero;
  let app: Backend;
  let setup: ExplainSetup;

  before(async () => {
    app = await startBackend('app');
    const site = await generateSelfSigned('tls.ex.test', ['tls.ex.test'], 30);
    const objects: Json[] = [
      ingressClass('nginx', 'k8s.io/ingress-nginx'),
      ...serviceWithEndpoints({ name: 'app', endpoints: [app] }),
      tlsSecret('site', site.cert, site.key),
      { apiVersion: 'v1', kind: 'Secret', type: 'Opaque', metadata: { name: 'users', namespace: 'default' }, stringData: { auth: 'eve:{PLAIN}eve-pw\n' } },
      annotated('plain', 'plain.ex.test', {}),
      annotated('force', 'force.ex.test', { [`${A}/force-ssl-redirect`]: 'true' }),
      annotated('tls', 'tls.ex.test', {}, { tls: [{ hosts: ['tls.ex.test'], secretName: 'site' }] }),
      annotated('moved', 'moved.ex.test', { [`${A}/permanent-redirect`]: 'https://example.org/new' }),
      annotated('temporal', 'temporal.ex.test', { [`${A}/temporal-redirect`]: 'http://example.org/t' }),
      annotated('approot', 'approot.ex.test', { [`${A}/app-root`]: '/app1' }),
      annotated('bad-allow', 'badallow.ex.test', { [`${A}/allowlist-source-range`]: '127.0.0.1/33' }),
      annotated('auth', 'auth.ex.test', { [`${A}/auth-type`]: 'basic', [`${A}/auth-secret`]: 'users' }),
      annotated('cors', 'cors.ex.test', { [`${A}/enable-cors`]: 'true', [`${A}/cors-allow-origin`]: 'https://web.ex.test' }),
      ingress({
        name: 'rewrite',
        className: 'nginx',
        annotations: { [`${A}/use-regex`]: 'true', [`${A}/rewrite-target`]: '/$2' },
        rules: [{ host: 'rewrite.ex.test', paths: [{ path: '/app(/|$)(.*)', pathType: 'ImplementationSpecific', service: 'app' }] }],
      }),
    ];
    portero = await startPortero({ flags: ['--ingress-class', 'nginx', '--controller-class', 'k8s.io/ingress-nginx'], files: { 'all.yaml': objects } });
    const snapshot = snapshotOf(decodeAll(objects));
    const fallback = await readFile(join(portero.stateDir, 'default-cert.pem'), 'utf8');
    setup = { translation: translate(snapshot, { ...BASE_OPTIONS, ...CLASSES, fallbackCertificatePem: fallback, now: new Date() }), snapshot, classes: CLASSES, ports: { http: portero.httpPort, https: portero.httpsPort } };
  });
  after(async () => {
    await portero.stop();
    await app.close();
  });

  for (const item of CASES) {
    const scheme = item.scheme ?? 'http';
    test(`${item.method ?? 'GET'} ${scheme}://${item.host}${item.path}${item.headers ? ` ${item.headers.map(([n, v]) => `${n}: ${v}`).join(', ')}` : ''}`, async () => {
      const port = scheme === 'http' ? portero.httpPort : portero.httpsPort;
      const input: ExplainInput = { method: item.method ?? 'GET', url: `${scheme}://${item.host}:${port}${item.path}`, headers: item.headers ?? [] };
      const explanation = explainRequest(setup, input);
      const response = await request({ port, tls: scheme === 'https', host: `${item.host}:${port}`, path: item.path, method: item.method ?? 'GET', headerList: item.headers ?? [], timeoutMs: 10_000 });
      const why = explanation.decision.reason;
      if (explanation.answer.status === null) {
        assert.equal(response.status, 200, why);
        assert.equal(response.headers['x-backend'], 'app', why);
        const rewrite = explanation.features.find((feature) => feature.name === 'rewrite');
        const received = /receives (\S+)$/.exec(rewrite?.detail ?? '')?.[1];
        assert.equal(response.echo?.url, received ?? explanation.request.routedPath, why);
      } else {
        assert.equal(response.status, explanation.answer.status, why);
        assert.equal(response.headers['x-backend'], undefined, why);
        if (explanation.answer.location !== undefined) assert.equal(response.headers.location, explanation.answer.location, why);
      }
    });
  }
});
