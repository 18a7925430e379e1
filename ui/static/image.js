// The image view: the image large, its details, download, and for its
// owner and admins edit (with the public/private choice) and delete.
// Left and right arrows step through the grid's order; Escape goes back.

import { ApiError, deleteImage, getImage, similarImages, updateImage } from './api.js';
import { h, icon } from './dom.js';
import { formatBytes, formatDate, parseTags } from './format.js';
import { listing, neighbours, removeFromListing, replaceInListing } from './listing.js';
import { isSearching, tagAddress } from './search.js';
import { canChange, session } from './session.js';
import { visibilityBadge, visibilityChoice } from './visibility.js';

export function renderImage(main, { id }, signal) {
  document.title = 'Image · imagerepo';
  const status = h('div', { class: 'view-status', role: 'status', 'aria-live': 'polite' },
    h('p', { class: 'status-line' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), 'Loading image…'));
  let cleanupKeys = null;
  function load() {
    main.replaceChildren(status);
    getImage(id, { signal }).then((doc) => {
      if (signal.aborted) return;
      status.remove();
      cleanupKeys = showImage(main, doc, signal);
    }, (err) => {
      if (signal.aborted || err.name === 'AbortError') return;
      status.remove();
      main.append(err instanceof ApiError && err.status === 404 ? notFound() : loadError(err, load));
    });
  }
  load();

  return () => {
    if (cleanupKeys) cleanupKeys();
  };
}

