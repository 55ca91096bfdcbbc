// Boards (看板) bots pin above a chat, kept per chat and bot.

import { chatKey } from './api.js';
import { h } from './dom.js';

export class Boards {
  constructor(root) {
    this.root = root;
    this.byKey = new Map(); // chatKey -> Map(botId -> board)
    this.shown = null;
  }

  reset(boards) {
    this.byKey.clear();
    for (const b of boards) this.set(b, false);
    this.render();
  }

  set(board, render = true) {
    const key = chatKey(board);
    if (!this.byKey.has(key)) this.byKey.set(key, new Map());
    this.byKey.get(key).set(board.botId, board);
    if (render) this.render();
  }

  dismiss(botId, chat) {
    this.byKey.get(chatKey(chat))?.delete(botId);
    this.render();
  }

  show(key) {
    this.shown = key;
    this.render();
  }

  render() {
    const now = Date.now();
    const boards = [...(this.byKey.get(this.shown)?.values() ?? [])]
      .filter((b) => !b.expireTime || b.expireTime > now);
    this.root.replaceChildren(...boards.map((b) => {
      const el = h('div', { class: 'board', 'data-bot-id': b.botId });
      const body = h('div', { class: 'board-body' });
      if (typeof b.html === 'string') body.innerHTML = b.html; // sanitized by the server
      else body.textContent = b.content;
      el.append(body);
      return el;
    }));
    this.root.hidden = boards.length === 0;
  }
}
