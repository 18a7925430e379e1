// The home view: every image you may see as an even square tile, newest
// first, loading the next page as the end of the grid scrolls into view.
// Signed in, two tabs pick between all you can see and your own images
// (#/ and #/mine); a lock marks the private ones.
//
// With a search in the address (?q=, ?tag=; see search.js) the same view
// shows the results, best first, with the words that matched marked in
// each title. A new search replaces the tiles only when its answer comes,
// so typing never flickers, and only the newest request's answer is drawn.

import { ApiError, listImages } from './api.js';
import { h, icon } from './dom.js';
import { highlighter } from './highlight.js';
import { listing, resetListing } from './listing.js';
import { MAX_QUERY_BYTES, clearSearch, focusSearch, isSearching, readSearch, searchAddress, setSearchBusy, utf8Length } from './search.js';
import { session } from './session.js';
import { visibilityBadge } from './visibility.js';

const PAGE_SIZE = 48;

export function renderGrid(main, { mine }, signal) {
  const user = session.user;
  const owner = mine && user ? user.username : '';
  const route = owner ? '#/mine' : '#/';
  // The loaded list belongs to one view of one search for one account.
  const keyOf = (s) => [route, user ? user.username : '', s.q.trim(), s.tag].join('\n');
  listing.route = route;

  let wanted = readSearch(); // the search asked for last
  let shown = null; // the search the tiles show, once an answer came
  let mark = null; // marks the matched words of a title of the shown search
  let seq = 0; // numbers the searches asked for: only the newest is drawn
  let inflight = null; // the AbortController of the request under way

  const heading = h('h1', { class: 'view-title', id: 'grid-heading' });
  const count = h('p', { class: 'view-count', id: 'grid-count', 'data-testid': 'grid-count', role: 'status', 'aria-live': 'polite' });
  const grid = h('ul', { class: 'grid', id: 'grid', 'data-testid': 'grid', 'aria-labelledby': 'grid-heading' });
  const sentinel = h('div', { class: 'grid-sentinel', id: 'grid-sentinel', 'aria-hidden': 'true' });
  const status = h('div', { class: 'grid-status', id: 'grid-status', role: 'status', 'aria-live': 'polite' });
  const head = h('div', { class: 'view-head inline' }, heading, count);
  const section = h('section', { class: 'grid-view', 'data-owner': owner || null },
    user ? tabs(route) : null, head, grid, sentinel, status);
  main.append(section);

  const observer = new IntersectionObserver((entries) => {
    if (entries.some((e) => e.isIntersecting)) loadMore();
  }, { rootMargin: '0px 0px 800px 0px' });
  // Observing afresh reports the sentinel's current state, so a screen
  // tall enough to show the whole page asks for the next one.
  function observeEnd() {
    observer.unobserve(sentinel);
    if (listing.next) observer.observe(sentinel);
  }

  function describe(s) {
    const q = short(s.q.trim());
    let title = owner ? 'My images' : user ? 'All I can see' : 'Public images';
    if (q) title = `Results for “${q}”` + (s.tag ? ` tagged “${short(s.tag)}”` : '');
    else if (s.tag) title = `Tagged “${short(s.tag)}”`;
    heading.textContent = title;
    section.dataset.search = isSearching(s) ? (q ? 'text' : 'tag') : 'none';
    document.title = isSearching(s) ? `${title} · imagerepo` : owner ? 'My images · imagerepo' : 'imagerepo';
  }

  function countText(s) {
    const n = listing.images.length;
    if (s.q.trim()) {
      const total = listing.total >= 0 ? listing.total : listing.next ? -1 : n;
      if (total < 0) return '';
      return total === 1 ? '1 image matches' : `${total} images match`;
    }
    // Without a search the total is known once the last page is in.
    if (listing.next) return s.tag ? `${n}+ images` : '';
    return n === 1 ? '1 image' : `${n} images`;
  }

  function showState() {
    status.replaceChildren();
    const empty = listing.loaded && listing.images.length === 0;
    head.hidden = empty;
    grid.hidden = empty;
    count.textContent = countText(shown);
    if (empty) status.append(isSearching(shown) ? noMatch(shown, owner) : emptyState(user, owner));
  }

  function spinner(text) {
    status.replaceChildren(h('p', { class: 'status-line' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), text));
  }

  const textOf = (s) => (s.q.trim() ? s.q : '');

  // loadFirst asks for the first page of search s. The tiles on screen
  // stay until the answer comes; an answer to an older request is dropped.
  async function loadFirst(s) {
    const my = ++seq;
    wanted = s;
    if (inflight) inflight.abort();
    const ctl = new AbortController();
    inflight = ctl;
    if (shown) setSearchBusy(true);
    else spinner(isSearching(s) ? 'Searching…' : 'Loading images…');
    try {
      if (utf8Length(s.q) > MAX_QUERY_BYTES) {
        throw new ApiError(400, 'invalid', 'That search is too long. Shorten it and try again.');
      }
      const page = await listImages({
        limit: PAGE_SIZE, owner, tag: s.tag, text: textOf(s), signal: AbortSignal.any([signal, ctl.signal]),
      });
      if (my !== seq || signal.aborted) return;
      const images = Array.isArray(page.images) ? page.images : [];
      resetListing();
      listing.key = keyOf(s);
      listing.route = route;
      listing.images = images;
      listing.next = page.next || '';
      listing.total = typeof page.total === 'number' ? page.total : -1;
      listing.loaded = true;
      const replacing = shown !== null;
      shown = s;
      mark = marker(s, images);
      describe(s);
      grid.replaceChildren(...images.map((img) => tile(img, mark)));
      showState();
      if (replacing && window.scrollY > 0) window.scrollTo(0, 0);
    } catch (err) {
      if (my !== seq || signal.aborted || err.name === 'AbortError') return;
      // What is on screen no longer answers the search in the bar.
      resetListing();
      shown = s;
      describe(s);
      grid.replaceChildren();
      head.hidden = true;
      // A refused search (400) would be refused again: only the text can help.
      const retry = !(err instanceof ApiError && err.status === 400);
      status.replaceChildren(h('div', { class: 'notice error', role: 'alert', 'data-testid': 'grid-error' },
        h('p', { text: err.message }),
        retry ? h('button', { type: 'button', class: 'button', on: { click: () => loadFirst(wanted) } }, icon('retry'), 'Try again') : null));
      return;
    } finally {
      if (inflight === ctl) inflight = null;
      if (my === seq) setSearchBusy(false);
    }
    observeEnd();
  }

  async function loadMore() {
    if (inflight || signal.aborted || !shown || !listing.loaded || !listing.next) return;
    const my = seq;
    const ctl = new AbortController();
    inflight = ctl;
    const s = shown;
    spinner(isSearching(s) ? 'Loading more results…' : 'Loading images…');
    try {
      const page = await listImages({
        limit: PAGE_SIZE, cursor: listing.next, owner, tag: s.tag, text: textOf(s), signal: AbortSignal.any([signal, ctl.signal]),
      });
      if (my !== seq || signal.aborted) return;
      const images = Array.isArray(page.images) ? page.images : [];
      listing.images.push(...images);
      listing.next = page.next || '';
      if (typeof page.total === 'number') listing.total = page.total;
      grid.append(...images.map((img) => tile(img, mark)));
      showState();
    } catch (err) {
      if (my !== seq || signal.aborted || err.name === 'AbortError') return;
      status.replaceChildren(h('div', { class: 'notice error', role: 'alert', 'data-testid': 'grid-error' },
        h('p', { text: err.message }),
        h('button', { type: 'button', class: 'button', on: { click: () => loadMore() } }, icon('retry'), 'Try again')));
      return;
    } finally {
      if (inflight === ctl) inflight = null;
    }
    observeEnd();
  }

  describe(wanted);
  if (listing.loaded && listing.key === keyOf(wanted)) {
    // Back from an image: draw what was loaded, where it was.
    shown = wanted;
    mark = marker(wanted, listing.images);
    grid.append(...listing.images.map((img) => tile(img, mark)));
    showState();
    window.scrollTo(0, listing.scrollY);
    // Coming back from an image puts keyboard focus on its tile again.
    const last = listing.lastViewed && grid.querySelector(`[data-id="${CSS.escape(listing.lastViewed)}"]`);
    if (last) {
      last.focus({ preventScroll: true });
      last.scrollIntoView({ block: 'nearest' });
    }
    observeEnd();
  } else {
    loadFirst(wanted);
  }

  return {
    // update follows a change of the search in the address.
    update() {
      const s = readSearch();
      const key = keyOf(s);
      if (key === keyOf(wanted)) return;
      if (shown && key === keyOf(shown) && listing.key === key) {
        // Back to what is on screen before the answer came: forget the request.
        seq++;
        wanted = s;
        if (inflight) inflight.abort();
        inflight = null;
        setSearchBusy(false);
        observeEnd();
        return;
      }
      loadFirst(s);
    },
    cleanup() {
      listing.scrollY = window.scrollY;
      observer.disconnect();
      if (inflight) inflight.abort();
      setSearchBusy(false);
    },
  };
}

