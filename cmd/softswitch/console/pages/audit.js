// The audit log (GET /api/v1/audit): every admin change, who made it
// (the token's name, never the token), when, and what it changed, read
// from the event log.
import { getJSON, el, table, fmtTime } from '../app.js';

export async function render(root) {
  const list = await getJSON('/api/v1/audit');
  root.append(el('h1', {}, `Audit log (${list.length})`),
    list.length ? table(['When', 'Who', 'Request', 'Answer', 'Changes'], list.slice().reverse().map((e) => el('tr', {},
      el('td', {}, fmtTime(e.time)), el('td', {}, e.by || '(no token configured)'),
      el('td', {}, `${e.method} ${e.path}`), el('td', { class: 'num' }, e.status),
      el('td', {}, (e.changes || []).join(', ')))), { id: 'audit' })
      : el('p', { class: 'muted' }, 'No admin change recorded yet.'));
}
