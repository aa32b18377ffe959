// The operations console end to end (issue 24) in headless Chromium on a desktop-sized page: log in
// with an admin client, see the overview's charts (volumes, latency) render with data, find a payment
// by its reference and open its timeline, resolve an open exception, redeliver a dead webhook
// delivery and dismiss a quarantined callback, look at the ledger, the audit log (which holds the
// login) and the merchants screen, and log out. A screenshot of each screen goes to
// MALIPO_SCREENSHOTS (docs/console/). The JUnit side (ConsoleIntegrationTests) makes the payment, the
// exception, the dead delivery and the quarantined callbacks, and passes the admin client's
// credentials.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { baseUrl, check, run } from './browser.mjs';

const clientId = process.env.MALIPO_CONSOLE_CLIENT_ID;
const clientSecret = process.env.MALIPO_CONSOLE_CLIENT_SECRET;
const reference = process.env.MALIPO_CONSOLE_REFERENCE;
const paymentId = process.env.MALIPO_CONSOLE_PAYMENT_ID;
const exceptionId = process.env.MALIPO_CONSOLE_EXCEPTION_ID;
const deadDeliveryId = process.env.MALIPO_CONSOLE_DEAD_DELIVERY_ID;
const mismatchId = process.env.MALIPO_CONSOLE_MISMATCH_CALLBACK_ID;
const orphanId = process.env.MALIPO_CONSOLE_ORPHAN_CALLBACK_ID;
const rail = process.env.MALIPO_CONSOLE_RAIL ?? 'mpesa';
const shots = process.env.MALIPO_SCREENSHOTS;
check(clientId && clientSecret && reference && paymentId && exceptionId && deadDeliveryId && mismatchId && orphanId,
  'set MALIPO_CONSOLE_CLIENT_ID, _CLIENT_SECRET, _REFERENCE, _PAYMENT_ID, _EXCEPTION_ID, _DEAD_DELIVERY_ID, '
  + '_MISMATCH_CALLBACK_ID, _ORPHAN_CALLBACK_ID');

async function screenshot(page, name) {
  if (shots) {
    mkdirSync(shots, { recursive: true });
    await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
  }
}

async function openScreen(page, name) {
  await page.click(`#nav-${name}`);
  await page.waitForSelector(`#screen[data-ready="${name}"]`);
  const error = await page.$('#screen .error');
  check(!error, `the ${name} screen shows an error: ${error && await error.textContent()}`);
}

