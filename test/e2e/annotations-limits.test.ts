// ingress-nginx's limit-*, from-to-www-redirect and server-alias through
// real HAProxy. Limits are asserted on counts with margins computed from the
// time the requests took, never on tight timings; each test uses client
// addresses of its own (127.0.200.x), so their counters never mix.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startBackend, type Backend } from '../helpers/backends.js';
import { request, type Response } from '../helpers/http.js';
import { ingress, ingressClass, serviceWithEndpoints, type Json } from '../helpers/objects.js';
import { eventually, startPortero, type Portero } from '../helpers/portero.js';

const A = 'nginx.ingress.kubernetes.io';

function annotated(name: string, hosts: string[], annotations: Record<string, string>, service = 'app'): Json {
  return ingress({ name, className: 'nginx', annotations, rules: hosts.map((host) => ({ host, paths: [{ service }] })) });
}

let nextClient = 1;
/** A client address no other request of this file used. */
function freshClient(): string {
  nextClient += 1;
  return `127.0.200.${nextClient}`;
}

describe('ingress-nginx annotations: limits, www redirects, aliases', () => {
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
        'app.yaml': serviceWithEndpoints({ name: 'app', endpoints: [app] }),
        'api.yaml': serviceWithEndpoints({ name: 'api', endpoints: [api] }),
        'ingresses.yaml': [
          annotated('rps', ['rps.lim.test'], { [`${A}/limit-rps`]: '2', [`${A}/limit-whitelist`]: '127.0.201.0/24, ::1' }),
          annotated('conn', ['conn.lim.test'], { [`${A}/limit-connections`]: '2' }),
          annotated('one', ['one.lim.test'], { [`${A}/limit-rps`]: '1' }),
          annotated('two', ['two.lim.test'], { [`${A}/limit-rps`]: '1' }),
          annotated('www', ['www.site.lim.test', 'apex.lim.test'], { [`${A}/from-to-www-redirect`]: 'true' }),
          annotated('taken', ['taken.lim.test'], { [`${A}/from-to-www-redirect`]: 'true' }),
          annotated('taken-www', ['www.taken.lim.test'], {}, 'api'),
          annotated('real', ['real.lim.test'], { [`${A}/server-alias`]: 'alias.lim.test, *.wild.lim.test, other-real.lim.test' }),
          ingress({ name: 'real-api', className: 'nginx', rules: [{ host: 'real.lim.test', paths: [{ path: '/api', service: 'api' }] }] }),
          annotated('other-real', ['other-real.lim.test'], {}, 'api'),
          annotated('bad-rps', ['badrps.lim.test'], { [`${A}/limit-rps`]: '10r/s' }),
          annotated('bad-alias', ['badalias.lim.test'], { [`${A}/server-alias`]: 'ok.lim.test, evil host' }),
          annotated('bad-whitelist', ['badwl.lim.test'], { [`${A}/limit-rps`]: '1', [`${A}/limit-whitelist`]: '10.0.0.1 if TRUE' }),
        ],
      },
    });
  });

  after(async () => {
    await portero?.dispose();
    await app?.close();
    await api?.close();
  });

  /** `count` requests one after another from `client`; the statuses and the seconds they took. */
  async function burst(host: string, client: string, count: number): Promise<{ statuses: number[]; seconds: number }> {
    const started = Date.now();
    const statuses: number[] = [];
    for (let i = 0; i < count; i += 1) statuses.push((await request({ port: portero.httpPort, host, path: '/', localAddress: client })).status);
    return { statuses, seconds: (Date.now() - started) / 1000 };
  }
  const count = (statuses: number[], status: number) => statuses.filter((s) => s === status).length;

  test('limit-rps: a burst above rps × 5 gets 503s; another client is not affected', async () => {
    const { statuses, seconds } = await burst('rps.lim.test', freshClient(), 30);
    assert.deepEqual(statuses.slice(0, 10), Array(10).fill(200), 'the burst (2 rps × 5) is admitted');
    // Beyond the burst, the 5 s window frees about 2 slots a second: a margin from the time taken.
    const admitted = count(statuses, 200);
    assert.ok(admitted <= 10 + Math.ceil(2 * seconds) + 2, `${admitted} admitted in ${seconds} s`);
    assert.equal(count(statuses, 503), 30 - admitted);
    assert.ok(count(statuses, 503) >= 1);
    const other = await burst('rps.lim.test', freshClient(), 5);
    assert.deepEqual(other.statuses, Array(5).fill(200));
  });

  test('limit-whitelist: listed clients are never limited', async () => {
    const { statuses } = await burst('rps.lim.test', '127.0.201.7', 30);
    assert.deepEqual(statuses, Array(30).fill(200));
  });

  test('limit-whitelist: a new list applies without a reload (a pattern file of the section)', async () => {
    const reloads = async () => (await portero.metric('portero_haproxy_reloads_total{reason="structural"}')) ?? 0;
    const before = await reloads();
    await portero.write('whitelist.yaml', [annotated('wl', ['wl.lim.test'], { [`${A}/limit-rps`]: '1', [`${A}/limit-whitelist`]: '127.0.202.0/24' })]);
    await eventually(async () => assert.equal((await request({ port: portero.httpPort, host: 'wl.lim.test', path: '/' })).status, 200));
    await eventually(async () => assert.equal(await reloads(), before + 1, 'a new Ingress with limits: a section of its own'));
    const added = await reloads();
    assert.deepEqual((await burst('wl.lim.test', '127.0.202.9', 15)).statuses, Array(15).fill(200), 'listed: never limited');
    await portero.write('whitelist.yaml', [annotated('wl', ['wl.lim.test'], { [`${A}/limit-rps`]: '1', [`${A}/limit-whitelist`]: '127.0.203.0/24, ::1' })]);
    // The newly listed client is let through every request once the list changed.
    await eventually(async () => assert.deepEqual((await burst('wl.lim.test', '127.0.203.9', 15)).statuses, Array(15).fill(200)));
    assert.ok(count((await burst('wl.lim.test', '127.0.202.10', 15)).statuses, 503) >= 1, 'no longer listed: limited');
    assert.equal(await reloads(), added, 'a new list is add acl / del acl');
  });

  test('limit-connections: N+1 concurrent slow requests of one client → one 503; another client is served', async () => {
    const client = freshClient();
    const slow = () => request({ port: portero.httpPort, host: 'conn.lim.test', path: '/delay?ms=1500', localAddress: client });
    const [first, second] = await Promise.all([slow(), slow(), (async () => {
      // The third starts while the first two are surely in progress (1.5 s each).
      await new Promise((resolve) => setTimeout(resolve, 300));
      const [third, otherClient] = await Promise.all([slow(), request({ port: portero.httpPort, host: 'conn.lim.test', path: '/delay?ms=10', localAddress: freshClient() })]);
      assert.equal(third.status, 503);
      assert.equal(otherClient.status, 200);
    })()]);
    assert.deepEqual([first.status, second.status], [200, 200]);
    // Once they are done, the client is served again.
    assert.equal((await request({ port: portero.httpPort, host: 'conn.lim.test', path: '/', localAddress: client })).status, 200);
  });

  test('two Ingresses with the same limits keep separate counters', async () => {
    const client = freshClient();
    const one = await burst('one.lim.test', client, 15);
    assert.ok(count(one.statuses, 503) >= 1, 'the first Ingress limits the client');
    const two = await burst('two.lim.test', client, 5);
    assert.deepEqual(two.statuses, Array(5).fill(200), "the second Ingress's counter is its own");
  });

  test('from-to-www-redirect: the apex redirects to www, and www to the apex, with 308', async () => {
    const toWww = await request({ port: portero.httpPort, host: 'site.lim.test', path: '/a/b?c=d' });
    assert.equal(toWww.status, 308);
    assert.equal(toWww.headers.location, `http://www.site.lim.test:${portero.httpPort}/a/b?c=d`);
    const stripped = await request({ port: portero.httpPort, host: 'site.lim.test', path: '/a/' });
    assert.equal(stripped.headers.location, `http://www.site.lim.test:${portero.httpPort}/a`, 'a trailing / is removed, as ingress-nginx does');
    const toApex = await request({ port: portero.httpsPort, tls: true, host: 'www.apex.lim.test', path: '/x' });
    assert.equal(toApex.status, 308);
    assert.equal(toApex.headers.location, `https://apex.lim.test:${portero.httpsPort}/x`);
    // The hosts of the rules themselves are served.
    assert.equal((await request({ port: portero.httpPort, host: 'www.site.lim.test', path: '/a' })).echo?.name, 'app');
    assert.equal((await request({ port: portero.httpPort, host: 'apex.lim.test', path: '/a' })).echo?.name, 'app');
  });

  test('from-to-www-redirect: no redirect when the twin host has a rule of its own', async () => {
    const response = await request({ port: portero.httpPort, host: 'www.taken.lim.test', path: '/' });
    assert.equal(response.status, 200);
    assert.equal(response.echo?.name, 'api');
  });

  test('server-alias: the alias serves the same routes as the host, from every Ingress of the host', async () => {
    const get = (host: string, path: string): Promise<Response> => request({ port: portero.httpPort, host, path });
    for (const host of ['real.lim.test', 'alias.lim.test', 'x.wild.lim.test']) {
      assert.equal((await get(host, '/')).echo?.name, 'app', host);
      assert.equal((await get(host, '/api/v1')).echo?.name, 'api', host);
    }
    // An alias that is the host of a rule is ignored, with a warning.
    assert.equal((await get('other-real.lim.test', '/api/v1')).echo?.name, 'api');
    assert.equal((await get('other-real.lim.test', '/')).echo?.name, 'api');
    const entry = await portero.waitForLog((line) => line.field === `metadata.annotations["${A}/server-alias"]` && line.object === 'Ingress default/real');
    assert.match(String(entry.msg), /other-real\.lim\.test is a host of an Ingress rule, which takes priority; this alias is ignored/);
  });

  test('hostile values are refused: the Ingress is not served, with an error naming the annotation', async () => {
    for (const [host, name, message] of [
      ['badrps.lim.test', 'limit-rps', /value "10r\/s": must be a whole number; the Ingress is not served/],
      ['badalias.lim.test', 'server-alias', /"evil host" is not a host name/],
      ['badwl.lim.test', 'limit-whitelist', /"10\.0\.0\.1 if TRUE" is not an IP address or CIDR range/],
    ] as const) {
      assert.equal((await request({ port: portero.httpPort, host, path: '/' })).status, 404, host);
      const entry = await portero.waitForLog((line) => line.field === `metadata.annotations["${A}/${name}"]`);
      assert.equal(entry.level, 'error');
      assert.match(String(entry.msg), message);
    }
    assert.equal((await request({ port: portero.httpPort, host: 'ok.lim.test', path: '/' })).status, 404, 'no alias of a refused Ingress');
  });

  test('changing these annotations on a running Portero', async () => {
    const write = (annotations: Record<string, string>) => portero.write('change.yaml', [annotated('change', ['change.lim.test'], annotations)]);
    const limited = async () => count((await burst('change.lim.test', freshClient(), 12)).statuses, 503) > 0;
    const status = async (host: string) => (await request({ port: portero.httpPort, host, path: '/' })).status;

    await write({});
    await eventually(async () => assert.equal(await status('change.lim.test'), 200));
    assert.equal(await limited(), false);
    assert.equal(await status('alias.change.test'), 404);

    await write({ [`${A}/limit-rps`]: '1', [`${A}/server-alias`]: 'alias.change.test', [`${A}/from-to-www-redirect`]: 'true' });
    await eventually(async () => assert.equal(await status('alias.change.test'), 200));
    await eventually(async () => assert.equal(await status('www.change.lim.test'), 308));
    assert.equal(await limited(), true);

    await write({ [`${A}/limit-rps`]: '100', [`${A}/server-alias`]: 'alias2.change.test' });
    await eventually(async () => assert.equal(await status('alias2.change.test'), 200));
    assert.equal(await status('alias.change.test'), 404);
    assert.equal(await status('www.change.lim.test'), 404);
    assert.equal(await limited(), false);

    await write({});
    await eventually(async () => assert.equal(await status('alias2.change.test'), 404));
    assert.equal(await limited(), false);
  });

  test('a new count of limit-rps or limit-connections is a runtime change, no reload', async () => {
    const reloads = async () => (await portero.metric('portero_haproxy_reloads_total{reason="structural"}')) ?? 0;
    const write = (rps: string) => portero.write('counts.yaml', [annotated('counts', ['counts.lim.test'], { [`${A}/limit-rps`]: rps, [`${A}/limit-connections`]: '50' })]);
    const limited = async () => count((await burst('counts.lim.test', freshClient(), 12)).statuses, 503) > 0;
    const initial = await reloads();
    await write('1');
    await eventually(async () => assert.equal(await limited(), true, '1 rps admits a burst of 5'));
    // The new rules needed a reload; HAProxy may serve them a moment before Portero counts it.
    await eventually(async () => assert.ok((await reloads()) > initial));
    const before = await reloads();
    await write('100');
    await eventually(async () => assert.equal(await limited(), false));
    await write('2');
    await eventually(async () => assert.equal(await limited(), true));
    assert.equal(await reloads(), before, 'the counts are settings.map entries');
  });
});
