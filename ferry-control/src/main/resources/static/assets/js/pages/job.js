// One job: state, progress, timestamps, first and last error, tasks, failed files and history;
// operators cancel or retry it (after a confirmation). Refreshes while the job is not settled.

import { api, enc } from '../api.js';
import {
  announce,
  compact,
  confirmDialog,
  dl,
  errorRecord,
  fill,
  fmtBytes,
  fmtCount,
  fmtDuration,
  h,
  jobProgress,
  linkHref,
  problemBox,
  section,
  SETTLED,
  shortId,
  stateBadge,
  table,
  time,
} from '../ui.js';

const REFRESH_MS = 3000;
const CANCELLABLE = new Set(['SUBMITTED', 'PLANNING', 'RUNNING']);
const RETRYABLE = new Set(['FAILED', 'PARTIALLY_SUCCEEDED']);

async function loadAll(id, signal) {
  const base = `/api/v1/jobs/${enc(id)}`;
  const job = await api(base, { signal });
  const [tasks, failedFiles, history] = await Promise.allSettled([
    api(`${base}/tasks`, { signal }),
    api(`${base}/files?status=failed`, { signal }),
    api(`${base}/history`, { signal }),
  ]);
  return { job, tasks, failedFiles, history };
}

export async function render(ctx, [id]) {
  const view = h('div', { class: 'page', dataset: { title: `Job ${shortId(id)}` } });
  const actionStatus = h('div', { id: 'action-status' });
  let data = await loadAll(id, ctx.signal);

  const draw = () => {
    const { job } = data;
    fill(view,
      head(job),
      actionStatus,
      summary(job),
      errors(job),
      tasksSection(data.tasks),
      filesSection(data.failedFiles),
      historySection(data.history),
    );
  };

  const refresh = async () => {
    data = await loadAll(id, ctx.signal);
    if (ctx.alive) draw();
  };

  async function act(kind) {
    const job = data.job;
    const cancel = kind === 'cancel';
    const ok = await confirmDialog(
      cancel
        ? {
            title: `Cancel job ${shortId(job.id)}?`,
            message:
              `The job (${job.source.site} → ${job.destination.site}) and its open tasks become CANCELLED; ` +
              'running workers stop at their next heartbeat. Files already published stay. This cannot be undone.',
            confirm: 'Cancel job',
            cancel: 'Keep it running',
            danger: true,
          }
        : {
            title: `Retry job ${shortId(job.id)}?`,
            message: `New tasks are created for the ${fmtCount(job.progress.files.failed)} failed file(s); the job becomes RUNNING again.`,
            confirm: 'Retry failed files',
            cancel: 'Back',
          },
    );
    if (!ok || !ctx.alive) return;
    fill(actionStatus, h('p', { class: 'muted', role: 'status' }, cancel ? 'Cancelling…' : 'Retrying…'));
    try {
      const updated = await api(`/api/v1/jobs/${enc(job.id)}/${kind}`, { method: 'POST', signal: ctx.signal });
      announce(`Job ${shortId(job.id)} is ${updated.state}`);
      fill(actionStatus,
        h('p', { class: 'notice', role: 'status' }, cancel ? 'Job cancelled: ' : 'Retry started: ', stateBadge(updated.state)),
      );
      await refresh();
    } catch (e) {
      if (e.name === 'AbortError') return;
      fill(actionStatus, problemBox(e, cancel ? 'Cancel failed' : 'Retry failed'));
      h1Focus(view);
    }
  }

  function head(job) {
    const buttons = [];
    if (CANCELLABLE.has(job.state)) {
      buttons.push(h('button', { type: 'button', class: 'button danger', id: 'cancel-job', onclick: () => act('cancel') }, 'Cancel job…'));
    }
    if (RETRYABLE.has(job.state)) {
      buttons.push(h('button', { type: 'button', class: 'button primary', id: 'retry-job', onclick: () => act('retry') }, 'Retry failed files…'));
    }
    return h(
      'div',
      { class: 'page-head job-head' },
      h(
        'div',
        null,
        h('p', { class: 'crumbs' }, h('a', { href: '#/jobs' }, 'Jobs'), ' / ', shortId(job.id)),
        h('h1', null, 'Job ', h('span', { class: 'mono' }, shortId(job.id)), ' ', h('span', { id: 'job-state' }, stateBadge(job.state))),
        h('p', { class: 'muted small mono' }, job.id),
      ),
      h(
        'div',
        { class: 'actions' },
        buttons,
        buttons.length === 0
          ? h('p', { class: 'muted small' }, SETTLED.has(job.state) ? `${job.state.replace(/_/g, ' ').toLowerCase()}: nothing to cancel or retry` : '')
          : null,
        SETTLED.has(job.state) ? null : h('p', { class: 'muted small' }, `Refreshes every ${REFRESH_MS / 1000} s`),
      ),
    );
  }

  draw();
  ctx.every(REFRESH_MS, async () => {
    if (!SETTLED.has(data.job.state)) await refresh();
  });
  return view;
}

function h1Focus(view) {
  const el = view.querySelector('#action-status [role=alert]');
  if (el) {
    el.setAttribute('tabindex', '-1');
    el.focus();
  }
}

