// The web client: sign in, then the chat list, the open chat and the live feed wired together.

import { confirmDelete, copyLink, parseLink, startEdit } from './actions.js';
import { api, chatKey, chatPath, session, signIn, signOut } from './api.js';
import { Boards } from './boards.js';
import { ChatList } from './chatlist.js';
import { ChatView } from './chatview.js';
import { Composer } from './composer.js';
import { Discover } from './discover.js';
import { GroupInfo } from './groupinfo.js';
import { Lightbox } from './lightbox.js';
import { Live } from './live.js';
import { Notifier } from './notify.js';
import { People, startDirect } from './people.js';
import { Toasts } from './toast.js';
import { openPalette } from './reactions.js';
import { Search } from './search.js';
import { installShortcuts } from './shortcuts.js';

const $ = (id) => document.getElementById(id);

const state = { live: null, readTimers: new Map(), readSent: new Map() };

const chatList = new ChatList($('chat-list'), (chat) => openChat(chat));
const view = new ChatView($('messages'), $('message-list'), $('history-status'), $('new-messages'), scheduleRead);
const boards = new Boards($('boards'));
const composer = new Composer($('composer'));
// A search hit opens its chat (as the list has it, with its unread count) at that message.
const search = new Search(
  { input: $('search-input'), results: $('search-results'), status: $('search-status'), chatList: $('chat-list') },
  (hit) => openChat(chatList.find(chatKey(hit.chat)) ?? hit.chat, hit.message),
);
$('message-list').addEventListener('reply', (e) => composer.replyTo(e.detail));
// A message's own actions (message.js): each event comes from the message's element.
/** A message changed by the reader here: shown at once, before its live frame comes. */
function changed(msg) {
  view.replace(msg);
  chatList.update(msg, { isNew: false });
}
$('message-list').addEventListener('edit', (e) => startEdit(e.target, e.detail, changed));
$('message-list').addEventListener('delete', (e) => confirmDelete(e.target, e.detail, changed));
$('message-list').addEventListener('react', (e) => openPalette(e.target, e.detail));
$('message-list').addEventListener('copy-link', (e) => copyLink(e.target.querySelector('.msg-copy-link'), e.detail));
// ↑ in an empty composer edits the reader's last message, as in other chat apps.
$('composer').addEventListener('edit-last', (e) => {
  const el = view.lastEditable();
  if (!el) return;
  e.preventDefault();
  el.scrollIntoView({ block: 'nearest' });
  el.querySelector(':scope > .msg-meta .msg-edit').click();
});
const lightbox = new Lightbox($('lightbox'));
// Leaving a group from its info closes the chat and drops it from the list.
const groupInfo = new GroupInfo($('group-info'), async () => {
  $('back').click();
  await loadChats();
}, (userId) => openDirect(userId), async (botId) => {
  // A bot just followed is not in the list yet.
  const key = chatKey({ chatType: 'bot', chatId: botId });
  if (!chatList.find(key)) await loadChats();
  const chat = chatList.find(key);
  if (chat) openChat(chat);
});
$('chat-info').addEventListener('click', () => {
  const chat = chatList.find(view.key);
  if (chat) groupInfo.open(chat);
});
const notifier = new Notifier($('notify'), (key) => {
  const chat = chatList.find(key);
  if (chat) openChat(chat);
});
// An image message, or a picture in a rendered message (unless it is a link), opens full size.
$('message-list').addEventListener('click', (e) => {
  const img = e.target.closest('.msg-image-open')?.querySelector('img') ?? e.target.closest('.msg-body img');
  if (img && !img.closest('a')) lightbox.open(img);
});
composer.onSent = (msg) => {
  view.add(msg);
  chatList.update(msg, { isNew: true, countUnread: false });
};

function showSignIn(message = '') {
  state.live?.stop();
  state.live = null;
  chatList.set([]); // and the tab's title loses its unread count
  search.clear();
  $('app').hidden = true;
  $('signin').hidden = false;
  $('signin-error').textContent = message;
  $('signin-token').focus();
}

