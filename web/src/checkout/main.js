// The hosted checkout page (issue 19). The URL is /checkout/{id}#{client_secret}: the secret stays
// in the fragment, which browsers never send to a server. The page reads its publishable key from
// /checkout/{id}/config, tokenizes the card with it (POST /v1/tokens: the card goes to the gateway
// only, never to the merchant), confirms the session, polls while an STK push waits, then redirects
// to success_url or shows the result. Only this origin is contacted (CSP connect-src 'self').

const $ = (id) => document.getElementById(id);
const sessionId = decodeURIComponent(location.pathname.split('/').filter(Boolean)[1] ?? '');
// Back from 3-D Secure the URL is /checkout/{id} without the secret (the return_url is on the
// payment, which the merchant's events carry): the secret waited in this tab's sessionStorage.
const SECRET_KEY = `malipo-checkout-${sessionId}`;
const clientSecret = decodeURIComponent(location.hash.slice(1)) || sessionStorage.getItem(SECRET_KEY) || '';
const POLL_MS = 1500;
const POLL_MAX = 120; // three minutes: an STK push times out well before

let publishableKey = '';
let config = {};
let attemptKey = null; // one Idempotency-Key per payment attempt: a retried request replays it

function show(id, visible) {
  $(id).hidden = !visible;
}

function fail(message) {
  $('error').textContent = message;
  show('error', true);
}

function formatAmount(amount, currency) {
  const digits = { KES: 2, UGX: 0, XOF: 0, XAF: 0, RWF: 0, USD: 2, EUR: 2, GHS: 2, ZMW: 2, NGN: 2, TZS: 2 }[currency] ?? 2;
  const major = amount / 10 ** digits;
  return `${currency} ${major.toLocaleString('en', { minimumFractionDigits: digits, maximumFractionDigits: digits })}`;
}

async function api(method, path, body, extraHeaders = {}) {
  const headers = { Authorization: `Bearer ${publishableKey}`, ...extraHeaders };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const answer = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const json = await answer.json().catch(() => ({}));
  return { status: answer.status, json };
}

function sessionUrl() {
  return `/v1/checkout_sessions/${encodeURIComponent(sessionId)}?client_secret=${encodeURIComponent(clientSecret)}`;
}

function render(session) {
  $('amount').textContent = formatAmount(session.amount, session.currency);
  show('loading', false);
  const payment = session.payment;
  if (session.status === 'complete') {
    return finish('succeeded', 'Payment successful. Thank you!');
  }
  if (session.status === 'expired') {
    show('card-form', false);
    show('mobile-form', false);
    return finish('failed', 'This checkout has expired.');
  }
  show('card-form', session.payment_method_types.includes('card'));
  show('mobile-form', session.payment_method_types.includes('mobile_money'));
  if (payment && (payment.status === 'succeeded' || payment.status === 'requires_capture')) {
    // Back from 3-D Secure: the session completes with the sweeper's next pass.
    status('pending', 'Confirming your payment…');
    return poll();
  }
  if (payment && (payment.status === 'pending' || payment.status === 'processing' || payment.status === 'requires_action')) {
    status('pending', payment.status === 'requires_action' ? 'Waiting for your bank…' : 'Pending: approve the payment on your phone…');
    return poll();
  }
  if (payment && payment.status === 'failed') {
    status('failed', `Payment declined: ${payment.failure?.message ?? 'please try another way to pay.'}`);
  }
  return undefined;
}

function status(kind, text) {
  $('status').className = kind;
  $('status-text').textContent = text;
  show('status', true);
}

function finish(kind, text) {
  status(kind, text);
  show('card-form', false);
  show('mobile-form', false);
  show('cancel', false);
  if (kind === 'succeeded' && config.success_url) {
    setTimeout(() => location.assign(config.success_url), 1200);
  }
}

function busy(flag) {
  for (const id of ['pay-card', 'pay-mobile']) $(id).disabled = flag;
}

