// Users: list, create (the token is shown once), rotate a token, delete.

import { h } from '../dom.js';
import { admin, seg } from './api.js';
import { actions, attempt, form, notice, table, when } from './ui.js';

export async function usersView(root) {
  const { users } = await admin('GET', '/users');
  const refresh = () => usersView(root);
  root.replaceChildren(
    h('div', { class: 'panel' },
      h('h2', { text: 'New user' }),
      form([['id', 'ID (optional)'], ['nickname', 'Nickname', { required: true }]], 'Create user',
        (v) => attempt(() => admin('POST', '/users', { id: v.id || undefined, nickname: v.nickname }), (u) => {
          notice(`Created ${u.nickname} (${u.userId}). Their token, shown this once:`, 'ok', u.token);
          refresh();
        }))),
    h('div', { class: 'panel' },
      h('h2', { text: `Users (${users.length})` }),
      table(['ID', 'Nickname', 'Created', ''], users.map((u) => [
        u.userId, u.nickname, when(u.createdAt),
        actions(
          ['Rotate token', () => attempt(() => admin('POST', `/users/${seg(u.userId)}/token`),
            (r) => notice(`New token for ${u.nickname}; the old one no longer works:`, 'ok', r.token))],
          ['Delete', () => {
            if (!window.confirm(`Delete user ${u.nickname} (${u.userId})?`)) return;
            attempt(() => admin('DELETE', `/users/${seg(u.userId)}`), () => { notice(`Deleted ${u.userId}.`); refresh(); });
          }, 'danger'],
        ),
      ]))),
  );
}
