// npm run docs:screenshots: starts Portero with --dashboard on the demo's
// examples (plus a few objects that give every view something to show: a
// refused Ingress, a warning, a TLS Secret), opens the dashboard in Debian's
// Chromium and writes docs/images/dashboard-*.png for docs/dashboard.md.
// Run it again after changing the page; commit the PNGs.

import { cp, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBackend } from '../test/helpers/backends.js';
import { launchChromium } from '../test/helpers/browser.js';
import { whoAnswers } from '../test/helpers/http.js';
import { ingress, serviceWithEndpoints, tlsSecret } from '../test/helpers/objects.js';
import { ROOT, startPortero } from '../test/helpers/portero.js';
import { generateSelfSigned } from '../src/tls/default-certificate.js';

const OUT = join(ROOT, 'docs', 'images');

async function main(): Promise<void> {
  const manifests = await mkdtemp(join(tmpdir(), 'portero-screenshots-'));
  await cp(join(ROOT, 'examples'), manifests, { recursive: true, filter: (path) => !path.includes('generated') });
  const [v1, v2] = await Promise.all([startBackend('api-v1', '127.0.0.1'), startBackend('api-v2', '127.0.0.1')]);
  const { cert, key } = await generateSelfSigned('shop.example.com', ['shop.example.com'], 30);
  const portero = await startPortero({
    manifestsDir: manifests,
    flags: ['--dashboard'],
    files: {
      'zz-shop.yaml': [
        ...serviceWithEndpoints({ name: 'shop', endpoints: [v1!, v2!] }),
        tlsSecret('shop-tls', cert, key),
        ingress({ name: 'shop', annotations: { 'nginx.ingress.kubernetes.io/proxy-body-size': '8m', 'nginx.ingress.kubernetes.io/ssl-redirect': 'false' }, tls: [{ hosts: ['shop.example.com'], secretName: 'shop-tls' }], rules: [{ host: 'shop.example.com', paths: [{ path: '/', service: 'shop' }, { path: '/checkout', pathType: 'Exact', service: 'shop' }] }] }),
        ingress({ name: 'broken', annotations: { 'nginx.ingress.kubernetes.io/proxy-body-size': 'a lot' }, rules: [{ host: 'broken.example.com', paths: [{ service: 'shop' }] }] }),
        ingress({ name: 'typo', rules: [{ host: 'Shop_Example.com', paths: [{ service: 'shop' }] }] }),
      ],
    },
  });
  const browser = await launchChromium();
  try {
    await portero.write('zz-late.yaml', [ingress({ name: 'new-app', rules: [{ host: 'new.example.com', paths: [{ path: '/', service: 'api-v2' }] }] })]);
    await mkdir(OUT, { recursive: true });
    const page = await browser.browser.newPage({ viewport: { width: 1440, height: 900 }, deviceScaleFactor: 1 });
    const base = `http://127.0.0.1:${portero.healthPort}/dashboard/`;
    await page.goto(base);
    await page.locator('#view tr', { hasText: 'new.example.com' }).waitFor({ timeout: 15_000 });
    // Then the first wildcard host, which needs a reload: the list of changes shows both kinds.
    await portero.write('zz-wild.yaml', [ingress({ name: 'apps', rules: [{ host: '*.apps.example.com', paths: [{ path: '/', service: 'shop' }] }] })]);
    await page.locator('#view tr', { hasText: '*.apps.example.com' }).waitFor({ timeout: 15_000 });
    // Some traffic, after the reload (a new worker starts its counters at zero), so that the counters are not all zero.
    for (let i = 0; i < 20; i += 1) await whoAnswers(portero.httpPort, 'shop.example.com', '/cart');
    // The counters are refreshed every two seconds: wait for a non-zero one.
    await page.locator('#view', { hasText: /[1-9]\d* total/ }).waitFor({ timeout: 15_000 });
    const shots: [string, string, string][] = [
      ['routes', '', 'dashboard-routes.png'],
      ['hosts', '', 'dashboard-hosts.png'],
      ['certificates', '', 'dashboard-certificates.png'],
      ['diagnostics', '', 'dashboard-diagnostics.png'],
      ['changes', '', 'dashboard-changes.png'],
      ['routes', 'shop', 'dashboard-search.png'],
    ];
    for (const [tab, query, file] of shots) {
      await page.click(`#tabs a[data-tab="${tab}"]`);
      await page.fill('#q', query);
      await page.locator(`#tabs a.active[data-tab="${tab}"]`).waitFor();
      await page.locator('#view table, #view .empty').first().waitFor();
      // The search is debounced by 200 ms; let the last fetch land.
      await page.waitForLoadState('networkidle');
      await page.waitForTimeout(400);
      await page.screenshot({ path: join(OUT, file), fullPage: false });
      console.log(`wrote docs/images/${file}`);
    }
  } finally {
    await browser.close();
    await portero.dispose();
    await Promise.all([v1?.close(), v2?.close()]);
    await rm(manifests, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(`docs:screenshots: ${error instanceof Error ? error.stack : String(error)}`);
  process.exit(1);
});
