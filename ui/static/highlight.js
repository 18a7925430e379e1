// Highlighting of the words of a title that a search matched. The server
// ranks but does not say why an image matched, so this mirrors its rules
// closely enough for the eye: case and accents do not matter; a word
// matches itself and its plural or stem; the last word, still being typed,
// also matches the start of a word; and a word that no result holds as
// such matches a word one or two letters off (a swap of two neighbours
// counting as one), as the server forgives typos only then.
//
// It returns DOM nodes (text and <mark>), never markup.

import { h } from './dom.js';

const WORD = /[\p{L}\p{N}]+/gu;

// fold lowercases s and removes its accents.
export function fold(s) {
  return s.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
}

// queryWords cuts q into folded words, and says whether the last one is
// still being typed (no space after it).
export function queryWords(q) {
  const words = [...new Set(fold(q).match(WORD) || [])];
  const typing = words.length > 0 && !/\s$/.test(q);
  return { words, last: typing ? fold(q).match(WORD).pop() : '' };
}

// stem strips the common English endings, enough to see "dogs" in "Dog"
// and "running" in "run".
function stem(w) {
  if (w.length <= 3) return w;
  for (const [suffix, repl] of [['ies', 'y'], ['sses', 'ss'], ['xes', 'x'], ['ches', 'ch'], ['shes', 'sh'],
    ['ing', ''], ['ed', ''], ['es', 'e'], ['s', '']]) {
    if (w.endsWith(suffix) && w.length - suffix.length + repl.length >= 3 && !(suffix === 's' && w.endsWith('ss'))) {
      let out = w.slice(0, w.length - suffix.length) + repl;
      // running → runn → run
      if (suffix === 'ing' || suffix === 'ed') out = out.replace(/([^aeiou])\1$/u, '$1');
      return out;
    }
  }
  return w;
}

// close reports whether a (from the title) and b (from the query) are
// within the server's typo allowance: one edit below eight letters, two
// from eight, none below three; a swap of two neighbours is one edit.
function close(a, b) {
  const n = [...b].length;
  if (n < 3 || n > 32) return false;
  const max = n < 8 ? 1 : 2;
  const x = [...a];
  const y = [...b];
  if (Math.abs(x.length - y.length) > max) return false;
  if (x[0] !== y[0] && !(x[0] === y[1] && x[1] === y[0])) return false;
  // Optimal string alignment distance.
  const d = Array.from({ length: x.length + 1 }, (_, i) => [i, ...new Array(y.length).fill(0)]);
  for (let j = 1; j <= y.length; j++) d[0][j] = j;
  for (let i = 1; i <= x.length; i++) {
    for (let j = 1; j <= y.length; j++) {
      const cost = x[i - 1] === y[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && x[i - 1] === y[j - 2] && x[i - 2] === y[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[x.length][y.length] <= max;
}

// plainMatch: title word t matches query word w without a typo.
function plainMatch(t, w, last) {
  return t === w || stem(t) === stem(w) || (w === last && w.length >= 2 && t.startsWith(w));
}

// highlighter returns a function that turns a title into nodes with the
// words that q matched in <mark>. titles are those of the results, to
// learn which words are typos (no result holds them).
export function highlighter(q, titles) {
  const { words, last } = queryWords(q);
  if (words.length === 0) return (title) => [title];
  const titleWords = titles.flatMap((t) => fold(t || '').match(WORD) || []);
  const fuzzy = new Set(words.filter((w) => !titleWords.some((t) => plainMatch(t, w, last))));
  const matches = (t) => words.some((w) => plainMatch(t, w, last) || (fuzzy.has(w) && close(t, w)));
  return (title) => {
    const out = [];
    let at = 0;
    for (const m of title.matchAll(WORD)) {
      if (!matches(fold(m[0]))) continue;
      if (m.index > at) out.push(title.slice(at, m.index));
      out.push(h('mark', { class: 'hit', text: m[0] }));
      at = m.index + m[0].length;
    }
    if (at < title.length) out.push(title.slice(at));
    return out;
  };
}
