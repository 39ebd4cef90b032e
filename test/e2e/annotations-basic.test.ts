// ingress-nginx annotations through real HAProxy: redirects, the request
// body limit, timeouts, source address lists, and what happens to invalid
// values and snippets. One Portero serves them all, as with the
// `nginx` IngressClass of a migrating cluster.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { generateSelfSigned } from '../../src/tls/default-certificate.js';
import { startBackend, type Backend } from '../helpers/backends.js';
import { request } from '../helpers/http.js';
import { ingress, ingressClass, serviceWithEndpoints, tlsSecret, type Json } from '../helpers/objects.js';
import { eventually, startPortero, type Portero } from '../helpers/portero.js';

const A = 'nginx.ingress.kubernetes.io';

/** An Ingress of class nginx sending every path of `host` to `app`, with annotations. */
function annotated(name: string, host: string, annotations: Record<string, string>, extra: Partial<Parameters<typeof ingress>[0]> = {}): Json {
  return ingress({ name, className: 'nginx', annotations, rules: [{ host, paths: [{ service: 'app' }] }], ...extra });
}

describe('ingress-nginx annotations: redirects, limits, timeouts, source lists', () => {
  let portero: Portero;
  let app: Backend;

  before(async () => {
    app = await startBackend('app');
    const site = await generateSelfSigned('tls.ann.test', ['tls.ann.test', 'plain-ok.ann.test'], 30);
    portero = await startPortero({
      flags: ['--ingress-class', 'nginx', '--controller-class', 'k8s.io/ingress-nginx'],
      files: {
        'class.yaml': [ingressClass('nginx', 'k8s.io/ingress-nginx')],
        'app.yaml': serviceWithEndpoints({ name: 'app', endpoints: [app] }),
        'secret.yaml': [tlsSecret('site', site.cert, site.key)],
        'ingresses.yaml': [
          annotated('plain', 'plain.ann.test', {}),
          annotated('force', 'force.ann.test', { [`${A}/force-ssl-redirect`]: 'true' }),
          annotated('tls', 'tls.ann.test', {}, { tls: [{ hosts: ['tls.ann.test'], secretName: 'site' }] }),
          annotated('no-redirect', 'plain-ok.ann.test', { [`${A}/ssl-redirect`]: 'false' }, { tls: [{ hosts: ['plain-ok.ann.test'], secretName: 'site' }] }),
          // One TLS host, two Ingresses that disagree: only the paths of the one that turned the redirect off are served plain.
          ingress({ name: 'mixed-off', className: 'nginx', annotations: { [`${A}/ssl-redirect`]: 'false' }, rules: [{ host: 'mixed.ann.test', paths: [{ path: '/open', pathType: 'Prefix', service: 'app' }] }], tls: [{ hosts: ['mixed.ann.test'], secretName: 'site' }] }),
          ingress({ name: 'mixed-on', className: 'nginx', rules: [{ host: 'mixed.ann.test', paths: [{ path: '/', pathType: 'Prefix', service: 'app' }] }] }),
          annotated('moved', 'moved.ann.test', { [`${A}/permanent-redirect`]: 'https://example.org/new?a=%2F#top' }),
          annotated('moved-308', 'moved308.ann.test', { [`${A}/permanent-redirect`]: 'https://example.org/', [`${A}/permanent-redirect-code`]: '308' }),
          // A redirect-only Ingress naming a Service that does not exist, as clusters often have them.
          ingress({ name: 'moved-nowhere', className: 'nginx', annotations: { [`${A}/permanent-redirect`]: 'https://example.org/gone' }, rules: [{ host: 'moved-nowhere.ann.test', paths: [{ service: 'does-not-exist' }] }] }),
          annotated('temporal', 'temporal.ann.test', { [`${A}/temporal-redirect`]: 'http://example.org/t', [`${A}/permanent-redirect`]: 'https://example.org/p' }),
          annotated('approot', 'approot.ann.test', { [`${A}/app-root`]: '/app1' }),
          annotated('body', 'body.ann.test', { [`${A}/proxy-body-size`]: '1k' }),
          annotated('slow', 'slow.ann.test', { [`${A}/proxy-read-timeout`]: '1' }),
          annotated('allow', 'allow.ann.test', { [`${A}/allowlist-source-range`]: '127.0.0.10/32, 127.0.1.0/24' }),
          annotated('deny', 'deny.ann.test', { [`${A}/denylist-source-range`]: '127.0.0.20', [`${A}/whitelist-source-range`]: '127.0.0.0/8' }),
          annotated('bad-allow', 'badallow.ann.test', { [`${A}/allowlist-source-range`]: '127.0.0.1/33' }),
          annotated('bad-size', 'badsize.ann.test', { [`${A}/proxy-body-size`]: 'lots' }),
          annotated('snippet', 'snippet.ann.test', { [`${A}/configuration-snippet`]: 'more_set_headers "X-A: b";' }),
          annotated('unknown', 'unknown.ann.test', { [`${A}/no-such-annotation`]: 'x' }),
          annotated('mirror', 'mirror.ann.test', { [`${A}/mirror-target`]: 'https://mirror.test$request_uri', [`${A}/limit-rate`]: '1024' }),
        ],
      },
    });
  });

  after(async () => {
    await portero?.dispose();
    await app?.close();
  });

  test('without annotations nothing changes', async () => {
    const response = await request({ port: portero.httpPort, host: 'plain.ann.test', path: '/x?y=1' });
    assert.equal(response.status, 200);
    assert.equal(response.echo?.url, '/x?y=1');
  });

  test('force-ssl-redirect: plain HTTP gets 308 to HTTPS even without TLS on the host; ACME challenges pass', async () => {
    const response = await request({ port: portero.httpPort, host: 'force.ann.test', path: '/a/b?c=d' });
    assert.equal(response.status, 308);
    assert.equal(response.headers.location, `https://force.ann.test:${portero.httpsPort}/a/b?c=d`);
    const acme = await request({ port: portero.httpPort, host: 'force.ann.test', path: '/.well-known/acme-challenge/t' });
    assert.equal(acme.status, 200);
    const https = await request({ port: portero.httpsPort, tls: true, host: 'force.ann.test', path: '/a' });
    assert.equal(https.status, 200);
  });

  test('ssl-redirect: TLS hosts redirect by default; "false" serves plain HTTP', async () => {
    assert.equal((await request({ port: portero.httpPort, host: 'tls.ann.test', path: '/' })).status, 308);
    const plain = await request({ port: portero.httpPort, host: 'plain-ok.ann.test', path: '/' });
    assert.equal(plain.status, 200);
    assert.equal((await request({ port: portero.httpsPort, tls: true, host: 'plain-ok.ann.test', path: '/' })).status, 200);
  });

  test('ssl-redirect: "false" acts on its own Ingress\'s paths; another Ingress on the same TLS host keeps its redirect', async () => {
    assert.equal((await request({ port: portero.httpPort, host: 'mixed.ann.test', path: '/open/x' })).status, 200);
    const redirected = await request({ port: portero.httpPort, host: 'mixed.ann.test', path: '/other?q=1' });
    assert.equal(redirected.status, 308);
    assert.equal(redirected.headers.location, `https://mixed.ann.test:${portero.httpsPort}/other?q=1`);
    assert.equal((await request({ port: portero.httpPort, host: 'mixed.ann.test', path: '/.well-known/acme-challenge/t' })).status, 200);
    assert.equal((await request({ port: portero.httpsPort, tls: true, host: 'mixed.ann.test', path: '/other' })).status, 200);
  });

  test('permanent-redirect: 301 (or the code given) to the URL as written, for every path', async () => {
    const moved = await request({ port: portero.httpPort, host: 'moved.ann.test', path: '/anything?q=1' });
    assert.equal(moved.status, 301);
    assert.equal(moved.headers.location, 'https://example.org/new?a=%2F#top');
    const moved308 = await request({ port: portero.httpPort, host: 'moved308.ann.test', path: '/' });
    assert.equal(moved308.status, 308);
    assert.equal(moved308.headers.location, 'https://example.org/');
  });

  test('a Service that does not exist: the annotations still apply (the redirect answers), with a warning naming the Service', async () => {
    const moved = await request({ port: portero.httpPort, host: 'moved-nowhere.ann.test', path: '/a' });
    assert.equal(moved.status, 301);
    assert.equal(moved.headers.location, 'https://example.org/gone');
    const warning = await portero.waitForLog((line) => line.object === 'Ingress default/moved-nowhere');
    assert.match(String(warning.msg), /Service default\/does-not-exist not found; its annotations apply and requests that reach the Service answer 503/);
  });

  test('temporal-redirect wins over permanent-redirect, with 302', async () => {
    const response = await request({ port: portero.httpPort, host: 'temporal.ann.test', path: '/x' });
    assert.equal(response.status, 302);
    assert.equal(response.headers.location, 'http://example.org/t');
  });

  test('app-root: / redirects (302) to the app root on the same scheme and host; other paths are served', async () => {
    const root = await request({ port: portero.httpPort, host: 'approot.ann.test', path: '/' });
    assert.equal(root.status, 302);
    assert.equal(root.headers.location, 'http://approot.ann.test/app1');
    const tls = await request({ port: portero.httpsPort, tls: true, host: 'approot.ann.test', path: '/' });
    assert.equal(tls.headers.location, 'https://approot.ann.test/app1');
    const other = await request({ port: portero.httpPort, host: 'approot.ann.test', path: '/app1' });
    assert.equal(other.status, 200);
  });

  test('proxy-body-size: a larger body gets 413, a smaller one passes', async () => {
    const big = await request({ port: portero.httpPort, host: 'body.ann.test', method: 'POST', path: '/', body: 'x'.repeat(1025) });
    assert.equal(big.status, 413);
    const small = await request({ port: portero.httpPort, host: 'body.ann.test', method: 'POST', path: '/', body: 'x'.repeat(1024) });
    assert.equal(small.status, 200);
    // Other Ingresses keep no limit.
    const elsewhere = await request({ port: portero.httpPort, host: 'plain.ann.test', method: 'POST', path: '/', body: 'x'.repeat(64 * 1024) });
    assert.equal(elsewhere.status, 200);
  });

  test('proxy-read-timeout: an upstream slower than the timeout gets 504; a fast one is served', async () => {
    const slow = await request({ port: portero.httpPort, host: 'slow.ann.test', path: '/delay?ms=2500' });
    assert.equal(slow.status, 504);
    const fast = await request({ port: portero.httpPort, host: 'slow.ann.test', path: '/delay?ms=10' });
    assert.equal(fast.status, 200);
    // The same Service without the annotation waits.
    const patient = await request({ port: portero.httpPort, host: 'plain.ann.test', path: '/delay?ms=1500' });
    assert.equal(patient.status, 200);
  });

  test('allowlist-source-range: listed clients are served, others get 403', async () => {
    const from = (localAddress: string) => request({ port: portero.httpPort, host: 'allow.ann.test', path: '/', localAddress });
    assert.equal((await from('127.0.0.10')).status, 200);
    assert.equal((await from('127.0.1.77')).status, 200);
    assert.equal((await from('127.0.0.11')).status, 403);
  });

  test('denylist-source-range is checked before the allowlist', async () => {
    const from = (localAddress: string) => request({ port: portero.httpPort, host: 'deny.ann.test', path: '/', localAddress });
    assert.equal((await from('127.0.0.20')).status, 403);
    assert.equal((await from('127.0.0.21')).status, 200);
  });

  test('an invalid access list fails closed: the Ingress answers 503, with a warning naming the annotation', async () => {
    assert.equal((await request({ port: portero.httpPort, host: 'badallow.ann.test', path: '/' })).status, 503);
    const entry = await portero.waitForLog((line) => line.field === `metadata.annotations["${A}/allowlist-source-range"]`);
    assert.equal(entry.object, 'Ingress default/bad-allow');
    assert.match(String(entry.msg), /"127\.0\.0\.1\/33" is not an IP address or CIDR range; its paths answer 503/);
  });

  test('any other invalid value leaves the Ingress out, with an error naming the Ingress, annotation and value', async () => {
    assert.equal((await request({ port: portero.httpPort, host: 'badsize.ann.test', path: '/' })).status, 404);
    const entry = await portero.waitForLog((line) => line.field === `metadata.annotations["${A}/proxy-body-size"]`);
    assert.equal(entry.object, 'Ingress default/bad-size');
    assert.equal(entry.level, 'error');
    assert.match(String(entry.msg), /value "lots": must be a size .*; the Ingress is not served/);
  });

  test('a snippet is refused without --allow-snippet-annotations, as ingress-nginx refuses it', async () => {
    assert.equal((await request({ port: portero.httpPort, host: 'snippet.ann.test', path: '/' })).status, 404);
    await portero.waitForLog((line) => String(line.msg).includes('Snippet directives are disabled by the Ingress administrator'));
  });

  test('an unknown annotation under the prefix is ignored with a warning; the Ingress is served', async () => {
    assert.equal((await request({ port: portero.httpPort, host: 'unknown.ann.test', path: '/' })).status, 200);
    const entry = await portero.waitForLog((line) => line.field === `metadata.annotations["${A}/no-such-annotation"]`);
    assert.equal(entry.level, 'warn');
    assert.match(String(entry.msg), /not supported by Portero and is ignored/);
  });

  test('a known annotation Portero does not implement (limit-rate) is ignored with a warning that says why, an https mirror-target is refused with one; the Ingress is served', async () => {
    assert.equal((await request({ port: portero.httpPort, host: 'mirror.ann.test', path: '/' })).status, 200);
    const mirror = await portero.waitForLog((line) => line.field === `metadata.annotations["${A}/mirror-target"]`);
    assert.equal(mirror.level, 'warn');
    assert.match(String(mirror.msg), /https mirror targets are not supported yet; .*requests are not mirrored/);
    const rate = await portero.waitForLog((line) => line.field === `metadata.annotations["${A}/limit-rate"]`);
    assert.match(String(rate.msg), /ignored: the bandwidth is not limited/);
  });

  test('changing annotations on a running Portero: added, changed and removed', async () => {
    const status = async () => (await request({ port: portero.httpPort, host: 'change.ann.test', method: 'POST', path: '/', body: 'x'.repeat(2048) })).status;
    await portero.write('change.yaml', [annotated('change', 'change.ann.test', {})]);
    await eventually(async () => assert.equal(await status(), 200));
    await portero.write('change.yaml', [annotated('change', 'change.ann.test', { [`${A}/proxy-body-size`]: '1k' })]);
    await eventually(async () => assert.equal(await status(), 413));
    await portero.write('change.yaml', [annotated('change', 'change.ann.test', { [`${A}/proxy-body-size`]: '4k' })]);
    await eventually(async () => assert.equal(await status(), 200));
    await portero.write('change.yaml', [annotated('change', 'change.ann.test', { [`${A}/proxy-body-size`]: '1k', [`${A}/permanent-redirect`]: 'https://example.org/' })]);
    await eventually(async () => assert.equal(await status(), 301));
    await portero.write('change.yaml', [annotated('change', 'change.ann.test', {})]);
    await eventually(async () => assert.equal(await status(), 200));
  });

  test('a changed body size, read timeout, redirect target or code applies without a reload (settings.map); the live maps match the files', async () => {
    const reloads = async () => (await portero.metric('portero_haproxy_reloads_total{reason="structural"}')) ?? 0;
    const host = 'values.ann.test';
    const post = async (bytes: number) => (await request({ port: portero.httpPort, host, method: 'POST', path: '/', body: 'x'.repeat(bytes) })).status;
    const slow = async (ms: number) => (await request({ port: portero.httpPort, host, path: `/delay?ms=${ms}` })).status;
    const values = (size: string, timeout: string) => ({ [`${A}/proxy-body-size`]: size, [`${A}/proxy-read-timeout`]: timeout, [`${A}/proxy-send-timeout`]: timeout });
    await portero.write('values.yaml', [annotated('values', host, values('1k', '1'))]);
    await eventually(async () => assert.equal(await post(1025), 413));
    assert.equal(await slow(1500), 504);
    const before = await reloads();
    // Larger values: the first loaded section serves them, with other values.
    await portero.write('values.yaml', [annotated('values', host, values('4k', '3'))]);
    await eventually(async () => assert.equal(await post(2048), 200));
    assert.equal(await post(4097), 413);
    assert.equal(await slow(1500), 200);
    // And back: the Ingress's first backend takes its own section again.
    await portero.write('values.yaml', [annotated('values', host, values('1k', '1'))]);
    await eventually(async () => assert.equal(await post(2048), 413));
    assert.equal(await slow(1500), 504);
    // A third value, while another Ingress of the same Service keeps the first ones: that needs a second section, so it reloads once.
    await portero.write('values.yaml', [annotated('values', host, values('2k', '1')), annotated('values-twin', 'twin.ann.test', values('1k', '1'))]);
    await eventually(async () => assert.equal(await post(2000), 200));
    assert.equal((await request({ port: portero.httpPort, host: 'twin.ann.test', method: 'POST', path: '/', body: 'x'.repeat(2000) })).status, 413);
    // The new worker may answer a moment before the reload is counted.
    await eventually(async () => assert.equal(await reloads(), before + 1, 'two value sets of one Service need two sections'));
    const reloaded = await reloads();
    // Redirect targets: the location and the code are values.
    await portero.write('values.yaml', [annotated('values', host, { [`${A}/permanent-redirect`]: 'https://example.org/one' })]);
    await eventually(async () => assert.equal((await request({ port: portero.httpPort, host, path: '/' })).headers.location, 'https://example.org/one'));
    await eventually(async () => assert.equal(await reloads(), reloaded + 1, 'a redirect where there was none changes the rules'));
    const withRedirect = reloaded + 1;
    for (const target of ['https://example.org/two?x=%2F', 'http://other.example/three']) {
      await portero.write('values.yaml', [annotated('values', host, { [`${A}/permanent-redirect`]: target })]);
      await eventually(async () => assert.equal((await request({ port: portero.httpPort, host, path: '/' })).headers.location, target));
    }
    for (const code of ['308', '302', '301']) {
      await portero.write('values.yaml', [annotated('values', host, { [`${A}/permanent-redirect`]: 'http://other.example/three', [`${A}/permanent-redirect-code`]: code })]);
      await eventually(async () => assert.equal((await request({ port: portero.httpPort, host, path: '/' })).status, Number(code)));
    }
    assert.equal(await reloads(), withRedirect, 'a new redirect target or code is a map entry');
    await portero.filesSynced();
    assert.ok(!portero.logs.some((line) => /differs from the files/.test(line)), 'the live maps match the files');
  });
});
