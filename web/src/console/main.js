// The operations console (issue 24, docs/console.md): plain modules, no framework. Every call goes
// to this origin with the HttpOnly session cookie; state-changing calls send the session's CSRF
// token in X-CSRF-Token (double submit). The page never holds a client secret after login.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

const $ = (selector) => document.querySelector(selector);
let session = null;

const SCREENS = {
  overview: { title: 'Overview', roles: ['admin', 'regulator'], render: overview },
  payments: { title: 'Payments', roles: ['admin'], render: payments },
  exceptions: { title: 'Exceptions', roles: ['admin'], render: exceptions },
  queues: { title: 'Callbacks & webhooks', roles: ['admin'], render: queues },
  ledger: { title: 'Ledger', roles: ['admin', 'regulator'], render: ledger },
  audit: { title: 'Audit log', roles: ['admin'], render: audit },
  merchants: { title: 'Merchants', roles: ['admin'], render: merchants },
};

/** A fetch to this origin; throws an Error with the problem's code and detail on a non-2xx answer. */
async function api(path, { method = 'GET', body, accept = 'application/json' } = {}) {
  const headers = { Accept: accept };
  if (method !== 'GET') {
    headers['X-CSRF-Token'] = session?.csrf_token ?? '';
  }
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
  }
  const response = await fetch(path, {
    method, headers, credentials: 'same-origin', body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.status === 401 && path !== '/console/session') {
    showLogin('Your session has expired; log in again.');
  }
  if (!response.ok) {
    let problem = {};
    try { problem = await response.json(); } catch { /* not JSON */ }
    const error = new Error(problem.detail ?? `HTTP ${response.status}`);
    error.code = problem.code;
    error.status = response.status;
    throw error;
  }
  if (response.status === 204) return null;
  return accept === 'text/csv' ? response.text() : response.json();
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === 'class') node.className = value;
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else if (value !== undefined && value !== null) node.setAttribute(key, value);
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined) node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

function table(columns, rows, onRow) {
  return el('table', {},
    el('thead', {}, el('tr', {}, columns.map((c) => el('th', {}, c)))),
    el('tbody', {}, rows.map((row) => el('tr', onRow ? { class: 'clickable', onclick: () => onRow(row) } : {},
      columns.map((c) => el('td', {}, fmt(row[c])))))));
}

