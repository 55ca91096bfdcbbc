// Bots: list and create; a chosen bot's description, webhook, event types, signing secret,
// commands, followers, groups; token rotation.

import { h } from '../dom.js';
import { admin, choices, directory, seg } from './api.js';
import { deliveryHealth } from './deliveries.js';
import { actions, attempt, confirmStep, form, notice, table, when } from './ui.js';

/**
 * Sets or clears the webhook URL through `PUT /bots/{id}/webhook` (what `cloudlake admin bot
 * webhook` uses). A text field, not type=url: the server's check (scheme, addresses inside
 * the network) is the one that counts, and its message is shown as it says it.
 */
function webhookForm(id, current, again) {
  const el = form([['webhookUrl', 'Webhook URL (http:// or https://)', { value: current ?? '', class: 'wide' }]], 'Save webhook URL',
    (v) => attempt(() => admin('PUT', `/bots/${seg(id)}/webhook`, { url: v.webhookUrl || null }),
      (r) => { notice(r.webhookUrl ? `Events now go to ${r.webhookUrl}.` : 'Webhook URL cleared: events go to the bot WebSocket.'); again(); }));
  if (current) {
    const clear = h('button', { type: 'button', class: 'danger', id: 'webhook-clear', text: 'Clear' });
    clear.addEventListener('click', () => attempt(() => admin('PUT', `/bots/${seg(id)}/webhook`, { url: null }),
      () => { notice('Webhook URL cleared: events go to the bot WebSocket.'); again(); }));
    el.append(clear);
  }
  el.id = 'webhook-form';
  return el;
}

/** The event types a bot may ask for: what cloudlake sends (wire §7). */
const EVENT_TYPES = ['message.receive.normal', 'message.receive.instruction', 'bot.followed',
  'bot.unfollowed', 'group.join', 'group.leave', 'button.report.inline', 'bot.shortcut.menu',
  'bot.setting', 'a2ui.button.report', 'message.reaction'];

/** cloudlake's own event types (wire §7.7c): sent only to a bot that ticks them. */
const EXTENSION_TYPES = ['message.reaction'];

/**
 * Which events go to the bot: every Yunhu type (nothing ticked; cloudlake's extensions only
 * when ticked), or only those ticked, through
 * `PUT /bots/{id}/webhook` with `eventTypes` (the URL stays as it is). Types the bot asked for
 * that are not in the list (set through the API) are shown ticked too, and kept.
 */
function eventTypesForm(id, current, again) {
  const types = [...new Set([...EVENT_TYPES, ...(current ?? [])])];
  const boxes = types.map((t) => h('label', { class: 'check' },
    h('input', { type: 'checkbox', name: 'eventType', value: t, checked: (current ?? []).includes(t) }), ` ${t}`,
    EXTENSION_TYPES.includes(t) ? h('span', { class: 'muted', text: ' (cloudlake extension: only when ticked)' }) : null));
  const save = h('button', { type: 'submit', text: 'Save event types' });
  const el = h('form', { id: 'event-types-form', class: 'checks' }, ...boxes, save);
  el.addEventListener('submit', (e) => {
    e.preventDefault();
    const picked = [...el.querySelectorAll('input[name=eventType]:checked')].map((b) => b.value);
    attempt(() => admin('PUT', `/bots/${seg(id)}/webhook`, { eventTypes: picked.length ? picked : null }),
      (r) => { notice(r.eventTypes ? `Only these events now go to the bot: ${r.eventTypes.join(', ')}.` : 'Every event now goes to the bot.'); again(); });
  });
  return el;
}

/**
 * The webhook signing secret (Standard Webhooks `whsec_…`): shown on request, and rotated after
 * an in-page question, since signatures with the old one stop at once.
 */
function secretSection(id) {
  const shown = h('p', { id: 'secret-now', class: 'muted', text: 'Hidden.' });
  const show = h('button', { type: 'button', id: 'secret-show', text: 'Show secret' });
  show.addEventListener('click', () => attempt(() => admin('GET', `/bots/${seg(id)}/secret`),
    (r) => shown.replaceChildren(h('code', { text: r.secret }))));
  const rotate = h('button', { type: 'button', class: 'danger', id: 'secret-rotate', text: 'Rotate secret' });
  rotate.addEventListener('click', () => confirmStep(
    'Rotate the signing secret? The bot must use the new one at once: signatures with the old one stop.',
    'Rotate secret',
    () => attempt(() => admin('POST', `/bots/${seg(id)}/secret`), (r) => {
      shown.replaceChildren(h('code', { text: r.secret }));
      notice('New signing secret:', 'ok', r.secret);
    })));
  return h('div', { id: 'secret-section' }, shown, show, ' ', rotate);
}

