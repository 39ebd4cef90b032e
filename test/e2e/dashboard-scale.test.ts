// The dashboard at 10,000 Ingresses: the server searches and pages (a page
// is bounded whatever is asked), and the page in a real Chromium renders one
// page of 50 routes with a pager, never one giant table. The translation is
// generated and served by the dashboard's own handler on a real HTTP server;
// no HAProxy is needed to check the sizes (the endpoints show as not live).
// The same server has a stand-in /api/explain, for the page's URL search.

import assert from 'node:assert/strict';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { Dashboard } from '../../src/telemetry/dashboard/server.js';
import { startHealthServer } from '../../src/telemetry/health.js';
import { snapshotOf, translate } from '../../src/translate/translate.js';
import { launchChromium, type HeadlessBrowser } from '../helpers/browser.js';
import { ingress, serviceWithEndpoints } from '../helpers/objects.js';
import { eventually, freePort } from '../helpers/portero.js';
import { BASE_OPTIONS, decodeAll } from '../helpers/translate.js';

const INGRESSES = 10_000;
const HOSTILE = '<img src=x onerror="globalThis.__pwned=1">';

interface RoutesPage {
  total: number;
  page: number;
  pages: number;
  size: number;
  items: { host: string; name: string }[];
}

describe('dashboard at 10,000 Ingresses', () => {
  let server: Server;
  let dashboard: Dashboard;
  let chromium: HeadlessBrowser;
  let page: Page;
  let base: string;

  before(async () => {
    const objects = decodeAll([
      ...serviceWithEndpoints({ name: 'app', endpoints: [{ address: '10.0.0.1', port: 8080 }, { address: '10.0.0.2', port: 8080 }] }),
      ...Array.from({ length: INGRESSES }, (_, i) => ingress({ name: `ing-${i}`, rules: [{ host: `h${i}.scale.test`, paths: [{ path: `/p${i}`, service: 'app' }] }] })),
    ]);
    const snapshot = snapshotOf(objects);
    const translation = translate(snapshot, BASE_OPTIONS);
    assert.equal(translation.served.length, INGRESSES);
    dashboard = new Dashboard({ annotationsPrefix: 'nginx.ingress.kubernetes.io', ports: { bindAddress: '127.0.0.1', http: 80, https: 443 }, runtime: () => undefined, sectionOf: () => undefined, version: 'test' });
    dashboard.record({ time: new Date(), snapshot, translation, outcome: { status: 'start', durationMs: 1 }, durationMs: 1 });
    const port = await freePort();
    // A stand-in for `portero explain`'s /api/explain (wired on the health port at merge), so the page's use of it is tested here.
    const explain = (request: IncomingMessage, response: ServerResponse): boolean => {
      const url = new URL(request.url ?? '/', 'http://x');
      if (url.pathname !== '/api/explain') return false;
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ url: url.searchParams.get('url'), route: 'Ingress default/ing-1', note: HOSTILE }));
      return true;
    };
    server = await startHealthServer('127.0.0.1', port, { live: () => true, ready: () => true, handlers: [(request, response) => dashboard.handle(request, response), explain] });
    base = `http://127.0.0.1:${port}`;
    chromium = await launchChromium();
    page = await chromium.browser.newPage({ viewport: { width: 1400, height: 900 } });
  });

  after(async () => {
    await chromium?.close();
    dashboard?.close();
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
  });

  const routes = async (query: string): Promise<RoutesPage> => (await (await fetch(`${base}/dashboard/api/routes${query}`)).json()) as RoutesPage;

  test('the API pages and searches on the server, in bounded pages', async () => {
    const first = await routes('');
    assert.equal(first.total, INGRESSES);
    assert.equal(first.items.length, 50);
    assert.equal(first.pages, INGRESSES / 50);
    const huge = await routes('?size=100000&page=999999');
    assert.equal(huge.size, 200, 'a page never holds more than 200 routes');
    assert.equal(huge.page, huge.pages, 'a page past the end is the last one');
    assert.equal(huge.items.length, 200);
    const one = await routes('?q=h4242.scale.test');
    assert.equal(one.total, 1);
    assert.equal(one.items[0]?.name, 'ing-4242');
    const several = await routes('?q=h424');
    assert.equal(several.total, 11); // h424 and h4240 to h4249
    const hosts = (await (await fetch(`${base}/dashboard/api/hosts?size=10`)).json()) as RoutesPage;
    assert.equal(hosts.total, INGRESSES);
    assert.equal(hosts.items.length, 10);
  });

  test('the page shows one page of routes with a pager, and finds one route among 10,000', async () => {
    await page.goto(`${base}/dashboard/`);
    await page.locator('#pager', { hasText: `page 1 of ${INGRESSES / 50}` }).waitFor({ timeout: 15_000 });
    assert.equal(await page.locator('#view tbody tr').count(), 50);
    assert.equal(await page.locator('#count').innerText(), `${INGRESSES} entries`);
    await page.click('#pager button:has-text("next")');
    await page.locator('#pager', { hasText: `page 2 of ${INGRESSES / 50}` }).waitFor({ timeout: 10_000 });
    assert.equal(await page.locator('#view tbody tr').count(), 50);
    await page.fill('#q', 'h9999.scale.test');
    await eventually(async () => {
      assert.equal(await page.locator('#count').innerText(), '1 entry');
      assert.equal(await page.locator('#view tbody tr').count(), 1);
    }, 10_000);
    assert.match(await page.locator('#view tbody tr').innerText(), /default\/ing-9999/);
  });

  test('a URL in the search box is explained by /api/explain, its answer shown as text', async () => {
    await page.fill('#q', 'https://h1.scale.test/p1');
    const panel = page.locator('#explain');
    await panel.waitFor({ state: 'visible', timeout: 10_000 });
    const text = await panel.innerText();
    assert.match(text, /route\s+Ingress default\/ing-1/);
    assert.ok(text.includes(HOSTILE), text);
    assert.equal(await page.locator('#explain img').count(), 0);
    assert.equal(await page.evaluate(() => (globalThis as { __pwned?: number }).__pwned), undefined);
    await page.fill('#q', '');
    await panel.waitFor({ state: 'hidden', timeout: 10_000 });
  });
});
