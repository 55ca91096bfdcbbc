// The shape of a conversation: a line for each day, and a sender's consecutive messages under
// one header. Recomputed over the whole list after each change (pages, live messages, edits),
// so that every way a message can arrive ends up looking the same. Lines already in place stay
// (the list is an aria-live region: a line removed and added again would be read out again).

import { h } from './dom.js';
import { dayLabel } from './format.js';

/** Messages further apart than this start a new header even from the same sender. */
const GROUP_GAP_MS = 5 * 60 * 1000;

const dayOf = (el) => new Date(Number(el.dataset.time)).toDateString();
const is = (el, cls) => el?.classList.contains(cls) ?? false;

/** Puts day lines between days and marks messages that continue their sender's group. */
export function arrange(list) {
  const lines = new Set();
  let prev = null;
  let broken = false; // a "New messages" line since prev: the next message shows its header
  for (const el of [...list.children]) {
    if (is(el, 'new-divider')) { broken = true; continue; }
    if (!is(el, 'msg')) continue;
    const newDay = !prev || dayOf(prev) !== dayOf(el);
    if (newDay) {
      // Above the "New messages" line, if that stands right before this message.
      const before = is(el.previousElementSibling, 'new-divider') ? el.previousElementSibling : el;
      const label = dayLabel(Number(el.dataset.time));
      let line = before.previousElementSibling;
      if (!is(line, 'day-divider') || lines.has(line)) {
        line = h('li', { class: 'day-divider', role: 'separator', text: label });
        before.before(line);
      } else if (line.textContent !== label) {
        line.textContent = label;
      }
      lines.add(line);
    }
    const continues = !newDay && !broken
      && !is(el, 'tip') && !is(prev, 'tip')
      && el.dataset.sender === prev.dataset.sender
      && Number(el.dataset.time) - Number(prev.dataset.time) < GROUP_GAP_MS;
    el.classList.toggle('grouped', continues);
    prev = el;
    broken = false;
  }
  for (const line of list.querySelectorAll(':scope > .day-divider')) {
    if (!lines.has(line)) line.remove();
  }
}
