// Discover: the open groups one may join and the bots one may follow, in a modal dialog
// opened from the sidebar. Joining or following puts the chat in the list and opens it; Esc
// (the dialog's own cancel) or the close button return to where the reader was.

import { api } from './api.js';
import { h } from './dom.js';

export class Discover {
  /**
   * `dialog` is the panel; `onAdded({chatType, chatId})` is called once a join or follow
   * succeeded, to reload the chat list and open the chat.
   */
  constructor(dialog, onAdded) {
    this.dialog = dialog;
    this.onAdded = onAdded;
    this.groups = dialog.querySelector('#discover-groups');
    this.bots = dialog.querySelector('#discover-bots');
    this.error = dialog.querySelector('#discover-error');
    this.returnTo = null;
    // Whether the panel closed by opening a chat, which then keeps the focus.
    this.opened = false;
    dialog.querySelector('.discover-close').addEventListener('click', () => dialog.close());
    dialog.addEventListener('close', () => {
      if (dialog.open) return;
      // The chat just opened keeps the focus; otherwise back to the Discover button.
      if (!this.opened) this.returnTo?.focus();
      this.returnTo = null;
    });
  }

  /** Shows the panel and loads both lists afresh. */
  async open() {
    this.returnTo = document.activeElement;
    this.opened = false;
    this.error.textContent = '';
    this.groups.replaceChildren(h('li', { class: 'muted', text: 'Loading…' }));
    this.bots.replaceChildren();
    this.dialog.showModal();
    try {
      const [groups, bots] = await Promise.all([
        api('GET', '/groups?open=true'),
        api('GET', '/bots'),
      ]);
      this.renderGroups(groups);
      this.renderBots(bots);
    } catch (err) {
      this.groups.replaceChildren();
      this.error.textContent = `Could not load: ${err.message}`;
    }
  }

  renderGroups({ groups = [], truncated }) {
    this.groups.replaceChildren(...groups.map((g) => this.row({
      name: g.name || g.groupId,
      detail: `${g.memberCount} member${g.memberCount === 1 ? '' : 's'}`,
      done: g.member,
      doneLabel: 'Joined',
      actLabel: 'Join',
      act: () => api('POST', `/groups/${encodeURIComponent(g.groupId)}/join`),
      chat: { chatType: 'group', chatId: g.groupId },
    })));
    if (groups.length === 0) this.groups.append(h('li', { class: 'muted', text: 'No open groups.' }));
    if (truncated) this.groups.append(h('li', { class: 'muted', text: 'Showing the first ones by name.' }));
  }

  renderBots({ bots = [], truncated }) {
    this.bots.replaceChildren(...bots.map((b) => this.row({
      name: b.nickname || b.botId,
      detail: b.botId,
      done: b.followed,
      doneLabel: 'Following',
      actLabel: 'Follow',
      act: () => api('PUT', `/bots/${encodeURIComponent(b.botId)}/follow`),
      chat: { chatType: 'bot', chatId: b.botId },
    })));
    if (bots.length === 0) this.bots.append(h('li', { class: 'muted', text: 'No bots.' }));
    if (truncated) this.bots.append(h('li', { class: 'muted', text: 'Showing the first ones by name.' }));
  }

  /** One group or bot: its name, a detail, and Join/Follow, or Joined/Following (opens it). */
  row({ name, detail, done, doneLabel, actLabel, act, chat }) {
    const button = h('button', {
      type: 'button',
      class: done ? 'discover-done' : 'discover-act',
      'data-chat-key': `${chat.chatType}:${chat.chatId}`,
      'aria-label': `${done ? doneLabel : actLabel} ${name}`,
      text: done ? doneLabel : actLabel,
    });
    button.addEventListener('click', async () => {
      this.error.textContent = '';
      if (!done) {
        button.disabled = true;
        try {
          await act();
        } catch (err) {
          button.disabled = false;
          this.error.textContent = `Could not ${actLabel.toLowerCase()} ${name}: ${err.message}`;
          return;
        }
      }
      // Joined already or just now: either way, go to the chat.
      this.opened = true;
      this.dialog.close();
      await this.onAdded(chat);
    });
    return h('li', { class: 'discover-row' },
      h('span', { class: 'avatar', 'aria-hidden': 'true', text: name.slice(0, 1).toUpperCase() }),
      h('span', { class: 'chat-text' },
        h('span', { class: 'chat-name', text: name }),
        h('span', { class: 'chat-preview', text: detail })),
      button);
  }
}
