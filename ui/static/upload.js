// The upload view: pick or drop files, give each a title, choose who may
// see them (private unless you say public), and send each as its own
// request (so each has its own progress bar), a few at a time.
//
// The queue lives in this module rather than in the view, so uploads keep
// going, and are shown again, when you look elsewhere meanwhile.

import { uploadImage } from './api.js';
import { h, icon } from './dom.js';
import { baseName, formatBytes } from './format.js';
import { resetListing } from './listing.js';
import { PRIVATE, visibilityChoice } from './visibility.js';

const CONCURRENCY = 3;

const items = []; // {key, file, title, state, loaded, total, message, image, preview, row}
const shared = { description: '', tags: '', visibility: PRIVATE };
let nextKey = 1;
let running = 0;
let incoming = []; // files dropped elsewhere, waiting for the view
let view = null; // the mounted view's parts

const FINISHED = new Set(['done', 'duplicate', 'error']);

// receiveFiles takes files dropped anywhere on the page: into the list when
// the upload view shows, else to the upload view.
export function receiveFiles(fileList) {
  const files = Array.from(fileList || []);
  if (files.length === 0) return;
  if (view) {
    addFiles(files);
  } else {
    incoming.push(...files);
    location.hash = '#/upload';
  }
}

// forgetUploads drops the files waiting or finished, when the account that
// chose them signs out. Uploads in flight finish (or fail) on their own.
export function forgetUploads() {
  clearItems((it) => it.state === 'ready' || FINISHED.has(it.state));
  incoming = [];
  shared.description = '';
  shared.tags = '';
  shared.visibility = PRIVATE;
}

export function renderUpload(main) {
  document.title = 'Upload · imagerepo';
  // A visit after a finished batch starts afresh.
  if (running === 0 && items.every((it) => FINISHED.has(it.state))) clearItems(() => true);

  const input = h('input', {
    type: 'file', id: 'file-input', class: 'visually-hidden', multiple: true, accept: 'image/*',
    'data-testid': 'file-input',
    on: { change: () => { addFiles(Array.from(input.files)); input.value = ''; } },
  });
  const dropzone = h('div', { class: 'dropzone', id: 'dropzone', 'data-testid': 'dropzone' },
    h('div', { class: 'dropzone-art' }, icon('upload', 'icon-lg')),
    h('p', { class: 'dropzone-title', text: 'Drag and drop images here' }),
    h('p', { class: 'dropzone-or', text: 'or' }),
    input,
    h('label', { for: 'file-input', class: 'button' }, 'Choose files'),
  );
  let depth = 0;
  dropzone.addEventListener('dragenter', () => { depth++; dropzone.classList.add('is-over'); });
  dropzone.addEventListener('dragleave', () => { if (--depth <= 0) { depth = 0; dropzone.classList.remove('is-over'); } });
  dropzone.addEventListener('drop', () => { depth = 0; dropzone.classList.remove('is-over'); });

  const list = h('ul', { class: 'upload-list', id: 'upload-list', 'data-testid': 'upload-list', 'aria-label': 'Files to upload' });
  const description = h('textarea', {
    id: 'upload-description', rows: 3, maxlength: 10000, value: shared.description,
    on: { input: () => { shared.description = description.value; } },
  });
  const tags = h('input', {
    type: 'text', id: 'upload-tags', maxlength: 3000, value: shared.tags, autocomplete: 'off',
    placeholder: 'holiday, beach, 2024', 'aria-describedby': 'upload-tags-hint',
    on: { input: () => { shared.tags = tags.value; } },
  });
  const visibility = visibilityChoice('upload-visibility', shared.visibility, (v) => { shared.visibility = v; });
  const details = h('fieldset', { class: 'panel shared-fields', id: 'shared-fields' },
    h('legend', { text: 'Details for every file' }),
    visibility.el,
    h('div', { class: 'field' }, h('label', { for: 'upload-description', text: 'Description' }), description),
    h('div', { class: 'field' },
      h('label', { for: 'upload-tags', text: 'Tags' }), tags,
      h('p', { class: 'hint', id: 'upload-tags-hint', text: 'Separate tags with commas.' })));
  const start = h('button', {
    type: 'button', class: 'button primary large', id: 'upload-start', 'data-testid': 'upload-start',
    on: { click: startUploads },
  });
  const clear = h('button', {
    type: 'button', class: 'button ghost', id: 'upload-clear', text: 'Clear list',
    on: { click: () => { clearItems((it) => it.state === 'ready' || FINISHED.has(it.state)); refresh(); } },
  });
  const summary = h('div', { class: 'upload-summary', id: 'upload-summary', 'data-testid': 'upload-summary', role: 'status', 'aria-live': 'polite' });
  const actions = h('div', { class: 'upload-actions' }, start, clear);

  main.append(h('section', { class: 'upload-view narrow' },
    h('div', { class: 'view-head' },
      h('h1', { class: 'view-title', text: 'Upload images' }),
      h('p', { class: 'view-subtitle', text: 'Add as many as you like. Each file gets its own title; who can see them, the description and the tags apply to all of them.' })),
    dropzone, list, details, actions, summary));

  view = { list, dropzone, details, start, clear, summary, actions };
  for (const it of items) list.append(renderRow(it));
  if (incoming.length) {
    addFiles(incoming);
    incoming = [];
  }
  refresh();

  return () => {
    view = null;
    for (const it of items) it.row = null;
  };
}

