// GET /api/explain (src/explain/http.ts) on a plain node:http server, as
// the health server serves it: the explanation of the query's request, 400
// for one that cannot be sent, 503 before the first translation, 405 for
// other methods, and other paths left to the caller.

import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { explainRequest, type ExplainSetup } from '../../src/explain/explain.js';
import { explainQuery, handleExplainRequest, inputOfQuery } from '../../src/explain/http.js';
import type { ExplainInput } from '../../src/explain/types.js';
import { translate } from '../../src/translate/translate.js';
import { ingress, serviceWithEndpoints } from '../helpers/objects.js';
import { BASE_OPTIONS, decodeAll, snapshotOf } from '../helpers/translate.js';

const snapshot = snapshotOf(decodeAll([...serviceWithEndpoints({ name: 'web', endpoints: [{ address: '10.0.0.1', port: 8080 }] }), ingress({ name: 'web', rules: [{ host: 'web.test', paths: [{ path: '/', service: 'web' }] }] })]));
const SETUP: ExplainSetup = {
  translation: translate(snapshot, BASE_OPTIONS),
  snapshot,
  classes: { ingressClass: 'portero', controllerClass: 'portero.dev/ingress-controller', watchIngressWithoutClass: false },
  ports: { http: 80, https: 443 },
};

describe('/api/explain', () => {
  let server: Server;
  let base: string;
  let state: ExplainSetup | undefined;
  before(async () => {
    server = createServer((req, res) => {
      if (handleExplainRequest(req, res, () => state)) return;
      res.writeHead(404);
      res.end('not mine');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise((resolve) => server.close(resolve)));

  test('the query round-trips every part of the input', () => {
    const inputs: ExplainInput[] = [
      { url: 'https://web.test/a?b=1&c', method: 'POST', headers: [['X-A', 'one: two'], ['x-a', 'three']], sni: 'other.test', address: '10.1.2.3' },
      { url: 'https://web.test/', headers: [], sni: null },
      { url: 'http://web.test/%2e%2e/x', headers: [] },
    ];
    for (const input of inputs) assert.deepEqual(inputOfQuery(new URLSearchParams(explainQuery(input))), input);
  });

  test('503 before the first translation, then the explanation as JSON', async () => {
    state = undefined;
    const url = `${base}/api/explain?${explainQuery({ url: 'http://web.test/x', headers: [['X-Debug', '1']] })}`;
    assert.equal((await fetch(url)).status, 503);
    state = SETUP;
    const response = await fetch(url);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /application\/json/);
    assert.deepEqual(await response.json(), JSON.parse(JSON.stringify(explainRequest(SETUP, { url: 'http://web.test/x', headers: [['X-Debug', '1']] }))));
  });

  test('400 for a request that cannot be sent, 405 for POST, other paths left alone', async () => {
    state = SETUP;
    const bad = await fetch(`${base}/api/explain?url=${encodeURIComponent('ftp://web.test/')}`);
    assert.equal(bad.status, 400);
    assert.match(((await bad.json()) as { error: string }).error, /http:\/\/ or https:\/\//);
    assert.equal((await fetch(`${base}/api/explain`)).status, 400);
    assert.equal((await fetch(`${base}/api/explain?url=http://web.test/&header=nocolon`)).status, 400);
    const post = await fetch(`${base}/api/explain?url=http://web.test/`, { method: 'POST' });
    assert.equal(post.status, 405);
    assert.equal(post.headers.get('allow'), 'GET, HEAD');
    const other = await fetch(`${base}/metrics`);
    assert.equal(other.status, 404);
    assert.equal(await other.text(), 'not mine');
  });
});
