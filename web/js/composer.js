// The composer: Enter sends, Shift+Enter breaks the line; in groups and direct messages, `@` offers the members (bots included) and
// a chosen one goes in as `@name` + U+200B with the ID in `content.at` (wire §5.3). The paper
// clip (or pasting an image) uploads a file and sends it as an image, video or file message.
// A message's Reply action quotes it: the next message goes with its `parentId` (wire §5.4).
// ↑ in an empty composer edits one's last message. `/` at the start offers the chat's bots'
// commands: a direct one is sent at once (`/name`, as Yunhu's client does), a normal one is
// put in the box for the user's input (the bot gets its preset text and the input, wire §7.4),
// with its hint text as the box's placeholder; a form command opens its form above the
// composer (commandform.js).

import { api, chatPath, upload } from './api.js';
import { CommandForm } from './commandform.js';
import { MenuBar } from './menubar.js';
import { h } from './dom.js';
import { preview } from './message.js';

const ZWSP = '\u200b';

export class Composer {
  constructor(form) {
    this.form = form;
    this.text = form.querySelector('#composer-text');
    this.type = form.querySelector('#composer-type');
    this.error = form.querySelector('#composer-error');
    this.list = form.querySelector('#mention-list');
    this.file = form.querySelector('#composer-file');
    this.status = form.querySelector('#composer-status');
    this.chat = null;
    this.members = [];
    this.commands = []; // the chat's bots' commands, each with `bot` (the bot's nickname)
    this.picked = new Map(); // nickname -> userId
    this.matches = [];
    this.active = 0;
    this.onSent = () => {};
    this.placeholder = this.text.placeholder;
    this.commandForm = new CommandForm(form, (msg) => this.onSent(msg));
    // Made after the form: the bar sits right above the composer, the form above the bar.
    this.menuBar = new MenuBar(form);
    this.replying = null; // the message the next send quotes
    this.replyBar = form.querySelector('#composer-reply');
    this.replyText = form.querySelector('#composer-reply-text');
    form.querySelector('#composer-reply-cancel').addEventListener('click', () => this.replyTo(null));
    form.addEventListener('submit', (e) => { e.preventDefault(); this.send(); });
    this.text.addEventListener('keydown', (e) => this.keydown(e));
    this.text.addEventListener('input', () => { this.grow(); this.suggest(); });
    // Text wraps differently at another width (a phone turned, a window resized).
    window.addEventListener('resize', () => this.grow());
    this.file.addEventListener('change', () => {
      const [file] = this.file.files;
      this.file.value = '';
      if (file) this.attach(file);
    });
    this.text.addEventListener('paste', (e) => {
      const image = [...(e.clipboardData?.files ?? [])].find((f) => f.type.startsWith('image/'));
      if (image) { e.preventDefault(); this.attach(image); }
    });
  }

  /** Uploads `file` and sends it into the open chat as an image, video or file message. */
  async attach(file) {
    const chat = this.chat;
    if (!chat) return;
    const kind = file.type.startsWith('image/') ? 'image' : file.type.startsWith('video/') ? 'video' : 'file';
    this.error.textContent = '';
    this.status.textContent = `Uploading ${file.name || kind}…`;
    try {
      const up = await upload(kind, file);
      const msg = await api('POST', `/chats/${chatPath(chat)}/messages`, { contentType: kind, content: { [`${kind}Key`]: up.key } });
      this.onSent(msg);
    } catch (err) {
      this.error.textContent = `Not sent: ${err.message}`;
    } finally {
      this.status.textContent = '';
    }
  }

  /** Quotes `msg` in the next message (or stops quoting, with `null`). */
  replyTo(msg) {
    this.replying = msg;
    this.replyBar.hidden = !msg;
    this.replyText.textContent = msg ? `Replying to ${preview(msg)}` : '';
    if (msg) this.text.focus();
  }

