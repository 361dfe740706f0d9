// A small SVG line chart for time series: time on x, one or more series on y, optional markers
// (anomalies) as vertical lines. Scales to its container through the viewBox.

import { fmtNumber, h, s } from './ui.js';

function niceStep(range, count) {
  const raw = range / Math.max(1, count);
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const norm = raw / mag;
  return (norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10) * mag;
}

function yTicks(min, max, count = 5) {
  if (min === max) {
    max = min === 0 ? 1 : min + Math.abs(min) * 0.1;
  }
  const step = niceStep(max - min, count);
  const lo = Math.floor(min / step) * step;
  const hi = Math.ceil(max / step) * step;
  const ticks = [];
  for (let v = lo; v <= hi + step / 2; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

const pad = (n) => String(n).padStart(2, '0');

function timeLabel(ms, spanMs) {
  const d = new Date(ms);
  if (spanMs > 2 * 86400e3) return `${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}h`;
  return `${pad(d.getHours())}:${pad(d.getMinutes())}${spanMs < 600e3 ? ':' + pad(d.getSeconds()) : ''}`;
}

/**
 * series: [{name, points: [{t: epochMillis, v: number}]}]; markers: [{t, label}].
 * Returns a <figure> with the chart, a legend and a text summary for screen readers.
 */
export function lineChart({ title, series, markers = [], format = fmtNumber, width = 560, height = 220 }) {
  const m = { top: 12, right: 12, bottom: 28, left: 70 };
  const w = width - m.left - m.right;
  const hgt = height - m.top - m.bottom;
  const all = series.flatMap((x) => x.points);
  const figure = h('figure', { class: 'chart' });
  if (all.length === 0) {
    figure.append(h('figcaption', null, title), h('p', { class: 'muted' }, 'No data points in this period.'));
    return figure;
  }
  const ts = all.map((p) => p.t);
  let t0 = Math.min(...ts);
  let t1 = Math.max(...ts);
  if (t0 === t1) {
    t0 -= 30e3;
    t1 += 30e3;
  }
  const vs = all.map((p) => p.v);
  const ticks = yTicks(Math.min(0, ...vs), Math.max(...vs));
  const v0 = ticks[0];
  const v1 = ticks[ticks.length - 1];
  const x = (t) => m.left + ((t - t0) / (t1 - t0)) * w;
  const y = (v) => m.top + hgt - ((v - v0) / (v1 - v0 || 1)) * hgt;

  const svg = s('svg', {
    viewBox: `0 0 ${width} ${height}`,
    class: 'chart-svg',
    role: 'img',
    'aria-label': title,
    preserveAspectRatio: 'xMidYMid meet',
  });
  const grid = s('g', { class: 'grid' });
  for (const v of ticks) {
    grid.append(
      s('line', { x1: m.left, x2: m.left + w, y1: y(v), y2: y(v) }),
      s('text', { x: m.left - 8, y: y(v) + 4, 'text-anchor': 'end', class: 'tick' }, format(v)),
    );
  }
  const xCount = Math.max(2, Math.min(6, Math.floor(w / 100)));
  for (let i = 0; i <= xCount; i++) {
    const t = t0 + ((t1 - t0) * i) / xCount;
    grid.append(
      s('line', { x1: x(t), x2: x(t), y1: m.top + hgt, y2: m.top + hgt + 5, class: 'axis' }),
      s(
        'text',
        { x: x(t), y: m.top + hgt + 19, 'text-anchor': i === 0 ? 'start' : i === xCount ? 'end' : 'middle', class: 'tick' },
        timeLabel(t, t1 - t0),
      ),
    );
  }
  grid.append(s('line', { x1: m.left, x2: m.left + w, y1: m.top + hgt, y2: m.top + hgt, class: 'axis' }));
  svg.append(grid);

  for (const mk of markers) {
    if (mk.t < t0 || mk.t > t1) continue;
    svg.append(
      s(
        'line',
        { x1: x(mk.t), x2: x(mk.t), y1: m.top, y2: m.top + hgt, class: 'marker' },
        s('title', null, mk.label || 'anomaly'),
      ),
    );
  }

  series.forEach((ser, i) => {
    const pts = [...ser.points].sort((a, b) => a.t - b.t);
    const d = pts.map((p, j) => `${j === 0 ? 'M' : 'L'}${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`).join('');
    svg.append(s('path', { d, class: `line series-${i % 6}` }));
    if (pts.length <= 60) {
      for (const p of pts) {
        svg.append(
          s(
            'circle',
            { cx: x(p.t), cy: y(p.v), r: 2.5, class: `dot series-${i % 6}` },
            s('title', null, `${ser.name} ${new Date(p.t).toISOString()}: ${format(p.v)}`),
          ),
        );
      }
    }
  });

  const summary = series
    .map((ser) => {
      const values = ser.points.map((p) => p.v);
      return `${ser.name}: ${values.length} points, min ${format(Math.min(...values))}, max ${format(
        Math.max(...values),
      )}, last ${format(ser.points[ser.points.length - 1].v)}`;
    })
    .join('; ');
  figure.append(
    h('figcaption', null, title),
    svg,
    h(
      'ul',
      { class: 'legend' },
      series.map((ser, i) => h('li', null, h('span', { class: `swatch series-${i % 6}`, 'aria-hidden': 'true' }), ser.name)),
      markers.length ? h('li', null, h('span', { class: 'swatch marker', 'aria-hidden': 'true' }), 'anomaly') : null,
    ),
    h('p', { class: 'sr-only' }, summary),
  );
  return figure;
}

const TIME_KEYS = ['t', 'time', 'at', 'timestamp', 'windowStart', 'start', 'from'];

/**
 * Turns a series document of unknown exact shape into chart series: an array of points, or an
 * object holding one ({points|items|series|windows}), each point with a time field and numeric
 * fields; every numeric field becomes a series. Returns [] when nothing fits.
 */
export function seriesFrom(doc) {
  let rows = doc;
  if (rows && !Array.isArray(rows) && typeof rows === 'object') {
    rows = rows.points || rows.items || rows.windows || rows.series || [];
  }
  if (!Array.isArray(rows)) return [];
  const byName = new Map();
  for (const row of rows) {
    if (!row || typeof row !== 'object') continue;
    const key = TIME_KEYS.find((k) => row[k] !== undefined);
    if (!key) continue;
    const t = typeof row[key] === 'number' ? row[key] : Date.parse(row[key]);
    if (Number.isNaN(t)) continue;
    for (const [name, v] of Object.entries(row)) {
      if (name === key || typeof v !== 'number' || TIME_KEYS.includes(name)) continue;
      if (!byName.has(name)) byName.set(name, []);
      byName.get(name).push({ t, v });
    }
  }
  return [...byName.entries()].map(([name, points]) => ({ name, points }));
}
