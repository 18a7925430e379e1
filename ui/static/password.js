// The password view: change your own password. The server ends your other
// sessions; this one stays signed in.

import { ApiError } from './api.js';
import { changePassword } from './api-accounts.js';
import { h } from './dom.js';
import { busy, checkPasswords, field, formStatus, PASSWORD_HINT, passwordInput } from './forms.js';
import { session } from './session.js';

export function renderPassword(main) {
  document.title = 'Password · imagerepo';
  // A hidden username helps password managers file the new password.
  const username = h('input', {
    type: 'text', class: 'visually-hidden', autocomplete: 'username', value: session.user.username,
    readonly: true, tabindex: -1, 'aria-hidden': 'true',
  });
  const current = passwordInput('password-current', 'current-password', { required: true });
  const next = passwordInput('password-new', 'new-password', { required: true, minlength: 8, maxlength: 128 });
  const confirm = passwordInput('password-confirm', 'new-password', { required: true });
  const save = h('button', { type: 'submit', class: 'button primary', id: 'password-save', 'data-testid': 'password-save', text: 'Change password' });
  const status = formStatus('password-status');
  const form = h('form', { class: 'panel form-panel', id: 'password-form', 'data-testid': 'password-form', novalidate: true },
    username,
    field('Current password', current),
    field('New password', next, PASSWORD_HINT),
    field('Repeat the new password', confirm),
    status.el,
    h('div', { class: 'form-actions' }, save));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    status.clear();
    const problem = current.value ? checkPasswords(next.value, confirm.value) : 'Enter your current password.';
    if (problem) {
      status.error(problem);
      return;
    }
    busy(save, true);
    try {
      await changePassword(current.value, next.value);
      form.reset();
      status.success('Password changed. Your other sessions have been signed out.');
    } catch (err) {
      // A wrong current password is a 401 as much as a lost session, so
      // the server's message says which.
      status.error(err.message);
      if (err instanceof ApiError && err.status === 401) current.focus();
    } finally {
      busy(save, false);
    }
  });
  main.append(h('section', { class: 'account-view narrow', 'data-testid': 'password-view' },
    h('div', { class: 'view-head' },
      h('h1', { class: 'view-title', text: 'Change your password' }),
      h('p', { class: 'view-subtitle', text: 'Signed in as ' + session.user.username + '. Changing the password signs out your other sessions.' })),
    form));
  current.focus();
}
