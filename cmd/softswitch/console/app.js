// The console's shell: login, the API client, the page router and small
// DOM helpers. Pages are modules under pages/; none of them writes HTML
// from data (textContent only), and the CSP forbids inline scripts.

const TOKEN_KEY = 'softswitch.token';

// loadId tells a reload apart from an update: the browser test reads it
// before and after a change and expects the same value.
window.consoleLoadId = `${Date.now()}-${Math.random()}`;

export function token() { return sessionStorage.getItem(TOKEN_KEY) || ''; }

// el builds an element: attributes (on* never), then children (strings
// become text nodes, so data can never become markup).
export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = v; else e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

const statusBox = () => document.getElementById('status');

export function showStatus(msg) {
  const s = statusBox();
  s.textContent = msg;
  s.hidden = !msg;
}

// ApiError carries what the server answered: the status, its message,
// and the field it names (a 400 of {"field","error"}, or "field: ..." text).
export class ApiError extends Error {
  constructor(status, message, field) { super(message); this.status = status; this.field = field; }
}

// api calls the admin API with the bearer token. A 401 (no or wrong
// token) logs out and says so; a 403 (read token on a write, or a
// cross-origin refusal) is shown on the page. Both throw.
export async function api(path, opts = {}) {
  const headers = new Headers(opts.headers || {});
  if (token()) headers.set('Authorization', `Bearer ${token()}`);
  const res = await fetch(path, { ...opts, headers, cache: 'no-store' });
  if (res.ok) return res;
  const text = (await res.text()).trim();
  let msg = text, field;
  try {
    const j = JSON.parse(text);
    if (j && typeof j === 'object') { msg = j.error || text; field = j.field; }
  } catch { /* plain text */ }
  if (!field) {
    const m = /^([a-z_]+): /.exec(msg);
    if (m) field = m[1];
  }
  if (res.status === 401) {
    showStatus(`401 Unauthorized: ${msg}`);
    showLogin();
  } else if (res.status === 403) {
    showStatus(`403 Forbidden: ${msg}`);
  }
  throw new ApiError(res.status, msg, field);
}

export async function getJSON(path) { return (await api(path)).json(); }

// fieldErrors clears a form's errors, then shows err next to the field it
// names; an error naming no field of the form goes to the status line.
export function showFieldError(form, err) {
  clearFieldErrors(form);
  if (!(err instanceof ApiError)) { showStatus(String(err)); return; }
  if (err.status === 400 && err.field) {
    const span = form.querySelector(`.field-error[data-for="${err.field}"]`);
    const input = form.querySelector(`[name="${err.field}"]`);
    if (span) {
      span.textContent = err.message;
      if (input) input.setAttribute('aria-invalid', 'true');
      return;
    }
  }
  if (err.status !== 401 && err.status !== 403) showStatus(`${err.status}: ${err.message}`);
}

export function clearFieldErrors(form) {
  form.querySelectorAll('.field-error').forEach((s) => { s.textContent = ''; });
  form.querySelectorAll('[aria-invalid]').forEach((i) => i.removeAttribute('aria-invalid'));
}

// field is a labelled input with the span its server error goes to.
export function field(label, name, attrs = {}) {
  const id = `f-${name}`;
  const input = attrs.options
    ? el('select', { id, name }, attrs.options.map(([v, t]) => el('option', { value: v }, t)))
    : el('input', { id, name, ...attrs });
  return el('div', { class: 'field' }, el('label', { for: id }, label), input,
    el('span', { class: 'field-error', 'data-for': name }));
}

export function table(headers, rows, attrs = {}) {
  return el('table', attrs, el('thead', {}, el('tr', {}, headers.map((h) => el('th', {}, h)))),
    el('tbody', {}, rows));
}

export function fmtTime(s) {
  if (!s) return '';
  const d = new Date(s);
  return Number.isNaN(d.getTime()) || d.getFullYear() < 1971 ? '' : d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

export function fmtDuration(ms) {
  const s = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
  return `${h ? `${h}:` : ''}${String(m).padStart(h ? 2 : 1, '0')}:${String(r).padStart(2, '0')}`;
}

// ---------------------------------------------------------------- shell

const pages = {
  calls: () => import('./pages/calls.js'),
  registrations: () => import('./pages/registrations.js'),
  trunks: () => import('./pages/trunks.js'),
  cdrs: () => import('./pages/cdrs.js'),
  call: () => import('./pages/call.js'),
  settlement: () => import('./pages/settlement.js'),
  campaigns: () => import('./pages/campaigns.js'),
  audit: () => import('./pages/audit.js'),
};

// me is who the token is (GET /api/v1/whoami): writes are offered to a
// write token only, though the server decides either way.
export let me = { name: '', scope: 'read' };
let leave = null; // the current page's cleanup (closes its stream)

function showLogin() {
  sessionStorage.removeItem(TOKEN_KEY);
  if (leave) { leave(); leave = null; }
  document.getElementById('login').hidden = false;
  document.getElementById('nav').hidden = true;
  document.getElementById('logout').hidden = true;
  document.getElementById('who').textContent = '';
  document.getElementById('page').replaceChildren();
}

async function route() {
  if (!token()) { showLogin(); return; }
  const name = (location.hash.replace(/^#/, '').split('/')[0]) || 'calls';
  const load = pages[name] || pages.calls;
  document.querySelectorAll('#nav a').forEach((a) => a.classList.toggle('active', a.dataset.page === name));
  if (leave) { leave(); leave = null; }
  showStatus('');
  const root = document.getElementById('page');
  root.replaceChildren();
  root.dataset.page = name;
  const rest = location.hash.replace(/^#[^/]*\/?/, '');
  try {
    const mod = await load();
    leave = (await mod.render(root, decodeURIComponent(rest))) || null;
  } catch (e) {
    // api() has said a 401 or 403 already; anything else is said here.
    if (!(e instanceof ApiError) || (e.status !== 401 && e.status !== 403)) {
      showStatus(e instanceof ApiError ? `${e.status}: ${e.message}` : String(e));
    }
  }
}

async function login(tok) {
  sessionStorage.setItem(TOKEN_KEY, tok);
  try {
    me = await getJSON('/api/v1/whoami');
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) {
      document.querySelector('#login .field-error[data-for="token"]').textContent = `${e.status}: ${e.message}`;
      document.getElementById('login-token').setAttribute('aria-invalid', 'true');
    }
    return false;
  }
  document.getElementById('login').hidden = true;
  document.getElementById('nav').hidden = false;
  document.getElementById('logout').hidden = false;
  document.getElementById('who').textContent = `${me.name || 'no token configured'} (${me.scope})`;
  return true;
}

document.addEventListener('DOMContentLoaded', async () => {
  document.getElementById('login').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const input = document.getElementById('login-token');
    clearFieldErrors(ev.target);
    if (await login(input.value.trim())) { input.value = ''; showStatus(''); route(); }
  });
  document.getElementById('logout').addEventListener('click', () => { showLogin(); showStatus(''); });
  window.addEventListener('hashchange', route);
  if (!token()) {
    // A switch with no token configured (loopback only) asks for none:
    // the console logs in without one. "none" is ignored by its guard.
    const open = await fetch('/api/v1/whoami', { cache: 'no-store' }).then((r) => r.ok, () => false);
    if (open && await login('none')) { route(); return; }
  }
  if (token() && await login(token())) route(); else showLogin();
});
