// The tokens view: API tokens let scripts (imagerepo import, backup, curl)
// act as you. A new token's secret is shown once, with a copy button; the
// list shows names and dates only, and revoking one stops it at once.

import { ApiError } from './api.js';
import { createToken, deleteToken, listTokens } from './api-accounts.js';
import { h, icon } from './dom.js';
import { formatDate } from './format.js';
import { busy, field, formStatus, textInput } from './forms.js';
import { noLongerSignedIn } from './session.js';

export function renderTokens(main, _params, signal) {
  document.title = 'API tokens · imagerepo';
  const name = textInput('token-name', 'off', { maxlength: 100, placeholder: 'backup script' });
  const create = h('button', { type: 'submit', class: 'button primary', id: 'token-create', 'data-testid': 'token-create' },
    icon('plus'), 'Create token');
  const createStatus = formStatus('token-create-status');
  const form = h('form', { class: 'panel form-panel', id: 'token-form', 'data-testid': 'token-form', novalidate: true },
    h('h2', { class: 'panel-title', text: 'New token' }),
    field('Name', name, 'Say what will use it, so that you know which one to revoke.'),
    createStatus.el,
    h('div', { class: 'form-actions' }, create));
  const secretBox = h('div', { class: 'secret-box', id: 'token-secret-box', 'data-testid': 'token-secret-box', hidden: true });
  const list = h('ul', { class: 'item-list', id: 'token-list', 'data-testid': 'token-list', 'aria-labelledby': 'tokens-heading' });
  const listStatus = formStatus('token-list-status');
  const empty = h('p', { class: 'empty-line', 'data-testid': 'token-empty', hidden: true, text: 'You have no tokens.' });
  const dialog = revokeDialog();

  main.append(h('section', { class: 'account-view narrow', 'data-testid': 'tokens-view' },
    h('div', { class: 'view-head' },
      h('h1', { class: 'view-title', text: 'API tokens' }),
      h('p', { class: 'view-subtitle' }, 'Scripts send a token as ', h('code', { text: 'Authorization: Bearer TOKEN' }),
        ' and act as you: they can upload, change and delete your images.')),
    form, secretBox,
    h('h2', { class: 'section-title', id: 'tokens-heading', text: 'Your tokens' }),
    listStatus.el, empty, list, dialog.el));

  function failed(err, status) {
    if (err instanceof ApiError && err.status === 401) noLongerSignedIn();
    else status.error(err.message);
  }

  async function load() {
    try {
      const res = await listTokens({ signal });
      if (signal.aborted) return;
      show(Array.isArray(res.tokens) ? res.tokens : []);
    } catch (err) {
      if (signal.aborted || err.name === 'AbortError') return;
      failed(err, listStatus);
    }
  }

  function show(tokens) {
    list.replaceChildren(...tokens.map(row));
    list.hidden = tokens.length === 0;
    empty.hidden = tokens.length > 0;
  }

  function row(t) {
    const revoke = h('button', {
      type: 'button', class: 'button danger-ghost', 'data-testid': 'token-revoke', 'aria-label': 'Revoke ' + t.name,
      on: { click: () => dialog.open(t) },
    }, icon('trash'), h('span', { text: 'Revoke' }));
    return h('li', { class: 'item-row', 'data-testid': 'token-row', 'data-id': t.id },
      h('div', { class: 'item-icon' }, icon('key')),
      h('div', { class: 'item-main' },
        h('p', { class: 'item-name', 'data-testid': 'token-name', text: t.name }),
        h('p', { class: 'item-meta', text: 'Created ' + formatDate(t.created_at) +
          (t.last_used_at ? ' · last used ' + formatDate(t.last_used_at) : ' · never used') })),
      revoke);
  }

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    createStatus.clear();
    if (!name.value.trim()) {
      createStatus.error('Give the token a name.');
      name.focus();
      return;
    }
    busy(create, true);
    listStatus.clear();
    try {
      const t = await createToken(name.value.trim());
      name.value = '';
      showSecret(t);
      load();
    } catch (err) {
      failed(err, createStatus);
    } finally {
      busy(create, false);
    }
  });

  // showSecret shows the one moment the secret is known outside the server.
  // It lives only in this view: leave, and it is gone.
  function showSecret(t) {
    const secret = h('input', {
      type: 'text', class: 'secret', id: 'token-secret', 'data-testid': 'token-secret', readonly: true,
      value: t.token, 'aria-describedby': 'token-secret-warning', autocomplete: 'off', spellcheck: 'false',
    });
    const copyStatus = h('p', { class: 'hint', 'aria-live': 'polite', 'data-testid': 'token-copy-status' });
    const copy = h('button', { type: 'button', class: 'button primary', id: 'token-copy', 'data-testid': 'token-copy' },
      icon('copy'), 'Copy');
    copy.addEventListener('click', async () => {
      secret.focus();
      secret.select();
      try {
        await navigator.clipboard.writeText(t.token);
        copyStatus.textContent = 'Copied to the clipboard.';
      } catch {
        copyStatus.textContent = 'Could not reach the clipboard: the token is selected, press Ctrl+C (⌘C) to copy it.';
      }
    });
    const done = h('button', { type: 'button', class: 'button ghost', 'data-testid': 'token-secret-done', text: 'Done' });
    done.addEventListener('click', () => {
      secretBox.hidden = true;
      secretBox.replaceChildren();
      name.focus();
    });
    secretBox.replaceChildren(
      h('h2', { class: 'panel-title' }, icon('check'), h('span', {}, 'Token “', t.name, '” created')),
      h('p', { class: 'secret-warning', id: 'token-secret-warning', 'data-testid': 'token-secret-warning' },
        icon('alert'), h('strong', { text: 'Copy it now: you won’t see this again.' }),
        ' imagerepo keeps only a fingerprint of it.'),
      h('div', { class: 'secret-row' },
        h('label', { for: 'token-secret', class: 'visually-hidden', text: 'The new token' }), secret, copy),
      copyStatus,
      h('div', { class: 'form-actions' }, done));
    secretBox.hidden = false;
    secret.focus();
    secret.select();
  }

  function revokeDialog() {
    const tokenName = h('strong');
    const cancel = h('button', { type: 'button', class: 'button ghost', 'data-testid': 'revoke-cancel', text: 'Cancel' });
    const confirm = h('button', { type: 'button', class: 'button danger', 'data-testid': 'revoke-confirm', text: 'Revoke' });
    const status = formStatus('revoke-status');
    const el = h('dialog', {
      class: 'dialog', id: 'revoke-dialog', 'data-testid': 'revoke-dialog',
      'aria-labelledby': 'revoke-dialog-title', 'aria-describedby': 'revoke-dialog-text',
    },
    h('h2', { class: 'dialog-title', id: 'revoke-dialog-title', text: 'Revoke this token?' }),
    h('p', { id: 'revoke-dialog-text' }, tokenName, ' stops working at once. Scripts that use it will be refused.'),
    status.el,
    h('div', { class: 'dialog-actions' }, cancel, confirm));
    let target = null;
    cancel.addEventListener('click', () => el.close());
    confirm.addEventListener('click', async () => {
      busy(confirm, true);
      status.clear();
      try {
        await deleteToken(target.id);
        el.close();
        listStatus.success(`Token “${target.name}” revoked.`);
        await load();
      } catch (err) {
        if (err instanceof ApiError && err.status === 404) {
          el.close(); // gone already
          await load();
        } else failed(err, status);
      } finally {
        busy(confirm, false);
      }
    });
    return {
      el,
      open(t) {
        target = t;
        tokenName.textContent = t.name;
        status.clear();
        el.showModal();
        cancel.focus();
      },
    };
  }

  load();
  return () => {
    if (dialog.el.open) dialog.el.close();
  };
}