function addFiles(files) {
  for (const file of files) {
    const it = {
      key: nextKey++, file, title: baseName(file.name), state: 'ready',
      loaded: 0, total: file.size, message: '', image: null,
      preview: URL.createObjectURL(file), row: null,
    };
    items.push(it);
    if (view) view.list.append(renderRow(it));
  }
  refresh();
}

function clearItems(match) {
  for (let i = items.length - 1; i >= 0; i--) {
    const it = items[i];
    if (!match(it)) continue;
    URL.revokeObjectURL(it.preview);
    if (it.row) it.row.li.remove();
    items.splice(i, 1);
  }
}

function clearFinished() {
  clearItems((it) => FINISHED.has(it.state));
  refresh();
  view.dropzone.querySelector('input').focus();
}

function startUploads() {
  // Each file keeps the choice made when it was queued.
  for (const it of items) {
    if (it.state !== 'ready') continue;
    it.state = 'queued';
    it.visibility = shared.visibility;
  }
  for (const it of items) updateRow(it);
  pump();
  refresh();
}

function pump() {
  while (running < CONCURRENCY) {
    const it = items.find((x) => x.state === 'queued');
    if (!it) return;
    send(it);
  }
}

function send(it) {
  running++;
  it.state = 'uploading';
  it.loaded = 0;
  it.message = '';
  updateRow(it);
  const fields = {
    title: it.title.trim(), description: shared.description.trim(), tags: shared.tags.trim(), visibility: it.visibility,
  };
  const { promise } = uploadImage(it.file, fields, (loaded, total) => {
    it.loaded = loaded;
    it.total = total;
    updateProgress(it);
  });
  promise.then((body) => {
    const image = Array.isArray(body.images) ? body.images[0] : null;
    if (image) {
      it.image = image;
      it.state = image.duplicate ? 'duplicate' : 'done';
      resetListing();
    } else {
      const failed = Array.isArray(body.failed) ? body.failed[0] : null;
      it.state = 'error';
      it.message = (failed && failed.error && failed.error.message) || 'The server did not keep this file.';
    }
  }, (err) => {
    it.state = 'error';
    it.message = err.message;
  }).finally(() => {
    running--;
    updateRow(it);
    pump();
    refresh();
  });
}

function renderRow(it) {
  const id = 'upload-title-' + it.key;
  const title = h('input', {
    type: 'text', id, class: 'upload-title', value: it.title, maxlength: 200, autocomplete: 'off',
    'data-testid': 'upload-title',
    on: { input: () => { it.title = title.value; } },
  });
  const progress = h('progress', { class: 'upload-progress', max: 1, value: 0, 'aria-label': 'Upload progress of ' + it.file.name });
  const status = h('p', { class: 'upload-status', 'data-testid': 'upload-status' });
  const similar = h('p', { class: 'upload-similar', 'data-testid': 'upload-similar', hidden: true });
  const action = h('div', { class: 'upload-row-action' });
  const li = h('li', { class: 'upload-row', 'data-testid': 'upload-row', 'data-key': it.key },
    h('div', { class: 'upload-thumb-box' }, icon('image'),
      h('img', {
        class: 'upload-thumb', src: it.preview, alt: '', width: 56, height: 56,
        // A file the browser cannot show keeps the placeholder icon.
        on: { error: (e) => e.target.classList.add('is-broken') },
      })),
    h('div', { class: 'upload-main' },
      h('div', { class: 'upload-file' },
        h('span', { class: 'upload-filename', title: it.file.name, text: it.file.name }),
        h('span', { class: 'upload-size', text: formatBytes(it.file.size) })),
      h('label', { for: id, class: 'visually-hidden', text: 'Title for ' + it.file.name }),
      title, progress, status, similar),
    action);
  it.row = { li, title, progress, status, similar, action };
  updateRow(it);
  return li;
}

