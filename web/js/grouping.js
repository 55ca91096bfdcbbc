// The shape of a conversation: a line for each day, and a sender's consecutive messages under
// one header. Recomputed over the whole list after each change (pages, live messages, edits),
// so that every way a message can arrive ends up looking the same.

import { h } from './dom.js';
import { dayLabel } from './format.js';

/** Messages further apart than this start a new header even from the same sender. */
const GROUP_GAP_MS = 5 * 60 * 1000;

const dayOf = (el) => new Date(Number(el.dataset.time)).toDateString();

/** Puts day lines between days and marks messages that continue their sender's group. */
export function arrange(list) {
  for (const old of list.querySelectorAll(':scope > .day-divider')) old.remove();
  let prev = null;
  let broken = false; // a "New messages" line since prev: the next message shows its header
  for (const el of [...list.children]) {
    if (el.classList.contains('new-divider')) { broken = true; continue; }
    if (!el.classList.contains('msg')) continue;
    const newDay = !prev || dayOf(prev) !== dayOf(el);
    if (newDay) {
      // Above the "New messages" line, if that stands right before this message.
      const before = el.previousElementSibling?.classList.contains('new-divider') ? el.previousElementSibling : el;
      before.before(h('li', { class: 'day-divider', role: 'separator', text: dayLabel(Number(el.dataset.time)) }));
    }
    const continues = !newDay && !broken
      && !el.classList.contains('tip') && !prev.classList.contains('tip')
      && el.dataset.sender === prev.dataset.sender
      && Number(el.dataset.time) - Number(prev.dataset.time) < GROUP_GAP_MS;
    el.classList.toggle('grouped', continues);
    prev = el;
    broken = false;
  }
}