function showImage(main, initial, signal) {
  let doc = initial;
  listing.lastViewed = doc.id;
  const { prev, next } = neighbours(doc.id);

  const picture = h('img', { class: 'image-full', id: 'image-full', 'data-testid': 'image-full' });
  // The large thumbnail is shown; a click opens the original, full size.
  const original = h('a', { class: 'image-original', id: 'image-original', 'data-testid': 'image-original',
    target: '_blank', rel: 'noopener', title: 'Open the original, full size' }, picture);
  const stage = h('figure', { class: 'image-stage' }, original);

  const titleEl = h('h1', { class: 'image-title', id: 'image-title', 'data-testid': 'image-title' });
  const badgeEl = h('div', { class: 'image-badges', id: 'image-visibility', 'data-testid': 'image-visibility' });
  const descEl = h('p', { class: 'image-description', id: 'image-description', 'data-testid': 'image-description' });
  const tagsEl = h('ul', { class: 'tags', id: 'image-tags', 'aria-label': 'Tags', 'data-testid': 'image-tags' });
  const meta = h('dl', { class: 'meta', id: 'image-meta' });
  const download = h('a', { class: 'button primary wide', id: 'download-link', 'data-testid': 'download-link' }, icon('download'), 'Download');
  const editButton = h('button', { type: 'button', class: 'button', id: 'edit-button', 'data-testid': 'edit-button' }, icon('edit'), 'Edit');
  const deleteButton = h('button', { type: 'button', class: 'button danger-ghost', id: 'delete-button', 'data-testid': 'delete-button' }, icon('trash'), 'Delete');
  // Only the owner and admins may change an image; the server enforces it.
  const mayChange = canChange(doc);
  const details = h('div', { class: 'image-details', id: 'image-details' },
    badgeEl, titleEl, descEl, tagsEl, meta,
    h('div', { class: 'image-actions' }, download, mayChange ? [editButton, deleteButton] : null));
  const notice = h('div', { class: 'view-status', id: 'image-status', role: 'status', 'aria-live': 'polite' });

  const form = editForm();
  const dialog = deleteDialog();

  main.append(h('article', { class: 'image-view', 'data-testid': 'image-view', 'data-id': doc.id },
    h('div', { class: 'image-toolbar' },
      h('a', { class: 'button ghost', href: listing.route, id: 'back-link', 'data-testid': 'back-link' },
        icon('back'), isSearching() ? 'Results' : listing.route === '#/mine' ? 'My images' : 'All images'),
      h('div', { class: 'image-nav', hidden: !prev && !next },
        navLink(prev, 'prev', 'Previous image'),
        navLink(next, 'next', 'Next image'))),
    h('div', { class: 'image-layout' },
      stage,
      h('aside', { class: 'image-panel panel', 'aria-label': 'Image details' }, details, form.el, notice)),
    similarStrip(doc.id, signal),
    dialog.el));

  function show() {
    document.title = (doc.title || doc.filename || 'Image') + ' · imagerepo';
    const urls = doc.urls || {};
    const src = urls.thumb_large || urls.file || '';
    if (picture.getAttribute('src') !== src) picture.src = src;
    picture.alt = doc.title || doc.filename || 'Image';
    if (doc.width && doc.height) {
      picture.width = doc.width;
      picture.height = doc.height;
    }
    titleEl.textContent = doc.title || 'Untitled';
    titleEl.classList.toggle('is-untitled', !doc.title);
    descEl.textContent = doc.description || '';
    descEl.hidden = !doc.description;
    const tags = Array.isArray(doc.tags) ? doc.tags : [];
    // Each tag leads to the grid filtered by it.
    tagsEl.replaceChildren(...tags.map((t) => h('li', {},
      h('a', { class: 'tag tag-link', href: tagAddress(t), 'data-testid': 'image-tag', title: `Show images tagged “${t}”`, text: t }))));
    tagsEl.hidden = tags.length === 0;
    badgeEl.replaceChildren(visibilityBadge(doc.visibility));
    const rows = [
      ['Owner', doc.owner],
      ['File name', doc.filename],
      ['Type', doc.content_type],
      ['Dimensions', doc.width && doc.height ? `${doc.width} × ${doc.height} px` : ''],
      ['Size', formatBytes(doc.bytes)],
      ['Uploaded', formatDate(doc.created_at)],
      ['Taken', doc.taken_at ? formatDate(doc.taken_at) : ''],
      ['Camera', camera(doc.camera)],
      ['Lens', doc.camera && doc.camera.lens],
      ['Exposure', exposure(doc.camera)],
      ['Location', position(doc.location)], // the owner's and admins' only: the API leaves it out for others
    ];
    meta.replaceChildren(...rows.filter(([, v]) => v).map(([k, v]) => h('div', { class: 'meta-row' },
      h('dt', { text: k }), h('dd', { text: v, title: k === 'File name' ? v : null }))));
    if (urls.file) {
      original.href = urls.file;
      download.href = urls.file + (urls.file.includes('?') ? '&' : '?') + 'download=1';
      download.setAttribute('download', doc.filename || '');
    }
  }

  // Editing.
  function startEdit() {
    form.title.value = doc.title || '';
    form.description.value = doc.description || '';
    form.tags.value = (doc.tags || []).join(', ');
    form.visibility.set(doc.visibility);
    form.error.replaceChildren();
    details.hidden = true;
    form.el.hidden = false;
    notice.replaceChildren();
    form.title.focus();
    form.title.select();
  }
  function stopEdit() {
    form.el.hidden = true;
    details.hidden = false;
    editButton.focus();
  }
  editButton.addEventListener('click', startEdit);
  form.cancel.addEventListener('click', stopEdit);
  form.el.addEventListener('submit', async (e) => {
    e.preventDefault();
    form.save.disabled = true;
    form.error.replaceChildren();
    try {
      doc = await updateImage(doc.id, {
        title: form.title.value.trim(),
        description: form.description.value.trim(),
        tags: parseTags(form.tags.value),
        visibility: form.visibility.value(),
      });
      replaceInListing(doc);
      show();
      stopEdit();
      notice.replaceChildren(h('p', { class: 'status-line is-success' }, icon('check'), 'Changes saved.'));
    } catch (err) {
      form.error.replaceChildren(h('p', { class: 'status-line is-error' }, icon('alert'), err.message));
    } finally {
      form.save.disabled = false;
    }
  });

  // Deleting.
  deleteButton.addEventListener('click', () => {
    dialog.error.replaceChildren();
    dialog.name.textContent = doc.title || doc.filename || 'This image';
    dialog.el.showModal();
    dialog.cancel.focus();
  });
  dialog.cancel.addEventListener('click', () => dialog.el.close());
  dialog.confirm.addEventListener('click', async () => {
    dialog.confirm.disabled = true;
    dialog.error.replaceChildren();
    try {
      await deleteImage(doc.id);
      removeFromListing(doc.id);
      dialog.el.close();
      location.hash = listing.route;
    } catch (err) {
      dialog.error.replaceChildren(h('p', { class: 'status-line is-error' }, icon('alert'), err.message));
    } finally {
      dialog.confirm.disabled = false;
    }
  });

  // Keyboard: arrows step, Escape goes back, unless a field or dialog has them.
  function onKey(e) {
    if (e.defaultPrevented || e.altKey || e.ctrlKey || e.metaKey || e.shiftKey) return;
    if (dialog.el.open) return;
    if (!form.el.hidden) {
      if (e.key === 'Escape') {
        e.preventDefault();
        stopEdit();
      }
      return;
    }
    if (e.target instanceof Element && e.target.closest('input, textarea, select, [contenteditable]')) return;
    let target = '';
    if (e.key === 'ArrowLeft') target = prev ? '#/image/' + encodeURIComponent(prev) : '';
    else if (e.key === 'ArrowRight') target = next ? '#/image/' + encodeURIComponent(next) : '';
    else if (e.key === 'Escape') target = listing.route;
    if (target) {
      e.preventDefault();
      location.hash = target;
    }
  }
  document.addEventListener('keydown', onKey);

  show();
  return () => {
    document.removeEventListener('keydown', onKey);
    if (dialog.el.open) dialog.el.close();
  };
}

