// Reactions under a message: one chip per emoji with its count (who reacted on hover and for
// screen readers), the reader's own pressed; a click adds or takes back the reader's. "React"
// opens a small palette with a field for any other single emoji. The server's answer redraws
// the chips at once; the live `message.reactions` frame redraws them for everyone in the chat.

import { api } from './api.js';
import { h } from './dom.js';

/** The emojis offered first (the server takes any single emoji). */
export const PALETTE = ['👍', '❤️', '😂', '😮', '😢', '🎉', '🙏', '👀'];

function path(msgId, emoji) {
  return `/messages/${encodeURIComponent(msgId)}/reactions/${encodeURIComponent(emoji)}`;
}

/** "Alice, Bob and 3 more": the server names at most 20 per emoji. */
function who(reaction) {
  const names = reaction.users.map((u) => u.nickname || u.userId);
  const more = reaction.count - names.length;
  return more > 0 ? `${names.join(', ')} and ${more} more` : names.join(', ');
}

function mine(reaction) {
  return reaction.users.some((u) => u.userId === window.cloudlakeMe);
}

/** The chips for a message's reactions (hidden when there are none). */
export function reactionBar(msgId, reactions) {
  const bar = h('div', { class: 'msg-reactions', role: 'group', 'aria-label': 'Reactions' });
  for (const r of reactions) {
    const pressed = mine(r);
    const chip = h('button', {
      type: 'button', class: 'reaction-chip', 'data-emoji': r.emoji, 'aria-pressed': String(pressed),
      title: who(r), 'aria-label': `${r.emoji} ${r.count}: ${who(r)}`,
    }, h('span', { class: 'reaction-emoji', text: r.emoji }), h('span', { class: 'reaction-count', text: String(r.count) }));
    chip.addEventListener('click', () => toggle(chip.closest('li'), msgId, r.emoji, !pressed));
    bar.append(chip);
  }
  bar.hidden = reactions.length === 0;
  return bar;
}

/** Redraws the chips of the message element `li`, where they stand. */
export function setReactions(li, reactions) {
  const old = li.querySelector(':scope > .msg-reactions');
  const bar = reactionBar(li.dataset.msgId, reactions ?? []);
  if (old) old.replaceWith(bar);
  else li.append(bar);
}

/** Adds (`add`) or takes back the reader's reaction; the answer redraws the chips. */
async function toggle(li, msgId, emoji, add) {
  if (!li) return;
  try {
    const answer = await api(add ? 'PUT' : 'DELETE', path(msgId, emoji));
    setReactions(li, answer.reactions);
    li.querySelector(`:scope > .msg-reactions .reaction-chip[data-emoji="${CSS.escape(emoji)}"]`)?.focus();
  } catch (err) {
    const bar = li.querySelector(':scope > .msg-reactions');
    if (!bar) return;
    bar.querySelector('.reaction-error')?.remove();
    bar.append(h('span', { class: 'error reaction-error', role: 'alert', text: `Not saved: ${err.message}` }));
    bar.hidden = false;
  }
}

/** Opens (or closes again) the palette under the message `li`; Esc closes it. */
export function openPalette(li, msg) {
  const open = li.querySelector(':scope > .reaction-palette');
  if (open) { open.remove(); return; }
  const close = () => { box.remove(); li.querySelector('.msg-react')?.focus(); };
  const pick = (emoji) => { box.remove(); toggle(li, msg.msgId, emoji, true); };
  const buttons = PALETTE.map((emoji) => {
    const b = h('button', { type: 'button', class: 'reaction-pick', text: emoji, title: `React with ${emoji}`, 'aria-label': `React with ${emoji}` });
    b.addEventListener('click', () => pick(emoji));
    return b;
  });
  const input = h('input', { type: 'text', class: 'reaction-other', placeholder: 'Other emoji', 'aria-label': 'React with another emoji (Enter)', maxlength: 16, size: 8 });
  const form = h('form', { class: 'reaction-other-form' }, input);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const emoji = input.value.trim();
    if (emoji) pick(emoji);
  });
  const box = h('div', { class: 'reaction-palette', role: 'group', 'aria-label': 'Pick a reaction' }, ...buttons, form);
  // Esc here is the palette's alone (nothing else on the page should close too).
  box.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') { e.preventDefault(); e.stopPropagation(); close(); }
  });
  const bar = li.querySelector(':scope > .msg-reactions');
  if (bar) bar.after(box);
  else li.append(box);
  buttons[0].focus();
}
