// The admin console: sign in with the admin token, then users, groups and bots tabs.

import { admin, adminSession } from './api.js';
import { botsView } from './bots.js';
import { groupsView } from './groups.js';
import { notice } from './ui.js';
import { usersView } from './users.js';

const $ = (id) => document.getElementById(id);
const VIEWS = { users: usersView, groups: groupsView, bots: botsView };

function showSignIn(message = '') {
  $('console').hidden = true;
  $('signin').hidden = false;
  $('signin-error').textContent = message;
  $('signin-token').focus();
}

async function show(name) {
  for (const tab of document.querySelectorAll('[role=tab]')) {
    tab.setAttribute('aria-selected', String(tab.dataset.view === name));
  }
  $('notice').replaceChildren();
  try {
    await VIEWS[name]($('view'));
  } catch (err) {
    if (err.status === 401) { adminSession.token = null; showSignIn('That admin token was not accepted.'); return; }
    notice(`Could not load ${name}: ${err.message}`, 'bad');
  }
}

async function start() {
  if (!adminSession.token) { showSignIn(); return; }
  try {
    await admin('GET', '/users');
  } catch (err) {
    if (err.status === 401) adminSession.token = null;
    showSignIn(err.status === 401 ? 'That admin token was not accepted.' : err.message);
    return;
  }
  $('signin').hidden = true;
  $('console').hidden = false;
  await show('users');
}

$('signin-form').addEventListener('submit', (e) => {
  e.preventDefault();
  adminSession.token = $('signin-token').value.trim();
  $('signin-token').value = '';
  start();
});
$('signout').addEventListener('click', () => { adminSession.token = null; showSignIn(); });
for (const tab of document.querySelectorAll('[role=tab]')) {
  tab.addEventListener('click', () => show(tab.dataset.view));
}

start();