// 3-D Secure: the bank's page, which sends the browser back to this page (return_url /checkout/{id}).
function authenticate(url) {
  sessionStorage.setItem(SECRET_KEY, clientSecret);
  status('pending', 'Opening your bank to authenticate the payment…');
  location.assign(url);
}

async function poll() {
  for (let i = 0; i < POLL_MAX; i += 1) {
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    const { status: code, json } = await api('GET', sessionUrl());
    if (code !== 200) return fail(json.detail ?? 'The checkout could not be read.');
    if (json.status === 'complete') return finish('succeeded', 'Payment successful. Thank you!');
    if (json.payment?.status === 'failed') {
      busy(false);
      attemptKey = null;
      return status('failed', `Payment failed: ${json.payment.failure?.message ?? 'please try again.'}`);
    }
  }
  return fail('Still waiting for the payment; check your phone, then reload this page.');
}

async function confirm(paymentMethod) {
  show('error', false);
  attemptKey = attemptKey ?? crypto.randomUUID();
  const { status: code, json } = await api('POST', `/v1/checkout_sessions/${encodeURIComponent(sessionId)}/confirm`,
    { client_secret: clientSecret, payment_method: paymentMethod }, { 'Idempotency-Key': attemptKey });
  if (code !== 200) {
    busy(false);
    attemptKey = null;
    return fail(json.detail ?? `The payment could not be sent (${code}).`);
  }
  const payment = json.payment;
  if (json.status === 'complete' || payment?.status === 'succeeded') {
    return finish('succeeded', 'Payment successful. Thank you!');
  }
  if (payment?.status === 'requires_action' && payment.next_action?.type === 'redirect_to_url') {
    return authenticate(payment.next_action.redirect_to_url.url);
  }
  if (payment?.status === 'failed') {
    busy(false);
    attemptKey = null;
    return status('failed', `Payment declined: ${payment.failure?.message ?? 'please try another card.'}`);
  }
  status('pending', 'Pending: approve the payment on your phone…');
  return poll();
}

async function payByCard(event) {
  event.preventDefault();
  busy(true);
  const [month, year] = $('card-expiry').value.split('/').map((part) => part.trim());
  const card = {
    number: $('card-number').value.replace(/\D/g, ''),
    exp_month: Number.parseInt(month, 10),
    exp_year: 2000 + (Number.parseInt(year, 10) % 100),
    cvc: $('card-cvc').value.trim(),
  };
  const { status: code, json } = await api('POST', '/v1/tokens', { card });
  if (code !== 201) {
    busy(false);
    return fail(json.detail ?? 'Check the card details.');
  }
  attemptKey = null;
  return confirm({ type: 'card', token: json.id });
}

async function payByMobile(event) {
  event.preventDefault();
  busy(true);
  attemptKey = null;
  return confirm({ type: 'mobile_money', operator: $('operator').value, msisdn: $('msisdn').value.trim() });
}

async function start() {
  if (!sessionId || !clientSecret) return fail('This checkout link is incomplete.');
  const answer = await fetch(`/checkout/${encodeURIComponent(sessionId)}/config?client_secret=${encodeURIComponent(clientSecret)}`);
  if (answer.status !== 200) return fail('This checkout link is not valid.');
  config = await answer.json();
  publishableKey = config.publishable_key;
  show('mode', !config.livemode);
  if (config.customer_msisdn) $('msisdn').value = config.customer_msisdn;
  if (config.cancel_url) {
    $('cancel').href = config.cancel_url;
    show('cancel', true);
  }
  $('card-form').addEventListener('submit', payByCard);
  $('mobile-form').addEventListener('submit', payByMobile);
  const { status: code, json } = await api('GET', sessionUrl());
  if (code !== 200) {
    show('loading', false);
    return fail(json.detail ?? 'This checkout is not available.');
  }
  return render(json);
}

start().catch((error) => fail(`Something went wrong: ${error.message}`));