// similarStrip is the row of small tiles of the images that look like this
// one; it stays hidden while loading, when there are none, and on failure
// (it is a hint, not the page's purpose).
function similarStrip(id, signal) {
  const list = h('ul', { class: 'similar-list', id: 'similar-list' });
  const el = h('section', {
    class: 'similar', id: 'similar-images', 'data-testid': 'similar-images', hidden: true, 'aria-labelledby': 'similar-title',
  }, h('h2', { class: 'similar-title', id: 'similar-title', text: 'Similar images' }), list);
  similarImages(id, { signal }).then((body) => {
    const images = (body && Array.isArray(body.images)) ? body.images : [];
    if (signal.aborted || images.length === 0) return;
    list.replaceChildren(...images.map((img) => {
      const name = img.title || img.filename || 'Image';
      return h('li', { class: 'similar-item' },
        h('a', { class: 'similar-link', href: '#/image/' + encodeURIComponent(img.id), title: name, 'data-testid': 'similar-link', 'data-id': img.id },
          h('img', { class: 'similar-thumb', src: (img.urls && (img.urls.thumb_small || img.urls.file)) || '', alt: name, loading: 'lazy', width: 120, height: 120 })));
    }));
    el.hidden = false;
  }, () => {});
  return el;
}

function navLink(id, dir, label) {
  const a = h('a', { class: 'button ghost icon-only', id: dir + '-link', 'data-testid': dir + '-link', 'aria-label': label, title: label }, icon(dir));
  if (id) a.href = '#/image/' + encodeURIComponent(id);
  else a.setAttribute('aria-disabled', 'true');
  return a;
}

function editForm() {
  const title = h('input', { type: 'text', id: 'edit-title', name: 'title', maxlength: 200, autocomplete: 'off', 'data-testid': 'edit-title' });
  const description = h('textarea', { id: 'edit-description', name: 'description', rows: 4, maxlength: 10000, 'data-testid': 'edit-description' });
  const tags = h('input', { type: 'text', id: 'edit-tags', name: 'tags', autocomplete: 'off', 'aria-describedby': 'edit-tags-hint', 'data-testid': 'edit-tags' });
  const save = h('button', { type: 'submit', class: 'button primary', id: 'edit-save', 'data-testid': 'edit-save', text: 'Save' });
  const cancel = h('button', { type: 'button', class: 'button ghost', id: 'edit-cancel', 'data-testid': 'edit-cancel', text: 'Cancel' });
  const visibility = visibilityChoice('edit-visibility', 'private');
  const error = h('div', { class: 'form-error', role: 'alert' });
  const el = h('form', { class: 'edit-form', id: 'edit-form', 'data-testid': 'edit-form', hidden: true, novalidate: true },
    h('h2', { class: 'panel-title', text: 'Edit details' }),
    h('div', { class: 'field' }, h('label', { for: 'edit-title', text: 'Title' }), title),
    h('div', { class: 'field' }, h('label', { for: 'edit-description', text: 'Description' }), description),
    h('div', { class: 'field' }, h('label', { for: 'edit-tags', text: 'Tags' }), tags,
      h('p', { class: 'hint', id: 'edit-tags-hint', text: 'Separate tags with commas.' })),
    visibility.el,
    error,
    h('div', { class: 'form-actions' }, save, cancel));
  return { el, title, description, tags, visibility, save, cancel, error };
}

