// ingress-nginx's e2e cases for its forwarding settings, ported: the
// ConfigMap keys use-forwarded-headers, enable-real-ip, use-proxy-protocol and
// block-cidrs, and the ports reported in X-Forwarded-Port, through real
// HAProxy. One Portero (class nginx, controller k8s.io/ingress-nginx,
// --configmap) whose ConfigMap each group changes live, as the upstream
// tests do with UpdateNginxConfigMapData.
//
// Upstream: test/e2e/settings/{forwarded_headers,enable_real_ip,proxy_protocol,
// global_access_block,listen_nondefault_ports}.go.
//
// not ported: proxy_protocol.go "should enable PROXY Protocol for TCP" — needs the tcp-services ConfigMap (--tcp-services-configmap), which Portero does not read (docs/migrating-from-ingress-nginx.md).
// not ported here: global_access_block.go "should block User-Agents defined in the ConfigMap", "should block Referers defined in the ConfigMap" — ported in nginx-settings-configmap-keys.test.ts with the other header and list keys.
// not ported: listen_nondefault_ports.go "should set the X-Forwarded-Port header to 443" (with external auth) — the same assertion as the TLS case below; external auth is ported in test/e2e/annotations-extauth.test.ts.

import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { connect as connectTcp, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { connect as connectTls } from 'node:tls';
import { generateSelfSigned } from '../../../src/tls/default-certificate.js';
import type { Echo } from '../../helpers/backends.js';
import { startBackend, type Backend } from '../../helpers/backends.js';
import { request } from '../../helpers/http.js';
import { configMap, ingress, ingressClass, serviceWithEndpoints, tlsSecret } from '../../helpers/objects.js';
import { eventually, startPortero, type Portero } from '../../helpers/portero.js';

const CONFIGMAP = 'ingress-nginx/ingress-nginx-controller';
const settings = (data: Record<string, string>) => [configMap('ingress-nginx-controller', data, 'ingress-nginx')];

/** The headers the upstream tests send to see which ones the proxy trusts. */
const CLIENT_SENT = {
  'x-forwarded-port': '1234',
  'x-forwarded-proto': 'myproto',
  'x-forwarded-for': '1.2.3.4',
  'x-forwarded-host': 'myhost',
};

/** One GET over a connection already set up (the PROXY header written, TLS started), parsed by Node's HTTP client. */
function getOver(socket: Socket, host: string): Promise<{ status: number; echo: Echo }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ createConnection: () => socket, path: '/', headers: { host, connection: 'close' } }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', reject);
      response.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        if (!response.headers['x-backend']) return reject(new Error(`${response.statusCode} without the backend: ${JSON.stringify(response.headers)}`));
        resolve({ status: response.statusCode ?? 0, echo: JSON.parse(body) as Echo });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

/** A plain connection that starts with a PROXY v1 header, then one request. */
async function viaProxyProtocol(port: number, header: string, host: string): Promise<{ status: number; echo: Echo }> {
  const socket = connectTcp({ host: '127.0.0.1', port });
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  socket.write(header);
  return getOver(socket, host);
}

/** The PROXY v1 header first, then TLS (SNI host) over the same connection, then one request. */
async function viaProxyProtocolTls(port: number, header: string, host: string): Promise<{ status: number; echo: Echo }> {
  const raw = connectTcp({ host: '127.0.0.1', port });
  await new Promise<void>((resolve, reject) => raw.once('connect', resolve).once('error', reject));
  raw.write(header);
  const socket = connectTls({ socket: raw, servername: host, rejectUnauthorized: false, ALPNProtocols: ['http/1.1'] });
  await new Promise<void>((resolve, reject) => socket.once('secureConnect', resolve).once('error', reject));
  return getOver(socket, host);
}