function summary(job) {
  const f = job.progress.files;
  const b = job.progress.bytes;
  const end = job.finishedAt ? new Date(job.finishedAt) : SETTLED.has(job.state) ? new Date(job.updatedAt) : new Date();
  const started = job.startedAt ? new Date(job.startedAt) : null;
  return section(
    'Progress',
    h(
      'div',
      { class: 'progress-block' },
      jobProgress(job, 'Job progress'),
      h(
        'p',
        { class: 'progress-words' },
        `${fmtCount(f.done)} of ${fmtCount(f.total)} files copied`,
        f.skipped ? `, ${fmtCount(f.skipped)} skipped` : '',
        f.failed ? h('span', { class: 'bad-text' }, `, ${fmtCount(f.failed)} failed`) : '',
        ` · ${fmtBytes(b.done)} of ${fmtBytes(b.total)}`,
        b.failed ? h('span', { class: 'bad-text' }, ` (${fmtBytes(b.failed)} failed)`) : '',
      ),
    ),
    dl([
      ['Link', h('a', { href: linkHref(job.source.site, job.destination.site) }, `${job.source.site} → ${job.destination.site}`)],
      ['Source', h('code', null, `${job.source.endpoint}:${job.source.path || '/'}`)],
      ['Destination', h('code', null, `${job.destination.endpoint}:${job.destination.path || '/'}`)],
      ['Mode', job.mode],
      ['Checksum', job.checksum],
      ['Overwrite', job.overwrite],
      ['Priority', String(job.priority)],
      ['Created', time(job.createdAt)],
      ['Started', time(job.startedAt)],
      ['Finished', time(job.finishedAt)],
      ['Updated', time(job.updatedAt)],
      ['Running for', started ? fmtDuration(end - started) : '—'],
    ]),
  );
}

function errors(job) {
  return section(
    'Errors',
    h(
      'div',
      { class: 'two-col' },
      h('div', { id: 'first-error' }, h('h3', null, 'First error'), errorRecord(job.firstError)),
      h('div', { id: 'last-error' }, h('h3', null, 'Last error'), errorRecord(job.lastError)),
    ),
  );
}

function tasksSection(result) {
  if (result.status === 'rejected') return section('Tasks', problemBox(result.reason, 'Tasks'));
  return section(
    'Tasks',
    table(
      [
        { label: '#', numeric: true, cell: (t) => String(t.seq) },
        { label: 'State', cell: (t) => stateBadge(t.state) },
        { label: 'Attempt', numeric: true, cell: (t) => `${t.attempt} / ${t.maxAttempts}` },
        { label: 'Files', numeric: true, cell: (t) => `${fmtCount(t.filesDone)} / ${fmtCount(t.files)}` },
        { label: 'Bytes', numeric: true, cell: (t) => `${fmtBytes(t.bytesDone)} / ${fmtBytes(t.bytes)}` },
        { label: 'Worker', cell: (t) => (t.workerId ? h('code', null, t.workerId) : h('span', { class: 'muted' }, '—')) },
        { label: 'Lease until', cell: (t) => time(t.leaseExpiresAt) },
        { label: 'Retry of', cell: (t) => (t.retryOf ? h('code', { title: t.retryOf }, shortId(t.retryOf)) : '—') },
        { label: 'Last error', cell: (t) => (t.lastError ? errorRecord(t.lastError) : h('span', { class: 'muted' }, '—')) },
        { label: 'Finished', cell: (t) => time(t.finishedAt) },
      ],
      result.value,
      { caption: 'Tasks in order', empty: 'No tasks yet: the planner has not split the job (or there was nothing to copy).' },
    ),
  );
}

function filesSection(result) {
  if (result.status === 'rejected') return section('Failed files', problemBox(result.reason, 'Files'));
  return section(
    'Failed files',
    table(
      [
        { label: 'Source', cell: (f) => h('code', null, f.source) },
        { label: 'Destination', cell: (f) => h('code', null, f.destination) },
        { label: 'Size', numeric: true, cell: (f) => fmtBytes(f.size) },
        { label: 'Attempts', numeric: true, cell: (f) => String(f.attempts) },
        { label: 'First error', cell: (f) => errorRecord(f.firstError) },
        { label: 'Last error', cell: (f) => errorRecord(f.lastError) },
      ],
      result.value,
      { caption: 'Files whose latest outcome is FAILED', empty: 'No failed files.' },
    ),
  );
}

/** What a history entry adds beyond its type: no job id (it is this job), no empty objects. */
function historyDetails(entry) {
  const flat = {};
  for (const [k, v] of Object.entries(entry.details || {})) {
    if (k === 'jobId' || (k === 'to' && entry.type.startsWith('state:'))) continue;
    if (k === 'details' && v && typeof v === 'object' && !Array.isArray(v)) Object.assign(flat, v);
    else flat[k] = v;
  }
  return Object.keys(flat).length ? compact(flat) : '';
}

function historySection(result) {
  if (result.status === 'rejected') return section('History', problemBox(result.reason, 'History'));
  return section(
    'History',
    table(
      [
        { label: 'When', cell: (e) => time(e.at) },
        {
          label: 'What',
          cell: (e) => (e.type.startsWith('state:') ? ['state → ', stateBadge(e.type.slice(6))] : h('span', { class: 'event-type' }, e.type)),
        },
        { label: 'Details', cell: (e) => h('span', { class: 'details' }, historyDetails(e)) },
      ],
      result.value,
      { caption: 'Every change of the job, oldest first', empty: 'No history.' },
    ),
  );
}
