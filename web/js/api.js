// The user API under /api/v1. Signing in trades a password or the user token for a session
// token, kept in localStorage for API calls; the server also sets it as an HttpOnly cookie,
// which is what the browser sends when it loads /media/… for an <img>.

const KEY = 'cloudlake.sessionToken';
// Before sessions the client kept the user token itself; it is traded for a session once.
const LEGACY_KEY = 'cloudlake.userToken';

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

export const session = {
  get token() { return localStorage.getItem(KEY); },
  set token(value) {
    if (value) localStorage.setItem(KEY, value);
    else localStorage.removeItem(KEY);
  },
  /** A user token stored by an older client, removed as it is read. */
  takeLegacyToken() {
    const token = localStorage.getItem(LEGACY_KEY);
    localStorage.removeItem(LEGACY_KEY);
    return token;
  },
};

/** Signs in with `{token}` or `{userId, password}`; stores and returns the session. */
export async function signIn(credentials) {
  session.token = null;
  const data = await request('POST', '/session', JSON.stringify(credentials), { 'Content-Type': 'application/json' });
  session.token = data.sessionToken;
  return data;
}

/** Ends the session on the server (and its cookie), then forgets it here. */
export async function signOut() {
  try { await api('DELETE', '/session'); } catch { /* signed out locally either way */ }
  session.token = null;
}

/** Calls the user API; resolves to the parsed JSON (or null), rejects with an ApiError. */
export function api(method, path, body) {
  return body === undefined
    ? request(method, path)
    : request(method, path, JSON.stringify(body), { 'Content-Type': 'application/json' });
}

/** Uploads a File as an image, video or file of the user's; resolves to `{kind, key, …}`. */
export function upload(kind, file) {
  const name = encodeURIComponent(file.name || '');
  return request('POST', `/uploads/${kind}?name=${name}`, file, { 'Content-Type': file.type || 'application/octet-stream' });
}

async function request(method, path, body, extraHeaders = {}) {
  const headers = { ...extraHeaders };
  if (session.token) headers.Authorization = `Bearer ${session.token}`;
  let resp;
  try {
    resp = await fetch(`/api/v1${path}`, { method, headers, body, credentials: 'same-origin' });
  } catch {
    throw new ApiError(0, 'The server cannot be reached.');
  }
  const text = await resp.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = null; }
  if (!resp.ok) {
    const message = data?.error?.message ?? `HTTP ${resp.status}`;
    throw new ApiError(resp.status, message);
  }
  return data;
}

/** The path segment of a chat: `group/ID` or `bot/ID`. */
export function chatPath(chat) {
  return `${encodeURIComponent(chat.chatType)}/${encodeURIComponent(chat.chatId)}`;
}

/** A chat's identity as one string. */
export function chatKey(chat) {
  return `${chat.chatType}:${chat.chatId}`;
}
