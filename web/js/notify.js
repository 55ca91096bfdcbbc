// Desktop notifications, once the user allows them: browsers ask only after a click, so a bell
// in the chat list's bar asks, and goes away once answered. A message the reader has not seen
// while the page is in the background (hidden, or another window has the focus) shows its
// chat, sender and text; clicking the notification brings the page forward on that chat.

import { chatKey } from './api.js';
import { preview } from './message.js';

const supported = () => 'Notification' in window;

export class Notifier {
  /** `bell` asks for permission; `onOpen(key)` opens the chat with that key. */
  constructor(bell, onOpen) {
    this.bell = bell;
    this.onOpen = onOpen;
    bell.addEventListener('click', async () => {
      try { await Notification.requestPermission(); } catch { /* answered "no" or unsupported */ }
      this.refresh();
    });
  }

  /** Shows the bell while the browser has not been told yes or no. */
  refresh() {
    this.bell.hidden = !supported() || Notification.permission !== 'default';
  }

  /** Notifies `msg` (not seen, not one's own) of the chat named `name`, if the page is away. */
  message(msg, name) {
    if (!supported() || Notification.permission !== 'granted') return;
    if (document.visibilityState === 'visible' && document.hasFocus()) return;
    const key = chatKey(msg);
    // One per chat at a time (the tag): a busy chat replaces its notification.
    const note = new Notification(name || msg.chatId, { body: preview(msg), tag: key });
    note.onclick = () => {
      window.focus();
      this.onOpen(key);
      note.close();
    };
  }
}
