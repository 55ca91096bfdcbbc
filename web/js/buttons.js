// A message's button rows: 1 opens a link (http/https only), 2 copies a value, 3 reports the
// click to the bot, each with visible feedback.

import { api } from './api.js';
import { h, safeUrl } from './dom.js';

/** Copies `value` to the clipboard; rejects when the browser refuses. */
export async function copy(value) {
  if (navigator.clipboard && window.isSecureContext) {
    await navigator.clipboard.writeText(value);
    return;
  }
  // Plain-http deployments have no Clipboard API: fall back to a selected textarea.
  const area = h('textarea', { class: 'offscreen', readonly: true });
  area.value = value;
  document.body.append(area);
  area.select();
  const ok = document.execCommand('copy');
  area.remove();
  if (!ok) throw new Error('copy refused');
}

function feedback(status, text, kind) {
  status.textContent = text;
  status.className = `button-status ${kind}`;
}

function button(msgId, spec, status) {
  const label = spec.text || spec.value || spec.url || 'Button';
  if (spec.actionType === 1) {
    const url = safeUrl(spec.url);
    // A link button may come without a link (wire §12 item 6): shown, opening nothing.
    if (!url) return h('button', { type: 'button', class: 'msg-button', disabled: true, title: spec.url ? 'Unsafe link' : 'No link', text: label });
    return h('a', { class: 'msg-button', href: url, target: '_blank', rel: 'noopener noreferrer', text: `${label} ↗` });
  }
  const el = h('button', { type: 'button', class: 'msg-button', text: label });
  if (spec.actionType === 2) {
    el.addEventListener('click', async () => {
      try {
        await copy(spec.value ?? '');
        feedback(status, `Copied “${spec.value}”`, 'ok');
      } catch {
        feedback(status, 'Could not copy', 'bad');
      }
    });
  } else if (spec.actionType === 3) {
    el.dataset.report = spec.value ?? '';
    el.addEventListener('click', async () => {
      el.disabled = true;
      feedback(status, 'Sending…', 'pending');
      try {
        await api('POST', `/messages/${encodeURIComponent(msgId)}/click`, { value: spec.value ?? '' });
        feedback(status, `“${label}” sent`, 'ok');
      } catch (err) {
        feedback(status, `Not sent: ${err.message}`, 'bad');
      } finally {
        el.disabled = false;
      }
    });
  } else {
    el.disabled = true;
  }
  return el;
}

/** The rows of buttons of a message, or null when it has none. */
export function buttonRows(msgId, rows) {
  if (!Array.isArray(rows) || rows.length === 0) return null;
  const status = h('span', { class: 'button-status', role: 'status', 'aria-live': 'polite' });
  const box = h('div', { class: 'msg-buttons' });
  for (const row of rows) {
    if (!Array.isArray(row)) continue;
    box.append(h('div', { class: 'button-row' }, row.map((spec) => button(msgId, spec, status))));
  }
  box.append(status);
  return box;
}
