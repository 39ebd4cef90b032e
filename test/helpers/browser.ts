// A real headless browser for the dashboard tests and screenshots: Debian's
// Chromium (installed by scripts/prepare.mjs --browser), driven by
// playwright-core, which never downloads a browser of its own.

import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = process.env.PORTERO_CHROMIUM || '/usr/bin/chromium';

export interface HeadlessBrowser {
  browser: Browser;
  close(): Promise<void>;
}

/**
 * Starts Chromium; playwright gives it a fresh temporary profile of its own
 * (it refuses --user-data-dir in launch()) and removes it on close. Background networking (component
 * updates, sync, field trials) is off: on a closed network those connections
 * are refused, and they have no place in a test anyway.
 */
export async function launchChromium(): Promise<HeadlessBrowser> {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium is not at ${CHROMIUM}: run node scripts/prepare.mjs --browser (installs it with apt-get as root), or sudo apt-get install -y chromium, or set PORTERO_CHROMIUM`);
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  });
  return {
    browser,
    close: () => browser.close().catch(() => undefined),
  };
}
