// The dashboard (--dashboard) in a real headless Chromium against a running
// Portero with real HAProxy: the page loads from Portero alone, shows the
// routes with their endpoints' live state, shows a route created after it
// loaded through the live update (no reload), shows hostile values as text,
// searches on the server, and its event streams are bounded and end at
// shutdown.

import assert from 'node:assert/strict';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { startBackend, type Backend } from '../helpers/backends.js';
import { launchChromium, type HeadlessBrowser } from '../helpers/browser.js';
import { ingress, serviceWithEndpoints } from '../helpers/objects.js';
import { eventually, startPortero, type Portero } from '../helpers/portero.js';

/** Lands in the DOM as an element (and sets window.__pwned) if any value is ever treated as HTML. */
const HOSTILE = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>';

function rowsText(page: Page): Promise<string> {
  return page.locator('#view').innerText();
}

describe('dashboard', () => {
  let portero: Portero;
  let app: Backend;
  let chromium: HeadlessBrowser;
  let page: Page;
  const dialogs: string[] = [];
  const foreignRequests: string[] = [];
  let base: string;

  before(async () => {
    app = await startBackend('app');
    portero = await startPortero({
      flags: ['--dashboard'],
      files: { 'app.yaml': [...serviceWithEndpoints({ name: 'app', endpoints: [app] }), ingress({ name: 'shop', rules: [{ host: 'shop.dash.test', paths: [{ path: '/cart', service: 'app' }] }] })] },
    });
    base = `http://127.0.0.1:${portero.healthPort}`;
    chromium = await launchChromium();
    page = await chromium.browser.newPage({ viewport: { width: 1400, height: 900 } });
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    page.on('request', (request) => {
      if (!request.url().startsWith(`${base}/`)) foreignRequests.push(request.url());
    });
  });

  after(async () => {
    await chromium?.close();
    await portero?.dispose();
    await app?.close();
  });

  test('answers only GET and HEAD, with a policy that allows nothing but its own files', async () => {
    const response = await fetch(`${base}/dashboard/`);
    assert.equal(response.status, 200);
    const policy = response.headers.get('content-security-policy') ?? '';
    assert.match(policy, /default-src 'self'/);
    assert.match(policy, /frame-ancestors 'none'/);
    assert.doesNotMatch(policy, /unsafe-inline|unsafe-eval/);
    assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
    const post = await fetch(`${base}/dashboard/api/summary`, { method: 'POST' });
    assert.equal(post.status, 405);
    assert.equal(post.headers.get('allow'), 'GET, HEAD');
    assert.equal((await fetch(`${base}/dashboard/api/summary`, { method: 'HEAD' })).status, 200);
    // HEAD on the event stream answers at once instead of holding a stream open.
    assert.equal((await fetch(`${base}/dashboard/api/events`, { method: 'HEAD' })).status, 200);
    assert.equal((await fetch(`${base}/dashboard`, { redirect: 'manual' })).status, 308);
  });

  test('the page loads from Portero alone and shows each route with its endpoints live', async () => {
    await page.goto(`${base}/dashboard/`);
    const row = page.locator('#view tr', { hasText: 'shop.dash.test' });
    await row.waitFor({ timeout: 10_000 });
    const text = await row.innerText();
    assert.match(text, /default\/shop/);
    assert.match(text, /\/cart/);
    assert.match(text, /Prefix/);
    assert.match(text, new RegExp(`up\\s*${app.address.replace(/\./g, '\\.')}:${app.port}`));
    assert.equal(await page.locator('#live').innerText(), 'live');
    assert.deepEqual(foreignRequests, []);
  });

  test('a route created after the page loaded appears through the live update, without a reload', async (t) => {
    await page.evaluate(() => Object.assign(globalThis, { __sameDocument: true }));
    const before = Number(await page.locator('body').getAttribute('data-generation'));
    await portero.write('fresh.yaml', [ingress({ name: 'fresh', rules: [{ host: 'fresh.dash.test', paths: [{ path: '/new', service: 'app' }] }] })]);
    // Generous deadline: the requirement is a second after the apply, measured below, not asserted under a loaded CPU.
    await page.locator('#view tr', { hasText: 'fresh.dash.test' }).waitFor({ timeout: 15_000 });
    const visibleAt = Date.now();
    assert.equal(await page.evaluate(() => (globalThis as { __sameDocument?: boolean }).__sameDocument), true, 'the page was reloaded');
    const changes = (await (await fetch(`${base}/dashboard/api/changes`)).json()) as { items: { generation: number; time: string; method: string }[] };
    const apply = changes.items.filter((change) => change.generation > before).at(-1);
    assert.ok(apply, `no change recorded after generation ${before}: ${JSON.stringify(changes.items)}`);
    assert.equal(apply.method, 'runtime');
    t.diagnostic(`shown ${visibleAt - Date.parse(apply.time)} ms after the apply finished`);
    assert.match(await rowsText(page), /\/new\s+Prefix/);
  });

  test('values from objects are shown as text, never as markup', async () => {
    await portero.write('hostile.yaml', [
      // Served: an annotation Portero does not know is listed, marked ignored.
      ingress({ name: 'hostile-served', annotations: { 'nginx.ingress.kubernetes.io/x-note': HOSTILE }, rules: [{ host: 'hostile.dash.test', paths: [{ service: 'app' }] }] }),
      // Refused: the diagnostic echoes the invalid value.
      ingress({ name: 'hostile-refused', annotations: { 'nginx.ingress.kubernetes.io/proxy-body-size': HOSTILE }, rules: [{ host: 'refused.dash.test', paths: [{ service: 'app' }] }] }),
      // Refused before translation, as the API server would refuse it: the host fails validation.
      ingress({ name: 'hostile-host', rules: [{ host: `${HOSTILE}.dash.test`, paths: [{ service: 'app' }] }] }),
    ]);
    const row = page.locator('#view tr', { hasText: 'hostile.dash.test' });
    await row.waitFor({ timeout: 15_000 });
    assert.ok((await row.innerText()).includes(`x-note: ${HOSTILE}`));
    await page.click('#tabs a[data-tab="diagnostics"]');
    const diagnostic = page.locator('#view tr', { hasText: 'hostile-refused' });
    await diagnostic.waitFor({ timeout: 10_000 });
    const text = await diagnostic.innerText();
    // The message quotes the value as JSON.
    assert.ok(text.includes(JSON.stringify(HOSTILE)), text);
    assert.match(text, /metadata\.annotations\["nginx\.ingress\.kubernetes\.io\/proxy-body-size"\]/);
    const invalid = await page.locator('#view tr', { hasText: 'hostile-host' }).innerText();
    assert.match(invalid, /refused in hostile\.yaml:\d+/);
    assert.match(invalid, /spec\.rules\[0\]\.host/);
    // The message quotes the value as JSON, cut at 100 characters.
    assert.ok(invalid.includes(JSON.stringify(HOSTILE).slice(0, -1)), invalid);
    assert.equal(await page.locator('#view img, #view script').count(), 0);
    assert.equal(await page.evaluate(() => (globalThis as { __pwned?: number }).__pwned), undefined);
    assert.deepEqual(dialogs, []);
    await page.click('#tabs a[data-tab="routes"]');
  });

  test("search runs on the server; a URL is explained by the running Portero's /api/explain", async () => {
    await page.fill('#q', 'fresh');
    await eventually(async () => assert.equal(await page.locator('#count').innerText(), '1 entry'), 10_000);
    assert.match(await rowsText(page), /fresh\.dash\.test/);
    await page.fill('#q', `http://shop.dash.test:${portero.httpPort}/cart?x=1`);
    const panel = page.locator('#explain');
    await panel.waitFor({ state: 'visible', timeout: 10_000 });
    await eventually(async () => assert.match(await panel.innerText(), /Ingress default\/shop/), 10_000);
    await eventually(async () => assert.match(await rowsText(page), /shop\.dash\.test/), 10_000);
    await page.fill('#q', '');
    await panel.waitFor({ state: 'hidden', timeout: 10_000 });
    const paged = (await (await fetch(`${base}/dashboard/api/routes?size=1&page=2`)).json()) as { total: number; pages: number; page: number; items: unknown[] };
    assert.equal(paged.items.length, 1);
    assert.equal(paged.pages, paged.total);
    assert.equal(paged.page, 2);
  });

  test('event streams are bounded, and end when Portero stops', { timeout: 60_000 }, async () => {
    const received = new Map<IncomingMessage, string>();
    const open = (): Promise<IncomingMessage> =>
      new Promise((resolve, reject) =>
        httpRequest(`${base}/dashboard/api/events`, (response) => {
          // Read from the start, so that 'close' comes when the server ends the stream.
          received.set(response, '');
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => received.set(response, received.get(response) + chunk));
          resolve(response);
        })
          .on('error', reject)
          .end(),
      );
    const streams: IncomingMessage[] = [];
    let refused: IncomingMessage | undefined;
    // The page holds one already; the limit is 32.
    for (let i = 0; i < 40 && !refused; i += 1) {
      const response = await open();
      if (response.statusCode === 200) streams.push(response);
      else refused = response;
    }
    assert.ok(refused, 'no stream was refused');
    assert.equal(refused.statusCode, 503);
    assert.equal(streams.length, 31);
    const first = streams[0]!;
    await eventually(() => assert.match(received.get(first) ?? '', /event: changed\ndata: \{"generation":\d+\}/), 5000);
    const ended = Promise.all(streams.map((stream) => (stream.closed ? undefined : new Promise((resolve) => stream.on('close', resolve)))));
    await portero.stop();
    await ended;
  });
});
