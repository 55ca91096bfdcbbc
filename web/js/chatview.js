// The open conversation: history pages loaded upward as the reader scrolls, live messages
// appended, edits and recalls replaced in place, streaming bot messages growing.
// Only what the reader has seen is marked read: the chat up to its end, once they are at the
// bottom of a visible page. A chat with unread messages opens at the first of them; a message
// arriving while the reader is scrolled up stays unread. Either way a "New messages" line
// marks where they begin, and a button jumps there. A link to a message scrolls to it and
// marks it.

import { api, chatKey, chatPath } from './api.js';
import { h } from './dom.js';
import { arrange } from './grouping.js';
import { messageElement } from './message.js';
import { setReactions } from './reactions.js';

const PAGE = 50;
/**
 * How many pages back a jump to a message (a search hit, a link) loads before giving up: the
 * view holds one unbroken stretch of history up to the end, so an older message is reached by
 * loading every page after it.
 */
const MAX_JUMP_PAGES = 40;
/** How long a message jumped to stays marked (ms). */
const HIGHLIGHT_MS = 4000;

const sleep = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });
/** Load the older page when the reader is this close to the top (px). */
const NEAR_TOP = 300;

export class ChatView {
  constructor(scroller, list, status, jump, onRead) {
    this.scroller = scroller;
    this.list = list;
    this.status = status;
    this.jump = jump;
    this.onRead = onRead;
    this.chat = null;
    this.firstSeq = null;
    this.lastSeq = 0;
    /** The newest seq the reader has seen (what may be marked read). */
    this.seenSeq = 0;
    /** Messages that arrived while the reader was scrolled up, not seen yet. */
    this.unseen = 0;
    this.divider = h('li', { class: 'new-divider', role: 'separator', text: 'New messages' });
    this.hasMore = false;
    this.loading = false;
    this.generation = 0;
    scroller.addEventListener('scroll', () => {
      if (scroller.scrollTop < NEAR_TOP) this.loadOlder();
      if (this.seenSeq < this.lastSeq && this.nearBottom()) this.read();
    }, { passive: true });
    jump.addEventListener('click', () => this.jumpToNew());
  }

  get key() { return this.chat ? chatKey(this.chat) : null; }

  /**
   * Shows `chat`: at its first unread message (with the "New messages" line) or its end, or,
   * given `focus` (a message of the chat, from search), at that message.
   */
  async open(chat, { focus = null } = {}) {
    const unread = chat.unread ?? 0; // as the list had it, before anything is marked read
    this.chat = chat;
    this.generation += 1;
    this.firstSeq = null;
    this.lastSeq = 0;
    this.seenSeq = 0;
    this.forgetUnseen();
    this.divider.remove();
    this.hasMore = false;
    this.loading = false;
    this.list.replaceChildren();
    const generation = this.generation;
    await this.loadOlder();
    if (generation !== this.generation) return; // another chat was opened meanwhile
    if (focus) {
      if (!(await this.show(focus.msgId)) && generation === this.generation) {
        this.scrollToEnd();
        this.read();
      }
      return;
    }
    // Unread messages: start at the first of them, under the "New messages" line, rather
    // than at the end (which would mark read what the reader never saw).
    const first = unread > 0 ? this.firstUnread(unread) : null;
    if (first) {
      first.before(this.divider);
      this.unseen = unread;
      this.showJump();
      arrange(this.list);
      this.scroller.scrollTop += this.divider.getBoundingClientRect().top - this.scroller.getBoundingClientRect().top;
    } else {
      this.scrollToEnd();
    }
    this.read();
  }

  /**
   * The oldest of the last `count` messages that count as unread (the server's rule: not
   * one's own, not recalled), or the oldest loaded message when fewer are loaded.
   */
  firstUnread(count) {
    const messages = [...this.list.querySelectorAll(':scope > .msg')];
    let seen = 0;
    for (let i = messages.length - 1; i >= 0; i -= 1) {
      const el = messages[i];
      if (el.classList.contains('own') || el.querySelector(':scope > .msg-body.recalled')) continue;
      seen += 1;
      if (seen === count) return el;
    }
    return messages[0] ?? null;
  }

