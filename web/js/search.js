// Search in one's chats: the box in the chat list's header asks the server (GET /search, which
// searches only the chats the user may read) as the reader types, and shows the hits, newest
// first, in place of the chat list; choosing one opens its chat at that message. Esc, or
// emptying the box, brings the chat list back.

import { api } from './api.js';
import { h } from './dom.js';
import { dayLabel, clockTime, fullDate } from './format.js';
import { preview } from './message.js';

/** The server's limit on a query (characters). */
const MAX_CHARS = 100;
/** Typing pauses this long (ms) before a search is sent. */
const DEBOUNCE = 250;
const PAGE = 20;

export class Search {
  /**
   * `input` the search box, `results` the list the hits go in, `status` a line for what is
   * happening, `chatList` the list hidden while hits show; `onOpen(hit)` opens a hit's chat.
   */
  constructor({ input, results, status, chatList }, onOpen) {
    this.input = input;
    this.results = results;
    this.status = status;
    this.chatList = chatList;
    this.onOpen = onOpen;
    this.timer = null;
    /** Bumped by every search: an answer to an older one is dropped. */
    this.generation = 0;
    this.query = '';
    this.before = null;
    input.maxLength = MAX_CHARS;
    input.addEventListener('input', () => this.schedule());
    input.addEventListener('keydown', (e) => {
      if (e.key === 'Escape') { this.clear(); return; }
      if (e.key === 'Enter') { e.preventDefault(); this.run(); return; }
      if (e.key === 'ArrowDown') { e.preventDefault(); this.results.querySelector('.search-hit')?.focus(); }
    });
  }

  get active() { return this.query !== ''; }

  schedule() {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.run(), DEBOUNCE);
  }

  /** Searches for what the box holds now (the first page). */
  async run() {
    clearTimeout(this.timer);
    const query = this.input.value.trim();
    if (query === this.query && this.results.childElementCount) return;
    if (!query) { this.clear({ keepFocus: true }); return; }
    this.query = query;
    this.before = null;
    this.results.replaceChildren();
    await this.page();
  }

  /** Fetches the next page of hits for the current query and appends it. */
  async page() {
    this.generation += 1;
    const generation = this.generation;
    this.show(true);
    this.setStatus('Searching…');
    const params = new URLSearchParams({ q: this.query, limit: String(PAGE) });
    if (this.before !== null) params.set('before', String(this.before));
    let data;
    try {
      data = await api('GET', `/search?${params}`);
    } catch (err) {
      if (generation !== this.generation) return;
      this.setStatus(`Search failed: ${err.message}`, true);
      return;
    }
    if (generation !== this.generation) return;
    const hits = data.results ?? [];
    this.results.querySelector('.search-more')?.remove();
    this.results.append(...hits.map((hit) => this.hitElement(hit)));
    if (hits.length) this.before = hits[hits.length - 1].cursor;
    const shown = this.results.querySelectorAll('.search-hit').length;
    this.setStatus(shown
      ? `${shown}${data.hasMore ? '+' : ''} message${shown === 1 && !data.hasMore ? '' : 's'} found`
      : `Nothing found for “${this.query}”`);
    if (data.hasMore) {
      const more = h('button', { type: 'button', class: 'link', text: 'Older results' });
      more.addEventListener('click', () => this.page());
      this.results.append(h('li', { class: 'search-more' }, more));
    }
  }

  hitElement(hit) {
    const msg = hit.message;
    const when = `${dayLabel(msg.sendTime)} ${clockTime(msg.sendTime)}`;
    const btn = h('button', {
      type: 'button',
      class: 'search-hit',
      'data-msg-id': msg.msgId,
      title: fullDate(msg.sendTime),
    },
    h('span', { class: 'search-hit-head' },
      h('span', { class: 'chat-name' }, hit.chat.name || hit.chat.chatId,
        hit.chat.chatType === 'bot' ? h('span', { class: 'tag', text: 'bot' }) : null),
      h('span', { class: 'search-hit-time', text: when })),
    h('span', { class: 'chat-preview', text: preview(msg) }));
    btn.addEventListener('click', () => this.onOpen(hit));
    btn.addEventListener('keydown', (e) => {
      const step = { ArrowDown: 'nextElementSibling', ArrowUp: 'previousElementSibling' }[e.key];
      if (e.key === 'Escape') { this.clear(); return; }
      if (!step) return;
      e.preventDefault();
      const next = btn.closest('li')[step]?.querySelector('.search-hit');
      if (next) next.focus();
      else if (e.key === 'ArrowUp') this.input.focus();
    });
    return h('li', {}, btn);
  }

  setStatus(text, isError = false) {
    this.status.textContent = text;
    this.status.classList.toggle('error', isError);
  }

  show(searching) {
    this.results.hidden = !searching;
    this.chatList.hidden = searching;
  }

  /** Back to the chat list. */
  clear({ keepFocus = false } = {}) {
    clearTimeout(this.timer);
    this.generation += 1;
    this.query = '';
    this.before = null;
    this.input.value = '';
    this.results.replaceChildren();
    this.setStatus('');
    this.show(false);
    if (keepFocus) this.input.focus();
  }
}
