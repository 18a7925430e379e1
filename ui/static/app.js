// The router: the URL fragment picks a view (#/, #/upload, #/image/{id}),
// so the server only ever serves these static files. Each view renders
// into <main> and returns a cleanup function; its AbortSignal fires when
// you navigate away, so late answers never draw over the next view.

import { h, icon } from './dom.js';
import { renderGrid } from './grid.js';
import { renderImage } from './image.js';
import { receiveFiles, renderUpload } from './upload.js';

const main = document.getElementById('main');
const navUpload = document.getElementById('nav-upload');
let current = null; // {controller, cleanup}
let firstRoute = true;

function parse(hash) {
  const path = hash.replace(/^#/, '') || '/';
  if (path === '/') return { view: 'grid', render: renderGrid };
  if (path === '/upload') return { view: 'upload', render: renderUpload };
  const m = /^\/image\/([^/?#]+)$/.exec(path);
  if (m) return { view: 'image', render: renderImage, id: decodeURIComponent(m[1]) };
  return { view: 'missing', render: renderMissing };
}

function route() {
  if (current) {
    current.controller.abort();
    if (current.cleanup) current.cleanup();
    current = null;
  }
  const r = parse(location.hash);
  document.body.dataset.view = r.view;
  if (r.view === 'upload') navUpload.setAttribute('aria-current', 'page');
  else navUpload.removeAttribute('aria-current');
  main.replaceChildren();
  window.scrollTo(0, 0);
  const controller = new AbortController();
  const cleanup = r.render(main, r, controller.signal);
  current = { controller, cleanup: typeof cleanup === 'function' ? cleanup : null };
  // Move focus to the new content for keyboard and screen reader users,
  // unless the view placed it already, and not on the first load, where
  // focus belongs to the document.
  if (!firstRoute && !main.contains(document.activeElement)) main.focus({ preventScroll: true });
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

window.addEventListener('hashchange', route);
route();
