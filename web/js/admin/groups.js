// Groups: list and create; a chosen group's members (role, remove, add) and bots.

import { h } from '../dom.js';
import { admin, choices, directory, seg } from './api.js';
import { actions, attempt, form, notice, table, when } from './ui.js';

const ROLES = ['member', 'administrator', 'owner'];

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
          ['Delete', () => {
            if (!window.confirm(`Delete group ${g.name} and its history?`)) return;
            attempt(() => admin('DELETE', `/groups/${seg(g.groupId)}`), () => { notice(`Deleted ${g.groupId}.`); refresh(); });
          }, 'danger'],
        ),
      ]))),
    detailBox,
  );
}
