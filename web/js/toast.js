// A bot's answer to the reader's click (a cloudlake extension, wire §7.7d): its notice shown
// for a few seconds in a polite live region, as Telegram shows an answered callback. Text only.

import { h } from './dom.js';

/** How long a notice stays, in ms. */
const SHOWN_MS = 5000;

export class Toasts {
  constructor() {
    this.el = h('div', { id: 'toasts', class: 'toasts', role: 'status', 'aria-live': 'polite' });
    document.body.append(this.el);
  }

  /** Shows `text` from `from` (the bot's name, when known) until it times out or is clicked. */
  show(text, from) {
    const toast = h('p', { class: 'toast' }, from ? h('strong', { text: `${from}: ` }) : null, text);
    toast.addEventListener('click', () => toast.remove());
    this.el.append(toast);
    setTimeout(() => toast.remove(), SHOWN_MS);
  }
}