// tabs switches between all images and one's own, as links so that each
// view has its own address. They keep the search.
function tabs(route) {
  const tab = (href, text, id) => h('a', {
    class: 'tab', href, id, 'data-testid': id, 'aria-current': href === route ? 'page' : null, text,
  });
  return h('nav', { class: 'tabs', 'aria-label': 'Which images' },
    tab('#/', 'All I can see', 'tab-all'), tab('#/mine', 'My images', 'tab-mine'));
}

// marker returns what draws the captions of the results of search s
// (images being the first page): the title with the words that matched
// marked, or just the title for a tag alone; null without a search.
function marker(s, images) {
  if (s.q.trim()) return highlighter(s.q, images.map((img) => img.title || img.filename || ''));
  return s.tag ? (title) => [title] : null;
}

// short cuts a long search for a heading.
function short(text, max = 60) {
  const chars = [...text];
  return chars.length > max ? chars.slice(0, max - 1).join('').trimEnd() + '…' : text;
}

// srcset offers the large thumbnail to high-density screens.
function srcset(img) {
  const u = img.urls || {};
  return u.thumb_small && u.thumb_large ? `${u.thumb_small} 1x, ${u.thumb_large} 2x` : null;
}

// tile is one square; mark, when searching, draws the title in a caption
// that stays visible, with the matched words marked.
function tile(img, mark) {
  const label = img.title || img.filename || 'Untitled image';
  const src = (img.urls && (img.urls.thumb_small || img.urls.file)) || '';
  const priv = img.visibility !== 'public';
  const caption = mark
    ? h('span', { class: 'tile-caption is-shown', 'aria-hidden': 'true', 'data-testid': 'tile-caption' }, mark(label))
    : h('span', { class: 'tile-caption', 'aria-hidden': 'true', text: label });
  return h('li', { class: 'grid-item' },
    h('a', {
      class: 'tile', href: '#/image/' + encodeURIComponent(img.id), 'data-testid': 'tile', 'data-id': img.id,
      'data-visibility': priv ? 'private' : 'public',
    },
    // loading goes before src so the browser never starts an eager fetch.
    h('img', { loading: 'lazy', decoding: 'async', alt: label, srcset: srcset(img), src, width: img.width || null, height: img.height || null }),
    caption,
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

// noMatch is the answer to a search that found nothing, with the ways out:
// clear the search, drop the tag filter, or look beyond one's own images.
function noMatch(s, owner) {
  const q = short(s.q.trim());
  const tag = short(s.tag);
  const title = !q ? `No images tagged “${tag}”`
    : s.tag ? `No images tagged “${tag}” match “${q}”` : `No images match “${q}”`;
  const text = !q ? 'No image you can see has this tag.'
    : owner ? 'None of your images match. Check the spelling, or try other or fewer words.'
      : 'Check the spelling, or try other or fewer words.';
  return h('div', { class: 'empty-state', 'data-testid': 'no-match' },
    h('div', { class: 'empty-art' }, icon('search', 'icon-xl')),
    h('h1', { class: 'empty-title', 'data-testid': 'no-match-title', text: title }),
    h('p', { class: 'empty-text', text }),
    h('div', { class: 'form-actions centered' },
      h('button', { type: 'button', class: 'button primary', 'data-testid': 'no-match-clear', on: { click: () => { clearSearch(); focusSearch(); } } }, icon('close'), 'Clear search'),
      q && s.tag ? h('a', { class: 'button', href: searchAddress({ q: s.q }, owner ? '#/mine' : '#/'), 'data-testid': 'no-match-all-tags' }, 'Search all tags') : null,
      owner ? h('a', { class: 'button', href: '#/', 'data-testid': 'no-match-everyone' }, 'Search all I can see') : null));
}
