// Jobs: the tenant's jobs, newest first, filtered by state and site (kept in the URL), refreshed
// automatically, a page at a time.

import { api } from '../api.js';
import {
  fill,
  fmtBytes,
  fmtCount,
  h,
  JOB_STATES,
  jobProgress,
  linkHref,
  problemBox,
  shortId,
  stateBadge,
  table,
  time,
} from '../ui.js';

const PAGE = 50;
const REFRESH_MS = 5000;

/** The jobs table, shared with the link page. */
export function jobsTable(jobs, options = {}) {
  return table(
    [
      {
        label: 'Job',
        cell: (j) => h('a', { href: `#/jobs/${j.id}`, class: 'job-id', title: j.id, 'aria-label': `Job ${j.id}` }, shortId(j.id)),
      },
      { label: 'State', cell: (j) => stateBadge(j.state) },
      {
        label: 'Link',
        cell: (j) => h('a', { href: linkHref(j.source.site, j.destination.site) }, `${j.source.site} → ${j.destination.site}`),
      },
      { label: 'From', cell: (j) => h('code', null, `${j.source.endpoint}:${j.source.path || '/'}`) },
      { label: 'To', cell: (j) => h('code', null, `${j.destination.endpoint}:${j.destination.path || '/'}`) },
      { label: 'Progress', class: 'progress-cell', cell: (j) => jobProgress(j) },
      {
        label: 'Files',
        numeric: true,
        cell: (j) => [
          `${fmtCount(j.progress.files.done + j.progress.files.skipped)} / ${fmtCount(j.progress.files.total)}`,
          j.progress.files.failed ? h('span', { class: 'bad-text' }, ` (${fmtCount(j.progress.files.failed)} failed)`) : null,
        ],
      },
      { label: 'Bytes', numeric: true, cell: (j) => `${fmtBytes(j.progress.bytes.done)} / ${fmtBytes(j.progress.bytes.total)}` },
      { label: 'Created', cell: (j) => time(j.createdAt) },
      { label: 'Updated', cell: (j) => time(j.updatedAt, true) },
    ],
    jobs,
    { caption: options.caption, empty: options.empty || 'No jobs match.' },
  );
}

export async function render(ctx, params, query) {
  const state = query.get('state') || '';
  const site = query.get('site') || '';
  const sites = await api('/api/v1/sites', { signal: ctx.signal }).catch((e) => {
    if (e.name === 'AbortError') throw e;
    return [];
  });

  const view = h('div', { class: 'page', dataset: { title: 'Jobs' } });
  const stateSelect = h(
    'select',
    { id: 'filter-state', name: 'state' },
    h('option', { value: '' }, 'Any state'),
    JOB_STATES.map((st) => h('option', { value: st, selected: st === state }, st.replace(/_/g, ' '))),
  );
  const siteSelect = h(
    'select',
    { id: 'filter-site', name: 'site' },
    h('option', { value: '' }, 'Any site'),
    sites.map((x) => h('option', { value: x.name, selected: x.name === site }, x.name)),
  );
  if (site && !sites.some((x) => x.name === site)) siteSelect.append(h('option', { value: site, selected: true }, site));
  const auto = h('input', { type: 'checkbox', id: 'auto-refresh', checked: true });
  const refreshButton = h('button', { type: 'button', class: 'button quiet', id: 'refresh' }, 'Refresh');
  const status = h('p', { class: 'muted small', id: 'jobs-status', 'aria-live': 'polite' });
  const listArea = h('div', { id: 'jobs-list' });
  const more = h('div', { class: 'more' });

  const applyFilters = () => {
    const q = new URLSearchParams();
    if (stateSelect.value) q.set('state', stateSelect.value);
    if (siteSelect.value) q.set('site', siteSelect.value);
    location.hash = `#/jobs${q.toString() ? '?' + q : ''}`;
  };
  stateSelect.addEventListener('change', applyFilters);
  siteSelect.addEventListener('change', applyFilters);

  let items = [];
  let next = null;
  const fetchPage = (cursor, limit) => {
    const q = new URLSearchParams({ limit: String(limit) });
    if (state) q.set('state', state);
    if (site) q.set('site', site);
    if (cursor) q.set('cursor', cursor);
    return api(`/api/v1/jobs?${q}`, { signal: ctx.signal });
  };
  const draw = () => {
    fill(listArea,
      jobsTable(items, {
        caption: `Jobs${state ? ' in state ' + state : ''}${site ? ' at site ' + site : ''}, newest first`,
        empty: state || site ? 'No jobs match these filters.' : 'No jobs yet.',
      }),
    );
    fill(more,
      next
        ? h(
            'button',
            {
              type: 'button',
              class: 'button quiet',
              id: 'load-more',
              onclick: async (event) => {
                event.target.disabled = true;
                try {
                  const page = await fetchPage(next, PAGE);
                  items = items.concat(page.items);
                  next = page.next || null;
                  draw();
                } catch (e) {
                  if (e.name !== 'AbortError') fill(more, problemBox(e, 'Loading more jobs'));
                }
              },
            },
            'Load more',
          )
        : null,
    );
    fill(status, `${fmtCount(items.length)} job${items.length === 1 ? '' : 's'} shown · updated `, time(new Date().toISOString()));
  };
  // A refresh reloads as many jobs as are shown, so "Load more" pages survive it.
  const reload = async () => {
    try {
      const page = await fetchPage(null, Math.min(500, Math.max(PAGE, items.length)));
      items = page.items;
      next = page.next || null;
      draw();
    } catch (e) {
      if (e.name === 'AbortError') throw e;
      fill(listArea, problemBox(e, 'Jobs'));
    }
  };
  refreshButton.addEventListener('click', reload);
  await reload();
  ctx.every(REFRESH_MS, () => (auto.checked ? reload() : null));

  view.append(
    h('div', { class: 'page-head' }, h('h1', null, 'Jobs'), status),
    h(
      'form',
      { class: 'filters', role: 'search', 'aria-label': 'Filter jobs', onsubmit: (e) => e.preventDefault() },
      h('div', { class: 'field' }, h('label', { for: 'filter-state' }, 'State'), stateSelect),
      h('div', { class: 'field' }, h('label', { for: 'filter-site' }, 'Site (source or destination)'), siteSelect),
      h('div', { class: 'field check' }, auto, h('label', { for: 'auto-refresh' }, `Refresh every ${REFRESH_MS / 1000} s`)),
      refreshButton,
    ),
    listArea,
    more,
  );
  return view;
}