/**
 * What the bot is for, shown to people with its profile in a group's info: `PATCH /bots/{id}`
 * with `description` (at most 500 characters; empty clears it).
 */
function descriptionForm(id, current, again) {
  const area = h('textarea', { id: 'bot-description', name: 'description', rows: 3, maxlength: 500, class: 'wide', 'aria-label': 'Description' });
  area.value = current ?? '';
  const el = h('form', { id: 'description-form' }, area, h('button', { type: 'submit', text: 'Save description' }));
  el.addEventListener('submit', (e) => {
    e.preventDefault();
    attempt(() => admin('PATCH', `/bots/${seg(id)}`, { description: area.value }),
      (r) => { notice(r.description ? 'Description saved.' : 'Description cleared.'); again(); });
  });
  return el;
}

/**
 * A form command's fields as typed in the console: the CLI's `ID:TYPE[:LABEL[:OPTION,OPTION…]]`,
 * one per `;`, or the admin API's JSON list (for defaults). Not checked here: the server's
 * check is the one that counts, and its message is shown as it says it.
 */
export function parseFields(text) {
  const t = text.trim();
  if (!t) return undefined;
  if (t.startsWith('[')) return JSON.parse(t);
  return t.split(';').map((s) => s.trim()).filter(Boolean).map((spec) => {
    const [id, type, label, options] = splitSpec(spec);
    const field = { id, type };
    if (label) field.label = label;
    if (options !== undefined) field.options = options.split(',');
    return field;
  });
}

/** `a:b:c:d,e` → `['a', 'b', 'c', 'd,e']`: at most four parts, the last keeps its colons. */
function splitSpec(spec) {
  const parts = spec.split(':');
  return parts.length <= 4 ? parts : [...parts.slice(0, 3), parts.slice(3).join(':')];
}

/** Adds a command (or sets the kind, texts and form of one with that name). */
function commandForm(id, again) {
  const el = form([['name', 'Command name', { required: true }], ['kind', 'Kind', { options: ['normal', 'direct', 'form'] }],
    ['presetText', 'Preset text'], ['hintText', 'Hint text (placeholder)'],
    ['fields', 'Form fields: id:type[:label[:option,option]]; …', { class: 'wide' }]], 'Add command',
  (v) => {
    let fields;
    try {
      fields = parseFields(v.fields);
    } catch (e) {
      notice(`The form fields are not JSON: ${e.message}`, 'bad');
      return false;
    }
    const body = { name: v.name, kind: fields ? 'form' : v.kind, presetText: v.presetText };
    if (v.hintText) body.hintText = v.hintText;
    if (fields) body.form = fields;
    return attempt(() => admin('POST', `/bots/${seg(id)}/commands`, body),
      (c) => { notice(`Command /${c.name} saved.`); again(); });
  });
  el.id = 'command-form';
  return el;
}

/** A form's fields in a table cell: `label (type: options)`, one after the other. */
function fieldsDetail(fields) {
  return (fields ?? []).map((f) => `${f.label ?? f.id} (${f.type}${f.options ? `: ${f.options.join(', ')}` : ''})`).join('; ');
}

/** What a command does, in a table cell: its texts, or its form's fields. */
function commandDetail(c) {
  if (c.kind === 'form') return fieldsDetail(c.form);
  return [c.presetText, c.hintText ? `hint: ${c.hintText}` : ''].filter(Boolean).join(' · ');
}

/** The menu types as the console names them: wire `menuType` 1, 2, 3. */
const MENU_TYPES = { button: 1, toggle: 2, dropdown: 3 };
const MENU_TYPE_NAMES = { 1: 'button', 2: 'toggle', 3: 'drop-down' };

