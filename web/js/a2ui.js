// A2UI cards (wire §5.1, §7.10): a bot's `a2ui` message drawn as a card from its A2UI v0.9
// document (JSON or JSON Lines: createSurface, updateComponents, updateDataModel). Built with
// DOM calls and textContent only, from a fixed catalogue: Text, Card, Column, Row, List,
// Button, Divider, Image (http(s) only), TextField, CheckBox. Anything else is left out; a
// document that is not one is shown as its text by the caller. A button click sends the
// card's input values to `POST /api/v1/messages/{msgId}/a2ui-action`, and the bot gets
// `a2ui.button.report`.

import { api } from './api.js';
import { h, safeUrl } from './dom.js';

/** Nesting deeper than this is not drawn (a card is a message, not an application). */
const MAX_DEPTH = 12;
/** The most components drawn in one card. */
const MAX_NODES = 500;
const MESSAGES = ['createSurface', 'updateComponents', 'updateDataModel', 'deleteSurface'];

/** The document's components by ID and its data model, or null if it is not a document. */
export function parseCard(text) {
  let messages;
  try {
    const one = JSON.parse(text);
    messages = Array.isArray(one) ? one : [one];
  } catch {
    try {
      messages = text.split('\n').map((l) => l.trim()).filter(Boolean).map((l) => JSON.parse(l));
    } catch {
      return null;
    }
  }
  const components = new Map();
  let data = {};
  for (const m of messages) {
    if (!m || typeof m !== 'object' || MESSAGES.filter((k) => k in m).length !== 1) return null;
    for (const c of m.updateComponents?.components ?? []) {
      if (c && typeof c.id === 'string' && typeof c.component === 'string') components.set(c.id, c);
    }
    const update = m.updateDataModel;
    if (update && (update.path === undefined || update.path === '/')) data = update.value ?? {};
    else if (update && typeof update.path === 'string') setPath(data, update.path, update.value);
  }
  return components.has('root') ? { components, data } : null;
}

/** Sets `value` at a JSON Pointer in `data` (a card's data model). */
function setPath(data, pointer, value) {
  const keys = pointer.split('/').slice(1).map((k) => k.replace(/~1/g, '/').replace(/~0/g, '~'));
  let at = data;
  for (const k of keys.slice(0, -1)) {
    if (['__proto__', 'constructor', 'prototype'].includes(k)) return;
    if (typeof at[k] !== 'object' || at[k] === null) at[k] = {};
    at = at[k];
  }
  const last = keys.at(-1);
  if (last !== undefined && !['__proto__', 'constructor', 'prototype'].includes(last)) at[last] = value;
}

/** A string property: a literal, or `{path}` read from the data model. */
function text(value, data) {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value && typeof value.path === 'string') {
    let at = data;
    for (const k of value.path.split('/').slice(1)) at = at?.[k];
    return at === undefined || at === null ? '' : typeof at === 'object' ? JSON.stringify(at) : String(at);
  }
  return '';
}

/**
 * The card of `msgId` drawn from `source` (its `content.text`), or null if it is no A2UI
 * document. `onSent(actionName)` is told of a click that reached the bot.
 */
export function renderCard(msgId, source) {
  const card = parseCard(source ?? '');
  if (!card) return null;
  const root = h('div', { class: 'a2ui-card', role: 'group', 'aria-label': 'Card' });
  const status = h('p', { class: 'a2ui-status', role: 'status' });
  const inputs = new Map();
  let drawn = 0;

  const draw = (id, depth) => {
    const c = card.components.get(id);
    if (!c || depth > MAX_DEPTH || ++drawn > MAX_NODES) return null;
    const kids = (list) => (Array.isArray(list) ? list : []).map((k) => draw(k, depth + 1)).filter(Boolean);
    switch (c.component) {
      case 'Text': {
        const variant = ['h1', 'h2', 'h3', 'h4', 'h5', 'caption'].includes(c.variant) ? c.variant : 'body';
        return h('p', { class: `a2ui-text a2ui-${variant}`, text: text(c.text, card.data) });
      }
      case 'Card': return h('div', { class: 'a2ui-box' }, ...kids([c.child]));
      case 'Column': case 'List': return h('div', { class: 'a2ui-column' }, ...kids(c.children));
      case 'Row': return h('div', { class: 'a2ui-row' }, ...kids(c.children));
      case 'Divider': return h('hr', { class: 'a2ui-divider' });
      case 'Image': {
        const url = safeUrl(text(c.url, card.data));
        return url ? h('img', { class: 'a2ui-image', src: url, alt: text(c.description ?? c.alt, card.data), loading: 'lazy' }) : null;
      }
      case 'TextField': {
        const field = h('input', { type: 'text', value: text(c.value, card.data), 'data-component': id });
        inputs.set(id, () => field.value);
        return h('label', { class: 'a2ui-field' }, h('span', { text: text(c.label, card.data) }), field);
      }
      case 'CheckBox': {
        const box = h('input', { type: 'checkbox', checked: text(c.value, card.data) === 'true', 'data-component': id });
        inputs.set(id, () => box.checked);
        return h('label', { class: 'a2ui-check' }, box, ` ${text(c.label, card.data)}`);
      }
      case 'Button': {
        const label = card.components.get(c.child);
        const button = h('button', {
          type: 'button', class: c.primary ? 'a2ui-button primary' : 'a2ui-button', 'data-component': id,
          text: label ? text(label.text, card.data) : id,
        });
        button.addEventListener('click', async () => {
          button.disabled = true;
          status.className = 'a2ui-status';
          status.textContent = '';
          const formContext = {};
          for (const [input, read] of inputs) formContext[input] = read();
          try {
            await api('POST', `/messages/${encodeURIComponent(msgId)}/a2ui-action`, { componentId: id, formContext });
            status.textContent = `Sent: ${button.textContent}`;
          } catch (err) {
            status.className = 'a2ui-status error';
            status.textContent = `Not sent: ${err.message}`;
          } finally {
            button.disabled = false;
          }
        });
        return button;
      }
      default: return null;
    }
  };
  const tree = draw('root', 0);
  if (!tree) return null;
  root.append(tree, status);
  return root;
}
