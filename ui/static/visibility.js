// Who may see an image: the badge that says so on tiles and in the image
// view, and the public/private choice of the upload and edit forms.

import { h, icon } from './dom.js';

export const PRIVATE = 'private';
export const PUBLIC = 'public';

// visibilityBadge is a small pill: a lock for private, a globe for public.
export function visibilityBadge(visibility, extraClass = '') {
  const priv = visibility !== PUBLIC;
  return h('span', {
    class: ('badge ' + (priv ? 'badge-private ' : 'badge-public ') + extraClass).trim(),
    'data-testid': priv ? 'private-badge' : 'public-badge',
    title: priv ? 'Private: only its owner and admins see it' : 'Public: anyone can see it',
  }, icon(priv ? 'lock' : 'globe'), h('span', { class: 'badge-text', text: priv ? 'Private' : 'Public' }));
}

// visibilityChoice is a radio group of two cards. prefix names the inputs
// (prefix-private, prefix-public). It returns {el, value(), set(v)}.
export function visibilityChoice(prefix, initial, onChange) {
  const options = [
    { value: PRIVATE, label: 'Private', text: 'Only you and admins can see it.', iconName: 'lock' },
    { value: PUBLIC, label: 'Public', text: 'Anyone can see it, even without an account.', iconName: 'globe' },
  ];
  const inputs = options.map((o) => h('input', {
    type: 'radio', name: prefix, id: prefix + '-' + o.value, value: o.value, class: 'choice-input',
    'data-testid': prefix + '-' + o.value, checked: o.value === (initial === PUBLIC ? PUBLIC : PRIVATE),
    on: { change: () => { if (onChange) onChange(o.value); } },
  }));
  const el = h('fieldset', { class: 'choice-group', id: prefix },
    h('legend', { class: 'choice-legend', text: 'Who can see it' }),
    h('div', { class: 'choices' }, options.map((o, i) => h('label', { class: 'choice', for: inputs[i].id },
      inputs[i],
      h('span', { class: 'choice-icon' }, icon(o.iconName)),
      h('span', { class: 'choice-body' },
        h('span', { class: 'choice-label', text: o.label }),
        h('span', { class: 'choice-text', text: o.text }))))));
  return {
    el,
    value: () => (inputs[1].checked ? PUBLIC : PRIVATE),
    set(v) {
      inputs[0].checked = v !== PUBLIC;
      inputs[1].checked = v === PUBLIC;
    },
  };
}
