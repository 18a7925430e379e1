// Pieces the account forms share: labelled fields, a status area that
// reads out errors and successes, and a busy state for submit buttons.

import { createUser } from './api-accounts.js';
import { h, icon } from './dom.js';
import { signIn } from './session.js';

// field wraps an input with its label and an optional hint, wired up with
// for= and aria-describedby.
export function field(label, input, hint = '') {
  const hintEl = hint ? h('p', { class: 'hint', id: input.id + '-hint', text: hint }) : null;
  if (hintEl) input.setAttribute('aria-describedby', hintEl.id);
  return h('div', { class: 'field' }, h('label', { for: input.id, text: label }), input, hintEl);
}

// textInput and passwordInput make the inputs of the account forms.
// autocomplete tells password managers what each one holds.
export function textInput(id, autocomplete, attrs = {}) {
  return h('input', {
    type: 'text', id, name: id, autocomplete, autocapitalize: 'none', spellcheck: 'false',
    'data-testid': id, ...attrs,
  });
}

export function passwordInput(id, autocomplete, attrs = {}) {
  return h('input', { type: 'password', id, name: id, autocomplete, 'data-testid': id, ...attrs });
}

// usernameInput is for an account name; the server says what it accepts
// (1 to 32 of a-z 0-9 . _ -, lower-cased).
export function usernameInput(id, autocomplete = 'username') {
  return textInput(id, autocomplete, { required: true, maxlength: 32 });
}

export const USERNAME_HINT = 'Up to 32 letters, digits, dots, dashes or underscores.';
export const PASSWORD_HINT = 'At least 8 characters.';

// formStatus is where a form says how it went: errors as alerts, the rest
// politely.
export function formStatus(id) {
  const el = h('div', { class: 'form-status', id, 'data-testid': id, 'aria-live': 'polite' });
  return {
    el,
    clear() {
      el.replaceChildren();
      el.removeAttribute('role');
    },
    error(message) {
      el.setAttribute('role', 'alert');
      el.replaceChildren(h('p', { class: 'status-line is-error' }, icon('alert'), message));
    },
    success(message) {
      el.removeAttribute('role');
      el.replaceChildren(h('p', { class: 'status-line is-success' }, icon('check'), message));
    },
  };
}

// busy disables a button while its request runs, and says so.
export function busy(button, on) {
  button.disabled = on;
  if (on) button.setAttribute('aria-busy', 'true');
  else button.removeAttribute('aria-busy');
}

// checkPasswords returns what is wrong with a new password and its
// confirmation, or '' when they will do. The server checks again.
export function checkPasswords(password, confirm) {
  if (password.length < 8) return 'The password must be at least 8 characters.';
  if (password !== confirm) return 'The two passwords do not match.';
  return '';
}

// authCard lays out the small centred card of the sign-in, register and
// first-run forms.
export function authCard(testid, title, subtitle, form, footer = null) {
  return h('section', { class: 'auth-view', 'data-testid': testid },
    h('div', { class: 'auth-card panel' },
      h('div', { class: 'auth-art' }, icon(testid === 'setup-view' ? 'shield' : 'user', 'icon-lg')),
      h('h1', { class: 'view-title', id: testid + '-title', text: title }),
      subtitle ? h('p', { class: 'view-subtitle', text: subtitle }) : null,
      form,
      footer ? h('div', { class: 'auth-footer' }, footer) : null));
}

// newAccountForm is the form that makes an account and signs it in: the
// first-run admin setup and open registration. onError may handle a
// failure itself by returning true.
export function newAccountForm({ prefix, usernameLabel, submitLabel, noName, onError = () => false }) {
  const username = usernameInput(`${prefix}-username`);
  const password = passwordInput(`${prefix}-password`, 'new-password', { required: true, minlength: 8, maxlength: 128 });
  const confirm = passwordInput(`${prefix}-confirm`, 'new-password', { required: true });
  const submit = h('button', { type: 'submit', class: 'button primary large wide', id: `${prefix}-submit`, 'data-testid': `${prefix}-submit` },
    submitLabel);
  const status = formStatus(`${prefix}-status`);
  const form = h('form', { class: 'auth-form', id: `${prefix}-form`, 'data-testid': `${prefix}-form`, novalidate: true },
    field(usernameLabel, username, USERNAME_HINT), field('Password', password, PASSWORD_HINT),
    field('Repeat the password', confirm), status.el, h('div', { class: 'form-actions' }, submit));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    status.clear();
    const problem = username.value.trim() ? checkPasswords(password.value, confirm.value) : noName;
    if (problem) {
      status.error(problem);
      return;
    }
    busy(submit, true);
    try {
      const user = await createUser(username.value.trim(), password.value);
      await signIn(user.username, password.value, '#/');
    } catch (err) {
      busy(submit, false);
      if (!(await onError(err, status))) status.error(err.message);
    }
  });
  return { form, username };
}
