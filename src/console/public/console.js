// The console page's one script (served by src/console/route.ts; no CDN, no framework).
// Logged bodies and bus messages are hostile input: everything from the log and the bus reaches
// the page through textContent or SVG text nodes, never innerHTML.

const SESSION_KEY = 'acmp-console-session';
const USER_KEY = 'acmp-console-user';
const SESSION_HEADER = 'X-SICS-SESSION';
const POLL_MS = 1000;
/** The most rows the list keeps: a console left open on a busy gateway stays small (Older pages back). */
const MAX_ROWS = 1000;
/** Command endpoints only (the bus is not replayed from here): never anything a logged path could point elsewhere. */
const REPLAYABLE_PATH = /^\/(acmp|soap|api\/v1\/(commands\/\w+|batch))$/;
const replayable = (e) => e.method === 'POST' && REPLAYABLE_PATH.test(e.path);

const $ = (id) => document.getElementById(id);
const state = { newest: 0, oldest: 0, filter: '', selected: undefined, timer: undefined };

// ---- login (docs/protocol.md §5: PasswordHash = lower-case hex SHA-256 of the password's UTF-8 bytes) ----

async function passwordHash(password) {
  const bytes = new TextEncoder().encode(password);
  // crypto.subtle exists only in secure contexts (https, localhost): elsewhere the small fallback.
  if (window.crypto && crypto.subtle) {
    return hex(new Uint8Array(await crypto.subtle.digest('SHA-256', bytes)));
  }
  return sha256Hex(bytes);
}

const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

/** SHA-256 (FIPS 180-4) for pages served over plain http, where crypto.subtle is missing. */
function sha256Hex(bytes) {
  const K = [];
  const H = [];
  const frac = (x) => ((x - Math.floor(x)) * 0x100000000) >>> 0;
  for (let n = 2, found = 0; found < 64; n++) {
    let prime = true;
    for (let d = 2; d * d <= n; d++) if (n % d === 0) prime = false;
    if (!prime) continue;
    if (found < 8) H[found] = frac(Math.sqrt(n));
    K[found++] = frac(Math.cbrt(n));
  }
  const length = bytes.length;
  const padded = new Uint8Array(Math.ceil((length + 9) / 64) * 64);
  padded.set(bytes);
  padded[length] = 0x80;
  const view = new DataView(padded.buffer);
  view.setUint32(padded.length - 8, Math.floor(length / 0x20000000));
  view.setUint32(padded.length - 4, (length * 8) >>> 0);
  const w = new Uint32Array(64);
  const rotr = (x, n) => (x >>> n) | (x << (32 - n));
  for (let at = 0; at < padded.length; at += 64) {
    for (let i = 0; i < 16; i++) w[i] = view.getUint32(at + i * 4);
    for (let i = 16; i < 64; i++) {
      const s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >>> 3);
      const s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >>> 10);
      w[i] = (w[i - 16] + s0 + w[i - 7] + s1) >>> 0;
    }
    let [a, b, c, d, e, f, g, h] = H;
    for (let i = 0; i < 64; i++) {
      const t1 =
        (h + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i]) >>> 0;
      const t2 = ((rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))) >>> 0;
      [h, g, f, e, d, c, b, a] = [g, f, e, (d + t1) >>> 0, c, b, a, (t1 + t2) >>> 0];
    }
    for (const [i, v] of [a, b, c, d, e, f, g, h].entries()) H[i] = (H[i] + v) >>> 0;
  }
  return H.map((v) => v.toString(16).padStart(8, '0')).join('');
}
window.consoleSha256 = sha256Hex; // the browser test checks the fallback against Node's digest

async function logIn(event) {
  event.preventDefault();
  const form = $('login');
  const user = form.elements.user.value;
  // A session id of 64 hex characters (docs/protocol.md §5: 32 to 200 of [A-Za-z0-9-_{}]).
  const sessionId = hex(crypto.getRandomValues(new Uint8Array(32)));
  const res = await fetch('/api/v1/commands/LoginAcmpUser_V1', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      Username: user,
      PasswordHash: await passwordHash(form.elements.password.value),
      SessionId: sessionId,
      CreateToken: false,
    }),
  });
  const answer = await res.json().catch(() => ({}));
  form.elements.password.value = '';
  if (answer.ResultCode !== 0)
    return show(`Login refused: ${answer.ResultMessage || `HTTP ${res.status}`}`);
  sessionStorage.setItem(SESSION_KEY, sessionId);
  sessionStorage.setItem(USER_KEY, user);
  start();
}

