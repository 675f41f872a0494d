// Live calls: GET /api/v1/calls/stream is server-sent events read with
// fetch() (EventSource cannot send the bearer token). Each "calls" event
// replaces the table; durations tick every second on the switch's clock.
import { api, el, table, fmtDuration, showStatus, ApiError } from '../app.js';

function legText(l) {
  if (!l) return '';
  const where = l.trunk ? `trunk ${l.trunk}${l.carrier ? ` (${l.carrier})` : ''}` : (l.target || '').replace(/^sip:/, '');
  return `${l.leg} ${where || l.peer}${l.ended ? ' (ended)' : ''}`;
}

function mosText(c) {
  if (!c.quality || !c.quality.length) return (c.media && c.media.length) ? 'anchored, no stats yet' : 'not anchored';
  return c.quality.map((q) => `${q.leg}: ${q.mos ? q.mos.toFixed(2) : '–'}`).join('  ');
}

export async function render(root) {
  const count = el('span', { id: 'calls-count' }, '…');
  const body = el('tbody');
  const empty = el('p', { id: 'calls-empty', class: 'muted' }, 'No active calls.');
  const tbl = table(['Call', 'Caller', 'Callee', 'A-leg', 'B-leg', 'Trunk', 'State', 'Duration', 'MOS'], [], { id: 'calls' });
  tbl.replaceChild(body, tbl.querySelector('tbody'));
  const live = el('span', { id: 'calls-live', class: 'muted' }, 'connecting…');
  root.append(el('h1', {}, 'Live calls ', count), live, tbl, empty);

  let calls = [], skew = 0; // skew: switch clock minus browser clock
  const draw = () => {
    const now = Date.now() + skew;
    body.replaceChildren(...calls.map((c) => {
      const legs = c.legs || [];
      const a = legs.find((l) => l.side === 'a');
      const bs = legs.filter((l) => l.side === 'b');
      const b = bs.filter((l) => !l.ended).pop() || bs[bs.length - 1];
      const trunk = bs.map((l) => l.trunk).filter(Boolean).pop() || '';
      const answered = c.answered ? Date.parse(c.answered) : 0;
      return el('tr', { 'data-call-id': c.call_id, 'data-sip-call-id': c.sip_call_id },
        el('td', { title: c.call_id }, c.call_id.slice(0, 12)), el('td', {}, c.caller), el('td', {}, c.callee),
        el('td', {}, legText(a)), el('td', {}, legText(b)), el('td', {}, trunk),
        el('td', {}, answered ? 'answered' : 'setting up'),
        el('td', { class: 'num' }, fmtDuration(now - Date.parse(c.start))),
        el('td', { class: 'mos' }, mosText(c)));
    }));
    count.textContent = `(${calls.length})`;
    empty.hidden = calls.length > 0;
  };
  const ticker = setInterval(draw, 1000);
  const abort = new AbortController();

  (async () => {
    // Reconnects after a dropped stream, not after a refusal.
    while (!abort.signal.aborted) {
      try {
        const res = await api('/api/v1/calls/stream', { signal: abort.signal });
        live.textContent = 'live';
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        let buf = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buf += value;
          let i;
          while ((i = buf.indexOf('\n\n')) >= 0) {
            const frame = buf.slice(0, i);
            buf = buf.slice(i + 2);
            const data = frame.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n');
            if (!data) continue; // a ping
            const snap = JSON.parse(data);
            skew = Date.parse(snap.now) - Date.now();
            calls = snap.calls || [];
            draw();
          }
        }
      } catch (e) {
        if (abort.signal.aborted) return;
        if (e instanceof ApiError) { live.textContent = `stream refused: ${e.status}`; return; }
        showStatus(`live calls stream: ${e.message}`);
      }
      live.textContent = 'reconnecting…';
      await new Promise((r) => setTimeout(r, 2000));
    }
  })();
  return () => { abort.abort(); clearInterval(ticker); };
}
