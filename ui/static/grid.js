// The home view: every image you may see as an even square tile, newest
// first, loading the next page as the end of the grid scrolls into view.
// Signed in, two tabs pick between all you can see and your own images
// (#/ and #/mine); a lock marks the private ones.

import { listImages } from './api.js';
import { h, icon } from './dom.js';
import { listing, resetListing } from './listing.js';
import { session } from './session.js';
import { visibilityBadge } from './visibility.js';

const PAGE_SIZE = 48;

export function renderGrid(main, { mine }, signal) {
  const user = session.user;
  const owner = mine && user ? user.username : '';
  const route = owner ? '#/mine' : '#/';
  const title = owner ? 'My images' : user ? 'All I can see' : 'Public images';
  document.title = owner ? 'My images · imagerepo' : 'imagerepo';
  // The loaded list belongs to one view for one account.
  const key = route + ' ' + (user ? user.username : '');
  if (listing.key !== key) {
    resetListing();
    listing.key = key;
  }
  listing.route = route;

  const grid = h('ul', { class: 'grid', id: 'grid', 'data-testid': 'grid', 'aria-labelledby': 'grid-heading' });
  const sentinel = h('div', { class: 'grid-sentinel', id: 'grid-sentinel', 'aria-hidden': 'true' });
  const status = h('div', { class: 'grid-status', id: 'grid-status', role: 'status', 'aria-live': 'polite' });
  const count = h('p', { class: 'view-count', id: 'grid-count', 'data-testid': 'grid-count' });
  const head = h('div', { class: 'view-head inline' }, h('h1', { class: 'view-title', id: 'grid-heading', text: title }), count);
  main.append(h('section', { class: 'grid-view', 'data-owner': owner || null },
    user ? tabs(route) : null, head, grid, sentinel, status));

  let loading = false;
  const observer = new IntersectionObserver((entries) => {
    if (entries.some((e) => e.isIntersecting)) loadMore();
  }, { rootMargin: '0px 0px 800px 0px' });

  function showTiles(images) {
    grid.append(...images.map(tile));
  }

  function showState() {
    status.replaceChildren();
    const empty = listing.loaded && listing.images.length === 0;
    head.hidden = empty;
    grid.hidden = empty;
    // The total is known once the last page is in.
    const n = listing.images.length;
    count.textContent = listing.next ? '' : n === 1 ? '1 image' : `${n} images`;
    if (empty) status.append(emptyState(user, owner));
  }

  async function loadMore() {
    if (loading || signal.aborted || (listing.loaded && !listing.next)) return;
    loading = true;
    status.replaceChildren(h('p', { class: 'status-line' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), 'Loading images…'));
    try {
      const page = await listImages({ limit: PAGE_SIZE, cursor: listing.next, owner, signal });
      if (signal.aborted) return;
      const images = Array.isArray(page.images) ? page.images : [];
      listing.images.push(...images);
      listing.next = page.next || '';
      listing.loaded = true;
      showTiles(images);
      showState();
    } catch (err) {
      if (signal.aborted || err.name === 'AbortError') return;
      status.replaceChildren(h('div', { class: 'notice error', role: 'alert', 'data-testid': 'grid-error' },
        h('p', { text: err.message }),
        h('button', { type: 'button', class: 'button', on: { click: () => loadMore() } }, icon('retry'), 'Try again')));
      return;
    } finally {
      loading = false;
    }
    // Observing afresh reports the sentinel's current state, so a screen
    // tall enough to show the whole page asks for the next one.
    if (listing.next) {
      observer.unobserve(sentinel);
      observer.observe(sentinel);
    }
  }

  if (listing.loaded) {
    showTiles(listing.images);
    showState();
    window.scrollTo(0, listing.scrollY);
    // Coming back from an image puts keyboard focus on its tile again.
    const last = listing.lastViewed && grid.querySelector(`[data-id="${CSS.escape(listing.lastViewed)}"]`);
    if (last) {
      last.focus({ preventScroll: true });
      last.scrollIntoView({ block: 'nearest' });
    }
  }
  observer.observe(sentinel);
  if (!listing.loaded) loadMore();

  return () => {
    listing.scrollY = window.scrollY;
    observer.disconnect();
  };
}

// tabs switches between all images and one's own, as links so that each
// view has its own address.
function tabs(route) {
  const tab = (href, text, id) => h('a', {
    class: 'tab', href, id, 'data-testid': id, 'aria-current': href === route ? 'page' : null, text,
  });
  return h('nav', { class: 'tabs', 'aria-label': 'Which images' },
    tab('#/', 'All I can see', 'tab-all'), tab('#/mine', 'My images', 'tab-mine'));
}

function tile(img) {
  const label = img.title || img.filename || 'Untitled image';
  const src = (img.urls && (img.urls.thumb_small || img.urls.file)) || '';
  const priv = img.visibility !== 'public';
  return h('li', { class: 'grid-item' },
    h('a', {
      class: 'tile', href: '#/image/' + encodeURIComponent(img.id), 'data-testid': 'tile', 'data-id': img.id,
      'data-visibility': priv ? 'private' : 'public',
    },
    // loading goes before src so the browser never starts an eager fetch.
    h('img', { loading: 'lazy', decoding: 'async', alt: label, src, width: img.width || null, height: img.height || null }),
    h('span', { class: 'tile-caption', 'aria-hidden': 'true', text: label }),
    // The badge's text joins the link's name: "Sunset, Private".
    priv ? visibilityBadge('private', 'tile-badge') : null));
}

function emptyState(user, owner) {
  const upload = h('a', { class: 'button primary large', href: '#/upload', 'data-testid': 'empty-upload' }, icon('upload'), 'Upload images');
  const [title, text, action] = !user
    ? ['No public images yet', 'Images appear here once their owners make them public. Sign in to upload your own.',
      h('a', { class: 'button primary large', href: '#/signin', 'data-testid': 'empty-signin' }, icon('login'), 'Sign in')]
    : owner
      ? ['You have no images yet', 'Upload images to start your library. You choose who sees each one.', upload]
      : ['No images yet', 'Upload your first images to start your library. You can also drop image files anywhere on this page.', upload];
  return h('div', { class: 'empty-state', 'data-testid': 'empty-state' },
    h('div', { class: 'empty-art' }, icon('image', 'icon-xl')),
    h('h1', { class: 'empty-title', text: title }),
    h('p', { class: 'empty-text', text }),
    action);
}
