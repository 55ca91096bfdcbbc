// Acting on a message: editing one's own in place (Enter saves, Esc cancels), deleting it
// (recalling it for everyone, after a confirmation), and links that open a chat at a message,
// `#/chat/<chatType>/<chatId>/<msgId>`.

import { api } from './api.js';
import { copy } from './buttons.js';
import { h } from './dom.js';

/** How long a copied link's feedback stays on its button (ms). */
const FEEDBACK_MS = 2000;

/** The address that opens this client at `msg` in its chat. */
export function messageLink(msg) {
  const parts = [msg.chatType, msg.chatId, msg.msgId].map(encodeURIComponent);
  return `${location.origin}${location.pathname}#/chat/${parts.join('/')}`;
}

/** `{chatType, chatId, msgId?}` from a location hash made by `messageLink`, or null. */
export function parseLink(hash) {
  const m = /^#\/chat\/(group|bot|dm)\/([^/]+)(?:\/([^/]+))?\/?$/.exec(hash ?? '');
  if (!m) return null;
  try {
    return { chatType: m[1], chatId: decodeURIComponent(m[2]), msgId: m[3] ? decodeURIComponent(m[3]) : null };
  } catch {
    return null; // a malformed escape: not a link of ours
  }
}

/** Copies the message's link, saying on the button whether it worked. */
export async function copyLink(button, msg) {
  const link = messageLink(msg);
  button.dataset.link = link;
  // A second click before the feedback is gone must not take the feedback for the label.
  button.dataset.label ??= button.textContent;
  const label = button.dataset.label;
  clearTimeout(Number(button.dataset.timer));
  try {
    await copy(link);
    button.textContent = 'Link copied';
  } catch {
    // The link stays readable on hover, to copy by hand.
    button.textContent = 'Could not copy';
    button.title = link;
  }
  button.dataset.timer = String(setTimeout(() => { button.textContent = label; }, FEEDBACK_MS));
}

/**
 * Opens an editor in place of the message's text. Enter saves (Shift+Enter breaks the line),
 * Esc or Cancel leaves it as it was. `onSaved` gets the message as the server now has it.
 */
export function startEdit(li, msg, onSaved) {
  if (li.querySelector('.msg-editor')) { li.querySelector('.msg-editor textarea').focus(); return; }
  const body = li.querySelector(':scope > .msg-body');
  const area = h('textarea', { class: 'msg-editor-text', rows: 2, 'aria-label': 'Edit the message' });
  area.value = msg.content?.text ?? '';
  const error = h('p', { class: 'error', role: 'alert' });
  const save = h('button', { type: 'submit', class: 'link msg-editor-save', text: 'Save' });
  const cancelButton = h('button', { type: 'button', class: 'link msg-editor-cancel', text: 'Cancel' });
  const form = h('form', { class: 'msg-editor' }, area,
    h('div', { class: 'msg-editor-row' },
      h('span', { class: 'muted', text: 'Enter saves · Esc cancels' }), save, cancelButton),
    error);
  let saving = false;
  const close = () => {
    form.remove();
    if (body) body.hidden = false;
    li.querySelector('.msg-edit')?.focus();
  };
  const submit = async () => {
    if (saving) return;
    const text = area.value;
    if (text === (msg.content?.text ?? '')) { close(); return; }
    if (text.trim() === '') { error.textContent = 'A message needs some text; delete it instead.'; return; }
    const content = { text };
    // Mentions still written in the text stay mentions.
    if (Array.isArray(msg.content?.at) && msg.content.at.length) content.at = msg.content.at;
    saving = true;
    save.disabled = true;
    error.textContent = '';
    try {
      const edited = await api('POST', `/messages/${encodeURIComponent(msg.msgId)}/edit`, { contentType: msg.contentType, content });
      onSaved(edited); // replaces the whole element, editor and all
    } catch (err) {
      error.textContent = `Not saved: ${err.message}`;
    } finally {
      saving = false;
      save.disabled = false;
    }
  };
  form.addEventListener('submit', (e) => { e.preventDefault(); submit(); });
  cancelButton.addEventListener('click', close);
  area.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); submit(); }
    // Esc here is the editor's alone (nothing else on the page should close too).
    if (e.key === 'Escape') { e.preventDefault(); e.stopPropagation(); close(); }
  });
  if (body) body.hidden = true;
  (body ?? li.lastChild).after(form);
  area.focus();
  area.setSelectionRange(area.value.length, area.value.length);
}

/**
 * Asks in place whether to delete the message; on yes, recalls it. `onDeleted` gets the
 * message as it now stands for everyone (recalled).
 */
export function confirmDelete(li, msg, onDeleted) {
  if (li.querySelector('.msg-confirm')) return;
  const yes = h('button', { type: 'button', class: 'link msg-confirm-delete', text: 'Delete' });
  const no = h('button', { type: 'button', class: 'link msg-confirm-cancel', text: 'Cancel' });
  const error = h('span', { class: 'error', role: 'alert' });
  const box = h('div', { class: 'msg-confirm', role: 'group', 'aria-label': 'Confirm deletion' },
    h('span', { text: 'Delete this message for everyone?' }), yes, no, error);
  const close = () => { box.remove(); li.querySelector('.msg-delete')?.focus(); };
  no.addEventListener('click', close);
  box.addEventListener('keydown', (e) => { if (e.key === 'Escape') { e.stopPropagation(); close(); } });
  yes.addEventListener('click', async () => {
    yes.disabled = true;
    error.textContent = '';
    try {
      await api('DELETE', `/messages/${encodeURIComponent(msg.msgId)}`);
      onDeleted({ ...msg, recalled: true, content: {}, html: undefined });
    } catch (err) {
      error.textContent = `Not deleted: ${err.message}`;
      yes.disabled = false;
    }
  });
  li.append(box);
  no.focus();
}