function deleteDialog() {
  const name = h('strong');
  const cancel = h('button', { type: 'button', class: 'button ghost', id: 'delete-cancel', 'data-testid': 'delete-cancel', text: 'Cancel' });
  const confirm = h('button', { type: 'button', class: 'button danger', id: 'delete-confirm', 'data-testid': 'delete-confirm', text: 'Delete' });
  const error = h('div', { class: 'form-error', role: 'alert' });
  const el = h('dialog', { class: 'dialog', id: 'delete-dialog', 'data-testid': 'delete-dialog', 'aria-labelledby': 'delete-dialog-title', 'aria-describedby': 'delete-dialog-text' },
    h('h2', { class: 'dialog-title', id: 'delete-dialog-title', text: 'Delete this image?' }),
    h('p', { id: 'delete-dialog-text' }, name, ' will be deleted for good. This cannot be undone.'),
    error,
    h('div', { class: 'dialog-actions' }, cancel, confirm));
  return { el, name, cancel, confirm, error };
}

function notFound() {
  document.title = 'Not found · imagerepo';
  return h('div', { class: 'empty-state', 'data-testid': 'not-found' },
    h('div', { class: 'empty-art' }, icon('image', 'icon-xl')),
    h('h1', { class: 'empty-title', text: 'Image not found' }),
    h('p', { class: 'empty-text', text: session.user
      ? 'It may have been deleted, the link is not quite right, or it is someone else\'s private image.'
      : 'It may have been deleted, the link is not quite right, or it is private. If it is yours, sign in to see it.' }),
    h('div', { class: 'form-actions' },
      h('a', { class: 'button primary', href: '#/', 'data-testid': 'not-found-back' }, icon('back'), 'Back to all images'),
      session.user ? null : h('a', {
        class: 'button', href: '#/signin?next=' + encodeURIComponent(location.hash), 'data-testid': 'not-found-signin',
      }, icon('login'), 'Sign in')));
}

function loadError(err, retry) {
  return h('div', { class: 'empty-state', role: 'alert', 'data-testid': 'image-error' },
    h('h1', { class: 'empty-title', text: 'Could not load this image' }),
    h('p', { class: 'empty-text', text: err.message }),
    h('div', { class: 'form-actions' },
      h('button', { type: 'button', class: 'button primary', on: { click: retry } }, icon('retry'), 'Try again'),
      h('a', { class: 'button ghost', href: '#/' }, 'All images')));
}

// camera names the camera of an image's EXIF: "Canon EOS R5", the make left
// out where the model repeats it.
function camera(c) {
  if (!c) return '';
  const make = c.make || '', model = c.model || '';
  return model.toLowerCase().startsWith(make.toLowerCase()) ? model : `${make} ${model}`.trim();
}

// position reads "59.91000° N, 10.75000° E" from an image's location.
function position(l) {
  if (!l || typeof l.latitude !== 'number' || typeof l.longitude !== 'number') return '';
  const part = (v, pos, neg) => `${Math.abs(v).toFixed(5)}°\u00a0${v < 0 ? neg : pos}`; // kept on one line
  return `${part(l.latitude, 'N', 'S')}, ${part(l.longitude, 'E', 'W')}`;
}

// exposure reads "1/250 s · f/2.8 · ISO 200 · 50 mm" from what the EXIF has.
function exposure(c) {
  if (!c) return '';
  // No-break spaces keep each figure with its unit when the line wraps.
  return [c.exposure_time && `${c.exposure_time}\u00a0s`, c.f_number && `f/${c.f_number}`,
    c.iso && `ISO\u00a0${c.iso}`, c.focal_length && `${c.focal_length}\u00a0mm`].filter(Boolean).join(' · ');
}
