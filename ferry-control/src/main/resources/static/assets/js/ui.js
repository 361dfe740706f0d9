// DOM building blocks and formatting. Text always goes in as text nodes (never innerHTML), and
// styles only through the CSSOM, so the page's Content-Security-Policy can forbid inline styles.

const SVG_NS = 'http://www.w3.org/2000/svg';

function append(parent, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(child instanceof Node ? child : String(child));
  }
}

function applyAttributes(el, attrs, isSvg) {
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2).toLowerCase(), value);
    } else if (key === 'class') {
      el.setAttribute('class', Array.isArray(value) ? value.filter(Boolean).join(' ') : value);
    } else if (key === 'style') {
      Object.assign(el.style, value);
    } else if (key === 'dataset') {
      Object.assign(el.dataset, value);
    } else if (!isSvg && (key === 'value' || key === 'checked' || key === 'selected')) {
      el[key] = value;
    } else {
      el.setAttribute(key, value === true ? '' : String(value));
    }
  }
}

/** Replaces the children of {@code el} (arrays flattened; null, undefined and false left out). */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** An HTML element: h('a', {href: '#/jobs', class: 'x'}, 'Jobs'). */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  applyAttributes(el, attrs, false);
  append(el, children);
  return el;
}

/** An SVG element. */
export function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  applyAttributes(el, attrs, true);
  append(el, children);
  return el;
}

// ---------------------------------------------------------------------------------- formatting

const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

export function fmtBytes(n) {
  if (n === null || n === undefined || Number.isNaN(Number(n))) return '—';
  let v = Number(n);
  let i = 0;
  while (Math.abs(v) >= 1024 && i < BYTE_UNITS.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${v} B` : `${v.toFixed(v < 10 ? 2 : v < 100 ? 1 : 0)} ${BYTE_UNITS[i]}`;
}

export function fmtCount(n) {
  return n === null || n === undefined ? '—' : Number(n).toLocaleString('en-US');
}

export function fmtNumber(n) {
  if (n === null || n === undefined || n === '') return '—';
  const v = Number(n);
  if (!Number.isFinite(v)) return String(n);
  if (Number.isInteger(v)) return v.toLocaleString('en-US');
  return Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(2) : v.toPrecision(3);
}

export function fmtPercent(ratio) {
  if (ratio === null || ratio === undefined || Number.isNaN(Number(ratio))) return '—';
  const pct = 100 * Number(ratio);
  return `${pct === 0 ? '0' : pct < 0.1 ? pct.toPrecision(2) : pct.toFixed(pct < 10 ? 1 : 0)}%`;
}

export function fmtRate(bytesPerSecond) {
  return bytesPerSecond === null || bytesPerSecond === undefined ? '—' : `${fmtBytes(Math.round(bytesPerSecond))}/s`;
}

export function fmtSeconds(sec) {
  if (sec === null || sec === undefined || Number.isNaN(Number(sec))) return '—';
  return sec < 1 ? `${Math.round(sec * 1000)} ms` : sec < 100 ? `${Number(sec).toFixed(sec < 10 ? 2 : 1)} s` : fmtDuration(sec * 1000);
}

const pad = (n) => String(n).padStart(2, '0');

/** Local time, 2026-03-01 12:00:05; the exact UTC instant goes in a title attribute. */
export function fmtTime(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`
  );
}

export function fmtDuration(ms) {
  if (ms === null || ms === undefined || Number.isNaN(ms)) return '—';
  const sec = Math.round(ms / 1000);
  if (sec < 1) return `${Math.max(0, Math.round(ms))} ms`;
  if (sec < 60) return `${sec} s`;
  const min = Math.floor(sec / 60);
  if (min < 60) return `${min} min ${sec % 60} s`;
  const hours = Math.floor(min / 60);
  if (hours < 48) return `${hours} h ${min % 60} min`;
  return `${Math.floor(hours / 24)} d ${hours % 24} h`;
}

export function fmtAgo(iso) {
  if (!iso) return '—';
  const ms = Date.now() - new Date(iso).getTime();
  if (Number.isNaN(ms)) return String(iso);
  if (ms < 0) return 'in ' + fmtDuration(-ms);
  return ms < 5000 ? 'just now' : `${fmtDuration(ms).replace(/ \d+ (s|min|h)$/, '')} ago`;
}

