// Wrappers around the account routes of the API: first-run setup, sign-in,
// accounts, passwords and API tokens. Errors are ApiErrors, as in api.js.

import { request } from './api.js';

// getSetup says {needs_admin, open_registration}.
export function getSetup() {
  return request('GET', '/api/setup');
}

// getMe resolves with {username, role}; an ApiError with status 401 means
// nobody is signed in.
export function getMe() {
  return request('GET', '/api/me');
}

export function createSession(username, password) {
  return request('POST', '/api/session', { body: { username, password } });
}

export function deleteSession() {
  return request('DELETE', '/api/session');
}

// createUser makes an account; role is 'admin' or 'user' (admins only) or
// left out.
export function createUser(username, password, role) {
  const body = { username, password };
  if (role) body.role = role;
  return request('POST', '/api/users', { body });
}

export function listUsers({ signal } = {}) {
  return request('GET', '/api/users', { signal });
}

export function setUserDisabled(username, disabled) {
  return request('PATCH', '/api/users/' + encodeURIComponent(username), { body: { disabled } });
}

export function changePassword(oldPassword, newPassword) {
  return request('POST', '/api/me/password', { body: { old_password: oldPassword, new_password: newPassword } });
}

export function listTokens({ signal } = {}) {
  return request('GET', '/api/tokens', { signal });
}

// createToken resolves with {id, name, token}: the secret token, this once.
export function createToken(name) {
  return request('POST', '/api/tokens', { body: { name } });
}

export function deleteToken(id) {
  return request('DELETE', '/api/tokens/' + encodeURIComponent(id));
}
