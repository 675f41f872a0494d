// CDR search (GET /api/v1/cdrs: number, trunk, time range, disposition),
// with cost, price and MOS; each call links to its ladder (#call/ID).
import { getJSON, el, table, field, fmtTime, showFieldError, clearFieldErrors } from '../app.js';

const DISPOSITIONS = [['', 'any'], ['answered', 'answered'], ['busy', 'busy'], ['no_answer', 'no answer'],
  ['cancelled', 'cancelled'], ['failed', 'failed']];

// A datetime-local value is the browser's local time; the API wants RFC
// 3339, so it is sent as UTC. An unreadable value goes as typed, for the
// server to name the field.
function when(v) {
  if (!v) return '';
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? v : d.toISOString();
}

function mos(c) {
  const v = (c.media || []).map((m) => m.mos).filter((m) => m > 0);
  return v.length ? Math.min(...v).toFixed(2) : '';
}

export async function render(root) {
  const form = el('form', { class: 'inline', id: 'cdr-form', novalidate: true },
    field('Number (caller or callee)', 'number'), field('Trunk', 'trunk'),
    field('From', 'from', { type: 'datetime-local', step: 1 }), field('To', 'to', { type: 'datetime-local', step: 1 }),
    field('Disposition', 'disposition', { options: DISPOSITIONS }),
    field('Limit', 'limit', { value: '100', size: 5 }),
    el('button', { type: 'submit' }, 'Search'));
  const out = el('div', { id: 'cdr-results' });
  root.append(el('h1', {}, 'CDRs'), form, out);

  const search = async () => {
    clearFieldErrors(form);
    const q = new URLSearchParams();
    for (const k of ['number', 'trunk', 'disposition', 'limit']) if (form[k].value.trim()) q.set(k, form[k].value.trim());
    for (const k of ['from', 'to']) if (form[k].value) q.set(k, when(form[k].value));
    let list;
    try { list = await getJSON(`/api/v1/cdrs?${q}`); } catch (e) { showFieldError(form, e); return; }
    list = (list || []).slice().reverse(); // newest first
    out.replaceChildren(el('p', { class: 'muted' }, `${list.length} record(s)`), table(
      ['Start', 'Caller', 'Callee', 'Disposition', 'Code', 'Duration s', 'Billable s', 'Trunk', 'Carrier', 'Price', 'Cost', 'MOS', ''],
      list.map((c) => el('tr', { 'data-call-id': c.call_id },
        el('td', {}, fmtTime(c.start)), el('td', {}, c.caller), el('td', {}, c.callee), el('td', {}, c.disposition),
        el('td', { class: 'num' }, c.sip_code), el('td', { class: 'num' }, (c.duration_ms / 1000).toFixed(1)),
        el('td', { class: 'num' }, c.billable_s), el('td', {}, c.trunk || ''), el('td', {}, c.carrier || ''),
        el('td', { class: 'num' }, c.price ? `${c.price} ${c.currency || ''}` : ''),
        el('td', { class: 'num' }, c.cost ? `${c.cost} ${c.cost_currency || ''}` : ''),
        el('td', { class: 'num' }, mos(c)),
        el('td', {}, el('a', { class: 'ladder-link', href: `#call/${encodeURIComponent(c.call_id)}` }, 'ladder')))),
      { id: 'cdrs' }));
  };
  form.addEventListener('submit', (ev) => { ev.preventDefault(); search(); });
  await search();
}
