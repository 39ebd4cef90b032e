// Gateway API backend protocols through real HAProxy, in manifests mode:
// GRPCRoutes end to end (h2c with prior knowledge on the HTTP listener, h2
// by ALPN on the HTTPS listener, HTTP/2 in clear text to the endpoints,
// trailers back), their method and header matches, precedence and filters;
// the Service port's appProtocol for HTTPRoutes (kubernetes.io/h2c,
// kubernetes.io/ws, and kubernetes.io/wss refused); and which changes
// reload HAProxy.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import { generateSelfSigned } from '../../src/tls/default-certificate.js';
import { startBackend, type Backend } from '../helpers/backends.js';
import { gateway, gatewayClass, GATEWAY_V1 } from '../helpers/gateway-api-manifests.js';
import { grpcCall, startGrpcBackend, type GrpcBackend } from '../helpers/grpc.js';
import { currentWorker } from '../helpers/haproxy.js';
import { request } from '../helpers/http.js';
import { serviceWithEndpoints, tlsSecret, type Json } from '../helpers/objects.js';
import { eventually, startPortero, type Portero } from '../helpers/portero.js';

const method = (service: string | undefined, name?: string, type?: string) => ({ method: { ...(type ? { type } : {}), ...(service ? { service } : {}), ...(name ? { method: name } : {}) } });
const to = (service: string) => ({ name: service, port: 80 });

function grpcRoute(name: string, hostnames: string[], rules: Json[]): Json {
  return { apiVersion: GATEWAY_V1, kind: 'GRPCRoute', metadata: { name, namespace: 'default' }, spec: { parentRefs: [{ name: 'gw' }], hostnames, rules } };
}
function httpRoute(name: string, hostnames: string[], service: string): Json {
  return { apiVersion: GATEWAY_V1, kind: 'HTTPRoute', metadata: { name, namespace: 'default' }, spec: { parentRefs: [{ name: 'gw' }], hostnames, rules: [{ backendRefs: [to(service)] }] } };
}

const GRPC_RULES: Json[] = [
  { matches: [method('echo.Echo', 'Say')], backendRefs: [to('grpc-a')] },
  { matches: [method('echo.Echo')], backendRefs: [to('grpc-b')] },
  {
    matches: [{ ...method('echo.Echo', 'Say'), headers: [{ name: 'x-variant', value: 'c' }] }],
    filters: [
      { type: 'RequestHeaderModifier', requestHeaderModifier: { set: [{ name: 'x-filtered', value: 'yes' }] } },
      { type: 'ResponseHeaderModifier', responseHeaderModifier: { add: [{ name: 'x-answered', value: 'yes' }] } },
    ],
    backendRefs: [to('grpc-c')],
  },
  { matches: [method('regex\\.[a-z]+', 'Get.*', 'RegularExpression')], backendRefs: [to('grpc-c')] },
  { matches: [method(undefined, 'Ping')], backendRefs: [to('grpc-a')] },
  { matches: [method('(a+)+', undefined, 'RegularExpression')], backendRefs: [to('grpc-a')] },
];

