// Wrappers around the imagerepo JSON API. Every failure becomes an ApiError
// whose message is the server's own, ready to show where the error happened.

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }
}

const NETWORK_MESSAGE = 'Could not reach the server. Check your connection and try again.';

function parseJSON(text) {
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

// errorFrom turns a failed response body into an ApiError.
function errorFrom(status, body) {
  const err = body && body.error;
  if (err && typeof err.message === 'string') {
    return new ApiError(status, err.code || 'error', err.message);
  }
  return new ApiError(status, 'http_' + status, `The server answered with status ${status}.`);
}

// request sends one JSON API call and resolves with the decoded answer
// (null for 204).
export async function request(method, path, { body, signal } = {}) {
  const init = { method, headers: { Accept: 'application/json' }, signal };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError(0, 'network', NETWORK_MESSAGE);
  }
  if (res.status === 204) return null;
  const data = parseJSON(await res.text());
  if (!res.ok) throw errorFrom(res.status, data);
  return data;
}

function imagePath(id) {
  return '/api/images/' + encodeURIComponent(id);
}

// listImages fetches one page: {images, next}, newest first. owner keeps
// one account's images only, tag those with that tag. With text it is a
// search, best match first, and the answer also has the total count.
export function listImages({ limit = 48, cursor = '', owner = '', tag = '', text = '', signal } = {}) {
  const q = new URLSearchParams({ limit: String(limit) });
  if (text) q.set('q', text);
  if (tag) q.set('tag', tag);
  if (cursor) q.set('cursor', cursor);
  if (owner) q.set('owner', owner);
  return request('GET', '/api/images?' + q, { signal });
}

export function getImage(id, { signal } = {}) {
  return request('GET', imagePath(id), { signal });
}

// updateImage sends a partial update {title?, description?, tags?, visibility?}.
export function updateImage(id, changes) {
  return request('PATCH', imagePath(id), { body: changes });
}

// similarImages fetches {images}: the images that look most like this one,
// nearest first, each with its hash distance.
export function similarImages(id, { limit = 12, signal } = {}) {
  return request('GET', imagePath(id) + '/similar?limit=' + limit, { signal });
}

export function deleteImage(id) {
  return request('DELETE', imagePath(id));
}

// uploadImage posts one file with XMLHttpRequest, whose upload progress
// fetch cannot report. fields: {title, description, tags, visibility}. It returns
// {promise, abort}; the promise resolves with the 201 body.
export function uploadImage(file, fields, onProgress) {
  const xhr = new XMLHttpRequest();
  const promise = new Promise((resolve, reject) => {
    xhr.open('POST', '/api/images');
    xhr.setRequestHeader('Accept', 'application/json');
    xhr.upload.addEventListener('progress', (e) => {
      if (e.lengthComputable) onProgress(e.loaded, e.total);
    });
    xhr.addEventListener('load', () => {
      const data = parseJSON(xhr.responseText);
      if (xhr.status >= 200 && xhr.status < 300) resolve(data || {});
      else reject(errorFrom(xhr.status, data));
    });
    xhr.addEventListener('error', () => reject(new ApiError(0, 'network', NETWORK_MESSAGE)));
    xhr.addEventListener('abort', () => reject(new ApiError(0, 'aborted', 'Upload cancelled.')));
    const form = new FormData();
    // Text fields go first so that a streaming server reads them before the bytes.
    for (const [key, value] of Object.entries(fields)) {
      if (value) form.append(key, value);
    }
    form.append('file', file, file.name);
    xhr.send(form);
  });
  return { promise, abort: () => xhr.abort() };
}
