// 3-D Secure in headless Chromium (issue 20). The JUnit side (ThreeDSecurePageIntegrationTests)
// creates two 4000000000003220 payments over the API with the merchant's token and a checkout
// session; this script gets only their next_action urls and the session's url:
//   1. opens the first payment's bank page, clicks "Complete authentication" and lands on the
//      gateway's result page showing "succeeded";
//   2. opens the second's, clicks "Fail authentication": "authentication_failed";
//   3. pays the checkout session with 4000000000003220 on the hosted page, which follows
//      next_action by itself, authenticates and comes back to "Payment successful".
import { baseUrl, check, run } from './browser.mjs';

const completeUrl = process.env.MALIPO_3DS_COMPLETE_URL;
const failUrl = process.env.MALIPO_3DS_FAIL_URL;
const checkoutUrl = process.env.MALIPO_3DS_CHECKOUT_URL;
check(completeUrl && failUrl && checkoutUrl, 'set MALIPO_3DS_COMPLETE_URL, MALIPO_3DS_FAIL_URL, MALIPO_3DS_CHECKOUT_URL');

const absolute = (url) => (url.startsWith('/') ? baseUrl + url : url);

await run(async ({ page, consoleErrors }) => {
  const answer = await page.goto(absolute(completeUrl));
  check(answer.status() === 200, `the bank's page answered ${answer.status()}`);
  const csp = answer.headers()['content-security-policy'] ?? '';
  check(csp.includes("default-src 'none'") && !csp.includes('unsafe-inline'), `the bank page's CSP is ${csp}`);
  await page.getByRole('button', { name: 'Complete authentication' }).click();
  await page.waitForURL(/\/three_d_secure\/pay_[0-9a-f]+\/result$/);
  check((await page.textContent('#status')) === 'succeeded', `after "Complete": ${await page.textContent('body')}`);

  await page.goto(absolute(failUrl));
  await page.getByRole('button', { name: 'Fail authentication' }).click();
  await page.waitForURL(/\/three_d_secure\/pay_[0-9a-f]+\/result$/);
  check((await page.textContent('#status')) === 'failed', `after "Fail": ${await page.textContent('body')}`);
  check((await page.textContent('#failure')) === 'authentication_failed', 'the failure is authentication_failed');

  await page.goto(checkoutUrl);
  await page.waitForSelector('#card-form:not([hidden])');
  await page.fill('#card-number', '4000000000003220');
  await page.fill('#card-expiry', '12/30');
  await page.fill('#card-cvc', '123');
  await page.click('#pay-card');
  await page.waitForURL(/\/sandbox\/acs\/pay_/);
  await page.getByRole('button', { name: 'Complete authentication' }).click();
  await page.waitForURL(/\/checkout\/cs_[^#]+$/);
  await page.waitForFunction(() => document.querySelector('#status-text')?.textContent.includes('Payment successful'),
    null, { timeout: 30_000 });

  const blocked = consoleErrors.filter((text) => text.includes('Content Security Policy'));
  check(blocked.length === 0, `a page broke its own CSP: ${blocked.join('; ')}`);
});