function logOut() {
  sessionStorage.removeItem(SESSION_KEY);
  stop();
  showLogin();
}

// ---- the console's JSON API ----

class Refused extends Error {}

async function api(path, init = {}) {
  const session = sessionStorage.getItem(SESSION_KEY);
  const headers = { ...init.headers };
  if (session) headers[SESSION_HEADER] = session;
  const res = await fetch(path, { ...init, headers });
  if (res.status === 401 || res.status === 403) {
    const { error } = await res.json().catch(() => ({}));
    sessionStorage.removeItem(SESSION_KEY);
    stop();
    showLogin();
    show(error || `HTTP ${res.status}`);
    throw new Refused(error);
  }
  if (!res.ok) {
    const { error } = await res.json().catch(() => ({}));
    throw new Error(error || `HTTP ${res.status}`);
  }
  return res;
}

function show(message) {
  $('message').textContent = message;
  $('message').hidden = !message;
}

function showLogin() {
  $('who').textContent = '';
  $('app').hidden = true;
  $('logout').hidden = true;
  $('login').hidden = false;
}

// ---- the list, its filters and the live tail ----

function filterQuery() {
  const form = $('filters');
  const q = new URLSearchParams();
  for (const name of ['command', 'result', 'user'])
    if (form.elements[name].value.trim()) q.set(name, form.elements[name].value.trim());
  for (const name of ['from', 'to'])
    if (form.elements[name].value) q.set(name, new Date(form.elements[name].value).toISOString());
  return q;
}

async function reload() {
  state.filter = filterQuery().toString();
  state.newest = 0;
  state.oldest = 0;
  $('exchanges').tBodies[0].replaceChildren();
  await page();
}

async function page() {
  const q = new URLSearchParams(state.filter);
  if (state.oldest) q.set('before', state.oldest);
  const { exchanges } = await (await api(`/console/api/exchanges?${q}`)).json();
  for (const e of exchanges) $('exchanges').tBodies[0].append(row(e));
  if (exchanges.length) {
    state.newest = Math.max(state.newest, exchanges[0].id);
    state.oldest = exchanges[exchanges.length - 1].id;
  }
  $('older').hidden = exchanges.length < 50;
}

async function tail() {
  if (!$('live').checked) return;
  const q = new URLSearchParams(state.filter);
  q.set('after', state.newest);
  const { exchanges } = await (await api(`/console/api/exchanges?${q}`)).json();
  const body = $('exchanges').tBodies[0];
  for (const e of exchanges) {
    body.prepend(row(e, true));
    state.newest = e.id;
    if (!state.oldest) state.oldest = e.id;
  }
  if (body.rows.length > MAX_ROWS) {
    while (body.rows.length > MAX_ROWS) body.lastElementChild.remove();
    state.oldest = Number(body.lastElementChild.dataset.id);
    $('older').hidden = false;
  }
}

function row(e, fresh) {
  const tr = document.createElement('tr');
  tr.dataset.id = e.id;
  tr.dataset.result = e.resultCode ?? '';
  tr.dataset.transport = e.transport;
  if (fresh) tr.className = 'fresh';
  if (e.resultCode) tr.classList.add('failed');
  const cells = [
    e.id,
    time(e.at),
    e.transport,
    e.commands.join(', ') || `${e.method} ${e.path}`,
    e.resultCode ?? '',
    e.httpStatus,
    e.durationMs.toFixed(1),
    e.userName ?? '',
    e.remoteAddress,
  ];
  for (const value of cells) {
    const td = document.createElement('td');
    td.textContent = String(value);
    tr.append(td);
  }
  tr.addEventListener('click', () => open(e.id));
  return tr;
}

const time = (iso) => {
  const d = new Date(iso);
  const two = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
};

// ---- one exchange, replay, fixture ----

