// What every browser test shares: Debian's Chromium started headless by playwright-core with the
// flags this machine kind needs (no sandbox as root, no background networking: the network is
// closed), the gateway's address from MALIPO_BASE_URL, and a runner that turns any failure into
// exit code 1 with the reason, which the JUnit side (support/BrowserScript) reports.
import { chromium } from 'playwright-core';

export const baseUrl = (process.env.MALIPO_BASE_URL ?? 'http://localhost:8080').replace(/\/$/, '');

/** Starts headless Chromium; the caller closes it (run() does). */
export async function launch() {
  return chromium.launch({
    executablePath: process.env.MALIPO_CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    timeout: 30_000,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--disable-dev-shm-usage'],
  });
}

/** Fails the test with a message. */
export function check(condition, message) {
  if (!condition) {
    throw new Error(message);
  }
}

/**
 * Runs a test body with a fresh browser and a phone-sized page (a checkout webview is small), and
 * exits 0 on success, 1 with the error (and the page's console errors) on failure.
 */
export async function run(body, { viewport = { width: 390, height: 844 } } = {}) {
  const browser = await launch();
  const consoleErrors = [];
  try {
    const context = await browser.newContext({ viewport });
    context.setDefaultTimeout(20_000);
    const page = await context.newPage();
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    page.on('pageerror', (error) => consoleErrors.push(String(error)));
    await body({ browser, context, page, consoleErrors });
    console.log('browser test passed');
  } catch (error) {
    console.error(error?.stack ?? String(error));
    if (consoleErrors.length) console.error('page console errors:\n' + consoleErrors.join('\n'));
    process.exitCode = 1;
  } finally {
    await browser.close();
  }
}
