// Campaigns from the dialer (GET /api/v1/campaigns) with their counters,
// and pause/resume (POST /api/v1/campaigns/{name}/pause|resume), offered
// to a write token; a read token's attempt is refused 403 by the server.
import { api, getJSON, el, table, me, showStatus, ApiError } from '../app.js';

export async function render(root) {
  root.append(el('h1', {}, 'Campaigns'));
  const out = el('div', { id: 'campaigns' });
  root.append(out);
  const load = async () => {
    let list;
    try { list = await getJSON('/api/v1/campaigns'); } catch (e) {
      if (e instanceof ApiError && e.status === 404) { out.replaceChildren(el('p', { class: 'muted' }, e.message)); return; }
      throw e;
    }
    if (!list || !list.length) { out.replaceChildren(el('p', { class: 'muted' }, 'No campaigns.')); return; }
    const counterNames = [...new Set(list.flatMap((c) => Object.keys(c.counters || {})))];
    out.replaceChildren(table(['Campaign', 'State', ...counterNames, ''], list.map((c) => {
      const name = c.spec.name;
      const act = c.state === 'paused' ? 'resume' : 'pause';
      const btn = el('button', { type: 'button', 'data-action': act, 'data-campaign': name, title: me.scope === 'write' ? '' : 'needs a write token' }, act);
      btn.addEventListener('click', async () => {
        try {
          await api(`/api/v1/campaigns/${encodeURIComponent(name)}/${act}`, { method: 'POST' });
          showStatus('');
          await load();
        } catch (e) {
          if (e instanceof ApiError && e.status !== 401 && e.status !== 403) showStatus(`${e.status}: ${e.message}`);
        }
      });
      return el('tr', { 'data-campaign': name }, el('td', {}, name), el('td', {}, c.state),
        counterNames.map((k) => el('td', { class: 'num' }, (c.counters || {})[k] ?? '')),
        el('td', {}, (c.state === 'running' || c.state === 'paused') ? btn : ''));
    })));
  };
  await load();
  const t = setInterval(() => load().catch(() => {}), 5000);
  return () => clearInterval(t);
}
