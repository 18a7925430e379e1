// The home view: every image as an even square tile, newest first, loading
// the next page as the end of the grid scrolls into view.

import { listImages } from './api.js';
import { h, icon } from './dom.js';
import { listing } from './listing.js';

const PAGE_SIZE = 48;

export function renderGrid(main, _params, signal) {
  document.title = 'imagerepo';
  const grid = h('ul', { class: 'grid', id: 'grid', 'data-testid': 'grid', 'aria-labelledby': 'grid-heading' });
  const sentinel = h('div', { class: 'grid-sentinel', id: 'grid-sentinel', 'aria-hidden': 'true' });
  const status = h('div', { class: 'grid-status', id: 'grid-status', role: 'status', 'aria-live': 'polite' });
  const count = h('p', { class: 'view-count', id: 'grid-count', 'data-testid': 'grid-count' });
  const head = h('div', { class: 'view-head inline' }, h('h1', { class: 'view-title', id: 'grid-heading', text: 'All images' }), count);
  main.append(h('section', { class: 'grid-view' }, head, grid, sentinel, status));

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
    if (empty) status.append(emptyState());
  }

  async function loadMore() {
    if (loading || signal.aborted || (listing.loaded && !listing.next)) return;
    loading = true;
    status.replaceChildren(h('p', { class: 'status-line' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), 'Loading images…'));
    try {
      const page = await listImages({ limit: PAGE_SIZE, cursor: listing.next, signal });
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

function tile(img) {
  const label = img.title || img.filename || 'Untitled image';
  const src = (img.urls && (img.urls.thumb_small || img.urls.file)) || '';
  return h('li', { class: 'grid-item' },
    h('a', { class: 'tile', href: '#/image/' + encodeURIComponent(img.id), 'data-testid': 'tile', 'data-id': img.id },
      // loading goes before src so the browser never starts an eager fetch.
      h('img', { loading: 'lazy', decoding: 'async', alt: label, src, width: img.width || null, height: img.height || null }),
      h('span', { class: 'tile-caption', 'aria-hidden': 'true', text: label })));
}

function emptyState() {
  return h('div', { class: 'empty-state', 'data-testid': 'empty-state' },
    h('div', { class: 'empty-art' }, icon('image', 'icon-xl')),
    h('h1', { class: 'empty-title', text: 'No images yet' }),
    h('p', { class: 'empty-text', text: 'Upload your first images to start your library. You can also drop image files anywhere on this page.' }),
    h('a', { class: 'button primary large', href: '#/upload', 'data-testid': 'empty-upload' }, icon('upload'), 'Upload images'));
}
