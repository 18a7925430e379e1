// Formatting of sizes, dates and tags for people.

const UNITS = ['bytes', 'KB', 'MB', 'GB', 'TB'];

// formatBytes gives a size in decimal units, e.g. "1.4 MB".
export function formatBytes(n) {
  if (!Number.isFinite(n) || n < 0) return '';
  if (n < 1000) return n === 1 ? '1 byte' : `${n} bytes`;
  let i = 0;
  let v = n;
  while (v >= 1000 && i < UNITS.length - 1) {
    v /= 1000;
    i++;
  }
  return `${v >= 100 ? Math.round(v) : v.toFixed(1)} ${UNITS[i]}`;
}

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

// formatDate gives an RFC 3339 time in the reader's locale.
export function formatDate(s) {
  const d = new Date(s);
  return Number.isNaN(d.getTime()) ? '' : dateFormat.format(d);
}

// parseTags splits the comma-separated text of a tags field.
export function parseTags(text) {
  const seen = new Set();
  const tags = [];
  for (const part of text.split(',')) {
    const tag = part.trim();
    if (tag && !seen.has(tag.toLowerCase())) {
      seen.add(tag.toLowerCase());
      tags.push(tag);
    }
  }
  return tags;
}

// baseName is a file name without its extension, the default title.
export function baseName(filename) {
  const name = filename.replace(/^.*[\\/]/, '');
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(0, dot) : name;
}