function fmt(value) {
  if (value === null || value === undefined) return '';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

const when = (seconds) => (seconds ? new Date(seconds * 1000).toISOString().replace('.000Z', 'Z') : '');
const isoDay = (date) => date.toISOString().slice(0, 10);

function showLogin(message = '') {
  session = null;
  $('#login').hidden = false;
  $('#screen').hidden = true;
  $('#nav').hidden = true;
  $('#logout').hidden = true;
  $('#who').textContent = '';
  $('#login-error').textContent = message;
}

function showConsole() {
  $('#login').hidden = true;
  $('#screen').hidden = false;
  $('#nav').hidden = false;
  $('#logout').hidden = false;
  $('#who').textContent = `${session.client_id} (${session.role})`;
  const nav = $('#nav');
  nav.replaceChildren(...Object.entries(SCREENS)
    .filter(([, screen]) => screen.roles.includes(session.role))
    .map(([name, screen]) => el('button', { type: 'button', id: `nav-${name}`, 'data-screen': name,
      onclick: () => open(name) }, screen.title)));
  open(location.hash.slice(1) in SCREENS ? location.hash.slice(1) : 'overview');
}

async function open(name) {
  const screen = SCREENS[name] && SCREENS[name].roles.includes(session.role) ? name : 'overview';
  history.replaceState(null, '', `#${screen}`);
  for (const button of document.querySelectorAll('#nav button')) {
    button.classList.toggle('active', button.dataset.screen === screen);
  }
  const root = $('#screen');
  root.replaceChildren(el('h2', {}, SCREENS[screen].title));
  root.dataset.screen = screen;
  try {
    await SCREENS[screen].render(root);
  } catch (error) {
    root.append(el('p', { class: 'error', role: 'alert' }, error.message));
  }
  root.dataset.ready = screen;
}

function parseCsv(text) {
  const [header, ...lines] = text.trim().split(/\r?\n/);
  const names = header.split(',');
  return lines.filter(Boolean).map((line) => Object.fromEntries(line.split(',').map((v, i) => [names[i], v])));
}

async function overview(root) {
  const to = new Date();
  const from = new Date(to.getTime() - 13 * 86400000);
  const rows = parseCsv(await api(`/v1/reports/volumes.csv?from=${isoDay(from)}&to=${isoDay(to)}`, { accept: 'text/csv' }));
  const days = [];
  for (let t = Date.parse(isoDay(from)); t <= Date.parse(isoDay(to)); t += 86400000) days.push(t / 1000);
  const rails = [...new Set(rows.map((r) => r.rail))].sort();
  const count = (rail, day, field) => rows
    .filter((r) => r.rail === rail && Date.parse(r.date) / 1000 === day)
    .reduce((sum, r) => sum + Number(r[field] || 0), 0);
  const palette = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];
  const volumes = el('div', { class: 'chart', id: 'chart-volumes' });
  const rates = el('div', { class: 'chart', id: 'chart-success' });
  root.append(el('div', { class: 'cards', id: 'counts' }), el('h3', {}, 'Payments succeeded per rail per day'), volumes,
    el('h3', {}, 'Success rate per rail per day (%)'), rates);
  const width = Math.min(1000, root.clientWidth || 900);
  const series = (label) => [{}, ...rails.map((rail, i) => ({ label: `${rail}${label}`, stroke: palette[i % palette.length], width: 2 }))];
  new uPlot({ width, height: 260, series: series('') },
    [days, ...rails.map((rail) => days.map((d) => count(rail, d, 'payments_succeeded')))], volumes);
  new uPlot({ width, height: 220, series: series(' %'), scales: { y: { range: [0, 100] } } },
    [days, ...rails.map((rail) => days.map((d) => {
      const ok = count(rail, d, 'payments_succeeded');
      const failed = count(rail, d, 'payments_failed');
      return ok + failed === 0 ? null : Math.round((1000 * ok) / (ok + failed)) / 10;
    }))], rates);
  // Latency per rail per day (GET /v1/admin/reports/latency, at most 31 days): the median and 95th
  // percentile of a payment's time from creation to final, in seconds.
  const latency = await api(`/v1/admin/reports/latency?from=${isoDay(from)}&to=${isoDay(to)}`);
  const latencyRails = [...new Set(latency.data.filter((r) => r.payments_final > 0).map((r) => r.rail))].sort();
  const percentile = (rail, day, field) => {
    const row = latency.data.find((r) => r.rail === rail && Date.parse(r.date) / 1000 === day);
    return row && row[field] !== null ? row[field] / 1000 : null;
  };
  const latencyChart = el('div', { class: 'chart', id: 'chart-latency' });
  root.append(el('h3', {}, 'Time to final per rail per day (s, p50 solid, p95 dashed)'), latencyChart);
  new uPlot({ width, height: 220, series: [{}, ...latencyRails.flatMap((rail, i) => [
    { label: `${rail} p50`, stroke: palette[i % palette.length], width: 2, spanGaps: true },
    { label: `${rail} p95`, stroke: palette[i % palette.length], width: 1, dash: [6, 4], spanGaps: true }])] },
  [days, ...latencyRails.flatMap((rail) => [days.map((d) => percentile(rail, d, 'time_to_final_p50_ms')),
    days.map((d) => percentile(rail, d, 'time_to_final_p95_ms'))])], latencyChart);
  const totals = rails.map((rail) => ({ rail,
    succeeded: days.reduce((s, d) => s + count(rail, d, 'payments_succeeded'), 0),
    failed: days.reduce((s, d) => s + count(rail, d, 'payments_failed'), 0) }));
  root.append(el('h3', {}, 'Last 14 days per rail'), table(['rail', 'succeeded', 'failed'], totals));
  const cards = $('#counts');
  if (session.role === 'admin') {
    const [pending, processing, open] = await Promise.all([
      api('/v1/admin/payments?status=pending&limit=100'),
      api('/v1/admin/payments?status=processing&limit=100'),
      api('/v1/exceptions?status=open&limit=100')]);
    const n = (list) => (list.data.length >= 100 ? '100+' : list.data.length);
    const stuckBefore = Date.now() / 1000 - 15 * 60;
    const stuck = [...pending.data, ...processing.data].filter((p) => p.updated_at < stuckBefore).length;
    cards.append(
      el('div', { class: 'card', id: 'count-pending' }, 'Pending or processing', el('strong', {}, n(pending) + n(processing))),
      el('div', { class: 'card', id: 'count-stuck' }, 'Stuck (> 15 min)', el('strong', {}, stuck)),
      el('div', { class: 'card', id: 'count-exceptions' }, 'Open exceptions', el('strong', {}, n(open))));
  }
}

