// The hosted checkout page end to end (issue 19), on a phone-sized page in headless Chromium:
// a card session sees the decline of 4000000000000002, then pays with 4242424242424242; a
// mobile-money session pays with +254708374149, shows "pending" while the STK push waits, and
// lands on its success_url once the sandbox's callback has come. The sessions are created by the
// JUnit side (CheckoutPageIntegrationTests) with the merchant's secret credential, which never
// reaches this script: it gets only the sessions' urls.
import { check, run } from './browser.mjs';

const cardUrl = process.env.MALIPO_CHECKOUT_CARD_URL;
const mobileUrl = process.env.MALIPO_CHECKOUT_MOBILE_URL;
const successUrl = process.env.MALIPO_CHECKOUT_SUCCESS_URL;
check(cardUrl && mobileUrl && successUrl, 'set MALIPO_CHECKOUT_CARD_URL, MALIPO_CHECKOUT_MOBILE_URL, MALIPO_CHECKOUT_SUCCESS_URL');

async function payByCard(page, number) {
  await page.fill('#card-number', number);
  await page.fill('#card-expiry', '12/30');
  await page.fill('#card-cvc', '123');
  await page.click('#pay-card');
}

await run(async ({ page, consoleErrors }) => {
  const answer = await page.goto(cardUrl);
  check(answer.status() === 200, `the page answered ${answer.status()}`);
  const csp = answer.headers()['content-security-policy'] ?? '';
  check(csp.includes("script-src 'self'") && !csp.includes('unsafe-inline'), `the page's CSP is ${csp}`);
  await page.waitForSelector('#card-form:not([hidden])');
  check((await page.textContent('#amount')).includes('KES'), 'the amount is shown');

  await payByCard(page, '4000000000000002');
  await page.waitForFunction(() => document.querySelector('#status-text')?.textContent.includes('declined'));
  check(!(await page.isHidden('#card-form')), 'after a decline the card form stays for another try');

  await payByCard(page, '4242424242424242');
  await page.waitForFunction(() => document.querySelector('#status-text')?.textContent.includes('Payment successful'));

  await page.goto(mobileUrl);
  await page.waitForSelector('#mobile-form:not([hidden])');
  await page.fill('#msisdn', '+254708374149');
  await page.click('#pay-mobile');
  await page.waitForFunction(() => document.querySelector('#status-text')?.textContent.includes('Pending'));
  await page.waitForURL(successUrl, { timeout: 30_000 });

  const blocked = consoleErrors.filter((text) => text.includes('Content Security Policy'));
  check(blocked.length === 0, `the page broke its own CSP: ${blocked.join('; ')}`);
});
