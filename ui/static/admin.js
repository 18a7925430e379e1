// The admin view: add accounts, and disable or enable them. A disabled
// account cannot sign in and its sessions and tokens stop at once; its
// images stay. An admin cannot disable their own account.

import { ApiError } from './api.js';
import { createUser, listUsers, setUserDisabled } from './api-accounts.js';
import { h, icon } from './dom.js';
import { formatDate } from './format.js';
import {
  busy, field, formStatus, PASSWORD_HINT, passwordInput, USERNAME_HINT, usernameInput,
} from './forms.js';
import { noLongerSignedIn, session } from './session.js';

export function renderAdmin(main, _params, signal) {
  document.title = 'Accounts · imagerepo';
  const username = usernameInput('new-username', 'off');
  const password = passwordInput('new-password', 'new-password', { required: true, minlength: 8, maxlength: 128 });
  const makeAdmin = h('input', { type: 'checkbox', id: 'new-admin', name: 'new-admin', 'data-testid': 'new-admin' });
  const create = h('button', { type: 'submit', class: 'button primary', id: 'user-create', 'data-testid': 'user-create' },
    icon('plus'), 'Add account');
  const createStatus = formStatus('user-create-status');
  const form = h('form', { class: 'panel form-panel', id: 'user-form', 'data-testid': 'user-form', novalidate: true },
    h('h2', { class: 'panel-title', text: 'Add an account' }),
    h('div', { class: 'field-row' },
      field('Username', username, USERNAME_HINT),
      field('Password', password, PASSWORD_HINT + ' Give it to them; they can change it.')),
    h('div', { class: 'check-field' }, makeAdmin,
      h('label', { for: 'new-admin' }, h('strong', { text: 'Admin' }),
        h('span', { class: 'hint', text: ' — can see, change and delete every image, and manage accounts.' }))),
    createStatus.el,
    h('div', { class: 'form-actions' }, create));
  const list = h('ul', { class: 'item-list', id: 'user-list', 'data-testid': 'user-list', 'aria-labelledby': 'users-heading' });
  const listStatus = formStatus('user-list-status');

  main.append(h('section', { class: 'account-view narrow', 'data-testid': 'admin-view' },
    h('div', { class: 'view-head' },
      h('h1', { class: 'view-title', text: 'Accounts' }),
      h('p', { class: 'view-subtitle', text: 'Everyone who can sign in to this imagerepo.' })),
    form,
    h('h2', { class: 'section-title', id: 'users-heading', text: 'All accounts' }),
    listStatus.el, list));

  function failed(err, status) {
    if (err instanceof ApiError && err.status === 401) noLongerSignedIn();
    else status.error(err.message);
  }

  async function load() {
    try {
      const res = await listUsers({ signal });
      if (signal.aborted) return;
      const users = Array.isArray(res.users) ? res.users : [];
      list.replaceChildren(...users.map(row));
    } catch (err) {
      if (signal.aborted || err.name === 'AbortError') return;
      failed(err, listStatus);
    }
  }

  function row(u) {
    const self = u.username === session.user.username;
    const state = h('span', {
      class: 'state-pill ' + (u.disabled ? 'is-off' : 'is-on'), 'data-testid': 'user-state',
      text: u.disabled ? 'Disabled' : 'Active',
    });
    const toggle = h('button', {
      type: 'button', class: u.disabled ? 'button' : 'button danger-ghost', 'data-testid': 'user-toggle',
      'aria-label': (u.disabled ? 'Enable ' : 'Disable ') + u.username,
      text: u.disabled ? 'Enable' : 'Disable',
    });
    toggle.addEventListener('click', async () => {
      busy(toggle, true);
      listStatus.clear();
      try {
        const updated = await setUserDisabled(u.username, !u.disabled);
        const fresh = row(updated);
        li.replaceWith(fresh);
        fresh.querySelector('[data-testid=user-toggle]').focus();
        listStatus.success(`${updated.username} is ${updated.disabled ? 'disabled: their sessions and tokens stopped working' : 'enabled again'}.`);
      } catch (err) {
        busy(toggle, false);
        failed(err, listStatus);
      }
    });
    const li = h('li', { class: 'item-row', 'data-testid': 'user-row', 'data-username': u.username, 'data-disabled': u.disabled ? 'true' : 'false' },
      h('div', { class: 'item-icon' }, icon(u.role === 'admin' ? 'shield' : 'user')),
      h('div', { class: 'item-main' },
        h('p', { class: 'item-name' },
          h('span', { 'data-testid': 'user-name', text: u.username }),
          u.role === 'admin' ? h('span', { class: 'role-pill', 'data-testid': 'user-role', text: 'Admin' }) : null,
          self ? h('span', { class: 'item-you', text: '(you)' }) : null),
        h('p', { class: 'item-meta' }, state, u.created_at ? ' · joined ' + formatDate(u.created_at) : '')),
      // Disabling yourself would lock you out; the server refuses it too.
      self ? null : toggle);
    return li;
  }

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    createStatus.clear();
    if (!username.value.trim()) {
      createStatus.error('Choose a username.');
      username.focus();
      return;
    }
    if (password.value.length < 8) {
      createStatus.error('The password must be at least 8 characters.');
      password.focus();
      return;
    }
    busy(create, true);
    try {
      const u = await createUser(username.value.trim(), password.value, makeAdmin.checked ? 'admin' : 'user');
      form.reset();
      createStatus.success(`Account ${u.username} created${u.role === 'admin' ? ' as an admin' : ''}.`);
      username.focus();
      await load();
    } catch (err) {
      failed(err, createStatus);
    } finally {
      busy(create, false);
    }
  });

  load();
}
