// The router: the URL fragment picks a view (#/, #/mine, #/upload,
// #/image/{id}, #/signin, #/tokens, ...), so the server only ever serves
// these static files; a search lives in the query string in front of it
// (/?q=toy#/, see search.js). Each view renders into <main> and returns a
// cleanup function (or {cleanup, update}); its AbortSignal fires when you
// navigate away, so late answers never draw over the next view.
//
// Who may see a view is decided here: on a fresh install every address
// shows the first-run form; views that need an account show the sign-in
// form in their place; the admin page needs an admin. The server checks
// every request again; this only keeps people from dead ends.

import { renderAdmin } from './admin.js';
import { h, icon } from './dom.js';
import { renderGrid } from './grid.js';
import { markCurrent, renderHeader } from './header.js';
import { renderImage } from './image.js';
import { listing, resetListing } from './listing.js';
import { renderPassword } from './password.js';
import { initSearch, showSearchBar, syncSearch } from './search.js';
import { isAdmin, loadSession, onSessionChange, session } from './session.js';
import { renderSetup } from './setup.js';
import { renderRegister, renderSignIn } from './signin.js';
import { renderTokens } from './tokens.js';
import { forgetUploads, receiveFiles, renderUpload } from './upload.js';

const main = document.getElementById('main');
let current = null; // {key, controller, cleanup, update}
let firstRoute = true;
let routed = ''; // the address drawn last

// The views that keep a search (?q=, ?tag=) in the address: the grids show
// its results, and an image opened from them goes back to them.
const KEEPS_SEARCH = new Set(['grid', 'mine', 'image']);

// Views that need an account say why in the sign-in form they show instead.
const ROUTES = {
  '/': { view: 'grid', render: renderGrid, mine: false },
  '/mine': { view: 'mine', render: renderGrid, mine: true, signIn: 'Sign in to see your images.' },
  '/upload': { view: 'upload', render: renderUpload, signIn: 'Sign in to upload images.' },
  '/signin': { view: 'signin', render: renderSignIn, anonymousOnly: true },
  '/register': { view: 'register', render: renderRegister, anonymousOnly: true },
  '/setup': { view: 'setup', render: renderSetup },
  '/tokens': { view: 'tokens', render: renderTokens, signIn: 'Sign in to manage your API tokens.' },
  '/password': { view: 'password', render: renderPassword, signIn: 'Sign in to change your password.' },
  '/admin': { view: 'admin', render: renderAdmin, signIn: 'Sign in as an admin to manage accounts.', admin: true },
};

