// The right side of the header: Upload and the account menu when signed
// in, Sign in (and Register, when open) when not, nothing on first run.
// The menu is a disclosure: a button that shows a list of links, closed by
// Escape, by a click elsewhere, or by choosing an item.

import { h, icon } from './dom.js';
import { isAdmin, session, signOut } from './session.js';

const navUpload = document.getElementById('nav-upload');
const account = document.getElementById('nav-account');
let closeMenu = () => {};

// renderHeader redraws the header for the current session.
export function renderHeader() {
  closeMenu();
  closeMenu = () => {};
  navUpload.hidden = !session.user;
  if (session.needsAdmin) {
    account.replaceChildren();
  } else if (!session.user) {
    const signIn = h('a', { class: 'button', href: '#/signin', id: 'nav-signin', 'data-testid': 'nav-signin' },
      icon('login'), h('span', { text: 'Sign in' }));
    if (session.openRegistration) {
      account.replaceChildren(
        h('a', { class: 'button ghost', href: '#/register', id: 'nav-register', 'data-testid': 'nav-register', text: 'Register' }),
        signIn);
    } else {
      account.replaceChildren(signIn);
    }
  } else {
    account.replaceChildren(accountMenu(session.user));
  }
}

// markCurrent sets aria-current on the header link of the current view
// (the logo and My images lead there without a search).
export function markCurrent(hash) {
  for (const a of document.querySelectorAll('.site-header a[href*="#/"]')) {
    const url = new URL(a.href);
    if (url.hash === hash && url.search === location.search) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}

function accountMenu(user) {
  const admin = isAdmin();
  const item = (href, iconName, text, id) => h('li', {},
    h('a', { class: 'menu-item', href, id, 'data-testid': id }, icon(iconName), h('span', { text })));
  const signOutButton = h('button', { type: 'button', class: 'menu-item', id: 'menu-signout', 'data-testid': 'menu-signout' },
    icon('logout'), h('span', { text: 'Sign out' }));
  const error = h('p', { class: 'menu-error', role: 'alert', hidden: true });
  const menu = h('div', { class: 'account-menu', id: 'account-menu', 'data-testid': 'account-menu', hidden: true },
    h('p', { class: 'account-menu-head' }, 'Signed in as ', h('strong', { text: user.username }),
      admin ? h('span', { class: 'role-pill', text: 'Admin' }) : null),
    h('ul', { class: 'menu-list', 'aria-label': 'Account' },
      item('/#/mine', 'grid', 'My images', 'menu-mine'),
      item('#/tokens', 'key', 'Tokens', 'menu-tokens'),
      item('#/password', 'password', 'Password', 'menu-password'),
      admin ? item('#/admin', 'users', 'Admin', 'menu-admin') : null,
      h('li', { class: 'menu-separator' }, signOutButton)),
    error);
  const button = h('button', {
    type: 'button', class: 'button ghost account-button', id: 'account-button', 'data-testid': 'account-button',
    'aria-expanded': 'false', 'aria-controls': 'account-menu',
  },
  h('span', { class: 'avatar', 'aria-hidden': 'true', text: user.username.slice(0, 1).toUpperCase() }),
  h('span', { class: 'account-name', 'data-testid': 'account-name', text: user.username }),
  h('span', { class: 'visually-hidden', text: ', account menu' }),
  icon('chevron', 'chevron'));
  const wrap = h('div', { class: 'account' }, button, menu);

  const items = () => [...menu.querySelectorAll('.menu-item')];
  function open() {
    menu.hidden = false;
    error.hidden = true;
    button.setAttribute('aria-expanded', 'true');
    document.addEventListener('pointerdown', onOutside, true);
  }
  function close(focusButton = false) {
    if (menu.hidden) return;
    menu.hidden = true;
    button.setAttribute('aria-expanded', 'false');
    document.removeEventListener('pointerdown', onOutside, true);
    if (focusButton) button.focus();
  }
  function onOutside(e) {
    if (!wrap.contains(e.target)) close();
  }
  closeMenu = () => close();

  button.addEventListener('click', () => (menu.hidden ? open() : close()));
  button.addEventListener('keydown', (e) => {
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      open();
      const list = items();
      list[e.key === 'ArrowDown' ? 0 : list.length - 1].focus();
    }
  });
  wrap.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && !menu.hidden) {
      e.preventDefault();
      e.stopPropagation();
      close(true);
      return;
    }
    if (!menu.contains(e.target) || !['ArrowDown', 'ArrowUp', 'Home', 'End'].includes(e.key)) return;
    e.preventDefault();
    const list = items();
    const i = list.indexOf(e.target);
    const n = list.length;
    const next = { ArrowDown: (i + 1) % n, ArrowUp: (i - 1 + n) % n, Home: 0, End: n - 1 }[e.key];
    list[next].focus();
  });
  // Tabbing out of the menu closes it.
  wrap.addEventListener('focusout', (e) => {
    if (e.relatedTarget && !wrap.contains(e.relatedTarget)) close();
  });
  menu.addEventListener('click', (e) => {
    if (e.target instanceof Element && e.target.closest('a.menu-item')) close();
  });
  signOutButton.addEventListener('click', async () => {
    signOutButton.disabled = true;
    try {
      await signOut();
    } catch (err) {
      error.textContent = err.message;
      error.hidden = false;
      signOutButton.disabled = false;
    }
  });
  return wrap;
}