/** Adds a button to the end of the bot's shortcut menu. */
function menuForm(id, again) {
  const el = form([['name', 'Button caption', { required: true }], ['menuType', 'Type', { options: Object.keys(MENU_TYPES) }],
    ['options', 'Drop-down options, comma-separated', { class: 'wide' }]], 'Add menu button',
  (v) => {
    const body = { name: v.name, menuType: MENU_TYPES[v.menuType] ?? 1 };
    const options = v.options.split(',').map((o) => o.trim()).filter(Boolean);
    if (options.length) body.options = options;
    return attempt(() => admin('POST', `/bots/${seg(id)}/menus`, body),
      (m) => { notice(`Menu button ${m.name} (${m.menuId}) added.`); again(); });
  });
  el.id = 'menu-form';
  return el;
}

/**
 * The bot's per-group settings form (wire §7.9): its fields, typed as a form command's, replace
 * the form; Remove takes it away with every group's values.
 */
function settingsFormSection(id, fields, again) {
  const el = form([['fields', 'Fields: id:type[:label[:option,option]]; …', { class: 'wide', required: true }]], 'Save settings form',
    (v) => {
      let parsed;
      try {
        parsed = parseFields(v.fields);
      } catch (e) {
        notice(`The form fields are not JSON: ${e.message}`, 'bad');
        return false;
      }
      return attempt(() => admin('PUT', `/bots/${seg(id)}/settings-form`, { fields: parsed ?? [] }),
        () => { notice('Settings form saved.'); again(); });
    });
  el.id = 'settings-form-form';
  const now = h('p', { id: 'settings-form-now' }, fields.length
    ? fieldsDetail(fields) : h('span', { class: 'muted', text: 'No settings form.' }));
  if (!fields.length) return h('div', {}, now, el);
  const remove = h('button', { type: 'button', class: 'danger', id: 'settings-form-remove', text: 'Remove settings form' });
  remove.addEventListener('click', () => attempt(
    () => admin('PUT', `/bots/${seg(id)}/settings-form`, { fields: [] }),
    () => { notice('Settings form removed.'); again(); }));
  return h('div', {}, now, remove, el);
}

async function detail(root, id, relist) {
  const [b, dir, { commands }, sub, { menus }, { fields: settingsFields }] = await Promise.all([
    admin('GET', `/bots/${seg(id)}`), directory(), admin('GET', `/bots/${seg(id)}/commands`),
    admin('GET', `/bots/${seg(id)}/webhook`),
    // A server without shortcut menus or settings forms (an older one) shows none.
    admin('GET', `/bots/${seg(id)}/menus`).catch(() => ({ menus: [] })),
    admin('GET', `/bots/${seg(id)}/settings-form`).catch(() => ({ fields: [] }))]);
  const again = () => detail(root, id);
  // Filled by deliveries.js from the event-delivery admin endpoints, when the server has them.
  const health = h('div', { class: 'placeholder-box', id: 'delivery-health', text: 'Delivery health: loading…' });
  root.replaceChildren(h('div', { class: 'panel', id: 'bot-detail' },
    h('h2', { text: `${b.nickname} (${b.botId})` }),
    h('h3', { text: 'Description' }),
    h('p', { class: 'muted', text: 'Shown to people with the bot in a group\'s info.' }),
    descriptionForm(id, b.description, again),
    h('h3', { text: 'Webhook URL' }),
    h('p', { id: 'webhook-now' }, 'Saved: ', b.webhookUrl ? h('code', { text: b.webhookUrl })
      : h('span', { class: 'muted', text: 'none (events go to the bot WebSocket)' })),
    // The list above shows the URL too: a change redraws both.
    webhookForm(id, b.webhookUrl, relist ?? again),
    h('h3', { text: 'Event types' }),
    h('p', { class: 'muted', text: 'Nothing ticked: every event goes to the bot. Ticked: only those.' }),
    eventTypesForm(id, sub.eventTypes, again),
    h('h3', { text: 'Signing secret' }),
    h('p', { class: 'muted', text: 'Webhook requests are signed with it (webhook-signature, Standard Webhooks).' }),
    secretSection(id),
    health,
    h('h3', { text: 'Commands' }),
    h('p', { class: 'muted', text: 'What users pick after typing / in the chat with the bot. A normal command puts its preset text in the input box and shows its hint text; a direct one sends /name at once; a form command opens its form (types: input, textarea, radio, checkbox, switch, select).' }),
    table(['Command', 'Kind', 'Preset text · hint / form', 'ID', ''], commands.map((c) => [
      `/${c.name}`, c.kind, commandDetail(c), String(c.commandId),
      actions(['Remove', () => attempt(() => admin('DELETE', `/bots/${seg(id)}/commands/${seg(c.name)}`), again), 'danger']),
    ]), 'No commands.'),
    commandForm(id, again),
    h('h3', { text: 'Shortcut menu' }),
    h('p', { class: 'muted', text: 'Buttons above the message box in the chats with the bot. Pressing one sends the bot bot.shortcut.menu; a toggle\'s or drop-down\'s choice also rides in content.menu of the user\'s later messages.' }),
    table(['Button', 'Type', 'Options', 'Menu ID', ''], menus.map((m) => [
      m.name, MENU_TYPE_NAMES[m.menuType] ?? String(m.menuType), (m.options ?? []).join(', '), m.menuId,
      actions(['Remove', () => attempt(() => admin('DELETE', `/bots/${seg(id)}/menus/${seg(m.menuId)}`), again), 'danger']),
    ]), 'No menu buttons.'),
    menuForm(id, again),
    h('h3', { text: 'Settings form' }),
    h('p', { class: 'muted', text: 'What a group\'s owner and administrators fill in for the bot in the group\'s info; the bot gets bot.setting with the values (types: input, textarea, radio, checkbox, switch, select).' }),
    settingsFormSection(id, settingsFields, again),
    h('h3', { text: 'Followers' }),
    table(['User', 'Nickname', ''], b.followers.map((u) => [u, dir.users.get(u) ?? '', actions(['Remove', () => attempt(
      () => admin('DELETE', `/bots/${seg(id)}/followers/${seg(u)}`), again), 'danger'])]), 'No followers.'),
    form([['user', 'User', { required: true, options: choices(dir.users, b.followers) }]], 'Add follower',
      (v) => attempt(() => admin('PUT', `/bots/${seg(id)}/followers/${seg(v.user)}`), again)),
    h('h3', { text: 'Groups' }),
    table(['Group', 'Name', ''], b.groups.map((g) => [g, dir.groups.get(g) ?? '', actions(['Remove', () => attempt(
      () => admin('DELETE', `/groups/${seg(g)}/bots/${seg(id)}`), again), 'danger'])]), 'In no group.'),
    form([['group', 'Group', { required: true, options: choices(dir.groups, b.groups) }]], 'Add to group',
      (v) => attempt(() => admin('PUT', `/groups/${seg(v.group)}/bots/${seg(id)}`), again)),
  ));
  await deliveryHealth(health, id);
}

