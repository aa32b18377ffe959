// The toolchain itself: Chromium starts, reaches the gateway, and a page that breaks the
// Content-Security-Policy of the API answers cannot run script there (the browser enforces it).
import { baseUrl, check, run } from './browser.mjs';

await run(async ({ page }) => {
  const answer = await page.goto(`${baseUrl}/actuator/health`);
  check(answer.status() === 200, `health answered ${answer.status()}`);
  const body = await page.textContent('body');
  check(body.includes('"status"'), `health page shows: ${body}`);
  const csp = answer.headers()['content-security-policy'] ?? '';
  check(csp.includes("default-src 'none'"), `the API's CSP is ${csp}`);
  const ran = await page.evaluate(() => {
    const script = document.createElement('script');
    script.textContent = 'window.__injected = true';
    document.head.appendChild(script);
    return window.__injected === true;
  });
  check(!ran, 'an injected inline script ran under the API CSP');
});