  async open(chat) {
    this.chat = chat;
    this.replyTo(null);
    this.picked.clear();
    this.text.value = '';
    this.error.textContent = '';
    this.members = [];
    this.commands = [];
    this.text.placeholder = this.placeholder;
    this.commandForm.close();
    this.menuBar.open(chat);
    this.closeList();
    this.grow();
    if (chat.chatType === 'group') {
      try {
        const data = await api('GET', `/groups/${encodeURIComponent(chat.chatId)}/members`);
        if (this.chat !== chat) return;
        this.members = data.members ?? [];
        this.commands = this.members.filter((m) => m.kind === 'bot')
          .flatMap((b) => (b.commands ?? []).map((c) => ({ ...c, bot: b.nickname, botId: b.userId })));
        this.suggestIfTyping();
      } catch { /* mentions and commands stay unavailable; sending still works */ }
    } else if (chat.chatType === 'dm') {
      // Direct messages: `@` offers the other person; there are no bots, so no commands.
      if (chat.userId) this.members = [{ kind: 'user', userId: chat.userId, nickname: chat.name || chat.userId }];
    } else if (chat.chatType === 'bot') {
      try {
        const data = await api('GET', `/bots/${encodeURIComponent(chat.chatId)}/commands`);
        if (this.chat !== chat) return;
        this.commands = (data.commands ?? []).map((c) => ({ ...c, bot: chat.name, botId: chat.chatId }));
        this.suggestIfTyping();
      } catch { /* no command picker; sending still works */ }
    }
  }

  /** Someone who typed `/` or `@` before the chat's members and commands arrived gets the
   *  picker now, not only at their next keystroke. */
  suggestIfTyping() {
    if (document.activeElement === this.text && this.text.value) this.suggest();
  }

  grow() {
    this.text.style.height = 'auto';
    // The height is the border box (box-sizing); scrollHeight leaves the borders out, and
    // without them the text overflowed by 2 px and showed a scroll bar.
    const borders = this.text.offsetHeight - this.text.clientHeight;
    this.text.style.height = `${Math.min(this.text.scrollHeight + borders, 160)}px`;
  }

