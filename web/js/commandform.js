// A form command's form (自定义输入指令, wire §7.4), inline above the composer: picked from the
// `/` list, filled in, and sent through `POST /api/v1/chats/{type}/{id}/forms`; the bot gets
// `message.receive.instruction` with `formJson`. Every field has a visible label (a legend for
// a group of choices); Esc or × closes it, and focus returns to the message box.

import { api, chatPath } from './api.js';
import { h } from './dom.js';

let serial = 0;

export class CommandForm {
  /** `composer` is the composer's form element: the command form goes just above it. */
  constructor(composer, onSent) {
    this.composer = composer;
    this.onSent = onSent;
    this.el = h('form', { id: 'command-form', class: 'command-form', hidden: true, 'aria-labelledby': 'command-form-title' });
    this.el.addEventListener('submit', (e) => { e.preventDefault(); this.submit(); });
    this.el.addEventListener('keydown', (e) => {
      if (e.key === 'Escape') { e.preventDefault(); e.stopPropagation(); this.close(); }
    });
    composer.before(this.el);
    this.chat = null;
    this.command = null;
  }

  /** Opens `command` (with `botId` and `bot`, its bot's name) for `chat`. */
  open(chat, command) {
    this.chat = chat;
    this.command = command;
    const close = h('button', { type: 'button', class: 'link command-form-close', 'aria-label': 'Close the form', text: '×' });
    close.addEventListener('click', () => this.close());
    this.error = h('p', { class: 'error', role: 'alert' });
    this.el.replaceChildren(
      h('header', { class: 'command-form-head' },
        h('h3', { id: 'command-form-title', text: `/${command.name}` }),
        h('span', { class: 'muted', text: command.bot ?? '' }), close),
      h('div', { class: 'command-form-fields' }, ...(command.form ?? []).map((f) => field(f))),
      h('div', { class: 'command-form-foot' }, h('button', { type: 'submit', class: 'primary', text: 'Send' })),
      this.error);
    this.el.hidden = false;
    const first = this.el.querySelector('input, textarea, select');
    first?.focus();
    // Into a default text, the caret goes at its end, where typing adds to it.
    if (first?.type === 'text' || first?.tagName === 'TEXTAREA') first.setSelectionRange(first.value.length, first.value.length);
  }

  close() {
    const wasOpen = !this.el.hidden;
    this.el.hidden = true;
    this.el.replaceChildren();
    this.command = null;
    if (wasOpen) this.composer.querySelector('textarea')?.focus();
  }

  /** The values the user chose, by field ID, as the route takes them. */
  values() {
    return readValues(this.el, this.command.form ?? []);
  }

  async submit() {
    const { chat, command } = this;
    if (!chat || !command) return;
    this.error.textContent = '';
    try {
      const msg = await api('POST', `/chats/${chatPath(chat)}/forms`,
        { botId: command.botId, commandId: command.commandId, values: this.values() });
      this.close();
      this.onSent(msg);
    } catch (err) {
      this.error.textContent = `Not sent: ${err.message}`;
    }
  }
}

/**
 * The values chosen in the fields of `fields` drawn by `field()` inside `root`, by field ID, as
 * the routes take them (a form command's values, a bot's group settings).
 */
export function readValues(root, fields) {
  const values = {};
  for (const f of fields) {
    const box = root.querySelector(`[data-field="${CSS.escape(f.id)}"]`);
    if (!box) continue;
    switch (f.type) {
      case 'switch': values[f.id] = box.querySelector('input').checked; break;
      case 'select': values[f.id] = Number(box.querySelector('select').value); break;
      case 'radio': {
        const on = box.querySelector('input:checked');
        values[f.id] = on ? Number(on.value) : -1;
        break;
      }
      case 'checkbox':
        values[f.id] = [...box.querySelectorAll('input:checked')].map((i) => Number(i.value));
        break;
      default: {
        // Left empty is no value, as Yunhu sends an untouched field (`"value": null`).
        const text = box.querySelector('input, textarea').value;
        values[f.id] = text === '' ? null : text;
      }
    }
  }
  return values;
}

/** One field, labelled, showing `f.default`; `data-field` names it for `readValues()`. */
export function field(f) {
  const id = `cf-${++serial}`;
  const label = typeof f.label === 'string' && f.label ? f.label : f.id;
  const options = f.options ?? [];
  switch (f.type) {
    case 'textarea':
      return h('div', { class: 'cf-field', 'data-field': f.id }, h('label', { for: id, text: label }),
        h('textarea', { id, rows: 3, text: typeof f.default === 'string' ? f.default : '' }));
    case 'switch':
      return h('div', { class: 'cf-field cf-switch', 'data-field': f.id },
        h('label', { for: id }, h('input', { id, type: 'checkbox', role: 'switch', checked: f.default === true }), ` ${label}`));
    case 'select':
      return h('div', { class: 'cf-field', 'data-field': f.id }, h('label', { for: id, text: label }),
        h('select', { id },
          h('option', { value: '-1', text: '—', selected: !(f.default >= 0) }),
          options.map((o, i) => h('option', { value: String(i), text: o, selected: f.default === i }))));
    case 'radio': case 'checkbox': {
      const picked = f.type === 'radio' ? [f.default] : (Array.isArray(f.default) ? f.default : []);
      return h('fieldset', { class: 'cf-field cf-choices', 'data-field': f.id }, h('legend', { text: label }),
        options.map((o, i) => h('label', { class: 'check' },
          h('input', { type: f.type, name: id, value: String(i), checked: picked.includes(i) }), ` ${o}`)));
    }
    default:
      return h('div', { class: 'cf-field', 'data-field': f.id }, h('label', { for: id, text: label }),
        h('input', { id, type: 'text', value: typeof f.default === 'string' ? f.default : '' }));
  }
}
