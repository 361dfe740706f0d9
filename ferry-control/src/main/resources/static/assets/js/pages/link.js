// One link (source site → destination site): throughput and latency over time with anomalies
// marked when the telemetry API exists, and the link's jobs.

import { enc, optional, recentJobs } from '../api.js';
import { lineChart, seriesFrom } from '../chart.js';
import { linksFromJobs } from '../linkmap.js';
import {
  dl,
  fill,
  fmtBytes,
  fmtCount,
  fmtNumber,
  fmtPercent,
  fmtRate,
  fmtSeconds,
  h,
  linkName,
  notAvailable,
  problemBox,
  section,
  stateBadge,
} from '../ui.js';
import { jobsTable } from './jobs.js';
import { anomalyRows, anomalyTime, isOnLink } from './telemetry.js';

const RECENT = 1000;

export async function render(ctx, [src, dst]) {
  const { signal } = ctx;
  const seriesPath = `/api/v1/links/${enc(src)}/${enc(dst)}/series`;
  const view = h('div', { class: 'page', dataset: { title: `Link ${linkName(src, dst)}` } });
  const seriesArea = h('div');
  const jobsArea = h('div');

  async function load() {
    const [series, anomalies, jobs] = await Promise.allSettled([
      optional(seriesPath, { signal }),
      optional('/api/v1/anomalies', { signal }),
      recentJobs({ site: src, max: RECENT, signal }),
    ]);
    if (!ctx.alive) return;
    fill(seriesArea, renderSeries(series, anomalies, seriesPath, src, dst));
    fill(jobsArea, renderJobs(jobs, src, dst));
  }
  await load();
  ctx.every(10_000, load);

  view.append(
    h(
      'div',
      { class: 'page-head' },
      h(
        'div',
        null,
        h('p', { class: 'crumbs' }, h('a', { href: '#/overview' }, 'Overview'), ' / link'),
        h('h1', null, 'Link ', h('span', { class: 'link-name' }, linkName(src, dst))),
      ),
      h('p', { class: 'muted small' }, 'Refreshes every 10 s'),
    ),
    seriesArea,
    jobsArea,
  );
  return view;
}

const LABELS = {
  throughputP50BytesPerSecond: 'median throughput',
  durationP95Seconds: 'p95 duration',
  failureRatio: 'failure ratio',
  bytes: 'bytes',
};

// One chart per kind of quantity; the series endpoint answers SeriesPoint windows (start, end,
// succeeded, failed, bytes, failureRatio, durationP95Seconds, throughputP50BytesPerSecond).
const CHARTS = [
  { title: 'Throughput (median per transfer)', match: /throughput|bytesPerSecond/i, format: fmtRate },
  { title: 'Duration (95th percentile)', match: /duration|latency/i, format: fmtSeconds },
  { title: 'Transfers per window', match: /^(succeeded|failed|skipped)$/, format: fmtNumber },
  { title: 'Failure ratio', match: /ratio/i, format: fmtPercent },
  { title: 'Bytes per window', match: /^bytes$/, format: fmtBytes },
];

function renderSeries(series, anomalies, path, src, dst) {
  const title = 'Throughput and latency over time';
  if (series.status === 'rejected') return section(title, problemBox(series.reason, 'Series'));
  if (!series.value.available) return section(title, notAvailable(title, path, series.value.error));
  const all = seriesFrom(series.value.data).map((x) => ({ ...x, name: LABELS[x.name] || x.name }));
  if (all.length === 0) {
    return section(title, h('p', { class: 'muted' }, 'No windows for this link in the last hour.'));
  }
  const markers =
    anomalies.status === 'fulfilled' && anomalies.value.available
      ? anomalyRows(anomalies.value.data)
          .filter((a) => isOnLink(a, src, dst))
          .map((a) => ({ t: anomalyTime(a), label: `anomaly${a.feature ? ': ' + a.feature : ''}${a.score ? ', score ' + fmtNumber(a.score) : ''}` }))
          .filter((m) => !Number.isNaN(m.t))
      : [];
  const used = new Set();
  const charts = CHARTS.map((c) => {
    const picked = all.filter((x) => !used.has(x.name) && c.match.test(x.name));
    picked.forEach((x) => used.add(x.name));
    return picked.length ? lineChart({ title: c.title, series: picked, markers, format: c.format }) : null;
  });
  const rest = all.filter((x) => !used.has(x.name));
  return section(
    title,
    h('p', { class: 'muted small' }, 'Closed windows of the last hour; anomalies marked.'),
    h('div', { class: 'charts' }, charts, rest.length ? lineChart({ title: 'Other', series: rest, markers }) : null),
  );
}

function renderJobs(jobs, src, dst) {
  if (jobs.status === 'rejected') return section('Jobs on this link', problemBox(jobs.reason, 'Jobs'));
  const items = jobs.value.items.filter((j) => j.source.site === src && j.destination.site === dst);
  const [link] = linksFromJobs(items);
  return section(
    'Jobs on this link',
    link
      ? dl(
          [
            ['Jobs', fmtCount(link.jobs)],
            ['By state', h('span', { class: 'state-counts' }, Object.entries(link.states).map(([st, n]) => h('span', null, stateBadge(st), ' ', fmtCount(n))))],
            ['Files done / failed', `${fmtCount(link.filesDone)} / ${fmtCount(link.filesFailed)}`],
            ['Bytes done / failed', `${fmtBytes(link.bytesDone)} / ${fmtBytes(link.bytesFailed)}`],
          ],
          'facts inline',
        )
      : null,
    jobsTable(items, {
      caption: `Jobs from ${src} to ${dst}, newest first${jobs.value.truncated ? ` (among the ${RECENT} most recent jobs at ${src})` : ''}`,
      empty: `No jobs from ${src} to ${dst}.`,
    }),
  );
}
