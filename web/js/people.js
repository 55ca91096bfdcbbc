// New message: a people picker, opened from the sidebar, that finds users by name as one
// types (`GET /api/v1/users?query=`) and starts, or reopens, the direct messages with the one
// chosen (`POST /api/v1/dms`). Esc (the dialog's own cancel) or × return to where one was.

import { api } from './api.js';
import { h } from './dom.js';

/** How long typing pauses before the search runs (ms). */
const DEBOUNCE_MS = 200;

/** Starts (or finds) the direct messages with `userId`; resolves to the chat-list entry. */
export function startDirect(userId) {
  return api('POST', '/dms', { userId });
}

export class People {
  /** `dialog` is the panel; `onChosen(chat)` opens the chat started with the one picked. */
  constructor(dialog, onChosen) {
    this.dialog = dialog;
    this.onChosen = onChosen;
    this.input = dialog.querySelector('#people-query');
    this.list = dialog.querySelector('#people-list');
    this.error = dialog.querySelector('#people-error');
    this.timer = null;
    // Answers may come back out of order: only the newest search's is shown.
    this.asked = 0;
    this.returnTo = null;
    this.opened = false;
    dialog.querySelector('.people-close').addEventListener('click', () => dialog.close());
    dialog.addEventListener('close', () => {
      clearTimeout(this.timer);
      if (!this.opened) this.returnTo?.focus();
      this.returnTo = null;
    });
    this.input.addEventListener('input', () => {
      clearTimeout(this.timer);
      this.timer = setTimeout(() => this.search(), DEBOUNCE_MS);
    });
    // Enter picks the first person listed, ↓ moves into the list.
    this.input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') {
        e.preventDefault();
        this.list.querySelector('button')?.click();
      } else if (e.key === 'ArrowDown') {
        e.preventDefault();
        this.list.querySelector('button')?.focus();
      }
    });
  }

  /** Shows the panel with everyone (the first by name), the search box focused. */
  async open() {
    this.returnTo = document.activeElement;
    this.opened = false;
    this.input.value = '';
    this.error.textContent = '';
    this.dialog.showModal();
    this.input.focus();
    await this.search();
  }

  async search() {
    const asked = ++this.asked;
    const query = this.input.value.trim();
    let data;
    try {
      data = await api('GET', `/users?${new URLSearchParams({ query, limit: '30' })}`);
    } catch (err) {
      if (asked === this.asked) this.error.textContent = `Could not search: ${err.message}`;
      return;
    }
    if (asked !== this.asked) return;
    this.error.textContent = '';
    const people = (data.users ?? []).filter((u) => u.userId !== window.cloudlakeMe);
    this.list.replaceChildren(...people.map((u) => this.row(u)));
    if (people.length === 0) {
      this.list.append(h('li', { class: 'muted', text: query ? `No one named "${query}".` : 'No one else here yet.' }));
    }
    if (data.truncated) this.list.append(h('li', { class: 'muted', text: 'More match: type more of the name.' }));
  }

  /** One person: their name and ID; choosing them opens the chat with them. */
  row(user) {
    const name = user.nickname || user.userId;
    const button = h('button', {
      type: 'button',
      class: 'people-row',
      'data-user-id': user.userId,
      'aria-label': `Message ${name}`,
    },
    h('span', { class: 'avatar', 'aria-hidden': 'true', text: name.slice(0, 1).toUpperCase() }),
    h('span', { class: 'chat-text' },
      h('span', { class: 'chat-name', text: name }),
      h('span', { class: 'chat-preview', text: user.userId })));
    button.addEventListener('click', async () => {
      button.disabled = true;
      let chat;
      try {
        chat = await startDirect(user.userId);
      } catch (err) {
        button.disabled = false;
        this.error.textContent = `Could not message ${name}: ${err.message}`;
        return;
      }
      this.opened = true;
      this.dialog.close();
      await this.onChosen(chat);
    });
    return h('li', {}, button);
  }
}
