// The last of ingress-nginx's e2e settings files, ported to Portero
// (kubernetes/ingress-nginx, test/e2e/settings/): the TLS session keys
// (ssl_session_tickets.go, ssl_session_cache.go), HTTP/2 (http2.go),
// ssl_ciphers.go, load_balance.go, annotations/skipaccessloghttpstatuses.go
// (a ConfigMap key), real_ip_recursive_search.go (which found
// that Portero took the last forwarded address where nginx's
// real_ip_recursive takes the last untrusted one: fixed), and the keys
// Portero reports as ignored (reuse-port.go, global_options.go, the snippet
// keys), through real HAProxy, real TLS handshakes and real requests. One
// Portero (class nginx, controller k8s.io/ingress-nginx, --configmap) whose
// ConfigMap the cases change live.
//
// Upstream checks nginx.conf text for the session keys; here the handshakes
// show them: a session ticket issued or not, a session resumed or not.
//
// not ported: ssl_session_tickets.go "should set ssl_session_tickets and ssl_session_ticket_key values" — ssl-session-ticket-key is not read (a key in a ConfigMap is a secret in the clear); with ssl-session-tickets HAProxy makes its own keys (docs/configuration.md)
// not ported: ssl_session_cache.go "should set ssl_session_timeout value" — a session's lifetime can be seen only by waiting it out; the key's grammar and rendering are unit-tested (test/unit/configmap.test.ts)
// not ported: http2.go "should disable HTTP2 for blacklisted hosts" — http2-host-blacklist is not read: ALPN is offered for the whole HTTPS port (use-http2, ported below)
// not ported: reuse-port.go — checks nginx.conf text only; HAProxy always listens with SO_REUSEPORT (its reloads rely on it): reuse-port is reported as ignored (asserted below)
// not ported: global_options.go — worker_rlimit_nofile and worker-processes are nginx.conf text; HAProxy runs one process with one thread per CPU: worker-processes is reported as ignored (asserted below)
// not ported: main_snippet.go, server_snippet.go, stream_snippet.go — the ConfigMap's snippets are raw nginx configuration, never pasted: reported as ignored (asserted below); the server-snippet annotation's safe subset is ported in nginx-backends-snippets.test.ts
// not ported: real_ip_recursive_search.go "should include real_ip_recursive=off if turned off" — real-ip-recursive-search is not a key of ingress-nginx's last release, whose template always sets real_ip_recursive on
// not ported: global_service_upstream.go — use-service-upstream is the key's pre-0.20 name; the service-upstream key is ported in nginx-settings-configmap-keys.test.ts (serviceupstream.go)

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createConnection } from 'node:net';
import { connect, type TLSSocket } from 'node:tls';
import { generateSelfSigned } from '../../../src/tls/default-certificate.js';
import { startBackend, type Backend, type Echo } from '../../helpers/backends.js';
import { request } from '../../helpers/http.js';
import { configMap, ingress, ingressClass, serviceWithEndpoints, tlsSecret } from '../../helpers/objects.js';
import { eventually, startPortero, type Portero } from '../../helpers/portero.js';

const CONFIGMAP = 'ingress-nginx/ingress-nginx-controller';
const HOST = 'settings-more';
const settings = (data: Record<string, string>) => [configMap('ingress-nginx-controller', data, 'ingress-nginx')];

interface Handshake {
  /** A TLS 1.2 session ticket was issued. */
  ticket: boolean;
  /** The session offered was resumed. */
  reused: boolean;
  session: Buffer | undefined;
  alpn: string | false;
}

/** One TLS handshake with the server, TLS 1.2 unless said (session tickets and IDs are TLS 1.2 messages), then close. */
function handshake(port: number, options: { session?: Buffer; alpn?: string[]; tls13?: boolean } = {}): Promise<Handshake> {
  return new Promise((resolve, reject) => {
    const socket: TLSSocket = connect({
      host: '127.0.0.1',
      port,
      servername: HOST,
      rejectUnauthorized: false,
      ...(options.tls13 ? {} : { maxVersion: 'TLSv1.2' as const }),
      ...(options.session ? { session: options.session } : {}),
      ...(options.alpn ? { ALPNProtocols: options.alpn } : {}),
    });
    socket.once('error', reject);
    socket.once('secureConnect', () => {
      const result: Handshake = { ticket: socket.getTLSTicket() !== undefined, reused: socket.isSessionReused(), session: socket.getSession(), alpn: socket.alpnProtocol ?? false };
      socket.end();
      resolve(result);
    });
  });
}

