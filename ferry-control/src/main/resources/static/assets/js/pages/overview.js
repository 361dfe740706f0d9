// Overview: the tenant's links (derived from its recent jobs) on a map and in a table, live
// telemetry panels when the control plane has them, and the sites and endpoints.

import { api, optional, recentJobs } from '../api.js';
import { linkHealth, linkMap, linksFromJobs } from '../linkmap.js';
import {
  fill,
  fmtBytes,
  fmtCount,
  fmtPercent,
  fmtRate,
  h,
  linkHref,
  linkName,
  notAvailable,
  problemBox,
  section,
  stateBadge,
  table,
  time,
} from '../ui.js';

const RECENT = 1000;
const STATE_ORDER = ['RUNNING', 'PLANNING', 'SUBMITTED', 'SUCCEEDED', 'PARTIALLY_SUCCEEDED', 'FAILED', 'CANCELLED'];

export async function render(ctx) {
  const view = h('div', { class: 'page', dataset: { title: 'Overview' } });
  const header = h(
    'div',
    { class: 'page-head' },
    h('h1', null, 'Overview'),
    h('p', { class: 'muted', id: 'overview-updated' }),
  );
  const linksSection = h('div');
  const telemetrySection = h('div');
  const sitesSection = h('div');

  async function load() {
    const { signal } = ctx;
    const [sites, endpoints, jobs, live] = await Promise.allSettled([
      api('/api/v1/sites', { signal }),
      api('/api/v1/endpoints', { signal }),
      recentJobs({ max: RECENT, signal }),
      optional('/api/v1/links', { signal }),
    ]);
    if (!ctx.alive) return;
    fill(linksSection, renderLinks(sites, jobs));
    fill(telemetrySection, renderTelemetry(live));
    fill(sitesSection, renderSites(sites, endpoints));
    fill(header.querySelector('#overview-updated'), 'Updated ', time(new Date().toISOString()), ' · refreshes every 10 s');
  }

  await load();
  ctx.every(10_000, load);
  view.append(header, linksSection, telemetrySection, sitesSection);
  return view;
}

function renderLinks(sites, jobs) {
  if (jobs.status === 'rejected') return section('Links', problemBox(jobs.reason, 'Jobs'));
  const links = linksFromJobs(jobs.value.items);
  const siteNames = sites.status === 'fulfilled' ? sites.value.map((x) => x.name) : [];
  const n = jobs.value.items.length;
  const scope = jobs.value.truncated ? `the ${fmtCount(n)} most recent jobs` : `all ${fmtCount(n)} job${n === 1 ? '' : 's'}`;
  return section(
    'Links',
    h('p', { class: 'muted' }, `A link is a source site → destination site pair. Counted from ${scope}.`),
    links.length ? linkMap(siteNames, links) : null,
    table(
      [
        { label: 'Link', cell: (l) => h('a', { href: linkHref(l.src, l.dst), class: 'link-name' }, linkName(l.src, l.dst)) },
        { label: 'Jobs', numeric: true, cell: (l) => fmtCount(l.jobs) },
        {
          label: 'By state',
          cell: (l) =>
            h(
              'span',
              { class: 'state-counts' },
              STATE_ORDER.filter((st) => l.states[st]).map((st) => h('span', null, stateBadge(st), ' ', fmtCount(l.states[st]))),
            ),
        },
        { label: 'Files done', numeric: true, cell: (l) => fmtCount(l.filesDone) },
        { label: 'Files failed', numeric: true, cell: (l) => h('span', { class: l.filesFailed ? 'bad-text' : null }, fmtCount(l.filesFailed)) },
        { label: 'Bytes done', numeric: true, cell: (l) => fmtBytes(l.bytesDone) },
        { label: 'Bytes failed', numeric: true, cell: (l) => fmtBytes(l.bytesFailed) },
        { label: 'Last activity', cell: (l) => time(l.lastAt, true) },
      ],
      links,
      {
        caption: 'Links and their jobs',
        empty: 'No jobs yet, so no links. Submit a job (POST /api/v1/jobs) and it appears here.',
        rowClass: (l) => `health-${linkHealth(l)}`,
      },
    ),
  );
}

