// The search bar in the header. The search lives in the real query string
// (/?q=toy&tag=sea#/), so results can be bookmarked and shared; the view
// still lives in the fragment. Typing searches as you go, debounced, and
// replaces one "draft" history entry; Return (or the search icon) commits
// it, so Back steps through the searches you meant, not every letter.
//
// Only the grid views and the image view keep a search: app.js drops it
// from the address when you go elsewhere.

import { h, icon } from './dom.js';

const DEBOUNCE_MS = 170;

// MAX_QUERY_BYTES is the server's limit on q; longer text is refused there.
export const MAX_QUERY_BYTES = 512;

const form = document.getElementById('search-form');
const input = document.getElementById('search-input');
const tagField = document.getElementById('search-tag');
const filters = document.getElementById('search-filters');
const clearButton = document.getElementById('search-clear');

let navigated = () => {};
let timer = 0;
let ownBack = false; // a history.back() of ours is on its way to popstate

// readSearch returns the search in the address: {q, tag}, both '' when
// there is none. q keeps its inner spacing: a trailing space tells the
// server the last word is finished.
export function readSearch() {
  const p = new URLSearchParams(location.search);
  return { q: (p.get('q') || '').replace(/^\s+/, ''), tag: (p.get('tag') || '').trim() };
}

export function isSearching(s = readSearch()) {
  return s.q.trim() !== '' || s.tag !== '';
}

// searchAddress is the app's address for search s on view hash.
export function searchAddress({ q = '', tag = '' }, hash = '#/') {
  const p = new URLSearchParams();
  if (q.trim()) p.set('q', q);
  if (tag) p.set('tag', tag);
  const qs = p.toString();
  return '/' + (qs ? '?' + qs : '') + hash;
}

// tagAddress is the address of the grid filtered by one tag.
export function tagAddress(tag) {
  return searchAddress({ tag }, '#/');
}

function here() {
  return location.pathname + location.search + location.hash;
}

// same reports whether two addresses are one, however their query strings
// are encoded (a bookmark may say %20 where this page says +).
function same(a, b) {
  const norm = (url) => {
    const u = new URL(url, location.origin);
    return u.pathname + '?' + new URLSearchParams(u.search) + u.hash;
  };
  return norm(a) === norm(b);
}

// The grid that results show on: the one you are on, or came from.
let resultsHash = () => '#/';

// initSearch wires the bar. onNavigate runs after the address changed
// through history.pushState or replaceState (which fire no event);
// gridHash returns the view that results belong on.
export function initSearch({ onNavigate, gridHash }) {
  navigated = onNavigate;
  resultsHash = gridHash;
  input.addEventListener('input', () => {
    showClear();
    clearTimeout(timer);
    timer = setTimeout(() => {
      timer = 0;
      go(false);
    }, DEBOUNCE_MS);
  });
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    clearTimeout(timer);
    timer = 0;
    go(true);
    // On a touch screen, put the keyboard away so the results show.
    if (matchMedia('(hover: none)').matches) input.blur();
  });
  input.addEventListener('keydown', (e) => {
    if (e.key !== 'Escape' || e.altKey || e.ctrlKey || e.metaKey || e.shiftKey) return;
    if (input.value === '') return;
    e.preventDefault();
    e.stopPropagation();
    clearText();
  });
  clearButton.addEventListener('click', () => {
    clearText();
    input.focus();
  });
  // "/" puts the cursor in the search bar, as on many sites, unless you
  // are typing somewhere already.
  document.addEventListener('keydown', (e) => {
    if (e.key !== '/' || e.defaultPrevented || e.altKey || e.ctrlKey || e.metaKey) return;
    if (e.target instanceof Element && e.target.closest('input, textarea, select, [contenteditable], dialog')) return;
    if (form.hidden) return;
    e.preventDefault();
    input.focus();
    input.select();
  });
  // Links with a query string of this app (tags, the logo) change the
  // search without reloading the page.
  document.addEventListener('click', (e) => {
    if (e.defaultPrevented || e.button !== 0 || e.altKey || e.ctrlKey || e.metaKey || e.shiftKey) return;
    const a = e.target instanceof Element ? e.target.closest('a[href]') : null;
    if (!a || a.target || a.hasAttribute('download')) return;
    const url = new URL(a.href, location.href);
    if (url.origin !== location.origin || url.pathname !== '/' || url.search === location.search) return;
    e.preventDefault();
    clearTimeout(timer);
    timer = 0;
    commit(url.pathname + url.search + url.hash);
  });
}

