// The admin API under /admin/v1, with the admin token kept in localStorage.

const KEY = 'cloudlake.adminToken';

export const adminSession = {
  get token() { return localStorage.getItem(KEY); },
  set token(value) {
    if (value) localStorage.setItem(KEY, value);
    else localStorage.removeItem(KEY);
  },
};

export class AdminError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

/** Calls the admin API; resolves to parsed JSON (or null), rejects with an AdminError. */
export async function admin(method, path, body) {
  const headers = { Authorization: `Bearer ${adminSession.token ?? ''}` };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let resp;
  try {
    resp = await fetch(`/admin/v1${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw new AdminError(0, 'The server cannot be reached.');
  }
  const text = await resp.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = null; }
  if (!resp.ok) throw new AdminError(resp.status, data?.error?.message ?? `HTTP ${resp.status}`);
  return data;
}

/** `/x/{id}` with the ID escaped. */
export const seg = (s) => encodeURIComponent(s);