$('signin-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const userId = $('signin-user').value.trim();
  const secret = $('signin-token').value;
  $('signin-token').value = '';
  const button = $('signin-form').querySelector('button[type=submit]');
  button.disabled = true;
  try {
    await signIn(userId ? { userId, password: secret } : { token: secret.trim() });
  } catch (err) {
    const why = err.status === 401
      ? (userId ? 'Wrong user ID or password.' : 'That token was not accepted.')
      : err.message;
    showSignIn(why);
    return;
  } finally {
    button.disabled = false;
  }
  await start();
});

$('signout').addEventListener('click', async () => {
  await signOut();
  showSignIn();
});

// Joining a group or following a bot from Discover: the list reloads (the live feed has
// subscribed this session to the new chat already) and the chat opens.
const discover = new Discover($('discover'), async (added) => {
  await loadChats();
  const chat = chatList.find(chatKey(added));
  if (chat) await openChat(chat);
});
$('discover-open').addEventListener('click', () => discover.open());

/**
 * Opens a direct chat just started or found (`POST /dms` answered with its chat-list entry):
 * the list reloads (this session's live feed subscribed to a new one already), then the chat
 * opens, as the list has it.
 */
async function openDirectChat(chat) {
  await loadChats();
  await openChat(chatList.find(chatKey(chat)) ?? chat);
}

/** Starts or finds the direct messages with `userId` and opens them. */
async function openDirect(userId) {
  try {
    await openDirectChat(await startDirect(userId));
  } catch (err) {
    $('chats-error').textContent = `Could not open the chat: ${err.message}`;
  }
}

const people = new People($('people'), openDirectChat);
const toasts = new Toasts();
$('people-open').addEventListener('click', () => people.open());

installShortcuts({ chatList, composer, openChat, back: () => $('back').click() });

$('back').addEventListener('click', () => {
  document.body.classList.remove('chat-open');
  chatList.openKey = null;
  chatList.render();
  view.clear();
  $('composer').hidden = true;
  $('chat-info').hidden = true;
  $('chat-title').textContent = 'Choose a chat';
  document.querySelector('.chat-item')?.focus();
});

async function start() {
  const legacy = session.takeLegacyToken();
  if (!session.token && legacy) {
    try { await signIn({ token: legacy }); } catch { /* sign in by hand */ }
  }
  if (!session.token) { showSignIn(); return; }
  let me;
  try {
    me = await api('GET', '/me');
  } catch (err) {
    if (err.status === 401) session.token = null;
    showSignIn(err.status === 401 ? 'Your session has ended; sign in again.' : err.message);
    return;
  }
  window.cloudlakeMe = me.userId;
  $('me-name').textContent = `${me.nickname} (${me.userId})`;
  $('signin').hidden = true;
  $('app').hidden = false;
  notifier.refresh();
  view.clear();
  state.live?.stop();
  state.live = new Live(() => session.token ?? '', onFrame, onLiveState);
  state.live.start();
  await loadChats();
  await openFromLink();
}

/**
 * Follows a link made by "Copy link" (`#/chat/<chatType>/<chatId>/<msgId>`): opens the chat
 * and shows the message. The hash is cleared once handled, so that following the same link
 * again is a new `hashchange`.
 */
async function openFromLink() {
  const link = parseLink(location.hash);
  if (!link || !window.cloudlakeMe) return; // not signed in yet: start() comes back here
  history.replaceState(null, '', location.pathname + location.search);
  const chat = chatList.find(chatKey(link));
  if (!chat) {
    $('chats-error').textContent = 'That link is to a chat you are not in.';
    return;
  }
  $('chats-error').textContent = '';
  if (view.key !== chatKey(chat)) await openChat(chat);
  if (link.msgId) await view.show(link.msgId);
}

window.addEventListener('hashchange', openFromLink);

/** The list's reads, one after another: a read answered late never replaces a newer one. */
let chatsLoading = Promise.resolve();

/** Reads the chat list again; resolves once a read that began after the call is shown. */
function loadChats() {
  chatsLoading = chatsLoading.then(readChats);
  return chatsLoading;
}

