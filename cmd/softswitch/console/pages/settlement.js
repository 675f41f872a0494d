// Settlement statements per carrier and period (GET /api/v1/settlement),
// as `softswitch settle` computes them, with the CSV for download.
import { api, getJSON, el, table, field, showFieldError, clearFieldErrors } from '../app.js';

export async function render(root) {
  let carriers = [];
  try { carriers = (await getJSON('/api/v1/interconnect')).carriers || []; } catch { /* shown by api() */ }
  const today = new Date();
  const first = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), 1));
  const next = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth() + 1, 1));
  const day = (d) => d.toISOString().slice(0, 10);
  const form = el('form', { class: 'inline', id: 'settle-form', novalidate: true },
    field('Carrier', 'carrier', { list: 'carrier-names' }),
    el('datalist', { id: 'carrier-names' }, carriers.map((c) => el('option', { value: c.name }))),
    field('From (UTC date)', 'from', { type: 'date', value: day(first) }),
    field('To (exclusive)', 'to', { type: 'date', value: day(next) }),
    el('button', { type: 'submit' }, 'Show statement'),
    el('button', { type: 'button', id: 'settle-csv' }, 'Download CSV'));
  const out = el('div', { id: 'settle-result' });
  root.append(el('h1', {}, 'Settlement'), form, out);
  const query = () => new URLSearchParams({ carrier: form.carrier.value.trim(), from: form.from.value, to: form.to.value });

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearFieldErrors(form);
    let st;
    try { st = await getJSON(`/api/v1/settlement?${query()}`); } catch (e) { showFieldError(form, e); return; }
    const row = (l, cls) => el('tr', { class: cls }, el('td', {}, l.prefix), [l.calls, l.answered, l.unrated, l.billable_s, l.minutes,
      l.amount, l.asr, l.acd].map((v) => el('td', { class: 'num' }, v)));
    out.replaceChildren(el('p', {}, `${st.carrier}: ${st.from} .. ${st.to}, currency ${st.currency || '—'}`),
      table(['Prefix', 'Calls', 'Answered', 'Unrated', 'Billable s', 'Minutes', 'Amount', 'ASR', 'ACD'],
        [...(st.lines || []).map((l) => row(l)), row({ ...st, prefix: 'TOTAL' }, 'total')], { id: 'statement' }));
  });
  // The download goes through fetch (the token is a header, not a
  // cookie), then a blob URL the browser saves.
  form.querySelector('#settle-csv').addEventListener('click', async () => {
    clearFieldErrors(form);
    let res;
    try { res = await api(`/api/v1/settlement?${query()}&format=csv`); } catch (e) { showFieldError(form, e); return; }
    const url = URL.createObjectURL(await res.blob());
    const a = el('a', { href: url, download: `settlement-${form.carrier.value}-${form.from.value}.csv` });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  });
}
