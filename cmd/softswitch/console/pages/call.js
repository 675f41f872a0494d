// One call as `softswitch replay` shows it (GET /api/v1/calls/{id}/ladder):
// the SIP ladder drawn as SVG, legs, route decisions, media and rating.
import { getJSON, el, table, fmtTime } from '../app.js';

const SVG = 'http://www.w3.org/2000/svg';

function s(tag, attrs = {}, text) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

// ladderSVG draws columns as dashed lifelines and each message as an
// arrow between them, labelled, with its offset from the call's start.
export function ladderSVG(d) {
  const colW = 190, left = 90, top = 40, rowH = 30;
  const width = left + colW * Math.max(d.columns.length - 1, 1) + 120;
  const height = top + rowH * (d.arrows.length + 1);
  const svg = s('svg', { class: 'ladder', id: 'ladder', width, height, viewBox: `0 0 ${width} ${height}`, role: 'img' });
  svg.append(s('title', {}, 'SIP ladder'));
  const defs = s('defs');
  const marker = s('marker', { id: 'arrowhead', markerWidth: 8, markerHeight: 8, refX: 8, refY: 4, orient: 'auto' });
  marker.append(s('path', { d: 'M0,0 L8,4 L0,8 z', fill: '#1d4ed8' }));
  defs.append(marker);
  svg.append(defs);
  const x = (i) => left + i * colW;
  d.columns.forEach((c, i) => {
    svg.append(s('text', { x: x(i), y: 20, 'text-anchor': 'middle', class: 'head' }, c.length > 26 ? `${c.slice(0, 25)}…` : c));
    svg.append(s('line', { x1: x(i), y1: 28, x2: x(i), y2: height - 5, class: 'col' }));
  });
  d.arrows.forEach((a, i) => {
    const y = top + rowH * (i + 1) - 8;
    const fail = /^[3456]\d\d/.test(a.label) && !/^(407|401)/.test(a.label);
    svg.append(s('text', { x: 4, y: y + 4, fill: '#667085' }, `${(a.offset_ms / 1000).toFixed(3)}s`));
    const g = s('g', { class: 'arrow', 'data-label': a.label });
    g.append(s('title', {}, a.note || a.label));
    g.append(s('line', { x1: x(a.from), y1: y, x2: x(a.to), y2: y, class: `msg${fail ? ' fail' : ''}`, 'marker-end': 'url(#arrowhead)' }));
    g.append(s('text', { x: (x(a.from) + x(a.to)) / 2, y: y - 5, 'text-anchor': 'middle' }, a.label));
    svg.append(g);
  });
  return svg;
}

export async function render(root, id) {
  const doc = await getJSON(`/api/v1/calls/${encodeURIComponent(id)}/ladder`);
  root.append(el('h1', {}, `Call ${doc.call_id}`),
    el('p', {}, `${doc.caller} → ${doc.callee} from ${doc.source}, started ${fmtTime(doc.start)}`),
    el('h2', {}, 'SIP ladder'), ladderSVG(doc.ladder));
  root.append(el('h2', {}, 'Legs'), table(['Leg', 'Side', 'Peer', 'Trunk', 'Result'],
    doc.legs.map((l) => el('tr', {}, el('td', {}, l.leg), el('td', {}, l.side), el('td', {}, l.peer),
      el('td', {}, l.trunk ? `${l.trunk} (${l.carrier})` : ''), el('td', {}, l.result)))));
  const routeRows = doc.routes.map((r) => el('tr', {}, el('td', {}, `${(r.offset_ms / 1000).toFixed(3)}s`), el('td', {}, r.number),
    el('td', {}, r.prefix || ''), el('td', {}, r.carrier || ''),
    el('td', {}, (r.candidates || []).map((c) => `${c.trunk}${c.skip ? ` (skipped: ${c.skip})` : ''}`).join(', ')),
    el('td', { class: 'chosen' }, r.chosen || 'none'), el('td', {}, r.reason || '')));
  root.append(el('h2', {}, 'Route decisions'), doc.routes.length
    ? table(['At', 'Number', 'Prefix', 'Carrier', 'Candidates', 'Chosen', 'Reason'], routeRows, { id: 'routes' })
    : el('p', { class: 'muted' }, 'None: the call did not leave through a trunk.'));
  root.append(el('h2', {}, 'Media'), doc.media.length ? el('ul', { id: 'media' }, doc.media.map((m) => el('li', {},
    `${(m.offset_ms / 1000).toFixed(3)}s  ${m.text}`))) : el('p', { class: 'muted' }, "None: the call's media did not go through the switch."));
  const o = doc.outcome;
  root.append(el('h2', {}, 'Outcome'), o ? el('dl', { id: 'outcome' },
    [['Disposition', o.disposition], ['Code', o.code], ['Reason', o.reason || ''], ['Ended by', o.by], ['Billable s', o.billable_s]]
      .map(([k, v]) => [el('dt', {}, k), el('dd', {}, v)])) : el('p', {}, 'The call has not ended.'));
  const r = doc.rating;
  root.append(el('h2', {}, 'Rating'), r ? el('dl', { id: 'rating' },
    [['Status', r.rating_status || 'not rated yet'], ['Price', r.price ? `${r.price} ${r.currency} (${r.rate_deck}, prefix ${r.rate_prefix})` : '—'],
      ['Cost', r.cost ? `${r.cost} ${r.cost_currency} (${r.cost_deck}, prefix ${r.cost_prefix})` : '—']]
      .map(([k, v]) => [el('dt', {}, k), el('dd', {}, v)])) : el('p', { class: 'muted' }, 'No CDR for the call yet.'));
}
