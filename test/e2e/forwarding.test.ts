// What reaches the backend: Host, method, path, query and body unchanged,
// forwarding headers set by the proxy (never trusted from the client),
// HTTP/1.1 keep-alive to backends, WebSocket upgrades, a Server header.

import assert from 'node:assert/strict';
import { Agent } from 'node:http';
import { connect as netConnect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import { startBackend, type Backend } from '../helpers/backends.js';
import { request } from '../helpers/http.js';
import { appOn } from '../helpers/objects.js';
import { startPortero, type Portero } from '../helpers/portero.js';

describe('forwarding', () => {
  let portero: Portero;
  let app: Backend;

  before(async () => {
    app = await startBackend('app');
    portero = await startPortero({
      files: {
        'app.yaml': appOn('fwd.test', [app]),
      },
    });
  });

  after(async () => {
    await portero?.dispose();
    await app?.close();
  });

  test('method, path, query, Host and body pass unchanged', async () => {
    const body = JSON.stringify({ hello: 'world', list: [1, 2, 3] });
    const response = await request({
      port: portero.httpPort,
      host: 'fwd.test',
      method: 'PATCH',
      path: '/a/b%20c/d?x=1&y=%2F&x=2',
      body,
      headers: { 'content-type': 'application/json', 'x-custom': 'kept' },
    });
    assert.equal(response.status, 200);
    assert.equal(response.echo?.method, 'PATCH');
    assert.equal(response.echo?.url, '/a/b%20c/d?x=1&y=%2F&x=2');
    assert.equal(response.echo?.headers.host, 'fwd.test');
    assert.equal(response.echo?.headers['x-custom'], 'kept');
    assert.equal(response.echo?.body, body);
  });

  test('a large request body passes whole', async () => {
    const body = 'x'.repeat(3 * 1024 * 1024);
    const response = await request({ port: portero.httpPort, host: 'fwd.test', method: 'POST', path: '/upload', body });
    assert.equal(response.status, 200);
    assert.equal(response.echo?.body.length, body.length);
  });

  test('X-Forwarded-* and X-Real-IP are set by the proxy; client values are not trusted', async () => {
    const response = await request({
      port: portero.httpPort,
      host: 'fwd.test:1234',
      headers: { 'x-forwarded-for': '6.6.6.6', 'x-real-ip': '6.6.6.6', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'evil.test', 'x-forwarded-port': '1' },
    });
    const headers = response.echo!.headers;
    assert.equal(headers['x-forwarded-for'], '127.0.0.1');
    assert.equal(headers['x-real-ip'], '127.0.0.1');
    assert.equal(headers['x-forwarded-proto'], 'http');
    assert.equal(headers['x-forwarded-host'], 'fwd.test:1234');
    assert.equal(headers['x-forwarded-port'], String(portero.httpPort));
  });

  test('forwarding headers in other spellings are removed, never passed on', async () => {
    const response = await request({
      port: portero.httpPort,
      host: 'fwd.test',
      headers: { forwarded: 'for=6.6.6.6;proto=https', x_forwarded_for: '8.8.8.8', 'x-forwarded_proto': 'https', x_real_ip: '6.6.6.6', 'x-forwarded-prefix': '/evil', 'x-other_header': 'kept' },
    });
    const headers = response.echo!.headers;
    for (const name of ['forwarded', 'x_forwarded_for', 'x-forwarded_proto', 'x_real_ip', 'x-forwarded-prefix']) assert.equal(headers[name], undefined, name);
    assert.equal(headers['x-other_header'], 'kept');
    assert.equal(headers['x-forwarded-for'], '127.0.0.1');
  });

  test('control bytes in a header value are refused with 400', async () => {
    for (const value of ['a\x00b', 'a\x01b', 'a\x7fb']) {
      const status = await new Promise<string>((resolve, reject) => {
        const socket = netConnect(portero.httpPort, '127.0.0.1', () => socket.end(`GET / HTTP/1.1\r\nHost: fwd.test\r\nX-Test: ${value}\r\nConnection: close\r\n\r\n`));
        let answer = '';
        socket.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')));
        socket.on('end', () => resolve(answer.split('\r\n')[0] ?? ''));
        socket.on('error', reject);
      });
      assert.match(status, /^HTTP\/1\.1 400 /, JSON.stringify(value));
    }
    assert.equal((await request({ port: portero.httpPort, host: 'fwd.test', headers: { 'x-test': 'a\tb' } })).status, 200, 'a tab is allowed');
  });

  test('responses carry the Server header of the proxy', async () => {
    const response = await request({ port: portero.httpPort, host: 'fwd.test' });
    assert.equal(response.headers.server, 'portero');
  });

  test('HTTP/1.1 with keep-alive to the backend', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const before = app.requests.length;
      for (let i = 0; i < 5; i += 1) await request({ port: portero.httpPort, host: 'fwd.test', path: `/ka/${i}`, agent });
      const seen = app.requests.slice(before);
      assert.equal(seen.length, 5);
      for (const echo of seen) {
        assert.equal(echo.httpVersion, '1.1');
        assert.notEqual(echo.headers.connection, 'close');
      }
      // HAProxy keeps server connections open and reuses them for later requests.
      const ports = new Set(seen.map((echo) => echo.remotePort));
      assert.ok(ports.size < seen.length, `backend connections were reused: ${seen.map((echo) => echo.remotePort).join(',')}`);
    } finally {
      agent.destroy();
    }
  });

  test('a WebSocket upgrade passes and frames flow both ways', async () => {
    const socket = new WebSocket(`ws://127.0.0.1:${portero.httpPort}/socket`, { headers: { host: 'fwd.test' } });
    const replies: string[] = [];
    await new Promise<void>((resolve, reject) => {
      socket.on('open', () => {
        socket.send('one');
        socket.send('two');
      });
      socket.on('message', (data) => {
        replies.push(data.toString());
        if (replies.length === 2) resolve();
      });
      socket.on('error', reject);
    });
    socket.close();
    assert.deepEqual(replies, ['app: one', 'app: two']);
  });
});