  keydown(e) {
    if (!this.list.hidden) {
      if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
        e.preventDefault();
        const step = e.key === 'ArrowDown' ? 1 : -1;
        this.active = (this.active + step + this.matches.length) % this.matches.length;
        this.renderList();
        return;
      }
      if (e.key === 'Enter' || e.key === 'Tab') {
        e.preventDefault();
        this.pick(this.matches[this.active]);
        return;
      }
      // Handled: the page's Esc (cancel the reply, back to the list) waits for the next one.
      if (e.key === 'Escape') { e.preventDefault(); this.closeList(); return; }
    }
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      this.send();
    }
    // ↑ with nothing written: edit one's last message (main.js finds it).
    if (e.key === 'ArrowUp' && this.text.value === '' && !e.shiftKey && !e.altKey && !e.ctrlKey && !e.metaKey) {
      const ask = new CustomEvent('edit-last', { cancelable: true });
      this.form.dispatchEvent(ask);
      if (ask.defaultPrevented) e.preventDefault();
    }
  }

  /** The `@query` being typed just before the caret, if any. */
  query() {
    const upto = this.text.value.slice(0, this.text.selectionStart);
    const m = /(^|\s)@([^\s@\u200b]{0,32})$/.exec(upto);
    return m ? { query: m[2], start: upto.length - m[2].length - 1 } : null;
  }

  /** The `/name` being typed at the very start of the box, if any. */
  commandQuery() {
    const upto = this.text.value.slice(0, this.text.selectionStart);
    const m = /^\/([^\s/]{0,32})$/.exec(upto);
    return m ? m[1] : null;
  }

  suggest() {
    const command = this.commands.length ? this.commandQuery() : null;
    if (command !== null) {
      const needle = command.toLowerCase();
      this.matches = this.commands.filter((c) => c.name.toLowerCase().startsWith(needle)).slice(0, 8);
      this.active = 0;
      if (this.matches.length === 0) { this.closeList(); return; }
      this.renderList();
      return;
    }
    const q = this.members.length ? this.query() : null;
    if (!q) { this.closeList(); return; }
    const needle = q.query.toLowerCase();
    this.matches = this.members
      .filter((m) => m.userId !== window.cloudlakeMe)
      .filter((m) => m.nickname.toLowerCase().includes(needle) || m.userId.includes(needle))
      .slice(0, 8);
    this.active = 0;
    if (this.matches.length === 0) { this.closeList(); return; }
    this.renderList();
  }

  renderList() {
    this.list.hidden = false;
    this.text.setAttribute('aria-expanded', 'true');
    this.list.replaceChildren(...this.matches.map((m, i) => {
      const attrs = { role: 'option', 'aria-selected': i === this.active ? 'true' : 'false', class: i === this.active ? 'active' : '' };
      const li = m.commandId !== undefined
        ? h('li', attrs, h('strong', { text: `/${m.name}` }), ' ',
          h('span', { class: 'muted', text: `${m.bot} · ${commandHow(m)}` }))
        : h('li', attrs,
          h('strong', { text: m.nickname }), ' ', h('span', { class: 'muted', text: m.kind === 'bot' ? `bot · ${m.userId}` : m.userId }));
      // mousedown, not click: keeps the focus in the textarea.
      li.addEventListener('mousedown', (e) => { e.preventDefault(); this.pick(m); });
      return li;
    }));
  }

  closeList() {
    this.list.hidden = true;
    this.text.setAttribute('aria-expanded', 'false');
  }

  pick(choice) {
    if (choice?.commandId !== undefined) { this.pickCommand(choice); return; }
    this.pickMember(choice);
  }

  /**
   * A command picked: a direct one goes at once; a form one opens its form; a normal one
   * waits for the user's input, with its hint text as the placeholder.
   */
  pickCommand(command) {
    this.closeList();
    if (command.kind === 'form') {
      this.text.value = '';
      this.grow();
      this.commandForm.open(this.chat, command);
      return;
    }
    if (command.kind === 'direct') {
      this.text.value = `/${command.name}`;
      this.send();
      return;
    }
    this.text.value = `/${command.name} `;
    const caret = this.text.value.length;
    this.text.setSelectionRange(caret, caret);
    this.text.placeholder = command.hintText || this.placeholder;
    this.status.textContent = command.presetText
      ? `The bot gets "${command.presetText}" and what you add.`
      : 'The bot gets what you add.';
  }

  pickMember(member) {
    const q = this.query();
    if (!member || !q) return;
    const before = this.text.value.slice(0, q.start);
    const after = this.text.value.slice(this.text.selectionStart);
    const inserted = `@${member.nickname}${ZWSP} `;
    this.text.value = before + inserted + after;
    const caret = before.length + inserted.length;
    this.text.setSelectionRange(caret, caret);
    this.picked.set(member.nickname, member.userId);
    this.closeList();
  }

  async send() {
    const text = this.text.value;
    if (!this.chat || text.trim() === '') return;
    // Only mentions still present in the text count.
    const at = [...this.picked].filter(([nick]) => text.includes(`@${nick}${ZWSP}`)).map(([, id]) => id);
    const content = { text };
    if (at.length) content.at = at;
    this.error.textContent = '';
    try {
      const body = { contentType: this.type.value, content };
      if (this.replying) body.parentId = this.replying.msgId;
      const msg = await api('POST', `/chats/${chatPath(this.chat)}/messages`, body);
      this.text.value = '';
      this.text.placeholder = this.placeholder;
      this.status.textContent = '';
      this.replyTo(null);
      this.picked.clear();
      this.grow();
      this.onSent(msg);
    } catch (err) {
      this.error.textContent = `Not sent: ${err.message}`;
    }
  }
}

/** How a command in the `/` list is used, in a few words. */
function commandHow(c) {
  if (c.kind === 'direct') return 'sends at once';
  if (c.kind === 'form') return 'opens a form';
  return c.presetText ? `starts with "${c.presetText}"` : 'add your text';
}
