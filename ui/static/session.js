// Who is signed in, and whether the first (admin) account is still to be
// made. The session cookie is HttpOnly, so the page learns who it is from
// GET /api/me, once at start and again at every sign-in and sign-out.
// Views read `session`; app.js redraws everything when it changes.

import { ApiError } from './api.js';
import { createSession, deleteSession, getMe, getSetup } from './api-accounts.js';

export const session = {
  user: null, // {username, role}, or null when anonymous
  needsAdmin: false, // a fresh install: the first account is still to be made
  openRegistration: false, // anyone may make an account
};

const listeners = [];

// onSessionChange registers fn(next) to run after every change; next is
// the address to go to, or '' to stay.
export function onSessionChange(fn) {
  listeners.push(fn);
}

function changed(next = '') {
  for (const fn of listeners) fn(next);
}

// loadSession asks the server who we are. It rejects only when the server
// cannot be reached or fails; anonymous is a normal answer.
export async function loadSession() {
  const setup = await getSetup();
  session.needsAdmin = Boolean(setup && setup.needs_admin);
  session.openRegistration = Boolean(setup && setup.open_registration);
  session.user = null;
  // On a fresh install nobody can be signed in: no need to ask.
  if (session.needsAdmin) return;
  try {
    session.user = await getMe();
  } catch (err) {
    if (!(err instanceof ApiError && err.status === 401)) throw err;
  }
}

// signIn starts a session, then goes to next ('' stays on this address).
export async function signIn(username, password, next = '') {
  session.user = await createSession(username, password);
  session.needsAdmin = false;
  changed(next);
}

// signOut ends the session and goes home.
export async function signOut() {
  await deleteSession();
  session.user = null;
  changed('#/');
}

// noLongerSignedIn is for a 401 from a call that needed a session: it
// expired or was revoked elsewhere, so the page shows the sign-in form.
export function noLongerSignedIn() {
  if (!session.user) return;
  session.user = null;
  changed();
}

export function isAdmin() {
  return Boolean(session.user && session.user.role === 'admin');
}

// canChange mirrors the server's rule for editing and deleting an image:
// its owner or an admin. The server decides; this only hides buttons.
export function canChange(doc) {
  const u = session.user;
  return Boolean(u && doc && (u.role === 'admin' || (doc.owner && doc.owner === u.username)));
}

// reloadSession asks the server again, then goes to next.
export async function reloadSession(next = '') {
  await loadSession();
  changed(next);
}
