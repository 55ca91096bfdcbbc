// The user API under /api/v1, with the token kept in localStorage.

const KEY = 'cloudlake.userToken';

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
};

/** Calls the user API; resolves to the parsed JSON (or null), rejects with an ApiError. */
export async function api(method, path, body) {
  const headers = { Authorization: `Bearer ${session.token ?? ''}` };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let resp;
  try {
    resp = await fetch(`/api/v1${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
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
