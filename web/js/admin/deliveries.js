// A bot's delivery health: pending, delivered and dead counts, the last error, and dead letters
// with replay. Uses the admin delivery endpoints of event delivery (issue 4); on a server
// without them the panel says so instead of failing.

import { h } from '../dom.js';
import { admin, seg } from './api.js';
import { actions, attempt, notice, table, when } from './ui.js';

/** Fills `box` with the bot's delivery report. */
export async function deliveryHealth(box, botId) {
  let stats;
  try {
    stats = await admin('GET', `/bots/${seg(botId)}/deliveries`);
  } catch (err) {
    box.replaceChildren(h('strong', { text: 'Delivery health' }),
      err.status === 404
        ? ' — not available on this server (webhook delivery is not part of this build).'
        : ` — could not load: ${err.message}`);
    return;
  }
  const again = () => deliveryHealth(box, botId);
  box.className = 'delivery-health';
  box.replaceChildren(
    h('h3', { text: 'Delivery health' }),
    h('p', {},
      h('strong', { text: 'Events go to: ' }),
      stats.webhookUrl ? h('code', { text: stats.webhookUrl }) : 'the bot WebSocket',
      stats.eventTypes ? ` (only ${stats.eventTypes.join(', ')})` : ''),
    h('p', { class: 'counts' },
      `Pending ${stats.pending} · delivered ${stats.delivered} · dead ${stats.dead} · skipped ${stats.skipped}`),
    // replaceChildren, unlike h(), writes a null argument as the text "null": '' adds nothing.
    stats.lastError ? h('p', { class: 'notice bad' }, h('strong', { text: 'Last error: ' }), stats.lastError) : '',
    h('h3', { text: 'Dead letters' }),
    table(['Event', 'Type', 'Attempts', 'Last error', 'When', ''], (stats.deadLetters ?? []).map((d) => [
      d.eventId, d.eventType, String(d.attempts), d.lastError ?? '', when(d.createdAt),
      actions(['Replay', () => attempt(
        () => admin('POST', `/bots/${seg(botId)}/replay`, { eventId: d.eventId }),
        (r) => { notice(`Replayed ${r.replayed} event(s).`); again(); })]),
    ]), 'No dead letters.'),
  );
}
