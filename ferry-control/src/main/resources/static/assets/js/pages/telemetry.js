// Anomalies and Consistency: pages over telemetry endpoints that a control plane may not have
// yet. On 404 they say so; otherwise they show what the API answers, without assuming more of
// its shape than a time, a link and a few well-known fields.

import { optional } from '../api.js';
import {
  compact,
  dl,
  fill,
  fmtNumber,
  fmtPercent,
  fmtRate,
  fmtSeconds,
  h,
  linkHref,
  linkName,
  notAvailable,
  problemBox,
  section,
  table,
  time,
} from '../ui.js';

/** The rows of a document that is an array or an object holding one. */
export function anomalyRows(doc) {
  if (Array.isArray(doc)) return doc;
  if (doc && typeof doc === 'object') return doc.items || doc.anomalies || doc.links || doc.checks || [];
  return [];
}

const srcOf = (r) => r.src || r.srcSite || r.sourceSite || (r.link && r.link.src) || (r.source && (r.source.site || r.source));
const dstOf = (r) => r.dst || r.dstSite || r.destinationSite || (r.link && r.link.dst) || (r.destination && (r.destination.site || r.destination));

export function isOnLink(row, src, dst) {
  return srcOf(row) === src && dstOf(row) === dst;
}

export function anomalyTime(row) {
  const v = row.at || row.time || row.timestamp || row.windowStart || row.detectedAt;
  return typeof v === 'number' ? v : Date.parse(v);
}

const KNOWN = new Set(['src', 'dst', 'srcSite', 'dstSite', 'sourceSite', 'destinationSite', 'link', 'source', 'destination']);

/** A table of objects whose fields are not known in advance; the link first when there is one. */
function genericTable(rows, caption, empty) {
  const keys = [];
  for (const r of rows.slice(0, 200)) {
    for (const k of Object.keys(r || {})) if (!KNOWN.has(k) && !keys.includes(k)) keys.push(k);
  }
  const hasLink = rows.some((r) => srcOf(r) && dstOf(r));
  const columns = [];
  if (hasLink) {
    columns.push({
      label: 'Link',
      cell: (r) => (srcOf(r) && dstOf(r) ? h('a', { href: linkHref(srcOf(r), dstOf(r)) }, linkName(srcOf(r), dstOf(r))) : '—'),
    });
  }
  for (const k of keys.slice(0, 10)) {
    columns.push({
      label: k,
      numeric: rows.every((r) => r[k] === undefined || typeof r[k] === 'number'),
      cell: (r) => (/(^at$|time|At$)/.test(k) && typeof r[k] === 'string' ? time(r[k]) : compact(r[k])),
    });
  }
  return table(columns, rows, { caption, empty });
}

// How to show each window feature the detector scores (GET /api/v1/anomalies: features/expected).
const FEATURES = {
  throughputBytesPerSecond: ['throughput', fmtRate],
  p95DurationSeconds: ['p95 duration', fmtSeconds],
  failureRatio: ['failure ratio', fmtPercent],
  transfers: ['transfers per window', fmtNumber],
};

function featureValue(key, value) {
  const [, format] = FEATURES[key] || [key, compact];
  return value === null || value === undefined ? '—' : format(value);
}

/** The detector's own shape: the feature to blame, what was seen and what the model expected. */
function anomalyTable(rows, caption, empty) {
  return table(
    [
      { label: 'Window', cell: (r) => time(r.windowStart) },
      { label: 'Link', cell: (r) => h('a', { href: linkHref(srcOf(r), dstOf(r)) }, linkName(srcOf(r), dstOf(r))) },
      { label: 'Feature to blame', cell: (r) => (FEATURES[r.feature] || [r.feature])[0] },
      { label: 'Seen', numeric: true, cell: (r) => featureValue(r.feature, r.features[r.feature]) },
      { label: 'Expected', numeric: true, cell: (r) => featureValue(r.feature, r.expected && r.expected[r.feature]) },
      { label: 'Score', numeric: true, cell: (r) => fmtNumber(r.score) },
      { label: 'Grade', numeric: true, cell: (r) => fmtNumber(r.grade) },
    ],
    rows,
    { caption, empty },
  );
}

function page(title, path, intro, renderData) {
  return async (ctx) => {
    const view = h('div', { class: 'page', dataset: { title } });
    const body = h('div');
    const load = async () => {
      let result;
      try {
        result = await optional(path, { signal: ctx.signal });
      } catch (e) {
        if (e.name === 'AbortError') throw e;
        fill(body, problemBox(e, title));
        return;
      }
      fill(body, result.available ? renderData(result.data) : notAvailable(title, path, result.error));
    };
    await load();
    ctx.every(15_000, load);
    view.append(h('div', { class: 'page-head' }, h('div', null, h('h1', null, title), h('p', { class: 'muted' }, intro))), body);
    return view;
  };
}

export const anomalies = {
  render: page(
    'Anomalies',
    '/api/v1/anomalies',
    'Links whose throughput, latency, failure ratio or volume left their usual range, as the detector graded them.',
    (doc) => {
      const rows = [...anomalyRows(doc)].sort((a, b) => (anomalyTime(b) || 0) - (anomalyTime(a) || 0));
      const caption = 'Anomalies, newest first';
      const empty = 'No anomalies: every link is within its usual range.';
      const graded = rows.length > 0 && rows.every((r) => r && r.feature && r.features);
      return section('Recent anomalies', graded ? anomalyTable(rows, caption, empty) : genericTable(rows, caption, empty));
    },
  ),
};

export const consistency = {
  render: page(
    'Consistency',
    '/api/v1/consistency',
    'Whether the database, the transfer facts on Kafka, the stream totals and the exported metrics agree, per link.',
    (doc) => {
      const rows = anomalyRows(doc);
      const scalars =
        doc && typeof doc === 'object' && !Array.isArray(doc)
          ? Object.entries(doc).filter(([, v]) => v === null || typeof v !== 'object')
          : [];
      const status = doc && (doc.status || doc.state || (doc.ok === true ? 'ok' : doc.ok === false ? 'drift' : null));
      return [
        status
          ? h('p', { class: ['consistency-status', /^(ok|consistent|pass)/i.test(String(status)) ? 'good' : 'bad'] }, `Status: ${status}`)
          : null,
        scalars.length ? section('Summary', dl(scalars.map(([k, v]) => [k, /(^at$|time|At$)/.test(k) ? time(v) : compact(v)]))) : null,
        section('Per link', genericTable(rows, 'Checks per link', 'No per-link checks in the report.')),
      ];
    },
  ),
};
