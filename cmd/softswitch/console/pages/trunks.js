// Trunks with health, channels, CPS and failover state (GET
// /api/v1/interconnect), and route simulation (GET /api/v1/route): what
// the switch would decide for a number and a caller, without a call.
import { getJSON, el, table, field, showFieldError, clearFieldErrors } from '../app.js';

function skipOf(t, st) {
  if (!st) return 'unknown';
  if (!st.up) return `down${st.reason ? ` (${st.reason})` : ''}`;
  if (t.max_channels && st.channels >= t.max_channels) return 'channels full';
  if (t.max_cps && st.cps >= t.max_cps) return 'cps full';
  return '';
}

export async function render(root) {
  const doc = await getJSON('/api/v1/interconnect');
  const status = Object.fromEntries((doc.status || []).map((s) => [s.trunk, s]));
  const trunks = Object.fromEntries((doc.trunks || []).map((t) => [t.name, t]));

  root.append(el('h1', {}, 'Trunks'));
  root.append((doc.trunks || []).length ? table(['Trunk', 'Carrier', 'Address', 'Health', 'Channels', 'CPS'],
    doc.trunks.map((t) => {
      const st = status[t.name] || {};
      return el('tr', { 'data-trunk': t.name }, el('td', {}, t.name), el('td', {}, t.carrier),
        el('td', {}, `${t.address} ${t.transport || ''}`),
        el('td', { class: st.up ? 'up' : 'down' }, st.up ? 'up' : `down${st.reason ? `: ${st.reason}` : ''}`),
        el('td', { class: 'num' }, `${st.channels || 0} / ${t.max_channels || '∞'}`),
        el('td', { class: 'num' }, `${(st.cps || 0).toFixed(1)} / ${t.max_cps || '∞'}`));
    }), { id: 'trunks' }) : el('p', { class: 'muted' }, 'No trunks defined.'));

  // Failover state: each route's trunks in the order tried, the first
  // usable one active, the rest standby or skipped with why.
  root.append(el('h2', {}, 'Routes and failover state'));
  root.append((doc.routes || []).length ? table(['Prefix', 'Trunks in order (state now)'],
    doc.routes.map((r) => {
      if (r.by_carrier) return el('tr', {}, el('td', {}, r.prefix), el('td', {}, "by the number's carrier (segments, portability)"));
      let active = false;
      const parts = (r.trunks || []).map((name, i) => {
        const why = skipOf(trunks[name] || {}, status[name]);
        let state = why ? `skipped: ${why}` : (active ? 'standby' : 'active');
        if (!why) active = true;
        const w = r.weights && r.weights[i] ? ` w${r.weights[i]}` : '';
        return `${name}${w} [${state}]`;
      });
      return el('tr', {}, el('td', {}, r.prefix), el('td', {}, parts.join(' → ')));
    }), { id: 'routes' }) : el('p', { class: 'muted' }, 'No routes defined: the switch calls registered users only.'));

  const out = el('div', { id: 'route-result' });
  const form = el('form', { class: 'inline', id: 'route-form', novalidate: true },
    field('Number', 'number', { placeholder: '13800138000' }),
    field('Caller (subscriber)', 'caller', { placeholder: '6000' }),
    el('button', { type: 'submit' }, 'Simulate'));
  root.append(el('h2', {}, 'Route simulation'),
    el('p', { class: 'muted' }, 'The decision a call would get now, and why. No call is placed and nothing is recorded.'),
    form, out);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearFieldErrors(form);
    out.replaceChildren();
    const q = new URLSearchParams({ number: form.number.value, caller: form.caller.value });
    let s;
    try { s = await getJSON(`/api/v1/route?${q}`); } catch (e) { showFieldError(form, e); return; }
    const d = s.decision;
    const facts = [['Dialled', s.dialled], ['Number (E.164)', s.number || '—']];
    if (d) {
      facts.push(['Prefix', d.prefix || '—'], ['Carrier', d.carrier ? `${d.carrier}${d.carrier_source ? ` (from ${d.carrier_source})` : ''}` : '—']);
      if (d.mvno_fallback) facts.push(['MVNO fallback', "the number's MVNO has no trunks: its host's were offered"]);
      facts.push(['Reason', d.reason || '']);
    }
    facts.push(['Outcome', s.code ? `refused: ${s.code} ${s.reason}` : `sent to trunk ${d.chosen}`]);
    out.append(el('dl', {}, facts.map(([k, v]) => [el('dt', {}, k), el('dd', {}, v)])));
    out.append(el('p', {}, 'Chosen trunk: ', el('span', { id: 'route-chosen', class: 'chosen' }, (d && d.chosen) || 'none')));
    if (d && d.candidates) {
      out.append(table(['Candidate', 'Carrier', 'Verdict'], d.candidates.map((c) => el('tr', {},
        el('td', { class: c.trunk === d.chosen ? 'chosen' : '' }, c.trunk), el('td', {}, c.carrier),
        el('td', {}, c.skip ? `skipped: ${c.skip}` : (c.trunk === d.chosen ? 'chosen' : 'eligible (failover)'))))));
    }
    for (const n of s.notes || []) out.append(el('p', { class: 'muted' }, n));
  });
}
