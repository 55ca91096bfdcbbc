// A bot's shortcut menu (快捷菜单, wire §7.8): its buttons in a bar above the composer, in the
// chats with the bot (its private chat, and the groups it is in), from
// `GET /api/v1/chats/{type}/{id}/menus`. A plain button reports a press; a toggle is a button
// with aria-pressed; a drop-down is a labelled select. Each press goes through
// `POST /api/v1/chats/{type}/{id}/menus/{menuId}`, and the bot gets `bot.shortcut.menu`.

import { api, chatPath } from './api.js';
import { h } from './dom.js';

export class MenuBar {
  /** `composer` is the composer's form element: the bar goes just above it. */
  constructor(composer) {
    this.el = h('div', { id: 'shortcut-menu', class: 'shortcut-menu', role: 'toolbar', 'aria-label': 'Bot menu', hidden: true });
    this.status = h('span', { class: 'shortcut-menu-status muted', role: 'status' });
    composer.before(this.el);
    this.chat = null;
    // Presses go out one after another: two quick changes of a drop-down sent side by side
    // could reach the server, and the bot, in the other order, leaving it with the old value.
    this.sending = Promise.resolve();
  }

  /** Shows the menus of `chat`'s bots (nothing when they have none). */
  async open(chat) {
    this.chat = chat;
    this.el.hidden = true;
    this.el.replaceChildren();
    let menus = [];
    try {
      menus = (await api('GET', `/chats/${chatPath(chat)}/menus`)).menus ?? [];
    } catch { /* no menu bar; the chat works without it */ }
    if (this.chat !== chat || menus.length === 0) return;
    this.status.textContent = '';
    this.el.replaceChildren(...menus.map((m) => this.item(chat, m)), this.status);
    this.el.hidden = false;
  }

  item(chat, m) {
    const title = `${m.botName} · ${m.name}`;
    if (m.menuType === 3) {
      const id = `menu-${m.menuId}`;
      const select = h('select', { id, 'data-menu': m.menuId },
        h('option', { value: '', text: `${m.name}…`, disabled: true, selected: m.value === null }),
        (m.options ?? []).map((o, i) => h('option', { value: String(i), text: o, selected: m.value === o })));
      select.addEventListener('change', () => this.press(chat, m, Number(select.value)));
      return h('span', { class: 'shortcut-menu-item', title },
        h('label', { for: id, class: 'visually-hidden', text: m.name }), select);
    }
    const attrs = { type: 'button', class: 'shortcut-menu-button', 'data-menu': m.menuId, title, text: m.name };
    if (m.menuType === 2) attrs['aria-pressed'] = m.value === '1' ? 'true' : 'false';
    const button = h('button', attrs);
    button.addEventListener('click', () => {
      const action = m.menuType === 2 ? (button.getAttribute('aria-pressed') === 'true' ? 0 : 1) : undefined;
      this.press(chat, m, action, button);
    });
    return button;
  }

  press(chat, m, action, button) {
    this.sending = this.sending.then(() => this.send(chat, m, action, button));
    return this.sending;
  }

  async send(chat, m, action, button) {
    this.status.textContent = '';
    try {
      const body = action === undefined ? {} : { action };
      const r = await api('POST', `/chats/${chatPath(chat)}/menus/${encodeURIComponent(m.menuId)}`, body);
      if (button && m.menuType === 2) button.setAttribute('aria-pressed', r.value === '1' ? 'true' : 'false');
      this.status.textContent = `Sent to ${m.botName}.`;
    } catch (err) {
      this.status.textContent = `Not sent: ${err.message}`;
    }
  }
}
