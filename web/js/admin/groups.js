// Groups: list and create; a chosen group's members (role, remove, add), bots and what they
// may do there, message-type limit and mutes.

import { h } from '../dom.js';
import { admin, choices, directory, named, seg } from './api.js';
import { actions, attempt, confirmStep, form, notice, table, when } from './ui.js';

const ROLES = ['member', 'administrator', 'owner'];

/** The bot API's group permissions an admin grants per bot (`PUT …/bots/{bot}/permissions`). */
const PERMISSIONS = [
  ['allowGagMember', 'Mute members'],
  ['allowRemoveMember', 'Remove members'],
  ['allowEditGroupInfo', 'Limit message types'],
  ['allowGroupTagManage', 'Manage tags'],
];

/** A bot's row of permission checkboxes, saved together (the endpoint replaces all four). */
function permissionRow(group, bot, nickname, current, again) {
  const boxes = PERMISSIONS.map(([key, label]) => h('input', {
    type: 'checkbox', name: key, checked: current[key], 'aria-label': `${label} (${bot})`,
  }));
  const save = actions(['Save', () => attempt(
    () => admin('PUT', `/groups/${seg(group)}/bots/${seg(bot)}/permissions`,
      Object.fromEntries(PERMISSIONS.map(([key], i) => [key, boxes[i].checked]))),
    () => { notice(`Permissions of ${named(nickname, bot)} saved.`); again(); })]);
  return [bot, nickname ?? '', ...boxes.map((b) => h('td', { class: 'check' }, b)), save];
}

async function detail(root, id, refreshList) {
  const [g, dir] = await Promise.all([admin('GET', `/groups/${seg(id)}`), directory()]);
  const again = () => detail(root, id, refreshList);
  root.replaceChildren(h('div', { class: 'panel', id: 'group-detail' },
    h('h2', { text: `${g.name} (${g.groupId})${g.open ? ' · open' : ''}` }),
    h('h3', { text: 'Members' }),
    table(['User', 'Nickname', 'Role', ''], g.members.map((m) => [
      m.userId, m.nickname, m.role,
      actions(
        ...ROLES.filter((r) => r !== m.role).map((r) => [`Make ${r}`, () => attempt(
          () => admin('PUT', `/groups/${seg(id)}/members/${seg(m.userId)}`, { role: r }), again)]),
        ['Remove', () => attempt(() => admin('DELETE', `/groups/${seg(id)}/members/${seg(m.userId)}`), again), 'danger'],
      ),
    ])),
    form([['user', 'User', { required: true, options: choices(dir.users, g.members.map((m) => m.userId)) }], ['role', 'Role', { options: ROLES }]], 'Add member',
      (v) => attempt(() => admin('PUT', `/groups/${seg(id)}/members/${seg(v.user)}`, { role: v.role }), again)),
    h('h3', { text: 'Bots' }),
    table(['Bot', 'Nickname', ''], g.bots.map((b) => [b, dir.bots.get(b) ?? '', actions(['Remove', () => attempt(
      () => admin('DELETE', `/groups/${seg(id)}/bots/${seg(b)}`), again), 'danger'])]), 'No bots.'),
    form([['bot', 'Bot', { required: true, options: choices(dir.bots, g.bots) }]], 'Add bot',
      (v) => attempt(() => admin('PUT', `/groups/${seg(id)}/bots/${seg(v.bot)}`), again)),
    h('h3', { text: 'What the bots may do here' }),
    table(['Bot', 'Nickname', ...PERMISSIONS.map(([, label]) => label), ''],
      Object.entries(g.botPermissions ?? {}).map(([bot, p]) => permissionRow(id, bot, dir.bots.get(bot), p, again)),
      'No bots.'),
    h('h3', { text: 'Message types and mutes' }),
    h('p', { class: 'muted', text: "Set by the group's bots with permission (the bot API's /group/msg-type-limit and /group/gag-member); shown here as they stand." }),
    h('p', { id: 'msg-type-limit' }, h('strong', { text: 'Members may send: ' }),
      g.msgTypeLimit?.length ? g.msgTypeLimit.join(', ') : 'any type'),
    table(['Muted member', 'Nickname', 'Until', 'Muted by'], (g.gags ?? []).map((m) => [
      m.userId, dir.users.get(m.userId) ?? '', m.untilMs ? when(m.untilMs) : 'until lifted', named(dir.bots.get(m.setByBot), m.setByBot),
    ]), 'Nobody is muted.'),
  ));
  refreshList?.();
}

export async function groupsView(root) {
  const { groups } = await admin('GET', '/groups');
  const detailBox = h('div');
  const refresh = () => groupsView(root);
  root.replaceChildren(
    h('div', { class: 'panel' },
      h('h2', { text: 'New group' }),
      form([['id', 'ID (optional)'], ['name', 'Name', { required: true }], ['open', 'Users may join by themselves', { type: 'checkbox' }]],
        'Create group', (v) => attempt(() => admin('POST', '/groups', { id: v.id || undefined, name: v.name, open: v.open }),
          (g) => { notice(`Created group ${g.name} (${g.groupId}).`); refresh(); }))),
    h('div', { class: 'panel' },
      h('h2', { text: `Groups (${groups.length})` }),
      table(['ID', 'Name', 'Open', 'Created', ''], groups.map((g) => [
        g.groupId, g.name, g.open ? 'yes' : 'no', when(g.createdAt),
        actions(
          ['Members & bots', () => attempt(() => detail(detailBox, g.groupId))],
          ['Delete', () => confirmStep(`Delete group ${g.name} (${g.groupId}) and its history?`, 'Delete',
            () => attempt(() => admin('DELETE', `/groups/${seg(g.groupId)}`), () => { notice(`Deleted ${g.groupId}.`); refresh(); })), 'danger'],
        ),
      ]))),
    detailBox,
  );
}
