// The map of a tenant's sites and the links between them: sites on a circle, one arrow per link
// (source → destination), thicker with more jobs, coloured by how its jobs went. Each arrow links
// to the link's page and has a text label, so the map works from the keyboard and in a reader.

import { h, linkHref, linkName, s } from './ui.js';

/** The worst thing a link's jobs say: failed > running > ok. */
export function linkHealth(link) {
  const st = link.states;
  if ((st.FAILED || 0) + (st.PARTIALLY_SUCCEEDED || 0) > 0 || link.filesFailed > 0) return 'bad';
  if ((st.RUNNING || 0) + (st.PLANNING || 0) + (st.SUBMITTED || 0) > 0) return 'busy';
  return 'ok';
}

export function linkMap(siteNames, links) {
  const names = [...new Set([...siteNames, ...links.flatMap((l) => [l.src, l.dst])])].sort();
  const width = 760;
  const height = names.length <= 2 ? 200 : names.length === 3 ? 270 : 340;
  const cx = width / 2;
  const cy = height / 2;
  const r = names.length <= 2 ? 250 : names.length === 3 ? 125 : Math.min(width, height) / 2 - 56;
  const pos = new Map();
  names.forEach((n, i) => {
    const a = names.length <= 2 ? Math.PI + i * Math.PI : -Math.PI / 2 + (2 * Math.PI * i) / names.length;
    pos.set(n, { x: cx + r * Math.cos(a), y: cy + r * Math.sin(a) });
  });
  // Centre the drawing vertically (an odd number of sites on a circle is lopsided).
  const ys = [...pos.values()].map((p) => p.y);
  const shift = cy - (Math.min(...ys) + Math.max(...ys)) / 2;
  for (const p of pos.values()) p.y += shift;

  const svg = s(
    'svg',
    {
      viewBox: `0 0 ${width} ${height}`,
      class: 'linkmap',
      role: 'group',
      'aria-label': `Map of ${names.length} sites and ${links.length} links`,
    },
    s(
      'defs',
      null,
      ['ok', 'busy', 'bad'].map((k) =>
        s(
          'marker',
          // userSpaceOnUse: the head keeps its size however thick the line is.
          { id: `arrow-${k}`, viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 14, markerHeight: 14, markerUnits: 'userSpaceOnUse', orient: 'auto-start-reverse' },
          s('path', { d: 'M0,0 L10,5 L0,10 z', class: `arrowhead ${k}` }),
        ),
      ),
    ),
  );
  if (names.length === 0) {
    return h('p', { class: 'muted' }, 'No sites yet.');
  }
  const nodeR = 30;
  const maxJobs = Math.max(1, ...links.map((l) => l.jobs));
  for (const link of links) {
    const a = pos.get(link.src);
    const b = pos.get(link.dst);
    const health = linkHealth(link);
    const label = `${linkName(link.src, link.dst)}: ${link.jobs} job${link.jobs === 1 ? '' : 's'}`;
    const anchor = s('a', { href: linkHref(link.src, link.dst), 'aria-label': label, class: `link ${health}` });
    anchor.append(s('title', null, label));
    if (link.src === link.dst) {
      // A link within one site: a loop above the node.
      const d = `M${a.x - 12},${a.y - nodeR + 2} C${a.x - 50},${a.y - 100} ${a.x + 50},${a.y - 100} ${a.x + 12},${a.y - nodeR + 2}`;
      anchor.append(s('path', { d, class: 'edge', 'marker-end': `url(#arrow-${health})` }));
      anchor.append(s('text', { x: a.x, y: a.y - 84, 'text-anchor': 'middle', class: 'edge-label' }, String(link.jobs)));
    } else {
      const dx = b.x - a.x;
      const dy = b.y - a.y;
      const len = Math.hypot(dx, dy);
      const ux = dx / len;
      const uy = dy / len;
      // Bend every arrow to its left, so that A → B and B → A never overlap.
      const bend = 28;
      const mx = (a.x + b.x) / 2 + uy * bend;
      const my = (a.y + b.y) / 2 - ux * bend;
      const sx = a.x + ux * nodeR;
      const sy = a.y + uy * nodeR;
      const ex = b.x - ux * (nodeR + 3);
      const ey = b.y - uy * (nodeR + 3);
      const strokeWidth = 2 + 5 * Math.sqrt(link.jobs / maxJobs);
      anchor.append(
        s('path', {
          d: `M${sx},${sy} Q${mx},${my} ${ex},${ey}`,
          class: 'edge',
          style: { strokeWidth: `${strokeWidth}px` },
          'marker-end': `url(#arrow-${health})`,
        }),
      );
      const lx = (sx + 2 * mx + ex) / 4;
      const ly = (sy + 2 * my + ey) / 4;
      anchor.append(
        s('rect', { x: lx - 26, y: ly - 11, width: 52, height: 20, rx: 10, class: 'edge-pill' }),
        s('text', { x: lx, y: ly + 4, 'text-anchor': 'middle', class: 'edge-label' }, `${link.jobs} job${link.jobs === 1 ? '' : 's'}`),
      );
    }
    svg.append(anchor);
  }
  for (const name of names) {
    const p = pos.get(name);
    svg.append(
      s(
        'g',
        { class: 'site-node' },
        s('circle', { cx: p.x, cy: p.y, r: nodeR }),
        s('text', { x: p.x, y: p.y + 4, 'text-anchor': 'middle' }, name.length > 9 ? name.slice(0, 8) + '…' : name),
        s('title', null, `site ${name}`),
      ),
    );
  }
  return h(
    'figure',
    { class: 'map' },
    svg,
    h(
      'figcaption',
      { class: 'legend' },
      h('span', null, h('span', { class: 'swatch ok', 'aria-hidden': 'true' }), 'all jobs succeeded'),
      h('span', null, h('span', { class: 'swatch busy', 'aria-hidden': 'true' }), 'jobs in progress'),
      h('span', null, h('span', { class: 'swatch bad', 'aria-hidden': 'true' }), 'failed jobs or files'),
    ),
  );
}

/** Links from jobs: per (source site, destination site), jobs by state and files/bytes. */
export function linksFromJobs(jobs) {
  const byKey = new Map();
  for (const job of jobs) {
    const src = job.source.site;
    const dst = job.destination.site;
    const key = `${src}\u0000${dst}`;
    let link = byKey.get(key);
    if (!link) {
      link = { src, dst, jobs: 0, states: {}, filesDone: 0, filesFailed: 0, bytesDone: 0, bytesFailed: 0, lastAt: null };
      byKey.set(key, link);
    }
    link.jobs++;
    link.states[job.state] = (link.states[job.state] || 0) + 1;
    link.filesDone += job.progress.files.done;
    link.filesFailed += job.progress.files.failed;
    link.bytesDone += job.progress.bytes.done;
    link.bytesFailed += job.progress.bytes.failed;
    if (!link.lastAt || job.updatedAt > link.lastAt) link.lastAt = job.updatedAt;
  }
  return [...byKey.values()].sort((a, b) => a.src.localeCompare(b.src) || a.dst.localeCompare(b.dst));
}
