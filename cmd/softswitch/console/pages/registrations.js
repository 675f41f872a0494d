// Registrations: GET /api/v1/registrations (contacts only; no secret is
// part of a binding).
import { getJSON, el, table, fmtTime } from '../app.js';

export async function render(root) {
  const regs = await getJSON('/api/v1/registrations');
  const rows = [];
  for (const r of regs || []) {
    for (const c of r.contacts || []) {
      rows.push(el('tr', {}, el('td', {}, r.aor), el('td', {}, c.contact), el('td', {}, c.transport || ''),
        el('td', {}, c.source || ''), el('td', {}, fmtTime(c.expires_at))));
    }
  }
  root.append(el('h1', {}, `Registrations (${rows.length})`),
    rows.length ? table(['AOR', 'Contact', 'Transport', 'Source', 'Expires'], rows, { id: 'registrations' })
      : el('p', { class: 'muted' }, 'No registered contacts.'));
}