await run(async ({ page, consoleErrors }) => {
  const answer = await page.goto(`${baseUrl}/console`);
  check(answer.status() === 200, `the console answered ${answer.status()}`);
  const csp = answer.headers()['content-security-policy'] ?? '';
  check(csp.includes("script-src 'self'") && !csp.includes('unsafe-inline'), `the console's CSP is ${csp}`);
  await page.waitForSelector('#login:not([hidden])');
  await screenshot(page, 'login');

  await page.fill('#client_id', clientId);
  await page.fill('#client_secret', 'wrong-secret');
  await page.click('#login-submit');
  await page.waitForFunction(() => document.querySelector('#login-error')?.textContent.length > 0);
  await page.fill('#client_secret', clientSecret);
  await page.click('#login-submit');
  await page.waitForSelector('#screen[data-ready="overview"]');
  const cookies = await page.context().cookies();
  const session = cookies.find((c) => c.name === 'malipo_console');
  check(session && session.httpOnly && session.sameSite === 'Strict', `session cookie ${JSON.stringify(session)}`);

  // The chart: uPlot draws a canvas, with a legend entry for the rail the payment used.
  await page.waitForSelector('#chart-volumes canvas');
  const legend = await page.textContent('#chart-volumes');
  check(legend.includes(rail), `the volumes chart has a series for ${rail}: ${legend}`);
  const painted = (chart) => page.evaluate((selector) => {
    const canvas = document.querySelector(`${selector} canvas`);
    const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    let coloured = 0;
    for (let i = 0; i < pixels.length; i += 4) if (pixels[i + 3] > 0) coloured += 1;
    return coloured;
  }, chart);
  const volumesPainted = await painted('#chart-volumes');
  check(volumesPainted > 100, `the chart canvas is painted (${volumesPainted} pixels)`);
  // The latency chart: a p50 and a p95 series for the rail, drawn.
  await page.waitForSelector('#chart-latency canvas');
  const latencyLegend = await page.textContent('#chart-latency');
  check(latencyLegend.includes(`${rail} p50`) && latencyLegend.includes(`${rail} p95`),
    `the latency chart has p50 and p95 series for ${rail}: ${latencyLegend}`);
  const latencyPainted = await painted('#chart-latency');
  check(latencyPainted > 100, `the latency chart canvas is painted (${latencyPainted} pixels)`);
  check(await page.isVisible('#count-exceptions'), 'the open exceptions count is shown');
  await screenshot(page, 'overview');

  await openScreen(page, 'payments');
  await page.fill('#search-reference', reference);
  await page.click('#search-submit');
  await page.waitForSelector(`#payment-results td:text-is("${paymentId}")`);
  await screenshot(page, 'payments');
  await page.click(`#payment-results td:text-is("${paymentId}")`);
  await page.waitForSelector(`#payment-timeline[data-ready="${paymentId}"]`);
  const timeline = await page.textContent('#payment-timeline');
  for (const part of ['Rail attempts (1)', 'Ledger entries', 'Events (status changes)', 'payment.succeeded']) {
    check(timeline.includes(part), `the timeline shows ${part}: ${timeline.slice(0, 400)}`);
  }
  check(!timeline.includes('708374149') && timeline.includes('*'), 'the timeline shows the MSISDN masked only');
  await screenshot(page, 'timeline');

  await openScreen(page, 'exceptions');
  const form = `form[data-exception="${exceptionId}"]`;
  await page.waitForSelector(form);
  await page.selectOption(`${form} select`, 'accept_rail');
  await page.fill(`${form} input[name="note"]`, 'Rail statement checked by the browser test');
  await page.click(`${form} button`);
  await page.waitForSelector(`${form} .resolved`);
  check((await page.textContent(`${form} .resolved`)).includes('resolved'), 'the exception is resolved');
  await screenshot(page, 'exceptions');

  await openScreen(page, 'queues');
  check((await page.textContent('#screen')).includes('Dead webhook deliveries'), 'the dead webhooks are listed');
  const redeliver = `button.redeliver[data-delivery="${deadDeliveryId}"]`;
  await page.waitForSelector(redeliver);
  await page.click(redeliver);
  await page.waitForSelector(`#delivery-${deadDeliveryId} .done`);
  const queued = await page.textContent(`#delivery-${deadDeliveryId} .done`);
  check(queued.includes('queued as whd_'), `the dead delivery is redelivered: ${queued}`);
  // Quarantined callbacks: a mismatch can only be dismissed (with a note), an orphan may also be reprocessed.
  check(await page.isVisible(`button.reprocess[data-callback="${orphanId}"]`), 'the orphan offers Reprocess');
  check(!(await page.$(`button.reprocess[data-callback="${mismatchId}"]`)), 'the mismatch offers no Reprocess');
  const dismiss = `form.dismiss[data-callback="${mismatchId}"]`;
  await page.fill(`${dismiss} input[name="note"]`, "Checked against the rail's statement");
  await page.click(`${dismiss} button`);
  await page.waitForSelector(`${dismiss} .done`);
  check((await page.textContent(`${dismiss} .done`)).includes('dismissed by'), 'the mismatch is dismissed');
  await screenshot(page, 'callbacks-and-webhooks');

  await openScreen(page, 'ledger');
  check((await page.textContent('#screen')).includes('balanced'), 'the trial balance is shown');
  await screenshot(page, 'ledger');

  await openScreen(page, 'audit');
  const auditText = await page.textContent('#screen');
  check(['console_session.created', 'exception.resolved', 'webhook_delivery.redelivered'].every((a) => auditText.includes(a)),
    'the audit log shows the login, the resolution and the redelivery');
  check(auditText.includes('callback.dismissed'), 'the audit log shows the dismissal');
  await screenshot(page, 'audit');

  await openScreen(page, 'merchants');
  await screenshot(page, 'merchants');

  await page.click('#logout');
  await page.waitForSelector('#login:not([hidden])');
  const after = await page.evaluate(async () => (await fetch('/console/session')).status);
  check(after === 401, `after logout the session answers ${after}`);
  // Network statuses (the 401s of the wrong secret and after logout, the favicon's 404) are expected; script errors are not.
  const scriptErrors = consoleErrors.filter((e) => !e.startsWith('Failed to load resource'));
  check(scriptErrors.length === 0, `page errors: ${scriptErrors.join('\n')}`);
}, { viewport: { width: 1280, height: 900 } });