async function payments(root) {
  const fields = ['id', 'reference', 'merchant_id', 'status', 'rail', 'created_from', 'created_to', 'msisdn_last', 'card_last4'];
  const form = el('form', { id: 'payment-search' },
    fields.map((f) => el('label', {}, f, el('input', { name: f, id: `search-${f}`, type: f.startsWith('created') ? 'date' : 'text' }))),
    el('button', { type: 'submit', id: 'search-submit' }, 'Search'));
  const results = el('div', { id: 'payment-results' });
  const detail = el('div', { id: 'payment-timeline' });
  root.append(form, results, detail);
  const search = async () => {
    const params = new URLSearchParams();
    for (const f of fields) if (form.elements[f].value) params.set(f, form.elements[f].value);
    results.replaceChildren();
    detail.replaceChildren();
    try {
      const list = await api(`/v1/admin/payments?${params}`);
      results.append(el('p', {}, `${list.data.length} payment(s)`),
        table(['id', 'reference', 'merchant_id', 'status', 'amount', 'currency', 'rail', 'msisdn_masked', 'card_last4', 'created_at'],
          list.data.map((p) => ({ ...p, created_at: when(p.created_at) })), (p) => timeline(detail, p.id)));
    } catch (error) {
      results.append(el('p', { class: 'error', role: 'alert' }, error.message));
    }
  };
  form.addEventListener('submit', (event) => { event.preventDefault(); search(); });
  await search();
}

async function timeline(root, id) {
  root.replaceChildren(el('h3', {}, `Timeline of ${id}`));
  const t = await api(`/v1/admin/payments/${encodeURIComponent(id)}/timeline`);
  const p = t.payment;
  root.append(table(['status', 'amount', 'currency', 'fee', 'rail', 'method_type', 'msisdn_masked', 'card_last4', 'failure_code'], [p]));
  const section = (title, columns, rows) => root.append(el('h4', {}, `${title} (${rows.length})`), table(columns, rows));
  section('Rail attempts', ['id', 'rail', 'outcome', 'response_code', 'failure_code', 'started_at', 'latency_ms'],
    t.attempts.map((a) => ({ ...a, started_at: when(a.started_at) })));
  section('Callbacks and verdicts', ['id', 'rail', 'verdict', 'verdict_detail', 'received_at'],
    t.callbacks.map((c) => ({ ...c, received_at: when(c.received_at) })));
  section('Events (status changes)', ['id', 'type', 'created_at', 'published_at'],
    t.events.map((e) => ({ ...e, created_at: when(e.created_at), published_at: when(e.published_at) })));
  section('Webhook deliveries', ['id', 'event_type', 'status', 'attempts', 'last_status_code', 'created_at'],
    t.webhook_deliveries.map((d) => ({ ...d, created_at: when(d.created_at) })));
  section('Ledger entries', ['entry_id', 'kind', 'account_id', 'direction', 'amount', 'currency'], t.ledger_entries);
  root.dataset.ready = id;
}