function updateRow(it) {
  const r = it.row;
  if (!r) return;
  r.li.dataset.state = it.state;
  r.title.disabled = it.state !== 'ready';
  updateProgress(it);
  r.action.replaceChildren();
  r.status.classList.toggle('is-error', it.state === 'error');
  r.status.removeAttribute('role');
  r.similar.hidden = true;
  switch (it.state) {
    case 'ready':
      r.status.replaceChildren('Ready to upload');
      r.action.append(h('button', {
        type: 'button', class: 'button ghost icon-only', 'aria-label': 'Remove ' + it.file.name, title: 'Remove',
        on: { click: () => { clearItems((x) => x === it); refresh(); } },
      }, icon('close')));
      break;
    case 'queued':
      r.status.replaceChildren('Waiting…');
      break;
    case 'uploading':
      break; // updateProgress writes the percentage
    case 'done':
    case 'duplicate':
      r.status.replaceChildren(icon('check'),
        it.state === 'done' ? 'Done' : 'Already uploaded',
        ' · ', h('a', { href: '#/image/' + encodeURIComponent(it.image.id), 'data-testid': 'upload-link', text: 'View image' }));
      showSimilar(r.similar, it.image.similar_to);
      break;
    case 'error':
      r.status.replaceChildren(icon('alert'), it.message);
      r.action.append(h('button', {
        type: 'button', class: 'button ghost', 'aria-label': 'Retry ' + it.file.name,
        on: { click: () => { it.state = 'queued'; updateRow(it); pump(); refresh(); } },
      }, icon('retry'), 'Retry'));
      break;
  }
}

// showSimilar flags an upload that looks like images its owner already has
// (the server kept it all the same), with links to them.
function showSimilar(el, ids) {
  if (!Array.isArray(ids) || ids.length === 0) return;
  const links = ids.flatMap((id, i) => [i > 0 ? ', ' : '',
    h('a', { href: '#/image/' + encodeURIComponent(id), 'data-testid': 'upload-similar-link', text: ids.length === 1 ? 'View it' : `Image ${i + 1}` })]);
  el.replaceChildren(icon('alert'), 'Looks like an image you already have: ', ...links);
  el.hidden = false;
}

function updateProgress(it) {
  const r = it.row;
  if (!r) return;
  const done = it.state === 'done' || it.state === 'duplicate';
  const fraction = done ? 1 : it.total > 0 ? Math.min(1, it.loaded / it.total) : 0;
  r.progress.value = fraction;
  if (it.state === 'uploading') {
    r.status.replaceChildren(fraction >= 1 ? 'Processing…' : `Uploading… ${Math.round(fraction * 100)}%`);
  }
}

// refresh updates the parts that depend on the whole queue.
function refresh() {
  if (!view) return;
  const count = (state) => items.filter((it) => it.state === state).length;
  const ready = count('ready');
  const pending = count('queued') + running;
  const done = count('done');
  const dup = count('duplicate');
  const failed = count('error');

  view.dropzone.classList.toggle('compact', items.length > 0);
  view.list.hidden = items.length === 0;
  view.details.hidden = ready + pending === 0;
  view.actions.hidden = ready + pending === 0;
  view.start.hidden = ready === 0;
  view.start.replaceChildren(icon('upload'), ready > 1 ? `Upload ${ready} images` : 'Upload');
  view.clear.disabled = pending > 0 || items.length === 0;

  const parts = [];
  if (done) parts.push(`${done} uploaded`);
  if (dup) parts.push(`${dup} already there`);
  if (failed) parts.push(`${failed} failed`);
  view.summary.replaceChildren();
  view.summary.dataset.state = pending ? 'busy' : parts.length ? 'finished' : 'idle';
  if (pending) {
    const total = pending + done + dup + failed;
    view.summary.append(h('p', { class: 'status-line' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }),
      `Uploading… ${done + dup + failed} of ${total} finished.`));
  } else if (parts.length) {
    view.summary.append(h('p', { class: failed ? 'status-line is-error' : 'status-line' },
      icon(failed ? 'alert' : 'check'), parts.join(', ') + '.'),
    h('div', { class: 'upload-summary-actions' },
      h('button', { type: 'button', class: 'button ghost', on: { click: clearFinished } }, 'Clear list'),
      h('a', { class: 'button', href: '#/', 'data-testid': 'upload-back' }, icon('back'), 'Back to all images')));
  }
}
