// The first-run view: a fresh install has no accounts, and the first one
// made is the admin. Until it exists every address shows this form.

import { ApiError } from './api.js';
import { authCard, newAccountForm } from './forms.js';
import { reloadSession } from './session.js';

export function renderSetup(main) {
  document.title = 'Create the admin account · imagerepo';
  const { form, username } = newAccountForm({
    prefix: 'setup',
    usernameLabel: 'Admin username',
    submitLabel: 'Create the admin account',
    noName: 'Choose a username for the admin.',
    onError: async (err, status) => {
      // Someone else made the admin meanwhile: this form no longer applies.
      if (err instanceof ApiError && (err.status === 401 || err.status === 403 || err.status === 409)) {
        await reloadSession('#/signin').catch(() => status.error(err.message));
        return true;
      }
      return false;
    },
  });
  main.append(authCard('setup-view', 'Create the admin account',
    'Welcome to imagerepo. This is a fresh install: the first account is its admin, who adds the other accounts and can see and change every image.',
    form));
  username.focus();
}