async function open(id) {
  const e = await (await api(`/console/api/exchanges/${id}`)).json();
  state.selected = e;
  for (const tr of $('exchanges').tBodies[0].rows)
    tr.classList.toggle('selected', tr.dataset.id === String(id));
  $('detail').hidden = false;
  $('detail-title').textContent = `#${e.id} ${e.commands.join(', ') || `${e.method} ${e.path}`}`;
  $('detail-meta').textContent =
    `${time(e.at)} · ${e.transport} ${e.method} ${e.path} · HTTP ${e.httpStatus} · ResultCode ${e.resultCode ?? '–'} · ${e.durationMs.toFixed(1)} ms · user ${e.userName ?? '–'} · from ${e.remoteAddress} · request id ${e.requestId}`;
  $('request-body').textContent = pretty(e.requestBody, e.requestContentType);
  $('response-body').textContent = pretty(e.responseBody, e.responseContentType);
  $('replayed').hidden = true;
  $('replay').disabled = !replayable(e);
  $('fixture').disabled = e.transport === 'http';
  $('detail-note').textContent = replayable(e)
    ? ''
    : `only commands sent to POST /acmp, /soap or /api/v1 are replayed from here`;
  $('detail').scrollIntoView({ block: 'nearest' });
}

/** Sends the logged request again to the same endpoint, as the console's user, and shows the answer next to the logged one. */
async function replayRequest() {
  const e = state.selected;
  if (!replayable(e)) return;
  const headers = { 'Content-Type': e.requestContentType || 'text/xml; charset=utf-8' };
  const session = sessionStorage.getItem(SESSION_KEY);
  if (session) headers[SESSION_HEADER] = session;
  const res = await fetch(e.path, { method: e.method, headers, body: e.requestBody });
  const text = await res.text();
  const same = text.trim() === e.responseBody.trim();
  $('replayed-title').textContent =
    `Replayed: HTTP ${res.status}, ResultCode ${res.headers.get('X-ACMP-Result-Code') ?? '–'}, request id ${res.headers.get('X-Request-Id')}${same ? ' (same answer)' : ''}`;
  $('replayed-body').textContent = pretty(text, res.headers.get('Content-Type'));
  $('replayed').hidden = false;
}

async function downloadFixture() {
  const e = state.selected;
  const res = await api(`/console/api/exchanges/${e.id}/fixture`);
  const name =
    /filename="([^"]+)"/.exec(res.headers.get('Content-Disposition') || '')?.[1] ||
    `log-${e.id}.tar`;
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