// The live panels read /api/v1/links (LinkView: sourceSite, destinationSite, succeeded, skipped,
// failed, bytes, failureRatio, durationP50Seconds, durationP95Seconds, throughputP50BytesPerSecond,
// lastEventTime, lateFacts).
const PANELS = [
  {
    title: 'Throughput',
    note: 'median per transfer · bytes moved',
    value: (r) => fmtRate(r.throughputP50BytesPerSecond),
    extra: (r) => fmtBytes(r.bytes),
  },
  {
    title: 'Failure ratio',
    note: 'failed / all transfers',
    value: (r) => fmtPercent(r.failureRatio),
    extra: (r) => `${fmtCount(r.failed)} of ${fmtCount((r.succeeded || 0) + (r.skipped || 0) + (r.failed || 0))}`,
    bad: (r) => r.failureRatio > 0,
  },
  {
    title: 'Freshness',
    note: 'last transfer fact seen',
    value: (r) => (r.lastEventTime ? time(r.lastEventTime, true) : '—'),
    extra: (r) => (r.lateFacts ? `${fmtCount(r.lateFacts)} late` : ''),
  },
];

function renderTelemetry(live) {
  if (live.status === 'rejected') return section('Live telemetry', problemBox(live.reason, 'Telemetry'));
  if (!live.value.available) {
    return section(
      'Live telemetry',
      h('div', { class: 'cards', id: 'telemetry-cards' }, PANELS.map((p) => h('div', { class: 'card' }, notAvailable(p.title, '/api/v1/links', live.value.error)))),
    );
  }
  const doc = live.value.data;
  const rows = (Array.isArray(doc) ? doc : (doc && (doc.items || doc.links)) || []).filter((r) => r && r.sourceSite && r.destinationSite);
  rows.sort((a, b) => a.sourceSite.localeCompare(b.sourceSite) || a.destinationSite.localeCompare(b.destinationSite));
  return section(
    'Live telemetry',
    h(
      'div',
      { class: 'cards', id: 'telemetry-cards' },
      PANELS.map((p) =>
        h(
          'div',
          { class: 'card' },
          h('h3', null, p.title),
          h('p', { class: 'muted small' }, p.note),
          rows.length
            ? h(
                'ul',
                { class: 'metric-list' },
                rows.map((r) =>
                  h(
                    'li',
                    null,
                    h('a', { href: linkHref(r.sourceSite, r.destinationSite) }, linkName(r.sourceSite, r.destinationSite)),
                    h('span', { class: ['metric', p.bad && p.bad(r) ? 'bad-text' : null] }, p.value(r), h('span', { class: 'muted small' }, ' ', p.extra(r))),
                  ),
                ),
              )
            : h('p', { class: 'muted' }, 'No transfers counted yet.'),
        ),
      ),
    ),
  );
}

function renderSites(sites, endpoints) {
  const eps = endpoints.status === 'fulfilled' ? endpoints.value : [];
  const perSite = new Map();
  for (const e of eps) perSite.set(e.site, (perSite.get(e.site) || 0) + 1);
  return h(
    'div',
    { class: 'two-col' },
    section(
      'Sites',
      sites.status === 'rejected'
        ? problemBox(sites.reason, 'Sites')
        : table(
            [
              { label: 'Site', cell: (x) => h('strong', null, x.name) },
              { label: 'Description', cell: (x) => x.description || h('span', { class: 'muted' }, '—') },
              { label: 'Endpoints', numeric: true, cell: (x) => fmtCount(perSite.get(x.name) || 0) },
              { label: 'Created', cell: (x) => time(x.createdAt) },
            ],
            sites.value,
            { empty: 'No sites yet (POST /api/v1/sites).' },
          ),
    ),
    section(
      'Endpoints',
      endpoints.status === 'rejected'
        ? problemBox(endpoints.reason, 'Endpoints')
        : table(
            [
              { label: 'Endpoint', cell: (x) => h('strong', null, x.name) },
              { label: 'Site', cell: (x) => x.site },
              { label: 'URI', cell: (x) => h('code', { class: 'uri' }, x.uri) },
              { label: 'Credentials', cell: (x) => (x.hasCredentials ? 'yes' : 'no') },
            ],
            eps,
            { empty: 'No endpoints yet (POST /api/v1/endpoints).' },
          ),
    ),
  );
}