function parse(hash) {
  const [path, query] = (hash.replace(/^#/, '') || '/').split('?', 2);
  // #/signin?next=#/image/ID comes back to the image after signing in.
  const next = new URLSearchParams(query || '').get('next') || '';
  if (Object.hasOwn(ROUTES, path)) return { ...ROUTES[path], next: next.startsWith('#/') ? next : '' };
  const m = /^\/image\/([^/?#]+)$/.exec(path);
  if (m) return { view: 'image', render: renderImage, id: decodeURIComponent(m[1]) };
  return { view: 'missing', render: renderMissing };
}

// guard returns the route to draw for r, or null after redirecting.
function guard(r) {
  if (session.needsAdmin) {
    if (r.view === 'setup') return r;
    location.replace('#/setup');
    return null;
  }
  if ((r.view === 'setup' || r.anonymousOnly) && session.user) {
    location.replace(r.next || '#/');
    return null;
  }
  if (r.signIn && !session.user) return { view: 'signin', render: renderSignIn, prompt: r.signIn, guarded: r.view };
  if (r.admin && !isAdmin()) return { view: 'forbidden', render: renderForbidden };
  return r;
}

// route draws the view of the address. Back and Forward may fire both
// popstate and hashchange for one step, so an address already drawn is
// skipped, unless force (the session changed, so every view may differ).
// A view that can follow a new search in place (the grid) is told to,
// rather than drawn again, so its tiles stay until the results come.
function route(force = false) {
  if (!force && location.href === routed) return;
  const r = guard(parse(location.hash));
  if (!r) return; // the hashchange of the redirect routes again
  if (location.search && !KEEPS_SEARCH.has(r.view)) {
    history.replaceState(history.state, '', location.pathname + location.hash);
  }
  routed = location.href;
  showSearchBar(!session.needsAdmin);
  syncSearch();
  markCurrent(location.hash || '#/');
  const key = r.view + ' ' + (r.id || '');
  if (!force && current && current.update && current.key === key) {
    current.update();
    return;
  }
  if (current) {
    current.controller.abort();
    if (current.cleanup) current.cleanup();
    current = null;
  }
  document.body.dataset.view = r.guarded || r.view;
  main.replaceChildren();
  window.scrollTo(0, 0);
  const controller = new AbortController();
  const view = r.render(main, r, controller.signal);
  current = typeof view === 'function' || !view
    ? { key, controller, cleanup: view || null, update: null }
    : { key, controller, cleanup: view.cleanup || null, update: view.update || null };
  // Move focus to the new content for keyboard and screen reader users,
  // unless the view placed it already, and not on the first load, where
  // focus belongs to the document. Typing in the search bar keeps it there.
  const active = document.activeElement;
  if (!firstRoute && !main.contains(active) && !(active && active.closest('#search-form'))) main.focus({ preventScroll: true });
  firstRoute = false;
}

function renderMissing(el) {
  document.title = 'Not found · imagerepo';
  el.append(h('div', { class: 'empty-state', 'data-testid': 'not-found' },
    h('div', { class: 'empty-art' }, icon('image', 'icon-xl')),
    h('h1', { class: 'empty-title', text: 'Page not found' }),
    h('p', { class: 'empty-text', text: 'There is nothing at this address.' }),
    h('a', { class: 'button primary', href: '#/' }, icon('back'), 'Back to all images')));
}

function renderForbidden(el) {
  document.title = 'Admins only · imagerepo';
  el.append(h('div', { class: 'empty-state', 'data-testid': 'forbidden' },
    h('div', { class: 'empty-art' }, icon('shield', 'icon-xl')),
    h('h1', { class: 'empty-title', text: 'Admins only' }),
    h('p', { class: 'empty-text', text: 'Only an admin of this imagerepo can manage accounts.' }),
    h('a', { class: 'button primary', href: '#/' }, icon('back'), 'Back to all images')));
}

// A sign-in or sign-out changes what every view shows: redraw the header,
// forget the images loaded for the previous account, and draw the view
// again (or go where the change asks).
onSessionChange((next) => {
  resetListing();
  if (!session.user) forgetUploads();
  renderHeader();
  if (next && location.hash !== next) location.hash = next;
  else route(true);
});

// Files dropped anywhere go to the upload view. The overlay says so, except
// on the upload view, whose drop zone says it already.
const overlay = document.getElementById('drop-overlay');
let dragDepth = 0;
function carriesFiles(e) {
  return e.dataTransfer && Array.from(e.dataTransfer.types).includes('Files');
}
document.addEventListener('dragenter', (e) => {
  if (!carriesFiles(e)) return;
  e.preventDefault();
  dragDepth++;
  overlay.hidden = false;
});
document.addEventListener('dragover', (e) => {
  if (!carriesFiles(e)) return;
  e.preventDefault();
  e.dataTransfer.dropEffect = 'copy';
});
document.addEventListener('dragleave', (e) => {
  if (!carriesFiles(e)) return;
  dragDepth = Math.max(0, dragDepth - 1);
  if (dragDepth === 0) overlay.hidden = true;
});
document.addEventListener('drop', (e) => {
  if (!carriesFiles(e)) return;
  e.preventDefault();
  dragDepth = 0;
  overlay.hidden = true;
  receiveFiles(e.dataTransfer.files);
});

// start learns who is signed in before drawing anything.
async function start() {
  try {
    await loadSession();
  } catch (err) {
    showSearchBar(false);
    main.replaceChildren(h('div', { class: 'empty-state', role: 'alert', 'data-testid': 'start-error' },
      h('h1', { class: 'empty-title', text: 'Could not reach imagerepo' }),
      h('p', { class: 'empty-text', text: err.message }),
      h('button', { type: 'button', class: 'button primary', on: { click: start } }, icon('retry'), 'Try again')));
    return;
  }
  renderHeader();
  // Each listener once, also when "Try again" starts again.
  if (!started) {
    started = true;
    initSearch({ onNavigate: onAddressChange, gridHash });
    window.addEventListener('hashchange', onAddressChange);
    window.addEventListener('popstate', onAddressChange);
  }
  route();
}

let started = false;
function onAddressChange() {
  route();
}

// gridHash is the grid that search results show on: the one on screen, or
// the one an image was opened from, else all images.
function gridHash() {
  const r = parse(location.hash);
  if (r.view === 'mine') return '#/mine';
  if (r.view === 'image') return listing.route;
  return '#/';
}
start();