/** A body made readable: JSON and XML indented; anything else as it is. Returns text, never markup. */
function pretty(body, contentType) {
  const text = body ?? '';
  if (/json/.test(contentType || '') || /^\s*[[{]/.test(text)) {
    try {
      return JSON.stringify(JSON.parse(text), null, 2);
    } catch {
      return text;
    }
  }
  return /^\s*</.test(text) ? prettyXml(text) : text;
}

function prettyXml(xml) {
  const tokens = xml.match(/<!\[CDATA\[[\s\S]*?\]\]>|<!--[\s\S]*?-->|<[^>]*>|[^<]+/g) || [];
  const lines = [];
  let depth = 0;
  let inline = false; // the last line is an open tag still waiting for its text or end tag
  const put = (t) => {
    if (inline) lines[lines.length - 1] += t;
    else lines.push('  '.repeat(depth) + t);
  };
  for (const t of tokens) {
    if (t.startsWith('</')) {
      depth = Math.max(0, depth - 1);
      put(t);
      inline = false;
    } else if (t.startsWith('<![CDATA[')) {
      put(t);
    } else if (t.startsWith('<?') || t.startsWith('<!') || t.endsWith('/>')) {
      inline = false;
      put(t);
    } else if (t.startsWith('<')) {
      inline = false;
      put(t);
      depth++;
      inline = true;
    } else if (t.trim()) {
      put(inline ? t : t.trim());
    }
  }
  return lines.join('\n');
}

// ---- charts: rate, latency p50/p99 and error share per command over the last hour ----

const SVG = 'http://www.w3.org/2000/svg';
const W = 240;
const H = 56;

async function charts() {
  const data = await (await api('/console/api/charts')).json();
  const since = Date.parse(data.since);
  const span = Date.parse(data.until) - since;
  const box = $('charts');
  box.replaceChildren();
  if (!data.commands.length) box.textContent = 'No commands in the last hour.';
  for (const c of data.commands) {
    const card = document.createElement('div');
    card.className = 'chart';
    card.dataset.command = c.command;
    const title = document.createElement('h3');
    title.textContent = c.command;
    const figures = document.createElement('p');
    figures.textContent = `${c.count} requests · p50 ${c.p50.toFixed(1)} ms · p99 ${c.p99.toFixed(1)} ms · errors ${(c.errorShare * 100).toFixed(0)} %`;
    const x = (m) => ((Date.parse(m.minute) + 30000 - since) / span) * W;
    const maxRate = Math.max(...c.minutes.map((m) => m.count));
    const maxMs = Math.max(...c.minutes.map((m) => m.p99), 1);
    card.append(
      title,
      figures,
      chart(
        'rate per minute',
        `max ${maxRate}/min`,
        c.minutes.map((m) => bar(x(m), m.count / maxRate, 'rate')),
      ),
      chart('latency p50 / p99', `max ${maxMs.toFixed(1)} ms`, [
        line(
          c.minutes.map((m) => [x(m), m.p50 / maxMs]),
          'p50',
        ),
        line(
          c.minutes.map((m) => [x(m), m.p99 / maxMs]),
          'p99',
        ),
        ...c.minutes.flatMap((m) => [
          dot(x(m), m.p50 / maxMs, 'p50'),
          dot(x(m), m.p99 / maxMs, 'p99'),
        ]),
      ]),
      chart(
        'error share',
        '100 %',
        c.minutes.map((m) => bar(x(m), m.errorShare, 'errors')),
      ),
    );
    box.append(card);
  }
}

function chart(label, top, shapes) {
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', `0 0 ${W} ${H + 12}`);
  svg.setAttribute('width', W);
  svg.setAttribute('height', H + 12);
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', label);
  const base = document.createElementNS(SVG, 'line');
  for (const [k, v] of Object.entries({ x1: 0, x2: W, y1: H, y2: H, class: 'axis' }))
    base.setAttribute(k, v);
  svg.append(base, ...shapes, text(2, H + 11, `${label} (last hour)`), text(W - 2, 9, top, 'end'));
  return svg;
}

function bar(x, share, kind) {
  const r = document.createElementNS(SVG, 'rect');
  const h = Math.max(share * (H - 12), share > 0 ? 1 : 0);
  for (const [k, v] of Object.entries({
    x: Math.max(0, x - 1.5),
    y: H - h,
    width: 3,
    height: h,
    class: kind,
  }))
    r.setAttribute(k, v);
  return r;
}

function line(points, kind) {
  const p = document.createElementNS(SVG, 'polyline');
  p.setAttribute(
    'points',
    points.map(([x, y]) => `${x.toFixed(1)},${(H - y * (H - 12)).toFixed(1)}`).join(' '),
  );
  p.setAttribute('class', kind);
  return p;
}

/** A point of a line: a minute alone still shows. */
function dot(x, y, kind) {
  const c = document.createElementNS(SVG, 'circle');
  for (const [k, v] of Object.entries({
    cx: x.toFixed(1),
    cy: (H - y * (H - 12)).toFixed(1),
    r: 1.8,
    class: `${kind} dot`,
  }))
    c.setAttribute(k, v);
  return c;
}

function text(x, y, value, anchor) {
  const t = document.createElementNS(SVG, 'text');
  t.setAttribute('x', x);
  t.setAttribute('y', y);
  if (anchor) t.setAttribute('text-anchor', anchor);
  t.textContent = value;
  return t;
}

// ---- dead letters of the SICS bus: listed, and sent back to their queue ----

async function deadLetters() {
  const { deadLetters: letters, limit } = await (await api('/console/api/dead-letters')).json();
  const body = $('dead-letters').tBodies[0];
  body.replaceChildren(...letters.map(deadRow));
  $('dead-letters').hidden = !letters.length;
  $('dead-empty').hidden = letters.length > 0;
  $('dead-count').textContent = letters.length
    ? `(${letters.length}${letters.length >= limit ? ' newest' : ''})`
    : '(none)';
  $('dead').classList.toggle('has-dead', letters.length > 0);
  if ($('dead-note').classList.contains('failed')) {
    $('dead-note').textContent = '';
    $('dead-note').classList.remove('failed');
  }
}

/** The list could not be read: the section says so, the rest of the page goes on. */
function deadLettersFailed(error) {
  if (error instanceof Refused) throw error;
  $('dead-count').textContent = '(could not be read)';
  $('dead-note').textContent = `The dead letters could not be read: ${error.message}`;
  $('dead-note').classList.add('failed');
}

function deadRow(d) {
  const tr = document.createElement('tr');
  tr.dataset.id = d.id;
  const cells = [
    d.user,
    d.router,
    d.target,
    d.routingKey,
    d.deliveryCount,
    time(d.publishedAt),
    time(d.deadAt),
  ];
  for (const value of cells) {
    const td = document.createElement('td');
    td.textContent = String(value);
    tr.append(td);
  }
  // The body's first characters as text, in a box of a few lines that scrolls.
  const excerpt = document.createElement('td');
  const box = document.createElement('div');
  box.className = 'excerpt';
  box.textContent = d.excerpt;
  box.title = `MessageId ${d.messageId}`;
  excerpt.append(box);
  const action = document.createElement('td');
  const button = document.createElement('button');
  button.type = 'button';
  button.className = 'send-back';
  button.textContent = 'Send back';
  button.addEventListener(
    'click',
    report(() => sendBack(d, button)),
  );
  action.append(button);
  tr.append(excerpt, action);
  return tr;
}

async function sendBack(d, button) {
  const question = `Send this message back to queue "${d.target}" (router "${d.router}", user ${d.user})?\n\nIt goes back in its old place and is delivered again, its deliveries counted anew.`;
  if (!confirm(question)) return;
  button.disabled = true;
  let res;
  try {
    res = await api(`/console/api/dead-letters/${encodeURIComponent(d.id)}/resend`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{}',
    });
  } catch (error) {
    // Sent back or expired meanwhile (404): the list shows what is left.
    if (!(error instanceof Refused)) await deadLetters();
    throw error;
  }
  $('dead-note').textContent = (await res.json()).message;
  await deadLetters();
}

// ---- start ----

async function start() {
  $('login').hidden = true;
  $('app').hidden = false;
  $('logout').hidden = !sessionStorage.getItem(SESSION_KEY);
  $('who').textContent = sessionStorage.getItem(SESSION_KEY)
    ? `logged in as ${sessionStorage.getItem(USER_KEY)}`
    : 'open mode (no login)';
  show('');
  try {
    await Promise.all([reload(), charts(), deadLetters().catch(deadLettersFailed)]);
  } catch (error) {
    if (!(error instanceof Refused)) show(error.message);
    return;
  }
  stop();
  let ticks = 0;
  state.timer = setInterval(() => {
    tail().catch((error) => error instanceof Refused || show(error.message));
    if (++ticks % 10 === 0) {
      charts().catch(() => undefined);
      deadLetters().catch((error) => error instanceof Refused || deadLettersFailed(error));
    }
  }, POLL_MS);
}

function stop() {
  clearInterval(state.timer);
  state.timer = undefined;
}

function report(fn) {
  return (event) => fn(event).catch((error) => error instanceof Refused || show(error.message));
}

document.addEventListener('DOMContentLoaded', () => {
  $('login').addEventListener('submit', report(logIn));
  $('logout').addEventListener('click', logOut);
  $('filters').addEventListener(
    'submit',
    report(async (event) => {
      event.preventDefault();
      return reload();
    }),
  );
  $('filters').addEventListener('reset', () => setTimeout(report(reload)));
  $('older').addEventListener('click', report(page));
  $('replay').addEventListener('click', report(replayRequest));
  $('fixture').addEventListener('click', report(downloadFixture));
  const session = sessionStorage.getItem(SESSION_KEY);
  if (document.body.dataset.auth === 'required' && !session) showLogin();
  else start();
});
