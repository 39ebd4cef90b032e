// rewrite-target and use-regex through real HAProxy, with ingress-nginx's
// semantics: regular-expression paths, anchored at the start and
// case-insensitive, for every path of the host (across its Ingresses); the
// longest written path first; the whole path replaced, the query kept.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startBackend, type Backend } from '../helpers/backends.js';
import { request } from '../helpers/http.js';
import { ingress, ingressClass, serviceWithEndpoints, type Json } from '../helpers/objects.js';
import { eventually, startPortero, type Portero } from '../helpers/portero.js';

const A = 'nginx.ingress.kubernetes.io';

function paths(name: string, host: string, annotations: Record<string, string>, list: { path: string; pathType?: string; service?: string }[]): Json {
  return ingress({
    name,
    className: 'nginx',
    annotations,
    rules: [{ host, paths: list.map((entry) => ({ path: entry.path, pathType: entry.pathType ?? 'ImplementationSpecific', service: entry.service ?? 'app' })) }],
  });
}

describe('ingress-nginx annotations: rewrite-target and use-regex', () => {
  let portero: Portero;
  let app: Backend;
  let api: Backend;

  before(async () => {
    app = await startBackend('app');
    api = await startBackend('api');
    portero = await startPortero({
      flags: ['--ingress-class', 'nginx', '--controller-class', 'k8s.io/ingress-nginx'],
      files: {
        'class.yaml': [ingressClass('nginx', 'k8s.io/ingress-nginx')],
        'services.yaml': [...serviceWithEndpoints({ name: 'app', endpoints: [app] }), ...serviceWithEndpoints({ name: 'api', endpoints: [api] })],
        'ingresses.yaml': [
          // The example of ingress-nginx's documentation.
          paths('rewrite', 'rw.test', { [`${A}/rewrite-target`]: '/$2', [`${A}/x-forwarded-prefix`]: '/something' }, [{ path: '/something(/|$)(.*)' }]),
          // Another Ingress of the same host, without annotations: its Prefix path becomes a regex too.
          paths('neighbour', 'rw.test', {}, [{ path: '/other', pathType: 'Prefix', service: 'api' }]),
          paths('ordered', 'order.test', { [`${A}/use-regex`]: 'true' }, [
            { path: '/api(/|$)(.*)', service: 'app' },
            { path: '/api/v1(/|$)(.*)', service: 'api' },
          ]),
          paths('numbers', 'regex.test', { [`${A}/use-regex`]: 'true' }, [{ path: '/user/[0-9]+$', service: 'api' }]),
          paths('whole', 'whole.test', { [`${A}/rewrite-target`]: '/' }, [{ path: '/foo', pathType: 'Prefix' }]),
          paths('plain', 'plain.test', {}, [{ path: '/other', pathType: 'Prefix' }]),
          paths('broken', 'broken.test', { [`${A}/use-regex`]: 'true' }, [{ path: '/a(?=b)' }]),
          // Patterns ingress-nginx would take that backtrack without bound on a crafted path (regex-cost.ts).
          paths('exponential', 'slow.test', { [`${A}/use-regex`]: 'true' }, [{ path: '/(a|aa)+$' }]),
          paths('polynomial', 'slow.test', { [`${A}/use-regex`]: 'true' }, [{ path: '/fine' }, { path: '/.*.*.*x' }]),
          paths('fine', 'slow.test', { [`${A}/use-regex`]: 'true' }, [{ path: '/ok/[0-9]+$', service: 'api' }]),
        ],
      },
    });
  });

  after(async () => {
    await portero?.dispose();
    await app?.close();
    await api?.close();
  });

  const get = (host: string, path: string) => request({ port: portero.httpPort, host, path });

  test('capture groups: the whole path is replaced by the target, the query kept', async () => {
    for (const [path, seen] of [
      ['/something', '/'],
      ['/something/', '/'],
      ['/something/new', '/new'],
      ['/something/new/deep?x=1&y=2', '/new/deep?x=1&y=2'],
    ] as const) {
      const response = await get('rw.test', path);
      assert.equal(response.status, 200, path);
      assert.equal(response.echo?.name, 'app', path);
      assert.equal(response.echo?.url, seen, path);
    }
  });

  test('x-forwarded-prefix is sent with the rewrite', async () => {
    const response = await get('rw.test', '/something/new');
    assert.equal(response.echo?.headers['x-forwarded-prefix'], '/something');
    assert.equal((await get('rw.test', '/other')).echo?.headers['x-forwarded-prefix'], undefined);
  });

  test('regular expressions are case-insensitive', async () => {
    const response = await get('rw.test', '/SomeThing/Abc');
    assert.equal(response.echo?.url, '/Abc');
  });

  test("every path of the host becomes a case-insensitive prefix regex, also other Ingresses' paths", async () => {
    const response = await get('rw.test', '/otherwise');
    assert.equal(response.echo?.name, 'api');
    assert.equal(response.echo?.url, '/otherwise');
    assert.equal((await get('rw.test', '/OTHER/x')).echo?.name, 'api');
    assert.equal((await get('rw.test', '/nothing')).status, 404);
  });

  test('other hosts keep element-wise prefix matching', async () => {
    assert.equal((await get('plain.test', '/other/x')).status, 200);
    assert.equal((await get('plain.test', '/otherwise')).status, 404);
  });

  test('the longest written path is tried first', async () => {
    const v1 = await get('order.test', '/api/v1/users');
    assert.equal(v1.echo?.name, 'api');
    assert.equal(v1.echo?.url, '/api/v1/users');
    assert.equal((await get('order.test', '/api/v2/users')).echo?.name, 'app');
  });

  test('use-regex without a rewrite: the pattern routes, the path passes unchanged', async () => {
    const hit = await get('regex.test', '/user/42');
    assert.equal(hit.echo?.name, 'api');
    assert.equal(hit.echo?.url, '/user/42');
    assert.equal((await get('regex.test', '/user/abc')).status, 404);
    assert.equal((await get('regex.test', '/user/42/x')).status, 404);
  });

  test('a target without groups replaces the whole path, as in ingress-nginx since 0.22', async () => {
    const response = await get('whole.test', '/foo/bar?q=1');
    assert.equal(response.echo?.url, '/?q=1');
  });

  test('a pattern outside the supported subset refuses the Ingress with a diagnostic naming the path', async () => {
    assert.equal((await get('broken.test', '/ab')).status, 404);
    const entry = await portero.waitForLog((line) => line.object === 'Ingress default/broken');
    assert.equal(entry.field, 'spec.rules[0].http.paths[0].path');
    assert.match(String(entry.msg), /\(\? groups other than \(\?: are not supported/);
  });

  test('a pattern that could backtrack without bound refuses its Ingress, naming the path and why; the host keeps its other Ingresses', async () => {
    const exponential = await portero.waitForLog((line) => line.object === 'Ingress default/exponential');
    assert.equal(exponential.field, 'spec.rules[0].http.paths[0].path');
    assert.match(String(exponential.msg), /has a repeated group \(\(a\|aa\)\+\) that has alternatives that can start with the same character/);
    const polynomial = await portero.waitForLog((line) => line.object === 'Ingress default/polynomial');
    assert.equal(polynomial.field, 'spec.rules[0].http.paths[1].path');
    assert.match(String(polynomial.msg), /has 3 repetitions that can each stop at many places/);
    assert.equal((await get('slow.test', `/${'a'.repeat(64)}!`)).status, 404);
    assert.equal((await get('slow.test', '/fine')).status, 404, 'the whole Ingress is refused, not only its hostile path');
    const fine = await get('slow.test', '/ok/42');
    assert.equal(fine.status, 200);
    assert.equal(fine.echo?.name, 'api');
  });

  test('on a running Portero: a host turns regex, changes its rewrite, and turns back', async () => {
    const host = 'live.test';
    const seen = async (path: string) => {
      const response = await get(host, path);
      return response.status === 200 ? `${response.echo?.name} ${response.echo?.url}` : `status ${response.status}`;
    };
    await portero.write('live.yaml', [paths('live', host, {}, [{ path: '/app', pathType: 'Prefix' }])]);
    await eventually(async () => assert.equal(await seen('/app/x'), 'app /app/x'));
    assert.equal(await seen('/application'), 'status 404');
    await portero.write('live.yaml', [paths('live', host, { [`${A}/rewrite-target`]: '/$1' }, [{ path: '/app/(.*)' }])]);
    await eventually(async () => assert.equal(await seen('/app/x'), 'app /x'));
    await portero.write('live.yaml', [paths('live', host, { [`${A}/rewrite-target`]: '/v2/$1' }, [{ path: '/app/(.*)' }])]);
    await eventually(async () => assert.equal(await seen('/app/x'), 'app /v2/x'));
    await portero.write('live.yaml', [paths('live', host, {}, [{ path: '/app', pathType: 'Prefix' }])]);
    await eventually(async () => assert.equal(await seen('/app/x'), 'app /app/x'));
    assert.equal(await seen('/application'), 'status 404');
  });

  test('on a running Portero: regex paths and regex hosts come and go through the runtime API, each host trying only its own patterns', async () => {
    const reloads = async () => (await portero.metric('portero_haproxy_reloads_total{reason="structural"}')) ?? 0;
    const before = await reloads();
    const seen = async (host: string, path: string) => {
      const response = await get(host, path);
      return response.status === 200 ? `${response.echo?.name}` : `status ${response.status}`;
    };
    await portero.write('regex-live.yaml', [paths('regex-live', 'rx-live.test', { [`${A}/use-regex`]: 'true' }, [{ path: '/v[0-9]+/items', service: 'app' }])]);
    await eventually(async () => assert.equal(await seen('rx-live.test', '/V2/items'), 'app'));
    assert.equal(await seen('rx-live.test', '/v/items'), 'status 404');
    // A second pattern, longer, tried first; and a second regex host with a pattern that would also match the first host's paths.
    await portero.write('regex-live.yaml', [
      paths('regex-live', 'rx-live.test', { [`${A}/use-regex`]: 'true' }, [
        { path: '/v[0-9]+/items', service: 'app' },
        { path: '/v[0-9]+/items/special', service: 'api' },
      ]),
      paths('regex-other', 'rx-other.test', { [`${A}/use-regex`]: 'true' }, [{ path: '/.*', service: 'api' }]),
    ]);
    await eventually(async () => assert.equal(await seen('rx-live.test', '/v3/items/special/x'), 'api'));
    assert.equal(await seen('rx-live.test', '/v3/items/x'), 'app');
    assert.equal(await seen('rx-live.test', '/elsewhere'), 'status 404', "another host's pattern never answers for this one");
    assert.equal(await seen('rx-other.test', '/elsewhere'), 'api');
    await portero.write('regex-live.yaml', [paths('regex-other', 'rx-other.test', { [`${A}/use-regex`]: 'true' }, [{ path: '/only$', service: 'app' }])]);
    await eventually(async () => assert.equal(await seen('rx-live.test', '/v3/items'), 'status 404'));
    assert.equal(await seen('rx-other.test', '/ONLY'), 'app');
    assert.equal(await seen('rx-other.test', '/only/not'), 'status 404');
    assert.equal(await reloads(), before, 'regex routes are candidate lists: no reload');
  });
});
