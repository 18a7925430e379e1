// The sign-in and registration views. Sign-in also stands in for any view
// that needs an account (upload, tokens, ...), with a prompt saying why;
// once signed in, that view shows in its place.

import { h, icon } from './dom.js';
import {
  authCard, busy, field, formStatus, newAccountForm, passwordInput, usernameInput,
} from './forms.js';
import { session, signIn } from './session.js';

// renderSignIn draws the sign-in form. With a prompt it guards another
// view and stays on its address; without, it goes to next, or home.
export function renderSignIn(main, { prompt = '', next = '' } = {}) {
  document.title = 'Sign in · imagerepo';
  const username = usernameInput('signin-username');
  const password = passwordInput('signin-password', 'current-password', { required: true });
  const submit = h('button', { type: 'submit', class: 'button primary large wide', id: 'signin-submit', 'data-testid': 'signin-submit' },
    icon('login'), 'Sign in');
  const status = formStatus('signin-status');
  const form = h('form', { class: 'auth-form', id: 'signin-form', 'data-testid': 'signin-form', novalidate: true },
    field('Username', username), field('Password', password), status.el, h('div', { class: 'form-actions' }, submit));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    status.clear();
    if (!username.value.trim() || !password.value) {
      status.error('Enter your username and password.');
      (username.value.trim() ? password : username).focus();
      return;
    }
    busy(submit, true);
    try {
      await signIn(username.value.trim(), password.value, prompt ? '' : next || '#/');
    } catch (err) {
      status.error(err.message);
      password.focus();
      password.select();
      busy(submit, false);
    }
  });
  const footer = session.openRegistration
    ? h('p', {}, 'No account yet? ', h('a', { href: '#/register', 'data-testid': 'register-link', text: 'Register' }))
    : h('p', { text: 'No account yet? Ask an admin of this imagerepo for one.' });
  main.append(authCard('signin-view', 'Sign in', prompt || 'Welcome back.', form, footer));
  username.focus();
}

// renderRegister lets anyone make an account when the server allows it.
export function renderRegister(main) {
  document.title = 'Register · imagerepo';
  if (!session.openRegistration) {
    main.append(authCard('register-view', 'Registration is closed',
      'Accounts on this imagerepo are made by its admins. Ask one for an account.',
      h('div', { class: 'form-actions' }, h('a', { class: 'button primary', href: '#/signin' }, icon('login'), 'Sign in'))));
    return;
  }
  const { form, username } = newAccountForm({
    prefix: 'register', usernameLabel: 'Username', submitLabel: 'Create account', noName: 'Choose a username.',
  });
  main.append(authCard('register-view', 'Create an account', 'Upload images and choose who sees them.', form,
    h('p', {}, 'Have an account? ', h('a', { href: '#/signin', text: 'Sign in' }))));
  username.focus();
}