// syncSearch shows the address's search in the bar: after a load, Back or
// Forward, or a link. Text being typed is left alone.
export function syncSearch() {
  const s = readSearch();
  if (ownBack && document.activeElement === input) {
    // Our own step back to where typing started: keep what was typed
    // since, and search for it if it differs.
    if (input.value.trim() !== s.q.trim() && !timer) timer = setTimeout(() => { timer = 0; go(false); }, DEBOUNCE_MS);
  } else if (input.value.trim() !== s.q.trim()) {
    clearTimeout(timer);
    timer = 0;
    input.value = s.q;
  }
  ownBack = false;
  tagField.value = s.tag;
  tagField.disabled = !s.tag;
  filters.replaceChildren(s.tag ? tagChip(s.tag) : '');
  filters.hidden = !s.tag;
  form.classList.toggle('has-filter', Boolean(s.tag));
  showClear();
}

// showSearchBar hides the bar where searching makes no sense (first run).
export function showSearchBar(show) {
  form.hidden = !show;
}

// setSearchBusy shows that results for the text in the bar are on their way.
export function setSearchBusy(busy) {
  form.classList.toggle('is-busy', busy);
}

// focusSearch puts the cursor in the search bar.
export function focusSearch() {
  input.focus();
}

// clearSearch forgets the text and the tag filter.
export function clearSearch() {
  input.value = '';
  clearTimeout(timer);
  timer = 0;
  commit(searchAddress({}, resultsHash()), true);
}

function showClear() {
  clearButton.hidden = input.value === '';
}

function tagChip(tag) {
  return h('span', { class: 'filter-chip', 'data-testid': 'tag-filter' },
    h('span', { class: 'filter-chip-label' }, h('span', { class: 'filter-chip-kind', text: 'Tag' }), ' ', h('span', { class: 'filter-chip-value', text: tag })),
    h('button', {
      type: 'button', class: 'filter-chip-remove', 'aria-label': `Remove the tag filter “${tag}”`, title: 'Remove this filter',
      'data-testid': 'tag-filter-remove',
      on: {
        click: () => {
          commit(searchAddress({ q: readSearch().q }, resultsHash()));
          input.focus();
        },
      },
    }, icon('close')));
}

// clearText empties the field and shows what the tag filter alone finds,
// or everything.
function clearText() {
  input.value = '';
  showClear();
  clearTimeout(timer);
  timer = 0;
  commit(searchAddress({ tag: readSearch().tag }, resultsHash()), true);
}

// go shows the results for the text in the bar: as a draft while typing,
// committed on Return.
function go(submitted) {
  const s = readSearch();
  const text = submitted ? input.value.trim() : input.value.replace(/^\s+/, '');
  const url = searchAddress({ q: text, tag: s.tag }, resultsHash());
  if (submitted) commit(url);
  else draft(url);
}

// A draft entry is the one typing replaces; its state remembers the
// address it was typed from (base).
function isDraft() {
  return Boolean(history.state && history.state.searchDraft);
}

function draft(url) {
  if (same(url, here())) return;
  if (!isDraft()) {
    history.pushState({ searchDraft: true, base: here() }, '', url);
  } else if (same(url, history.state.base)) {
    // Typed back to where it started: the draft is not worth a Back.
    ownBack = true;
    history.back();
    return;
  } else {
    history.replaceState(history.state, '', url);
  }
  navigated();
}

// commit makes url a search one may come back to. backToBase says that
// returning to the draft's base is better done by going back.
function commit(url, backToBase = false) {
  if (isDraft()) {
    if (backToBase && same(url, history.state.base)) {
      ownBack = true;
      history.back();
      return;
    }
    history.replaceState(null, '', url);
  } else if (!same(url, here())) {
    history.pushState(null, '', url);
  } else {
    return;
  }
  navigated();
}

// utf8Length is the length of s in bytes, as the server counts it.
export function utf8Length(s) {
  return new TextEncoder().encode(s).length;
}
