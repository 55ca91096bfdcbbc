// Users: list, create (the token is shown once), rotate a token, set a password, delete.

import { h } from '../dom.js';
import { admin, choices, named, seg } from './api.js';
import { actions, attempt, confirmStep, form, notice, table, when } from './ui.js';

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
      h('h2', { text: 'Web sign-in password' }),
      h('p', { class: 'muted', text: 'Lets a user sign in to the web client with their ID and this password (8 to 256 characters). Their open sessions end.' }),
      form([['userId', 'User', { required: true, options: choices(new Map(users.map((u) => [u.userId, u.nickname]))) }], ['password', 'New password', { type: 'password', required: true }]], 'Set password',
        (v) => attempt(() => admin('PUT', `/users/${seg(v.userId)}/password`, { password: v.password }),
          () => notice(`Password set for ${named(users.find((u) => u.userId === v.userId)?.nickname, v.userId)}.`)))),
    h('div', { class: 'panel' },
      h('h2', { text: `Users (${users.length})` }),
      table(['ID', 'Nickname', 'Created', ''], users.map((u) => [
        u.userId, u.nickname, when(u.createdAt),
        actions(
          ['Rotate token', () => confirmStep(
            `Rotate the token of ${u.nickname} (${u.userId})? The old one stops working at once.`, 'Rotate token',
            () => attempt(() => admin('POST', `/users/${seg(u.userId)}/token`),
              (r) => notice(`New token for ${u.nickname}, shown this once; the old one no longer works:`, 'ok', r.token)))],
          ['Delete', () => confirmStep(`Delete user ${u.nickname} (${u.userId})?`, 'Delete',
            () => attempt(() => admin('DELETE', `/users/${seg(u.userId)}`), () => { notice(`Deleted ${u.userId}.`); refresh(); })), 'danger'],
        ),
      ]))),
  );
}
