// The console's shell: token login, hash routing, and the lifetime of each page (its requests are
// aborted and its timers stopped when the user navigates away).

import { api, ApiError, session } from './api.js';
import { announce, fill, h, problemBox } from './ui.js';
import * as overview from './pages/overview.js';
import * as jobs from './pages/jobs.js';
import * as job from './pages/job.js';
import * as link from './pages/link.js';
import * as telemetry from './pages/telemetry.js';

const ROUTES = [
  { pattern: /^\/overview$/, nav: 'overview', page: overview },
  { pattern: /^\/jobs$/, nav: 'jobs', page: jobs },
  { pattern: /^\/jobs\/([^/]+)$/, nav: 'jobs', page: job },
  { pattern: /^\/links\/([^/]+)\/([^/]+)$/, nav: 'overview', page: link },
  { pattern: /^\/anomalies$/, nav: 'anomalies', page: telemetry.anomalies },
  { pattern: /^\/consistency$/, nav: 'consistency', page: telemetry.consistency },
];

const main = document.getElementById('main');
const topbar = document.getElementById('topbar');
let current = null;
let loginMessage = null;

/** What a page gets: where to render, an abort signal, timers that die with the page. */
class PageContext {
  constructor() {
    this.controller = new AbortController();
    this.timers = new Set();
  }

  get signal() {
    return this.controller.signal;
  }

  get alive() {
    return !this.controller.signal.aborted;
  }

  /** Runs {@code fn} every {@code ms} (not while the tab is hidden), until the page is left. */
  every(ms, fn) {
    const tick = async () => {
      if (!this.alive) return;
      if (!document.hidden) {
        try {
          await fn();
        } catch (e) {
          if (e.name !== 'AbortError') console.warn('refresh failed', e);
        }
      }
      if (this.alive) this.timers.add(setTimeout(tick, ms));
    };
    this.timers.add(setTimeout(tick, ms));
  }

  dispose() {
    this.controller.abort();
    this.timers.forEach(clearTimeout);
    this.timers.clear();
  }
}

function parseHash() {
  const raw = location.hash.replace(/^#/, '') || '/overview';
  const [path, query = ''] = raw.split('?');
  return { path, query: new URLSearchParams(query) };
}

function setNav(active) {
  for (const a of document.querySelectorAll('#nav a')) {
    if (a.dataset.route === active) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}

async function route() {
  if (current) current.dispose();
  current = null;
  if (!session.token) {
    renderLogin();
    return;
  }
  topbar.hidden = false;
  const { path, query } = parseHash();
  const match = ROUTES.map((r) => ({ r, m: path.match(r.pattern) })).find((x) => x.m);
  const ctx = new PageContext();
  current = ctx;
  fill(main, h('p', { class: 'muted', role: 'status' }, 'Loading…'));
  if (!match) {
    setNav(null);
    fill(main,
      h('h1', { tabindex: '-1' }, 'Page not found'),
      h('p', null, 'The console has no page ', h('code', null, `#${path}`), '. ', h('a', { href: '#/overview' }, 'Go to the overview.')),
    );
    focusHeading();
    return;
  }
  setNav(match.r.nav);
  const params = match.m.slice(1).map(decodeURIComponent);
  try {
    const view = await match.r.page.render(ctx, params, query);
    if (!ctx.alive) return;
    fill(main, view);
    document.title = `${view.dataset.title || 'Console'} · Ferry`;
  } catch (e) {
    if (e.name === 'AbortError' || !ctx.alive) return;
    fill(main, h('h1', { tabindex: '-1' }, 'Could not load this page'), problemBox(e));
  }
  focusHeading();
}

function focusHeading() {
  const heading = main.querySelector('h1');
  if (heading) {
    heading.setAttribute('tabindex', '-1');
    heading.focus({ preventScroll: true });
  }
}

function renderLogin() {
  topbar.hidden = true;
  setNav(null);
  document.title = 'Sign in · Ferry';
  const input = h('input', {
    id: 'token',
    name: 'token',
    type: 'password',
    autocomplete: 'off',
    spellcheck: 'false',
    required: true,
    placeholder: 'ferry_…',
    'aria-describedby': 'token-help',
  });
  const status = h('div', { id: 'login-status' });
  const button = h('button', { type: 'submit', class: 'button primary', id: 'sign-in' }, 'Sign in');
  const form = h(
    'form',
    { class: 'login', id: 'login-form', novalidate: true },
    h('h1', null, h('img', { src: 'assets/favicon.svg', alt: '', width: 36, height: 36 }), ' Ferry console'),
    h('label', { for: 'token' }, 'API token'),
    input,
    h(
      'p',
      { id: 'token-help', class: 'muted small' },
      'A token of your tenant (viewer, operator or admin). It stays in this browser tab only ',
      '(sessionStorage) and is sent as a bearer token to this control plane.',
    ),
    button,
    status,
  );
  if (loginMessage) {
    fill(status, loginMessage);
    loginMessage = null;
  }
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const token = input.value.trim();
    if (!token) {
      fill(status, problemBox({ problem: { title: 'No token', detail: 'Paste a token that starts with ferry_.' } }));
      input.focus();
      return;
    }
    button.disabled = true;
    fill(status, h('p', { class: 'muted', role: 'status' }, 'Checking the token…'));
    try {
      await api('/api/v1/sites', { token });
      session.signIn(token);
      announce('Signed in');
      if (!location.hash || location.hash === '#' || location.hash === '#/login') location.hash = '#/overview';
      else route();
    } catch (e) {
      const hint =
        e instanceof ApiError && e.status === 403
          ? h('p', { class: 'muted small' }, 'The root token only manages tenants; sign in with a token issued within a tenant.')
          : null;
      fill(status, problemBox(e, 'Sign-in failed'), hint);
      button.disabled = false;
      input.select();
    }
  });
  fill(main, form);
  input.focus();
}

document.getElementById('logout').addEventListener('click', () => {
  session.signOut();
  loginMessage = h('p', { class: 'muted', role: 'status' }, 'You are signed out.');
  if (current) current.dispose();
  current = null;
  history.replaceState(null, '', '#/overview');
  renderLogin();
});

window.addEventListener('ferry:unauthorized', (event) => {
  session.signOut();
  loginMessage = problemBox(event.detail, 'Signed out');
  route();
});

// The skip link must not change the hash: the hash is the route.
document.getElementById('skip-link').addEventListener('click', (event) => {
  event.preventDefault();
  main.focus();
});

window.addEventListener('hashchange', route);
route();