/** Whether a second handshake resumes the first one's session. */
async function resumes(port: number): Promise<boolean> {
  const first = await handshake(port);
  assert.ok(first.session, 'a session to resume');
  return (await handshake(port, { session: first.session })).reused;
}

describe('ingress-nginx settings: TLS sessions, HTTP/2, load balancing, real IP, ignored keys', () => {
  let portero: Portero;
  const apps: Backend[] = [];

  before(async () => {
    for (const name of ['app-1', 'app-2', 'app-3']) apps.push(await startBackend(name));
    const site = await generateSelfSigned(HOST, [HOST], 30);
    portero = await startPortero({
      flags: ['--ingress-class', 'nginx', '--controller-class', 'k8s.io/ingress-nginx', '--configmap', CONFIGMAP, '--access-log'],
      files: {
        'class.yaml': [ingressClass('nginx', 'k8s.io/ingress-nginx')],
        'configmap.yaml': settings({}),
        'app.yaml': serviceWithEndpoints({ name: 'app', endpoints: apps }),
        'secrets.yaml': [tlsSecret(HOST, site.cert, site.key)],
        'ingresses.yaml': [
          ingress({ name: HOST, className: 'nginx', tls: [{ hosts: [HOST], secretName: HOST }], rules: [{ host: HOST, paths: [{ service: 'app' }] }] }),
          ingress({ name: 'load-balance', className: 'nginx', rules: [{ host: 'load-balance.com', paths: [{ service: 'app' }] }] }),
        ],
      },
    });
  });

  after(async () => {
    await portero?.dispose();
    for (const app of apps) await app.close();
  });

  test('ssl_session_tickets.go: should have default ssl_session_tickets value (off: no ticket is issued)', async () => {
    const result = await eventually(() => handshake(portero.httpsPort));
    assert.equal(result.ticket, false);
  });

  test('ssl_session_tickets.go: should set ssl_session_tickets value (a ticket is issued, and resumes the session)', async () => {
    await portero.write('configmap.yaml', settings({ 'ssl-session-tickets': 'true' }));
    const first = await eventually(async () => {
      const result = await handshake(portero.httpsPort);
      assert.equal(result.ticket, true);
      return result;
    }, 30_000);
    assert.equal((await handshake(portero.httpsPort, { session: first.session })).reused, true);
  });

  test('ssl_session_cache.go: should have default ssl_session_cache values (a session is resumed by its ID)', async () => {
    await portero.write('configmap.yaml', settings({}));
    await eventually(async () => assert.equal((await handshake(portero.httpsPort)).ticket, false), 30_000);
    // Right after the reload the old worker may still take a connection (it has not the session of the
    // new one): resumption is judged once only the new worker answers, as the next tests do.
    await eventually(async () => assert.equal(await resumes(portero.httpsPort), true), 30_000);
  });

  test('ssl_session_cache.go: should disable ssl_session_cache (no session is resumed)', async () => {
    await portero.write('configmap.yaml', settings({ 'ssl-session-cache': 'false' }));
    await eventually(async () => assert.equal(await resumes(portero.httpsPort), false), 30_000);
  });

  test('ssl_session_cache.go: should set ssl_session_cache value (20m: sessions are resumed again)', async () => {
    await portero.write('configmap.yaml', settings({ 'ssl-session-cache-size': '20m', 'ssl-session-timeout': '30m' }));
    await eventually(async () => assert.equal(await resumes(portero.httpsPort), true), 30_000);
    assert.equal(portero.entries().some((entry) => String(entry.field ?? '').startsWith('data["ssl-session')), false, 'no warning about the session keys');
  });

  test('http2.go: should allow HTTP2 by default', async () => {
    await portero.write('configmap.yaml', settings({}));
    await eventually(async () => assert.equal((await handshake(portero.httpsPort, { alpn: ['h2', 'http/1.1'], tls13: true })).alpn, 'h2'), 30_000);
  });

  test('http2.go: use-http2 "false" offers HTTP/1.1 only', async () => {
    await portero.write('configmap.yaml', settings({ 'use-http2': 'false' }));
    await eventually(async () => assert.equal((await handshake(portero.httpsPort, { alpn: ['h2', 'http/1.1'], tls13: true })).alpn, 'http/1.1'), 30_000);
    const response = await request({ port: portero.httpsPort, host: HOST, path: '/', tls: true });
    assert.equal(response.status, 200);
  });

  test('ssl_ciphers.go: Add ssl ciphers — deliberate difference: OpenSSL operators (!aNULL, +HIGH) are refused with a warning, the default ciphers stay', async () => {
    const value = 'ALL:!aNULL:!EXPORT56:RC4+RSA:+HIGH:+MEDIUM:+LOW:+SSLv2:+EXP';
    await portero.write('configmap.yaml', settings({ 'ssl-ciphers': value }));
    const warning = await portero.waitForLog((entry) => entry.field === 'data["ssl-ciphers"]');
    assert.match(String(warning.msg), /the key is ignored/);
    // Still Portero's forward-secret AEAD list: a handshake offering only RSA key exchange fails, ECDHE succeeds.
    await assert.rejects(new Promise((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port: portero.httpsPort, servername: HOST, rejectUnauthorized: false, maxVersion: 'TLSv1.2', ciphers: 'AES128-SHA' });
      socket.once('error', reject);
      socket.once('secureConnect', () => {
        socket.end();
        resolve(undefined);
      });
    }));
    const response = await request({ port: portero.httpsPort, host: HOST, path: '/', tls: true });
    assert.equal(response.status, 200);
  });

  test('load_balance.go: should evenly distribute requests with round-robin (default algorithm)', async () => {
    await portero.write('configmap.yaml', settings({}));
    // Every endpoint is in service first.
    await eventually(async () => {
      const seen = new Set<string>();
      for (let i = 0; i < 6; i += 1) seen.add((await request({ port: portero.httpPort, host: 'load-balance.com', path: '/' })).echo?.name ?? '');
      assert.deepEqual([...seen].sort(), ['app-1', 'app-2', 'app-3']);
    }, 30_000);
    const counts = new Map<string, number>();
    for (let i = 0; i < 60; i += 1) {
      const name = (await request({ port: portero.httpPort, host: 'load-balance.com', path: '/' })).echo?.name ?? 'none';
      counts.set(name, (counts.get(name) ?? 0) + 1);
    }
    // Upstream allows 198-202 of 600 for each replica; the same 1% here, with one more request of slack.
    assert.deepEqual([...counts.keys()].sort(), ['app-1', 'app-2', 'app-3']);
    for (const [name, count] of counts) assert.ok(count >= 19 && count <= 21, `${name}: ${count} of 60`);
  });

  test('real_ip_recursive_search.go: should include real_ip_recursive=on (the client is the first address when every peer is trusted)', async () => {
    await portero.write('configmap.yaml', settings({ 'use-forwarded-headers': 'true' }));
    const response = await eventually(async () => {
      const answer = await request({ port: portero.httpPort, host: 'load-balance.com', path: '/', headers: { 'x-forwarded-for': '10.0.0.1,1.2.3.4' } });
      assert.equal(answer.echo?.headers['x-forwarded-for'], '10.0.0.1');
      return answer;
    }, 30_000);
    assert.equal(response.status, 200);
    assert.equal(response.echo?.headers['x-real-ip'], '10.0.0.1');
    // With proxy-real-ip-cidr, the last address that is not a trusted proxy's.
    await portero.write('configmap.yaml', settings({ 'use-forwarded-headers': 'true', 'proxy-real-ip-cidr': '127.0.0.0/8,10.0.0.0/8' }));
    await eventually(async () => {
      const answer = await request({ port: portero.httpPort, host: 'load-balance.com', path: '/', headers: { 'x-forwarded-for': '203.0.113.9, 1.2.3.4, 10.0.0.1, 10.0.0.2' } });
      assert.equal(answer.echo?.headers['x-real-ip'], '1.2.3.4');
      assert.equal(answer.echo?.headers['x-forwarded-for'], '1.2.3.4');
    }, 30_000);
  });

  test('real_ip_recursive_search.go: should include real_ip_recursive=on if proxy-protocol is on', async () => {
    await portero.write('configmap.yaml', settings({ 'use-forwarded-headers': 'true', 'use-proxy-protocol': 'true' }));
    const raw = (): Promise<string> =>
      new Promise((resolve, reject) => {
        const socket = createConnection({ host: '127.0.0.1', port: portero.httpPort });
        const chunks: Buffer[] = [];
        socket.on('data', (chunk: Buffer) => chunks.push(chunk));
        socket.on('error', reject);
        socket.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
        socket.write('PROXY TCP4 192.168.0.1 192.168.0.11 56324 1234\r\n');
        socket.write('GET / HTTP/1.1\r\nHost: load-balance.com\r\nX-Forwarded-For: 192.168.0.1,10.0.0.1\r\nConnection: close\r\n\r\n');
      });
    const echo = await eventually(async () => {
      const answer = await raw();
      assert.match(answer, /^HTTP\/1\.1 200/);
      // The echo's JSON body (chunked: between the chunk sizes).
      return JSON.parse(answer.slice(answer.indexOf('{'), answer.lastIndexOf('}') + 1)) as Echo;
    }, 30_000);
    assert.equal(echo.headers['x-forwarded-for'], '192.168.0.1');
    // Deliberate difference (docs/configuration.md, use-proxy-protocol): X-Forwarded-Port is the PROXY
    // header's destination port; upstream expects the port nginx listens on (80).
    assert.equal(echo.headers['x-forwarded-port'], '1234');
  });

  /**
   * Sends GET `path` to load-balance.com, then a request Portero answers
   * itself (404 for an unknown host, always logged) and waits for that one's
   * log line: whether `path` was logged is then known.
   */
  let probes = 0;
  async function logged(path: string): Promise<{ status: number; logged: boolean }> {
    probes += 1;
    const response = await request({ port: portero.httpPort, host: 'load-balance.com', path });
    const marker = `/marker-${probes}`;
    assert.equal((await request({ port: portero.httpPort, host: 'unknown.test', path: marker })).status, 404);
    await portero.waitForLog((entry) => entry.host === 'unknown.test' && entry.path === marker, 3000);
    return { status: response.status, logged: portero.entries().some((entry) => entry.host === 'load-balance.com' && entry.path === path) };
  }

  test('skipaccessloghttpstatuses.go: skip-access-log-http-statuses 200 literal, 200 OK (not logged)', async () => {
    await portero.write('configmap.yaml', settings({ 'skip-access-log-http-statuses': '200' }));
    await eventually(async () => {
      const result = await logged(`/prefixOne/${probes}`);
      assert.equal(result.status, 200);
      assert.equal(result.logged, false);
    }, 30_000);
  });

  test('skipaccessloghttpstatuses.go: skip-access-log-http-statuses ^2.. regex, 200 OK (not logged)', async () => {
    // From every answer logged ...
    await portero.write('configmap.yaml', settings({}));
    await eventually(async () => assert.equal((await logged(`/prefixOne/${probes}`)).logged, true), 30_000);
    // ... to 2xx left out.
    await portero.write('configmap.yaml', settings({ 'skip-access-log-http-statuses': '^2..' }));
    await eventually(async () => {
      const result = await logged(`/prefixOne/${probes}`);
      assert.equal(result.status, 200);
      assert.equal(result.logged, false);
    }, 30_000);
    const warnings = portero.entries().filter((entry) => entry.field === 'data["skip-access-log-http-statuses"]');
    assert.deepEqual(warnings, []);
  });

  test('skipaccessloghttpstatuses.go: skip-access-log-http-statuses ^2.. regex, 404 Not Found (logged)', async () => {
    // upstream's 404 comes from the default backend; here from Portero itself (no rule for the path): logged either way.
    const response = await request({ port: portero.httpPort, host: 'unknown.test', path: '/404' });
    assert.equal(response.status, 404);
    const entry = await portero.waitForLog((line) => line.host === 'unknown.test' && line.path === '/404');
    assert.equal(entry.status, 404);
  });

  test('reuse-port.go, global_options.go, main_snippet.go, server_snippet.go, stream_snippet.go: the keys are reported as ignored, and nothing else changes', async () => {
    const keys = { 'reuse-port': 'false', 'worker-processes': '11', 'main-snippet': '# main snippet', 'server-snippet': 'more_set_headers "Globalfoo: Foooo";', 'stream-snippet': 'server {listen 8000; proxy_pass 127.0.0.1:80;}' };
    await portero.write('configmap.yaml', settings(keys));
    for (const key of Object.keys(keys)) {
      const warning = await portero.waitForLog((entry) => entry.field === `data["${key}"]`);
      assert.match(String(warning.msg), /accepted and ignored/);
    }
    // Once the ConfigMap without use-proxy-protocol is live.
    const response = await eventually(async () => {
      const answer = await request({ port: portero.httpsPort, host: HOST, path: '/', tls: true });
      assert.equal(answer.status, 200);
      return answer;
    }, 30_000);
    assert.equal(response.headers.globalfoo, undefined, 'the global server-snippet is not applied');
  });
});