/** The bots tab; with `open`, that bot's page below the list. */
export async function botsView(root, open = null) {
  const { bots } = await admin('GET', '/bots');
  const detailBox = h('div');
  const refresh = () => botsView(root);
  const show = (id) => detail(detailBox, id, () => botsView(root, id));
  root.replaceChildren(
    h('div', { class: 'panel' },
      h('h2', { text: 'New bot' }),
      form([['id', 'ID (optional)'], ['nickname', 'Nickname', { required: true }], ['webhookUrl', 'Webhook URL (optional)', { type: 'url' }]],
        'Create bot', (v) => attempt(
          () => admin('POST', '/bots', { id: v.id || undefined, nickname: v.nickname, webhookUrl: v.webhookUrl || undefined }),
          (b) => { notice(`Created ${b.nickname} (${b.botId}). Its token, shown this once:`, 'ok', b.token); refresh(); }))),
    h('div', { class: 'panel' },
      h('h2', { text: `Bots (${bots.length})` }),
      table(['ID', 'Nickname', 'Webhook URL', 'Created', ''], bots.map((b) => [
        b.botId, b.nickname, b.webhookUrl ?? '—', when(b.createdAt),
        actions(
          ['Details', () => attempt(() => show(b.botId))],
          ['Rotate token', () => confirmStep(
            `Rotate the token of ${b.nickname} (${b.botId})? The old one stops working at once.`, 'Rotate token',
            () => attempt(() => admin('POST', `/bots/${seg(b.botId)}/token`),
              (r) => notice(`New token for ${b.nickname}, shown this once; the old one no longer works:`, 'ok', r.token)))],
          ['Delete', () => confirmStep(`Delete bot ${b.nickname} (${b.botId})?`, 'Delete',
            () => attempt(() => admin('DELETE', `/bots/${seg(b.botId)}`), () => { notice(`Deleted ${b.botId}.`); refresh(); })), 'danger'],
        ),
      ]))),
    detailBox,
  );
  if (open && bots.some((b) => b.botId === open)) await show(open);
}