  /** Reloads the newest page (after a gap in the live feed). */
  async reload() {
    if (this.chat) await this.open(this.chat);
  }

  async loadOlder() {
    if (!this.chat || this.loading || (this.firstSeq !== null && !this.hasMore)) return;
    this.loading = true;
    const generation = this.generation;
    this.status.textContent = 'Loading…';
    this.status.classList.remove('error');
    const query = new URLSearchParams({ limit: String(PAGE) });
    if (this.firstSeq !== null) query.set('beforeSeq', String(this.firstSeq));
    try {
      const page = await api('GET', `/chats/${chatPath(this.chat)}/messages?${query}`);
      if (generation !== this.generation) return;
      const messages = page.messages ?? [];
      // Keep what the reader sees in place: restore the distance from the bottom.
      const fromBottom = this.scroller.scrollHeight - this.scroller.scrollTop;
      const fresh = messages.filter((m) => !this.element(m.msgId));
      this.list.prepend(...fresh.map((m) => messageElement(m)));
      arrange(this.list);
      if (messages.length) {
        this.firstSeq = messages[0].seq;
        this.lastSeq = Math.max(this.lastSeq, messages[messages.length - 1].seq);
      } else if (this.firstSeq === null) {
        this.firstSeq = 0;
      }
      this.hasMore = page.hasMore;
      this.scroller.scrollTop = this.scroller.scrollHeight - fromBottom;
      this.status.textContent = this.hasMore ? '' : (this.lastSeq ? 'Start of the conversation' : 'No messages yet');
      // No read() here: an older page is above the reader, and open() decides where a freshly
      // opened chat starts (the first page alone would sit at its end and read everything).
    } catch (err) {
      if (generation !== this.generation) return;
      this.status.textContent = `Could not load messages: ${err.message}`;
      this.status.classList.add('error');
    } finally {
      if (generation === this.generation) this.loading = false;
    }
    // A first page shorter than the screen leaves nothing to scroll: keep loading.
    if (generation === this.generation && this.hasMore && this.scroller.scrollHeight <= this.scroller.clientHeight) {
      this.loadOlder();
    }
  }

  element(msgId) {
    return this.list.querySelector(`[data-msg-id="${CSS.escape(msgId)}"]`);
  }

  nearBottom() {
    return this.scroller.scrollHeight - this.scroller.scrollTop - this.scroller.clientHeight < 80;
  }

  scrollToEnd() {
    this.scroller.scrollTop = this.scroller.scrollHeight;
  }

  /**
   * A new message in this chat (live or just sent). Returns whether the reader has seen it
   * (false for another chat's message, or one that arrived below where they are reading).
   */
  add(msg) {
    if (chatKey(msg) !== this.key) return false;
    const stick = this.nearBottom();
    const old = this.element(msg.msgId);
    const el = messageElement(msg);
    if (old && !old.classList.contains('streaming')) return this.seenSeq >= msg.seq; // already shown
    if (old) old.replaceWith(el);
    else this.list.append(el);
    if (!this.hasMore) this.status.textContent = ''; // no longer "No messages yet"
    this.lastSeq = Math.max(this.lastSeq, msg.seq);
    const mine = msg.senderType === 'user' && msg.senderId === window.cloudlakeMe;
    if (!stick && !mine) this.markUnseen(el);
    arrange(this.list);
    if (stick || mine) this.scrollToEnd();
    this.read();
    return this.seenSeq >= msg.seq;
  }

  /** Counts a message that arrived out of sight; the first one gets the "New messages" line. */
  markUnseen(el) {
    if (this.unseen === 0) el.before(this.divider);
    this.unseen += 1;
    this.showJump();
  }