async function exceptions(root) {
  const list = await api('/v1/exceptions?status=open&limit=100');
  root.append(el('p', {}, `${list.data.length} open exception(s)`));
  const rows = el('tbody');
  root.append(el('table', { id: 'exceptions' },
    el('thead', {}, el('tr', {}, ['id', 'kind', 'payment', 'amount', 'currency', 'suspense', 'detail', 'resolve'].map((c) => el('th', {}, c)))),
    rows));
  for (const x of list.data) {
    const action = el('select', { name: 'action' }, ['accept_rail', 'accept_gateway', 'refund_payer', 'write_off'].map((a) => el('option', { value: a }, a)));
    const note = el('input', { name: 'note', placeholder: 'note', required: 'required' });
    const message = el('span');
    const form = el('form', { class: 'resolve', 'data-exception': x.id }, action, note, el('button', { type: 'submit' }, 'Resolve'), message);
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      try {
        const done = await api(`/v1/exceptions/${x.id}/resolve`, { method: 'POST', body: { action: action.value, note: note.value } });
        message.textContent = ` ${done.status}`;
        message.className = 'ok resolved';
      } catch (error) {
        message.textContent = ` ${error.message}`;
        message.className = 'error';
      }
    });
    rows.append(el('tr', { id: `exception-${x.id}` }, [x.id, x.kind, x.payment_id, x.amount, x.currency, x.suspense_amount, x.detail].map((v) => el('td', {}, fmt(v))),
      el('td', {}, form)));
  }
}

async function queues(root) {
  const [callbacks, dead] = await Promise.all([api('/v1/admin/callbacks'), api('/v1/admin/webhook_deliveries?status=dead')]);
  // An action button that shows the API's answer (or its problem) next to itself.
  const action = (label, attrs, call, done) => {
    const message = el('span');
    const button = el('button', { type: 'button', ...attrs }, label);
    button.addEventListener('click', async () => {
      button.disabled = true;
      try {
        message.textContent = ` ${done(await call())}`;
        message.className = 'ok done';
      } catch (error) {
        message.textContent = ` ${error.message}`;
        message.className = 'error';
        button.disabled = false;
      }
    });
    return el('span', {}, button, message);
  };
  const callbackRows = callbacks.data.map((c) => {
    const note = el('input', { name: 'note', placeholder: 'note', required: 'required' });
    const dismiss = el('form', { class: 'dismiss', 'data-callback': c.id }, note, el('button', { type: 'submit' }, 'Dismiss'),
      el('span'));
    dismiss.addEventListener('submit', async (event) => {
      event.preventDefault();
      const message = dismiss.lastChild;
      try {
        const done = await api(`/v1/admin/callbacks/${c.id}/dismiss`, { method: 'POST', body: { note: note.value } });
        message.textContent = ` dismissed by ${done.dismissed_by}`;
        message.className = 'ok done';
      } catch (error) {
        message.textContent = ` ${error.message}`;
        message.className = 'error';
      }
    });
    // Only an orphan can be run again (docs/console.md): a mismatch is never applied, a late one met a final payment.
    const reprocess = c.verdict === 'orphan'
      ? action('Reprocess', { class: 'reprocess', 'data-callback': c.id },
        () => api(`/v1/admin/callbacks/${c.id}/reprocess`, { method: 'POST' }),
        (done) => `queued (${done.verdict ?? 'processing'})`)
      : null;
    return el('tr', { id: `callback-${c.id}` },
      [c.id, c.rail, c.payment_id, c.verdict, c.verdict_detail, when(c.received_at)].map((v) => el('td', {}, fmt(v))),
      el('td', {}, dismiss, reprocess));
  });
  const deliveryRows = dead.data.map((d) => el('tr', { id: `delivery-${d.id}` },
    [d.id, d.merchant_id, d.event_type, d.attempts, d.last_status_code, d.last_error, when(d.updated_at)]
      .map((v) => el('td', {}, fmt(v))),
    el('td', {}, action('Redeliver', { class: 'redeliver', 'data-delivery': d.id },
      () => api(`/v1/admin/webhook_deliveries/${d.id}/redeliver`, { method: 'POST' }),
      (done) => `queued as ${done.id}`))));
  const head = (columns) => el('thead', {}, el('tr', {}, columns.map((c) => el('th', {}, c))));
  root.append(el('h3', {}, `Quarantined callbacks (${callbacks.data.length})`),
    el('table', { id: 'callbacks' }, head(['id', 'rail', 'payment_id', 'verdict', 'verdict_detail', 'received_at', 'action']),
      el('tbody', {}, callbackRows)),
    el('h3', {}, `Dead webhook deliveries (${dead.data.length})`),
    el('table', { id: 'dead-deliveries' }, head(['id', 'merchant_id', 'event_type', 'attempts', 'last_status_code',
      'last_error', 'updated_at', 'action']), el('tbody', {}, deliveryRows)));
}