describe('Gateway API: GRPCRoutes and backend protocols through real HAProxy', () => {
  let portero: Portero;
  const grpc: Record<string, GrpcBackend> = {};
  let socket: Backend;
  const services = (h2cPlainProtocol?: string): Json[] => [
    ...['grpc-a', 'grpc-b', 'grpc-c'].flatMap((name) => serviceWithEndpoints({ name, endpoints: [grpc[name]!] })),
    ...serviceWithEndpoints({ name: 'h2c', endpoints: [grpc.h2c!], appProtocol: 'kubernetes.io/h2c' }),
    ...serviceWithEndpoints({ name: 'h2c-plain', endpoints: [grpc['h2c-plain']!], ...(h2cPlainProtocol ? { appProtocol: h2cPlainProtocol } : {}) }),
    ...serviceWithEndpoints({ name: 'grpc-ws', endpoints: [grpc['grpc-ws']!], appProtocol: 'kubernetes.io/ws' }),
    ...serviceWithEndpoints({ name: 'ws', endpoints: [socket], appProtocol: 'kubernetes.io/ws' }),
    ...serviceWithEndpoints({ name: 'wss', endpoints: [socket], appProtocol: 'kubernetes.io/wss' }),
  ];
  const h2c = (authority: string, path: string, headers: Record<string, string> = {}) => grpcCall({ url: `http://127.0.0.1:${portero.httpPort}`, authority, path, headers });
  const served = async (authority: string, path: string, headers: Record<string, string> = {}) => {
    const answer = await h2c(authority, path, headers);
    return answer.echo?.name ?? answer.status;
  };

  before(async () => {
    for (const name of ['grpc-a', 'grpc-b', 'grpc-c', 'h2c', 'h2c-plain', 'grpc-ws']) grpc[name] = await startGrpcBackend(name);
    socket = await startBackend('socket');
    const site = await generateSelfSigned('grpc.gw.test', ['grpc.gw.test'], 30);
    portero = await startPortero({
      files: {
        'gateway.yaml': [
          gatewayClass('portero'),
          gateway('gw', { namespace: 'default', listeners: [{ name: 'http', port: 80, protocol: 'HTTP' }, { name: 'https', port: 443, protocol: 'HTTPS', tls: { certificateRefs: [{ name: 'site' }] } }] }),
        ],
        'secret.yaml': [tlsSecret('site', site.cert, site.key)],
        'services.yaml': services(),
        'routes.yaml': [
          grpcRoute('grpc', ['grpc.gw.test'], GRPC_RULES),
          grpcRoute('grpc-ws', ['grpcws.gw.test'], [{ backendRefs: [to('grpc-ws')] }]),
          httpRoute('h2c', ['h2c.gw.test'], 'h2c'),
          httpRoute('h2c-plain', ['h2cplain.gw.test'], 'h2c-plain'),
          httpRoute('ws', ['ws.gw.test'], 'ws'),
          httpRoute('wss', ['wss.gw.test'], 'wss'),
        ],
      },
    });
  });

  after(async () => {
    await portero?.dispose();
    await Promise.all([...Object.values(grpc), socket].map((server) => server?.close()));
  });

  test('GRPCRoute: a call over h2c (prior knowledge) reaches the h2c endpoint with its path, body and content type, and its trailers come back', async () => {
    const answer = await h2c('grpc.gw.test', '/echo.Echo/Say');
    assert.equal(answer.status, 200);
    assert.equal(answer.headers['content-type'], 'application/grpc');
    assert.equal(answer.trailers['grpc-status'], '0');
    assert.equal(answer.echo?.name, 'grpc-a');
    assert.equal(answer.echo?.path, '/echo.Echo/Say');
    assert.equal(answer.echo?.method, 'POST');
    assert.equal(answer.echo?.headers['content-type'], 'application/grpc');
    assert.equal(answer.echo?.message, 'hello');
  });

  test('GRPCRoute precedence: service and method beat service only; a header match beats none; an unmatched service is 404', async () => {
    assert.equal(await served('grpc.gw.test', '/echo.Echo/Other'), 'grpc-b');
    assert.equal(await served('grpc.gw.test', '/echo.Echo/Say', { 'x-variant': 'other' }), 'grpc-a');
    assert.equal(await served('grpc.gw.test', '/other.Svc/Say'), 404);
    assert.equal(await served('grpc.gw.test', '/echo.EchoX/Say'), 404);
  });

  test('GRPCRoute filters: request and response header modifiers apply to the rule they are on', async () => {
    const answer = await h2c('grpc.gw.test', '/echo.Echo/Say', { 'x-variant': 'c' });
    assert.equal(answer.echo?.name, 'grpc-c');
    assert.equal(answer.echo?.headers['x-filtered'], 'yes');
    assert.equal(answer.headers['x-answered'], 'yes');
    assert.equal(answer.trailers['grpc-status'], '0');
    assert.equal((await h2c('grpc.gw.test', '/echo.Echo/Say')).headers['x-answered'], undefined);
  });

  test('GRPCRoute: RegularExpression method matches cover the whole service and method names', async () => {
    assert.equal(await served('grpc.gw.test', '/regex.svc/GetThing'), 'grpc-c');
    assert.equal(await served('grpc.gw.test', '/regex.svc/Get'), 'grpc-c');
    assert.equal(await served('grpc.gw.test', '/regex.svc/Put'), 404);
    assert.equal(await served('grpc.gw.test', '/regexXsvc/GetThing'), 404, 'the escaped dot is a dot');
    assert.equal(await served('grpc.gw.test', '/x.regex.svc/GetThing'), 404, 'anchored at the service start');
    assert.equal(await served('grpc.gw.test', '/regex.svc2/GetThing'), 404, 'anchored at the service end');
  });

  test('GRPCRoute: a method without a service matches that method of every service, after every match with a service', async () => {
    assert.equal(await served('grpc.gw.test', '/any.Svc/Ping'), 'grpc-a');
    assert.equal(await served('grpc.gw.test', '/echo.Echo/Ping'), 'grpc-b');
    assert.equal(await served('grpc.gw.test', '/any.Svc/Pings'), 404);
  });

  test('GRPCRoute: a regular expression that could backtrack without bound is refused with a diagnostic naming the field', async () => {
    await portero.waitForLog((entry) => JSON.stringify(entry).includes('spec.rules[5].matches[0].method.service'));
    assert.equal(await served('grpc.gw.test', '/aaaa/Do'), 404);
  });

  test('GRPCRoute over TLS: HTTP/2 by ALPN on the HTTPS listener', async () => {
    const answer = await grpcCall({ url: `https://127.0.0.1:${portero.httpsPort}`, authority: 'grpc.gw.test', path: '/echo.Echo/Say' });
    assert.equal(answer.echo?.name, 'grpc-a');
    assert.equal(answer.trailers['grpc-status'], '0');
  });

  test('appProtocol kubernetes.io/h2c: HTTP/1.1 and h2c clients both reach an endpoint that speaks only HTTP/2', async () => {
    const plain = await request({ port: portero.httpPort, host: 'h2c.gw.test', path: '/any/path?q=1' });
    assert.equal(plain.status, 200);
    assert.equal(plain.headers['x-backend'], 'h2c');
    const answer = await h2c('h2c.gw.test', '/any/path');
    assert.equal(answer.echo?.name, 'h2c');
    assert.equal(answer.echo?.path, '/any/path');
  });

  test('without appProtocol an HTTPRoute speaks HTTP/1.1, which an HTTP/2-only endpoint does not answer', async () => {
    const response = await request({ port: portero.httpPort, host: 'h2cplain.gw.test', path: '/' });
    assert.equal(response.status, 502);
  });

  test('appProtocol kubernetes.io/ws: a WebSocket upgrade passes and frames flow both ways', async () => {
    const client = new WebSocket(`ws://127.0.0.1:${portero.httpPort}/socket`, { headers: { host: 'ws.gw.test' } });
    const replies: string[] = [];
    await new Promise<void>((resolve, reject) => {
      client.on('open', () => {
        client.send('one');
        client.send(Buffer.from([0, 1, 2]), { binary: true });
      });
      client.on('message', (data) => {
        replies.push(data.toString());
        if (replies.length === 2) resolve();
      });
      client.on('error', reject);
    });
    client.close();
    assert.deepEqual(replies, ['socket: one', `socket: ${Buffer.from([0, 1, 2]).toString()}`]);
  });

  test('appProtocol kubernetes.io/wss on an HTTPRoute and kubernetes.io/ws on a GRPCRoute: UnsupportedProtocol, 500 or gRPC UNAVAILABLE', async () => {
    assert.equal((await request({ port: portero.httpPort, host: 'wss.gw.test', path: '/' })).status, 500);
    const grpcAnswer = await h2c('grpcws.gw.test', '/echo.Echo/Say');
    assert.equal(grpcAnswer.status, 200);
    assert.equal(grpcAnswer.headers['content-type'], 'application/grpc', JSON.stringify(grpcAnswer.headers));
    assert.equal(grpcAnswer.headers['grpc-status'], '14', 'a trailers-only answer: UNAVAILABLE');
    assert.equal(grpcAnswer.echo, undefined);
    await portero.waitForLog((entry) => JSON.stringify(entry).includes('kubernetes.io/wss asks for TLS'));
    await portero.waitForLog((entry) => JSON.stringify(entry).includes('cannot carry gRPC'));
  });

  test('on a running Portero: GRPCRoute rules change without a reload; an appProtocol change reloads and takes effect', async () => {
    const worker = await currentWorker(portero.stateDir);
    await portero.write('routes-more.yaml', [grpcRoute('grpc-more', ['more.gw.test'], [{ matches: [method('echo.More', 'Go')], backendRefs: [to('grpc-b')] }, { backendRefs: [to('grpc-a')] }])]);
    await eventually(async () => assert.equal(await served('more.gw.test', '/echo.More/Go'), 'grpc-b'));
    assert.equal(await served('more.gw.test', '/echo.Other/Go'), 'grpc-a');
    await portero.write('routes-more.yaml', [grpcRoute('grpc-more', ['more.gw.test'], [{ matches: [method('echo.More', 'Stop')], backendRefs: [to('grpc-b')] }, { backendRefs: [to('grpc-a')] }])]);
    await eventually(async () => assert.equal(await served('more.gw.test', '/echo.More/Go'), 'grpc-a'));
    assert.equal(await served('more.gw.test', '/echo.More/Stop'), 'grpc-b');
    assert.equal(await currentWorker(portero.stateDir), worker, 'no reload for GRPCRoute changes');

    await portero.write('services.yaml', services('kubernetes.io/h2c'));
    await eventually(async () => assert.equal((await request({ port: portero.httpPort, host: 'h2cplain.gw.test', path: '/' })).status, 200));
    await eventually(async () => assert.notEqual(await currentWorker(portero.stateDir), worker));
  });
});