  showJump() {
    this.jump.textContent = `↓ ${this.unseen} new message${this.unseen === 1 ? '' : 's'}`;
    this.jump.hidden = false;
  }

  forgetUnseen() {
    this.unseen = 0;
    this.jump.hidden = true;
  }

  /** The button: to the "New messages" line if it is below the view, else to the end. */
  jumpToNew() {
    const line = this.divider.getBoundingClientRect();
    const view = this.scroller.getBoundingClientRect();
    if (this.divider.isConnected && line.top > view.top + 1) {
      this.scroller.scrollTop += line.top - view.top;
    } else {
      this.scrollToEnd();
    }
    this.read();
  }

  /** A message's reactions changed (a live frame): its chips redrawn where it stands. */
  reactions(frame) {
    if (chatKey(frame.chat) !== this.key) return;
    const el = this.element(frame.msgId);
    if (!el || el.classList.contains('tip') || el.classList.contains('streaming')) return;
    const stick = this.nearBottom();
    setReactions(el, frame.reactions);
    if (stick) this.scrollToEnd();
  }

  /** An edited or recalled message: replaced where it stands. */
  replace(msg) {
    if (chatKey(msg) !== this.key) return;
    const old = this.element(msg.msgId);
    if (!old) return;
    old.replaceWith(messageElement(msg));
    arrange(this.list);
  }

  /**
   * Scrolls to a message of the open chat and marks it for a moment, loading older pages (at
   * most MAX_JUMP_PAGES) until it is there. Returns whether it was found; if not, the status
   * line says so.
   */
  async show(msgId) {
    const generation = this.generation;
    for (let pages = 0; !this.element(msgId) && pages < MAX_JUMP_PAGES; pages += 1) {
      // A short first page keeps loading by itself; wait for it rather than race it.
      while (this.loading) {
        await sleep(30);
        if (generation !== this.generation) return false;
      }
      if (this.element(msgId) || !this.hasMore) break;
      await this.loadOlder();
      if (generation !== this.generation) return false;
    }
    const el = this.element(msgId);
    if (!el) {
      this.status.textContent = 'That message is further back: scroll up to reach it.';
      return false;
    }
    el.scrollIntoView({ block: 'center' });
    el.classList.remove('highlight');
    void el.offsetWidth; // restart the highlight's fade when the same message is shown again
    el.classList.add('highlight');
    setTimeout(() => el.classList.remove('highlight'), HIGHLIGHT_MS);
    this.read();
    return true;
  }

  /** The element of the reader's newest message they can edit here, if any. */
  lastEditable() {
    const own = [...this.list.querySelectorAll(':scope > .msg.own')].reverse();
    return own.find((el) => el.querySelector(':scope > .msg-meta .msg-edit')) ?? null;
  }

  /** A bot message still being streamed, or dropped when the stream broke off. */
  streaming(msg, aborted) {
    if (chatKey(msg) !== this.key) return;
    const old = this.element(msg.msgId);
    if (aborted) {
      if (old?.classList.contains('streaming')) { old.remove(); arrange(this.list); }
      return;
    }
    if (old && !old.classList.contains('streaming')) return; // the final message is here
    const stick = this.nearBottom();
    const el = messageElement(msg, { streaming: true });
    if (old) old.replaceWith(el);
    else this.list.append(el);
    arrange(this.list);
    if (stick) this.scrollToEnd();
  }

  /** Marks the chat read to its end if the reader can see the end: at the bottom, page visible. */
  read() {
    if (!this.chat || this.lastSeq === 0 || document.visibilityState !== 'visible' || !this.nearBottom()) return;
    this.seenSeq = this.lastSeq;
    this.forgetUnseen();
    this.onRead(this.chat, this.seenSeq);
  }

  clear() {
    this.chat = null;
    this.generation += 1;
    this.forgetUnseen();
    this.list.replaceChildren(h('li', { class: 'empty', text: 'Choose a chat on the left.' }));
    this.status.textContent = '';
  }
}
