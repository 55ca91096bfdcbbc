// A group's info (the chat header's Members button): its people with their roles, its bots
// with their profile (avatar, description, commands) and Follow / Open chat, their settings
// for the group's owner and administrators (wire §7.9), and leaving the group, asked in the
// dialog before it is done.
import { api } from './api.js';
import { field, readValues } from './commandform.js';
import { h, safeUrl } from './dom.js';

const ROLES = { owner: 'owner', administrator: 'admin' };

export class GroupInfo {
  /**
   * `dialog`: the <dialog>; `onLeft(chat)`: called once the reader has left the group;
   * `onMessage(userId)`: a member's *Message* was chosen (the dialog has closed);
   * `onOpenBot(botId)`: opens the reader's private chat with a bot they follow.
   */
  constructor(dialog, onLeft, onMessage, onOpenBot = () => {}) {
    this.dialog = dialog;
    this.title = dialog.querySelector('h2');
    this.body = dialog.querySelector('.group-info-body');
    this.onLeft = onLeft;
    this.onMessage = onMessage;
    this.onOpenBot = onOpenBot;
    this.chat = null;
    dialog.querySelector('[data-close]').addEventListener('click', () => dialog.close());
  }

  /** Opens the dialog on `chat` (a group) and loads its members. */
  async open(chat) {
    this.chat = chat;
    this.title.textContent = chat.name || chat.chatId;
    this.body.replaceChildren(h('p', { class: 'muted', text: 'Loading…' }));
    this.dialog.showModal();
    let members;
    try {
      members = (await api('GET', `/groups/${encodeURIComponent(chat.chatId)}/members`)).members ?? [];
    } catch (err) {
      this.body.replaceChildren(h('p', { class: 'error', role: 'alert', text: `Could not load the members: ${err.message}` }));
      return;
    }
    if (this.chat !== chat) return;
    const people = members.filter((m) => m.kind === 'user');
    const bots = members.filter((m) => m.kind === 'bot');
    // The group's owner and administrators set its bots' settings (the server checks too).
    const myRole = people.find((m) => m.userId === window.cloudlakeMe)?.role;
    this.admin = myRole === 'owner' || myRole === 'administrator';
    // replaceChildren writes a null as the text "null": what is not shown is left out first.
    this.body.replaceChildren(...[
      h('h3', { text: `People (${people.length})` }),
      h('ul', { class: 'member-list people' }, people.map((m) => h('li', {},
        h('span', { class: 'member-name', text: m.nickname || m.userId }),
        h('span', { class: 'muted', text: ` ${m.userId}` }),
        ROLES[m.role] ? h('span', { class: 'tag role', text: ROLES[m.role] }) : null,
        m.userId === window.cloudlakeMe ? null : this.messageButton(m)))),
      h('h3', { text: `Bots (${bots.length})` }),
      bots.length === 0 ? h('p', { class: 'muted', text: 'No bots in this group.' }) : null,
      h('ul', { class: 'member-list bots' }, bots.map((b) => h('li', { class: 'bot-profile', 'data-bot-id': b.userId },
        botAvatar(b),
        h('span', { class: 'member-name', text: b.nickname || b.userId }),
        h('span', { class: 'tag', text: 'bot' }),
        h('span', { class: 'muted', text: ` ${b.userId}` }),
        b.description ? h('p', { class: 'bot-description', text: b.description }) : null,
        this.botAction(b),
        (b.commands ?? []).length
          ? h('ul', { class: 'command-list' }, b.commands.map((c) => h('li', {},
            h('code', { text: `/${c.name}` }),
            h('span', { class: 'muted', text: c.kind === 'direct' ? ' sends at once' : c.kind === 'form' ? ' opens a form' : (c.presetText ? ` starts with "${c.presetText}"` : '') }))))
          : null))),
      this.leaveButton(chat),
    ].filter((node) => node !== null));
  }

  /**
   * Follow (then Open chat), or Open chat for a bot the reader follows already: the private
   * chat with the bot, where its commands are offered too.
   */
  botAction(bot) {
    const row = h('div', { class: 'bot-actions' });
    const status = h('span', { class: 'error', role: 'alert' });
    const openButton = () => {
      const b = h('button', { type: 'button', class: 'bot-open', text: 'Open chat' });
      b.addEventListener('click', () => { this.dialog.close(); this.onOpenBot(bot.userId); });
      return b;
    };
    const settings = this.admin && bot.hasSettings ? this.settingsButton(bot, row) : null;
    if (bot.followed) {
      row.append(openButton(), ...(settings ? [settings] : []), status);
      return row;
    }
    const follow = h('button', { type: 'button', class: 'bot-follow', text: 'Follow' });
    follow.addEventListener('click', async () => {
      follow.disabled = true;
      status.textContent = '';
      try {
        await api('PUT', `/bots/${encodeURIComponent(bot.userId)}/follow`);
      } catch (err) {
        follow.disabled = false;
        status.textContent = `Could not follow: ${err.message}`;
        return;
      }
      const open = openButton();
      follow.replaceWith(open);
      open.focus();
    });
    row.append(follow, ...(settings ? [settings] : []), status);
    return row;
  }

