// The chat list: groups, bots and direct messages, most recent first, with unread counts and the last message.
// The tab's title carries the total unread count, "(3) cloudlake", as chat apps do.

import { chatKey } from './api.js';
import { h } from './dom.js';
import { preview } from './message.js';

/** Whether a message @-mentions the signed-in reader (by ID, or everyone with "all"). */
function mentionsMe(msg) {
  const at = msg.content?.at ?? [];
  return at.includes('all') || (window.cloudlakeMe !== undefined && at.includes(window.cloudlakeMe));
}

export class ChatList {
  constructor(root, onOpen) {
    this.root = root;
    this.onOpen = onOpen;
    this.chats = [];
    this.openKey = null;
    this.baseTitle = document.title;
    /** While a reload of the list is in flight, the live updates since it began. */
    this.sinceReload = null;
  }

  /** A reload of the list begins: its read may be older than the live updates that arrive
   * before its answer, so those are kept to be applied again on top of it (see `set`). */
  reloading() {
    this.sinceReload = [];
  }

  /** The reload did not arrive: the list stays as the live updates left it. */
  reloadFailed() {
    this.sinceReload = null;
  }

  set(chats) {
    this.chats = chats;
    const since = this.sinceReload ?? [];
    this.sinceReload = null;
    // What the read already had changes nothing again: `apply` goes by seq.
    for (const [msg, how] of since) this.apply(msg, how);
    this.render();
  }

  find(key) {
    return this.chats.find((c) => chatKey(c) === key);
  }

  /** A message arrived or changed; returns false when the chat is unknown (reload the list). */
  update(msg, how) {
    this.sinceReload?.push([msg, how]);
    const known = this.apply(msg, how);
    this.render();
    return known;
  }

  apply(msg, { isNew, countUnread }) {
    const chat = this.find(chatKey(msg));
    if (!chat) return false;
    if (isNew) {
      if (msg.seq > (chat.lastSeq ?? 0)) {
        chat.lastSeq = msg.seq;
        chat.lastMessage = msg;
        if (countUnread) {
          chat.unread = (chat.unread ?? 0) + 1;
          if (mentionsMe(msg)) chat.mentions = (chat.mentions ?? 0) + 1;
        }
      }
      this.chats = [chat, ...this.chats.filter((c) => c !== chat)];
    } else if (chat.lastMessage?.msgId === msg.msgId) {
      chat.lastMessage = msg;
    }
    return true;
  }

  /** The chat `step` places below (1) or above (-1) the open one; the first when none is open. */
  neighbour(step) {
    const at = this.chats.findIndex((c) => chatKey(c) === this.openKey);
    return at < 0 ? this.chats[0] : this.chats[at + step];
  }

  markRead(key) {
    const chat = this.find(key);
    if (chat && (chat.unread || chat.mentions)) {
      chat.unread = 0;
      chat.mentions = 0;
      this.render();
    }
  }

  render() {
    const focused = document.activeElement?.dataset?.chatKey;
    this.root.replaceChildren(...this.chats.map((chat) => {
      const key = chatKey(chat);
      const btn = h('button', {
        type: 'button',
        class: `chat-item${key === this.openKey ? ' active' : ''}`,
        'data-chat-key': key,
        'aria-current': key === this.openKey ? 'true' : null,
      },
      h('span', { class: 'avatar', 'aria-hidden': 'true', text: (chat.name || chat.chatId).slice(0, 1).toUpperCase() }),
      h('span', { class: 'chat-text' },
        h('span', { class: 'chat-name' }, chat.name || chat.chatId,
          chat.chatType === 'bot' ? h('span', { class: 'tag', text: 'bot' }) : null),
        h('span', { class: 'chat-preview', text: preview(chat.lastMessage) })),
      // Mentions apart from the rest, as chat apps badge them: "@2" beside the unread count.
      chat.mentions ? h('span', { class: 'mentions', 'aria-label': `${chat.mentions} mentioning you`, text: `@${chat.mentions}` }) : null,
      chat.unread ? h('span', { class: 'unread', 'aria-label': `${chat.unread} unread`, text: String(chat.unread) }) : null);
      btn.addEventListener('click', () => this.onOpen(chat));
      return h('li', {}, btn);
    }));
    if (focused) this.root.querySelector(`[data-chat-key="${CSS.escape(focused)}"]`)?.focus();
    if (this.chats.length === 0) {
      this.root.append(h('li', { class: 'empty', text: 'No chats yet: message someone with New message below, join an open group or follow a bot with Discover, or ask an admin to add you to a group.' }));
    }
    const unread = this.chats.reduce((sum, chat) => sum + (chat.unread ?? 0), 0);
    document.title = unread ? `(${unread}) ${this.baseTitle}` : this.baseTitle;
  }
}
