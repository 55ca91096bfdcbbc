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

/** "name (id)", or the ID alone when the name is not known. */
export const named = (name, id) => (name ? `${name} (${id})` : id);

/**
 * Everyone and everything an ID may name, from the list endpoints, for pickers and for names
 * beside IDs: `{users, bots, groups}`, each a Map from ID to name, as the server lists them.
 */
export async function directory() {
  const [u, b, g] = await Promise.all([admin('GET', '/users'), admin('GET', '/bots'), admin('GET', '/groups')]);
  return {
    users: new Map(u.users.map((x) => [x.userId, x.nickname])),
    bots: new Map(b.bots.map((x) => [x.botId, x.nickname])),
    groups: new Map(g.groups.map((x) => [x.groupId, x.name])),
  };
}

/**
 * Picker options `{value, label}` for the entries of `names` not in `except`, by name: one
 * looks for a person by name, and the lists come newest first.
 */
export function choices(names, except = []) {
  const skip = new Set(except);
  return [...names].filter(([id]) => !skip.has(id))
    .map(([id, name]) => ({ value: id, label: named(name, id) }))
    .sort((a, b) => a.label.localeCompare(b.label));
}