  /**
   * *Settings* for the group's owner and administrators: opens the bot's settings form below
   * its actions, filled with the values saved for this group; *Save* saves them, and the bot
   * gets `bot.setting`. A second press closes it.
   */
  settingsButton(bot, row) {
    const name = bot.nickname || bot.userId;
    const button = h('button', { type: 'button', class: 'bot-settings-open', 'aria-expanded': 'false', text: 'Settings' });
    const path = `/groups/${encodeURIComponent(this.chat.chatId)}/bots/${encodeURIComponent(bot.userId)}/settings`;
    let panel = null;
    button.addEventListener('click', async () => {
      if (panel) {
        panel.remove();
        panel = null;
        button.setAttribute('aria-expanded', 'false');
        return;
      }
      const status = h('p', { class: 'bot-settings-status', role: 'status' });
      panel = h('form', { class: 'bot-settings command-form', 'aria-label': `Settings of ${name} in this group` }, status);
      row.after(panel);
      button.setAttribute('aria-expanded', 'true');
      let settings;
      try {
        settings = await api('GET', path);
      } catch (err) {
        status.className = 'error';
        status.textContent = `Could not load the settings: ${err.message}`;
        return;
      }
      const fields = settings.fields.map((f) => ({ ...f, default: settings.values[f.id] ?? f.default }));
      const save = h('button', { type: 'submit', class: 'primary', text: 'Save settings' });
      panel.replaceChildren(
        h('div', { class: 'command-form-fields' }, fields.map((f) => field(f))),
        h('div', { class: 'command-form-foot' }, save),
        status);
      panel.addEventListener('submit', async (e) => {
        e.preventDefault();
        save.disabled = true;
        status.className = 'bot-settings-status';
        status.textContent = '';
        try {
          await api('PUT', path, { values: readValues(panel, settings.fields) });
          status.textContent = `Saved. ${name} has been told.`;
        } catch (err) {
          status.className = 'error';
          status.textContent = `Not saved: ${err.message}`;
        } finally {
          save.disabled = false;
        }
      });
      panel.querySelector('input, textarea, select')?.focus();
    });
    return button;
  }

  /** *Message* beside a member: opens the direct messages with them. */
  messageButton(member) {
    const name = member.nickname || member.userId;
    const button = h('button', { type: 'button', class: 'link member-message', 'aria-label': `Message ${name}`, text: 'Message' });
    button.addEventListener('click', () => {
      this.dialog.close();
      this.onMessage(member.userId);
    });
    return button;
  }

  /** Leave the group: a first press asks, the second (Leave) leaves; Cancel keeps it. */
  leaveButton(chat) {
    const row = h('div', { class: 'leave-row' });
    const ask = h('button', { type: 'button', class: 'danger', text: 'Leave group' });
    ask.addEventListener('click', () => {
      const yes = h('button', { type: 'button', class: 'danger', text: 'Leave' });
      const no = h('button', { type: 'button', class: 'link', text: 'Cancel' });
      const status = h('span', { class: 'error', role: 'alert' });
      no.addEventListener('click', () => { row.replaceChildren(ask); ask.focus(); });
      yes.addEventListener('click', async () => {
        yes.disabled = true;
        try {
          await api('POST', `/groups/${encodeURIComponent(chat.chatId)}/leave`);
        } catch (err) {
          yes.disabled = false;
          status.textContent = `Could not leave: ${err.message}`;
          return;
        }
        this.dialog.close();
        this.onLeft(chat);
      });
      row.replaceChildren(h('span', { text: `Leave ${chat.name || chat.chatId}? Its messages will no longer reach you.` }), yes, no, status);
      no.focus();
    });
    row.append(ask);
    return row;
  }
}

/** The bot's avatar, or its initial when it has none (or not an http(s) one). */
function botAvatar(bot) {
  const url = safeUrl(bot.avatarUrl);
  const name = bot.nickname || bot.userId;
  if (url) return h('img', { class: 'avatar bot-avatar', src: url, alt: '', loading: 'lazy' });
  return h('span', { class: 'avatar bot-avatar', 'aria-hidden': 'true', text: name.slice(0, 1).toUpperCase() });
}