async function ledger(root) {
  const balance = await api('/v1/ledger/trial_balance');
  for (const c of balance.currencies) {
    root.append(el('h3', {}, `${c.currency}: debits ${c.total_debits}, credits ${c.total_credits} `,
      el('span', { class: c.balanced ? 'ok' : 'bad' }, c.balanced ? 'balanced' : 'NOT balanced')));
    root.append(table(['account', 'normal_side', 'balance'], c.accounts));
  }
  root.append(el('h3', {}, 'Checks'), table(['name', 'passed', 'offending_ids'], balance.checks));
}

async function audit(root) {
  const list = await api('/v1/audit_events?limit=100');
  root.append(table(['occurred_at', 'action', 'actor', 'target', 'request_id', 'source_address'],
    list.data.map((e) => ({ ...e, occurred_at: typeof e.occurred_at === 'number' ? when(e.occurred_at) : e.occurred_at,
      actor: `${e.actor.client_id ?? 'system'} (${e.actor.merchant_id ?? ''})`, target: `${e.target.type} ${e.target.id}` }))));
}

async function merchants(root) {
  const output = el('div', { id: 'merchant-output' });
  const create = el('form', { id: 'merchant-create' },
    el('label', {}, 'Name', el('input', { name: 'name', required: 'required' })),
    el('label', {}, 'Country', el('input', { name: 'country', value: 'KE', required: 'required', pattern: '[A-Z]{2}' })),
    el('button', { type: 'submit' }, 'Create merchant and key'));
  create.addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      const merchant = await api('/v1/merchants', { method: 'POST', body: { name: create.elements.name.value, country: create.elements.country.value } });
      output.replaceChildren(el('p', {}, 'Created; the secret is shown once:'), table(Object.keys(merchant), [merchant]));
    } catch (error) {
      output.replaceChildren(el('p', { class: 'error' }, error.message));
    }
  });
  const revoke = el('form', { id: 'client-revoke' },
    el('label', {}, 'Client id', el('input', { name: 'client_id', required: 'required' })),
    el('button', { type: 'submit' }, 'Revoke key'));
  revoke.addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      const revoked = await api(`/v1/clients/${encodeURIComponent(revoke.elements.client_id.value)}/revoke`, { method: 'POST' });
      output.replaceChildren(table(Object.keys(revoked), [revoked]));
    } catch (error) {
      output.replaceChildren(el('p', { class: 'error' }, error.message));
    }
  });
  root.append(el('h3', {}, 'Create a merchant and its API key'), create, el('h3', {}, 'Revoke an API key'), revoke, output);
}

$('#login-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  try {
    session = await api('/console/session', { method: 'POST',
      body: { client_id: $('#client_id').value, client_secret: $('#client_secret').value } });
    $('#client_secret').value = '';
    showConsole();
  } catch (error) {
    $('#login-error').textContent = error.message;
  }
});

$('#logout').addEventListener('click', async () => {
  try { await api('/console/session', { method: 'DELETE' }); } finally { showLogin('Logged out.'); }
});

api('/console/session').then((found) => { session = found; showConsole(); }).catch(() => showLogin());