/** A <time> element showing local time with the UTC instant as its title. */
export function time(iso, relative = false) {
  if (!iso) return h('span', { class: 'muted' }, '—');
  return h(
    'time',
    { datetime: iso, title: iso },
    relative ? fmtAgo(iso) : fmtTime(iso),
  );
}

export const shortId = (id) => (id ? String(id).slice(0, 8) : '—');

// ---------------------------------------------------------------------------------- components

export const SETTLED = new Set(['SUCCEEDED', 'PARTIALLY_SUCCEEDED', 'FAILED', 'CANCELLED']);
export const JOB_STATES = [
  'SUBMITTED',
  'PLANNING',
  'RUNNING',
  'SUCCEEDED',
  'PARTIALLY_SUCCEEDED',
  'FAILED',
  'CANCELLED',
];

export function stateBadge(state) {
  const value = state || 'UNKNOWN';
  return h(
    'span',
    { class: ['state', `state-${value.toLowerCase().replace(/_/g, '-')}`] },
    value.replace(/_/g, ' '),
  );
}

/** An accessible progress bar; {@code failed} is drawn as a red segment after the done part. */
export function progressBar(done, total, failed = 0, label = 'Progress') {
  const pct = total > 0 ? Math.min(100, (100 * done) / total) : done > 0 ? 100 : 0;
  const failedPct = total > 0 ? Math.min(100 - pct, (100 * failed) / total) : 0;
  const text = `${pct.toFixed(pct > 0 && pct < 10 ? 1 : 0)}%`;
  return h(
    'div',
    {
      class: 'progress',
      role: 'progressbar',
      'aria-label': label,
      'aria-valuemin': 0,
      'aria-valuemax': 100,
      'aria-valuenow': Math.round(pct),
      'aria-valuetext': failed > 0 ? `${text}, ${fmtCount(failed)} failed` : text,
    },
    h('span', { class: 'progress-done', style: { width: `${pct}%` } }),
    h('span', { class: 'progress-failed', style: { width: `${failedPct}%` } }),
    h('span', { class: ['progress-text', pct >= 55 ? 'on-fill' : null] }, text),
  );
}

/** How a job's progress reads: by bytes when there are any, else by files. */
export function jobProgress(job, label) {
  const f = job.progress.files;
  const b = job.progress.bytes;
  const byBytes = b.total > 0;
  return progressBar(
    byBytes ? b.done : f.done + f.skipped,
    byBytes ? b.total : f.total,
    byBytes ? b.failed : f.failed,
    label || `Progress of job ${shortId(job.id)}`,
  );
}

/** The problem document of an error, as an alert: its title, its detail, and where it came from. */
export function problemBox(error, context) {
  const p = error && error.problem ? error.problem : null;
  const title = p ? p.title || `HTTP ${error.status}` : 'Something went wrong';
  const detail = p ? p.detail : error && error.message ? error.message : String(error);
  return h(
    'div',
    { class: 'problem', role: 'alert' },
    h('p', { class: 'problem-title' }, context ? `${context}: ${title}` : title),
    detail ? h('p', { class: 'problem-detail' }, detail) : null,
    p && (p.status || p.type)
      ? h(
          'p',
          { class: 'problem-meta' },
          p.status ? `HTTP ${p.status}` : null,
          p.status && p.type ? ' · ' : null,
          p.type ? h('code', null, p.type) : null,
        )
      : null,
  );
}

/**
 * The panel a page shows for a part of the API that this control plane does not have (404), or
 * whose telemetry is not ready (503 telemetry-unavailable): says so, and never estimates.
 */
export function notAvailable(what, path, error) {
  const status = error && error.status;
  return h(
    'div',
    { class: 'not-available', role: 'note' },
    h('p', { class: 'na-title' }, `${what}: telemetry not available yet`),
    status === 404 || !status
      ? h(
          'p',
          { class: 'muted' },
          'This control plane does not serve ',
          h('code', null, path),
          status ? ' (HTTP 404)' : null,
          '. The panel fills in once the telemetry role is there; nothing is estimated meanwhile.',
        )
      : h(
          'p',
          { class: 'muted' },
          h('code', null, path),
          ` answered HTTP ${status}: `,
          error.detail || error.title,
        ),
  );
}

