// The REST API as the console uses it: bearer token from sessionStorage, JSON in and out, and
// every error an ApiError carrying the RFC 9457 problem document the control plane answered.

const TOKEN_KEY = 'ferry.token';

export const session = {
  get token() {
    return sessionStorage.getItem(TOKEN_KEY);
  },
  signIn(token) {
    sessionStorage.setItem(TOKEN_KEY, token);
  },
  signOut() {
    sessionStorage.removeItem(TOKEN_KEY);
  },
};

/** An HTTP error; {@code problem} is the problem document (title, detail, type, status). */
export class ApiError extends Error {
  constructor(status, problem) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.name = 'ApiError';
    this.status = status;
    this.problem = problem;
  }

  get title() {
    return this.problem.title || `HTTP ${this.status}`;
  }

  get detail() {
    return this.problem.detail || '';
  }
}

/**
 * Calls the API. Resolves with the parsed JSON body (null when empty); rejects with an ApiError
 * (status 0 when the control plane could not be reached) or an AbortError when {@code signal}
 * fired. A 401 with a stored token also fires the window event {@code ferry:unauthorized}.
 */
export async function api(path, { method = 'GET', body, token = session.token, signal } = {}) {
  const headers = { Accept: 'application/json, application/problem+json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
      cache: 'no-store',
      credentials: 'omit',
    });
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError(0, {
      title: 'Control plane unreachable',
      detail: `${method} ${path} did not get an answer (${e.message}).`,
    });
  }
  const text = await response.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!response.ok) {
    const problem =
      data && typeof data === 'object' && !Array.isArray(data)
        ? { ...data }
        : { title: response.statusText || `HTTP ${response.status}`, detail: text.slice(0, 300) };
    problem.status ??= response.status;
    const error = new ApiError(response.status, problem);
    if (response.status === 401 && token && token === session.token) {
      window.dispatchEvent(new CustomEvent('ferry:unauthorized', { detail: error }));
    }
    throw error;
  }
  return data;
}

/** Whether an error means "this part of the API is not there (yet)", not that a call failed. */
export function isUnavailable(e) {
  if (!(e instanceof ApiError)) return false;
  if (e.status === 404) return true;
  return e.status === 503 && /telemetry-unavailable$/.test(String(e.problem.type || ''));
}

/**
 * For endpoints that a control plane may not have yet (telemetry): resolves with
 * {available: false, error} when the API answers 404 (no such endpoint) or 503 with the type
 * telemetry-unavailable (no telemetry role, or its stores are not ready), else
 * {available: true, data}. Other errors reject.
 */
export async function optional(path, options) {
  try {
    return { available: true, data: await api(path, options) };
  } catch (e) {
    if (isUnavailable(e)) return { available: false, error: e };
    throw e;
  }
}

export const enc = encodeURIComponent;

/** Up to {@code max} jobs, newest first, following the {@code next} cursor. */
export async function recentJobs({ state, site, max = 1000, signal } = {}) {
  const items = [];
  let cursor = null;
  do {
    const q = new URLSearchParams({ limit: String(Math.min(500, max - items.length)) });
    if (state) q.set('state', state);
    if (site) q.set('site', site);
    if (cursor) q.set('cursor', cursor);
    const page = await api(`/api/v1/jobs?${q}`, { signal });
    items.push(...page.items);
    cursor = page.next;
  } while (cursor && items.length < max);
  return { items, truncated: Boolean(cursor) };
}