async function readChats() {
  chatList.reloading();
  try {
    const data = await api('GET', '/chats');
    $('chats-error').textContent = '';
    chatList.set(data.chats ?? []);
  } catch (err) {
    chatList.reloadFailed();
    if (err.status === 401) { session.token = null; showSignIn('Your session has ended; sign in again.'); return; }
    $('chats-error').textContent = `Could not load chats: ${err.message}`;
  }
}

/** Opens a chat: at its first unread message or its end, or at `focus`, a message in it. */
async function openChat(chat, focus = null) {
  chatList.openKey = chatKey(chat);
  chatList.render();
  document.body.classList.add('chat-open');
  $('chat-title').textContent = chat.name || chat.chatId;
  $('chat-info').hidden = chat.chatType !== 'group';
  $('composer').hidden = false;
  boards.show(chatKey(chat));
  composer.open(chat);
  await view.open(chat, { focus });
  if (!focus) $('composer-text').focus();
}

/** Marks read up to `seq`, at most one request per chat per half second. */
function scheduleRead(chat, seq) {
  const key = chatKey(chat);
  chatList.markRead(key);
  if ((state.readSent.get(key) ?? 0) >= seq || state.readTimers.has(key)) return;
  state.readTimers.set(key, setTimeout(async () => {
    state.readTimers.delete(key);
    // What the reader has seen by now, which may have grown since this was scheduled.
    const upto = view.key === key ? Math.max(seq, view.seenSeq) : seq;
    try {
      await api('POST', `/chats/${chatPath(chat)}/read`, { seq: upto });
      state.readSent.set(key, upto);
    } catch { /* the unread count stays; the next read retries */ }
  }, 500));
}

document.addEventListener('visibilitychange', () => view.read());

function onLiveState(s) {
  if (s === 'revoked') {
    // This session was signed out (here or elsewhere) or the token or password changed.
    session.token = null;
    showSignIn('Your session has ended; sign in again.');
    return;
  }
  const label = { connecting: 'Connecting…', open: '', waiting: 'Offline — reconnecting…' }[s] ?? '';
  $('live-status').textContent = label;
  $('live-status').classList.toggle('warn', s === 'waiting');
}

async function onFrame(frame) {
  switch (frame.type) {
    case 'hello':
      boards.reset(frame.boards ?? []);
      boards.show(view.key);
      // A socket that starts from now hears only what is committed after its hello: a message
      // committed between the list's read and the socket's start would never show. So the
      // list is read (again) now; a frame for a message it already has changes nothing
      // (`ChatList.update` goes by seq).
      if (!state.live?.resumed) await loadChats();
      break;
    case 'message': {
      const msg = frame.message;
      // Unread unless the reader saw it come in (open chat, at the bottom, page visible).
      const seen = view.add(msg);
      const mine = msg.senderType === 'user' && msg.senderId === window.cloudlakeMe;
      if (!chatList.update(msg, { isNew: true, countUnread: !seen && !mine })) await loadChats();
      if (!seen && !mine) notifier.message(msg, chatList.find(chatKey(msg))?.name);
      break;
    }
    case 'message.edited':
    case 'message.recalled':
      view.replace(frame.message);
      chatList.update(frame.message, { isNew: false });
      break;
    case 'message.reactions':
      view.reactions(frame);
      break;
    case 'message.streaming':
      view.streaming(frame.message, frame.aborted);
      break;
    case 'board':
      boards.set(frame.board);
      break;
    case 'board.dismissed':
      boards.dismiss(frame.botId, frame.chat);
      break;
    case 'click.answered':
      // A bot answered the reader's click on a button of its message: its notice, briefly.
      toasts.show(frame.notice, document.querySelector(`#message-list .msg[data-msg-id="${CSS.escape(frame.msgId)}"] .msg-meta .sender`)?.textContent);
      break;
    case 'resync':
      // `lagging`: the reconnect replays the gap. `gap`: too far behind; reload everything.
      if (frame.reason === 'gap') {
        await loadChats();
        await view.reload();
      }
      break;
    default:
      break;
  }
}

start();