export function section(title, ...children) {
  const id = 'sec-' + title.toLowerCase().replace(/[^a-z0-9]+/g, '-');
  return h('section', { class: 'panel', 'aria-labelledby': id }, h('h2', { id }, title), children);
}

/**
 * A table. columns: [{label, cell: row => node|string, class?, numeric?}]. Empty rows show
 * {@code empty}.
 */
export function table(columns, rows, { caption, empty = 'Nothing here yet.', rowClass } = {}) {
  if (!rows || rows.length === 0) return h('p', { class: 'muted empty' }, empty);
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      null,
      caption ? h('caption', null, caption) : null,
      h(
        'thead',
        null,
        h(
          'tr',
          null,
          columns.map((c) => h('th', { scope: 'col', class: c.numeric ? 'num' : c.class }, c.label)),
        ),
      ),
      h(
        'tbody',
        null,
        rows.map((row) =>
          h(
            'tr',
            { class: rowClass ? rowClass(row) : null },
            columns.map((c) => h('td', { class: c.numeric ? 'num' : c.class }, c.cell(row))),
          ),
        ),
      ),
    ),
  );
}

/** A description list from [label, value] pairs (null values left out). */
export function dl(pairs, cls = 'facts') {
  return h(
    'dl',
    { class: cls },
    pairs
      .filter(([, v]) => v !== null && v !== undefined)
      .map(([k, v]) => h('div', null, h('dt', null, k), h('dd', null, v))),
  );
}

/** An error record ({at, errorClass, message, file, taskId, attempt}) as a compact block. */
export function errorRecord(e) {
  if (!e) return h('span', { class: 'muted' }, 'none');
  const where = [
    e.file ? h('code', null, e.file) : null,
    e.taskId ? ` task ${shortId(e.taskId)}` : null,
    e.attempt ? ` attempt ${e.attempt}` : null,
  ].filter(Boolean);
  return h(
    'div',
    { class: 'error-record' },
    h('span', { class: 'error-class' }, e.errorClass || 'error'),
    e.retryable === true ? h('span', { class: 'tag' }, 'retryable') : null,
    ' ',
    h('span', { class: 'error-message' }, e.message || ''),
    e.at || where.length
      ? h('div', { class: 'muted small' }, e.at ? time(e.at) : null, where.length ? [' · ', where] : null)
      : null,
  );
}

/** Any JSON value shown as text, compactly (for history details and unknown telemetry fields). */
export function compact(value) {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'number') return fmtNumber(value);
  if (typeof value !== 'object') return String(value);
  if (Array.isArray(value)) return value.map(compact).join(', ');
  return Object.entries(value)
    .map(([k, v]) => `${k}=${typeof v === 'object' && v !== null ? JSON.stringify(v) : v}`)
    .join('  ');
}

export function linkHref(src, dst) {
  return `#/links/${encodeURIComponent(src)}/${encodeURIComponent(dst)}`;
}

export function linkName(src, dst) {
  return `${src} → ${dst}`;
}

/** A confirmation dialog (native <dialog>, focus trapped by the browser). Resolves true or false. */
export function confirmDialog({ title, message, confirm, cancel = 'Back', danger = false }) {
  return new Promise((resolve) => {
    const dialog = h(
      'dialog',
      { class: 'confirm', 'aria-labelledby': 'confirm-title', 'aria-describedby': 'confirm-message' },
      h(
        'form',
        { method: 'dialog' },
        h('h2', { id: 'confirm-title' }, title),
        h('p', { id: 'confirm-message' }, message),
        h(
          'div',
          { class: 'actions' },
          h('button', { value: 'cancel', class: 'button quiet', id: 'confirm-cancel', autofocus: true }, cancel),
          h('button', { value: 'confirm', class: ['button', danger ? 'danger' : 'primary'], id: 'confirm-ok' }, confirm),
        ),
      ),
    );
    dialog.addEventListener('close', () => {
      resolve(dialog.returnValue === 'confirm');
      dialog.remove();
    });
    document.body.append(dialog);
    dialog.showModal();
  });
}

export function announce(text) {
  const live = document.getElementById('announcer');
  if (!live) return;
  live.textContent = '';
  setTimeout(() => {
    live.textContent = text;
  }, 50);
}