describe('ingress-nginx settings: forwarded headers, real IP, PROXY protocol, block-cidrs', () => {
  let portero: Portero;
  let app: Backend;

  before(async () => {
    app = await startBackend('app');
    const site = await generateSelfSigned('proxy-protocol-tls', ['proxy-protocol-tls', 'tls-ports'], 30);
    portero = await startPortero({
      flags: ['--ingress-class', 'nginx', '--controller-class', 'k8s.io/ingress-nginx', '--configmap', CONFIGMAP],
      files: {
        'class.yaml': [ingressClass('nginx', 'k8s.io/ingress-nginx')],
        'configmap.yaml': settings({ 'use-forwarded-headers': 'false' }),
        'app.yaml': serviceWithEndpoints({ name: 'app', endpoints: [app] }),
        'secret.yaml': [tlsSecret('site', site.cert, site.key)],
        'ingresses.yaml': [
          ingress({ name: 'forwarded-headers', className: 'nginx', rules: [{ host: 'forwarded-headers', paths: [{ service: 'app' }] }] }),
          ingress({ name: 'proxy-protocol', className: 'nginx', rules: [{ host: 'proxy-protocol', paths: [{ service: 'app' }] }] }),
          ingress({ name: 'proxy-protocol-tls', className: 'nginx', tls: [{ hosts: ['proxy-protocol-tls'], secretName: 'site' }], rules: [{ host: 'proxy-protocol-tls', paths: [{ service: 'app' }] }] }),
          ingress({ name: 'tls-ports', className: 'nginx', tls: [{ hosts: ['tls-ports'], secretName: 'site' }], rules: [{ host: 'tls-ports', paths: [{ service: 'app' }] }] }),
        ],
      },
    });
  });

  after(async () => {
    await portero?.dispose();
    await app?.close();
  });

  const echo = async (headers: Record<string, string>, host = 'forwarded-headers') => {
    const response = await request({ port: portero.httpPort, host, path: '/', headers });
    assert.equal(response.status, 200);
    assert.ok(response.echo, 'the backend answered');
    return response.echo.headers;
  };

  test('forwarded_headers.go: X-Forwarded headers are trusted when use-forwarded-headers is true', async () => {
    await portero.write('configmap.yaml', settings({ 'use-forwarded-headers': 'true' }));
    await eventually(async () => assert.equal((await echo(CLIENT_SENT))['x-forwarded-proto'], 'myproto'));
    const headers = await echo(CLIENT_SENT);
    assert.equal(headers['x-forwarded-host'], 'myhost');
    assert.equal(headers['x-forwarded-port'], '1234');
    assert.equal(headers['x-forwarded-for'], '1.2.3.4');
    // Deliberate difference (docs/configuration.md, use-forwarded-headers): the Host the
    // backend receives is the request's Host, the one routed; ingress-nginx replaces it with
    // X-Forwarded-Host ("host=myhost" upstream).
    assert.equal(headers.host, 'forwarded-headers');
  });

  test('forwarded_headers.go: the first entry of a trusted X-Forwarded-Host list is the one passed on', async () => {
    const headers = await echo({ ...CLIENT_SENT, 'x-forwarded-host': 'myhost.com, another.host,example.net' });
    assert.equal(headers['x-forwarded-host'], 'myhost.com');
  });

  test('forwarded_headers.go: X-Forwarded headers are not trusted when use-forwarded-headers is false', async () => {
    await portero.write('configmap.yaml', settings({ 'use-forwarded-headers': 'false' }));
    await eventually(async () => assert.equal((await echo(CLIENT_SENT))['x-forwarded-proto'], 'http'));
    const headers = await echo(CLIENT_SENT);
    assert.equal(headers.host, 'forwarded-headers');
    assert.equal(headers['x-forwarded-host'], 'forwarded-headers');
    assert.equal(headers['x-forwarded-port'], String(portero.httpPort));
    assert.equal(headers['x-forwarded-for'], '127.0.0.1');
    // What the client sent is kept for information only, under the name ingress-nginx uses.
    assert.equal(headers['x-original-forwarded-for'], '1.2.3.4');
    // A client that sent none gets none (and cannot set it itself).
    const plain = await echo({ 'x-original-forwarded-for': '6.6.6.6' });
    assert.equal(plain['x-original-forwarded-for'], undefined);
    assert.equal(plain['x-scheme'], 'http');
  });

  test('enable_real_ip.go: X-Forwarded-For (only) is trusted when enable-real-ip is true', async () => {
    await portero.write('configmap.yaml', settings({ 'enable-real-ip': 'true' }));
    await eventually(async () => assert.equal((await echo(CLIENT_SENT))['x-forwarded-for'], '1.2.3.4'));
    const headers = await echo(CLIENT_SENT);
    assert.equal(headers.host, 'forwarded-headers');
    assert.equal(headers['x-forwarded-host'], 'forwarded-headers');
    assert.equal(headers['x-forwarded-proto'], 'http');
    assert.equal(headers['x-forwarded-port'], String(portero.httpPort));
    assert.equal(headers['x-real-ip'], '1.2.3.4');
  });

  test('enable_real_ip.go: X-Forwarded-For is not trusted when enable-real-ip is false', async () => {
    await portero.write('configmap.yaml', settings({ 'enable-real-ip': 'false' }));
    await eventually(async () => assert.equal((await echo(CLIENT_SENT))['x-forwarded-for'], '127.0.0.1'));
    const headers = await echo(CLIENT_SENT);
    assert.equal(headers.host, 'forwarded-headers');
    assert.equal(headers['x-forwarded-proto'], 'http');
    assert.equal(headers['x-forwarded-port'], String(portero.httpPort));
    assert.equal(headers['x-original-forwarded-for'], '1.2.3.4');
    assert.equal(headers['x-forwarded-host'], 'forwarded-headers');
  });

  test('proxy_protocol.go: the port passed by the PROXY protocol is X-Forwarded-Port', async () => {
    await portero.write('configmap.yaml', settings({ 'use-proxy-protocol': 'true' }));
    const header = 'PROXY TCP4 192.168.0.1 192.168.0.11 56324 1234\r\n';
    const { status, echo: seen } = await eventually(() => viaProxyProtocol(portero.httpPort, header, 'proxy-protocol'));
    assert.equal(status, 200);
    assert.equal(seen.headers.host, 'proxy-protocol');
    assert.equal(seen.headers['x-forwarded-port'], '1234');
    assert.equal(seen.headers['x-forwarded-proto'], 'http');
    assert.equal(seen.headers['x-forwarded-for'], '192.168.0.1');
  });

  test('proxy_protocol.go: port 443 passed by the PROXY protocol means https (TLS ended by the load balancer)', async () => {
    const header = 'PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n';
    const { status, echo: seen } = await viaProxyProtocol(portero.httpPort, header, 'proxy-protocol');
    assert.equal(status, 200);
    assert.equal(seen.headers.host, 'proxy-protocol');
    assert.equal(seen.headers['x-forwarded-port'], '443');
    assert.equal(seen.headers['x-forwarded-proto'], 'https');
    assert.equal(seen.headers['x-forwarded-for'], '192.168.0.1');
    // The request already came over TLS: a TLS host is not redirected to HTTPS again (no loop).
    const tlsHost = await viaProxyProtocol(portero.httpPort, header, 'proxy-protocol-tls');
    assert.equal(tlsHost.status, 200);
    assert.equal(tlsHost.echo.headers['x-forwarded-proto'], 'https');
  });

  test('proxy_protocol.go: the PROXY protocol on the HTTPS port', async () => {
    const header = 'PROXY TCP4 192.168.0.1 192.168.0.11 56324 1234\r\n';
    const { status, echo: seen } = await viaProxyProtocolTls(portero.httpsPort, header, 'proxy-protocol-tls');
    assert.equal(status, 200);
    assert.equal(seen.headers.host, 'proxy-protocol-tls');
    assert.equal(seen.headers['x-forwarded-port'], '1234');
    assert.equal(seen.headers['x-forwarded-proto'], 'https');
    assert.equal(seen.headers['x-scheme'], 'https');
    assert.equal(seen.headers['x-forwarded-for'], '192.168.0.1');
  });

  test('global_access_block.go: clients in block-cidrs get 403 on every host', async () => {
    await portero.write('configmap.yaml', settings({ 'block-cidrs': '127.0.0.2/32,192.168.0.0/16' }));
    await eventually(async () => assert.equal((await request({ port: portero.httpPort, host: 'forwarded-headers', path: '/', localAddress: '127.0.0.2' })).status, 403));
    assert.equal((await request({ port: portero.httpPort, host: 'forwarded-headers', path: '/', localAddress: '127.0.0.3' })).status, 200);
    assert.equal((await request({ port: portero.httpsPort, tls: true, host: 'tls-ports', path: '/', localAddress: '127.0.0.2' })).status, 403);
  });

  test('listen_nondefault_ports.go: X-Forwarded-Port is the non-default HTTP port', async () => {
    await portero.write('configmap.yaml', settings({}));
    await eventually(async () => assert.equal((await request({ port: portero.httpPort, host: 'forwarded-headers', path: '/', localAddress: '127.0.0.2' })).status, 200));
    const headers = await echo({});
    assert.equal(headers['x-forwarded-port'], String(portero.httpPort));
  });

  test('listen_nondefault_ports.go: X-Forwarded-Port on the HTTPS port', async () => {
    const response = await request({ port: portero.httpsPort, tls: true, host: 'tls-ports', path: '/' });
    assert.equal(response.status, 200);
    // Deliberate difference (docs/routing.md): Portero reports the port it listens on;
    // ingress-nginx reports 443 for its HTTPS port whatever port it listens on.
    assert.equal(response.echo?.headers['x-forwarded-port'], String(portero.httpsPort));
    assert.equal(response.echo?.headers['x-forwarded-proto'], 'https');
  });
});
