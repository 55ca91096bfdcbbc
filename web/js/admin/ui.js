// Small building blocks of the console: tables, forms, notices.

import { h } from '../dom.js';

/** Shows a notice above the view; `secret` (a new token) is shown selectable, once. */
export function notice(text, kind = 'ok', secret = null) {
  const box = document.getElementById('notice');
  box.replaceChildren(h('div', { class: `notice ${kind}` }, text, secret ? [' ', h('code', { text: secret })] : null));
  if (kind === 'bad') box.querySelector('.notice')?.setAttribute('role', 'alert');
}

/**
 * Asks in the page, not with window.confirm (which a browser may suppress and which blocks
 * the page): a question in the notice area with a confirm and a cancel button. Cancel only
 * clears the question; nothing is sent. Confirm runs `onConfirm`.
 */
export function confirmStep(question, confirmLabel, onConfirm) {
  const box = document.getElementById('notice');
  const yes = h('button', { type: 'button', class: 'danger confirm-yes', text: confirmLabel });
  const no = h('button', { type: 'button', class: 'confirm-no', text: 'Cancel' });
  const dialog = h('div', { class: 'notice warn confirm', role: 'alertdialog', 'aria-label': question },
    h('span', { text: question }), ' ', yes, ' ', no);
  yes.addEventListener('click', () => { box.replaceChildren(); onConfirm(); });
  no.addEventListener('click', () => box.replaceChildren());
  box.replaceChildren(dialog);
  // The question is where the eye is not (above the tables): bring it into view and focus
  // Cancel, the safe answer, so Enter does not confirm by accident.
  dialog.scrollIntoView({ block: 'nearest' });
  no.focus();
}

/** Runs an action, reporting failure as a notice; resolves to whether it worked. */
export async function attempt(action, done) {
  try {
    const result = await action();
    if (done) done(result);
    return true;
  } catch (err) {
    notice(err.message, 'bad');
    return false;
  }
}

/** A table from rows of cells (nodes or text). */
export function table(headers, rows, empty = 'Nothing yet.') {
  if (rows.length === 0) return h('p', { class: 'muted', text: empty });
  return h('table', { class: 'grid' },
    h('thead', {}, h('tr', {}, headers.map((t) => h('th', { scope: 'col', text: t })))),
    h('tbody', {}, rows.map((cells) => h('tr', {}, cells.map((c) => (
      c instanceof HTMLTableCellElement ? c : h('td', {}, c)))))));
}

/** A cell of action buttons: [label, handler, extra class]. */
export function actions(...buttons) {
  return h('td', { class: 'actions' }, buttons.map(([label, onClick, cls]) => {
    const b = h('button', { type: 'button', class: cls ?? '', text: label });
    b.addEventListener('click', onClick);
    return b;
  }));
}

/** An inline form: fields are [name, label, {type, options, required, value, class}]. */
export function form(fields, submitLabel, onSubmit) {
  const el = h('form', { class: 'inline-form' });
  for (const [name, label, opts = {}] of fields) {
    const id = `f-${Math.random().toString(36).slice(2, 8)}`;
    el.append(h('label', { for: id, class: opts.type === 'checkbox' ? '' : 'visually-hidden', text: label }));
    if (opts.options) {
      // Options are strings, or {value, label} (a picker: "name (id)" shown, the ID sent).
      // A picker starts on an empty choice, so nobody is picked by accident.
      const items = opts.options.map((o) => (typeof o === 'string' ? { value: o, label: o } : o));
      const select = h('select', { id, name, required: opts.required },
        opts.required ? h('option', { value: '', text: items.length ? `${label}…` : `${label}: none left`, selected: true }) : null,
        items.map((o) => h('option', { value: o.value, text: o.label })));
      // A picker of users, groups or bots gets a filter: hundreds of them do not scroll.
      if (items.length && opts.options.some((o) => typeof o !== 'string')) el.append(...pickerFilter(el, select, items, label));
      el.append(select);
    } else {
      el.append(h('input', {
        id, name, type: opts.type ?? 'text', placeholder: opts.type === 'checkbox' ? null : label,
        required: opts.required, value: opts.value, class: opts.class,
      }));
    }
  }
  el.append(h('button', { type: 'submit', class: 'primary', text: submitLabel }));
  el.addEventListener('submit', async (e) => {
    e.preventDefault();
    const values = {};
    for (const [name, , opts = {}] of fields) {
      const input = el.elements.namedItem(name);
      // Passwords are taken as typed: spaces at the ends may be part of them.
      values[name] = opts.type === 'checkbox' ? input.checked
        : opts.type === 'password' ? input.value : input.value.trim();
    }
    if (await onSubmit(values)) el.reset();
  });
  return el;
}

/**
 * A filter-as-you-type field for a picker `<select>`: what is typed narrows its options to
 * those whose "name (id)" contains it (any case), a single match is picked at once (so Enter
 * submits it), ↓ moves to the list and Esc clears the filter. A count says how many match.
 * The field has no name: it is never sent.
 */
function pickerFilter(formEl, select, items, label) {
  const id = `f-${Math.random().toString(36).slice(2, 8)}`;
  const countId = `${id}-count`;
  const placeholder = select.querySelector('option[value=""]');
  const noun = label.toLowerCase();
  const input = h('input', {
    id, type: 'search', class: 'picker-filter', autocomplete: 'off', placeholder: `Find ${noun} by name or ID`,
    'aria-controls': select.id, 'aria-describedby': countId,
  });
  const count = h('span', { id: countId, class: 'picker-count muted', 'aria-live': 'polite' });
  const show = () => {
    const query = input.value.trim().toLocaleLowerCase();
    const kept = select.value;
    const matching = query ? items.filter((o) => o.label.toLocaleLowerCase().includes(query)) : items;
    select.replaceChildren(...(placeholder ? [placeholder] : []),
      ...matching.map((o) => h('option', { value: o.value, text: o.label })));
    if (query && matching.length === 1) select.value = matching[0].value;
    else select.value = matching.some((o) => o.value === kept) ? kept : (placeholder ? '' : select.value);
    if (placeholder) placeholder.textContent = matching.length ? `${label}…` : `${label}: no match`;
    count.textContent = query ? `${matching.length} of ${items.length}` : '';
  };
  input.addEventListener('input', show);
  input.addEventListener('keydown', (e) => {
    if (e.key === 'ArrowDown') { e.preventDefault(); select.focus(); }
    // Esc clears the filter first (and only that, while there is one).
    if (e.key === 'Escape' && input.value) { e.preventDefault(); e.stopPropagation(); input.value = ''; show(); }
  });
  // A form is reset after a successful submit: its options come back whole with the field.
  formEl.addEventListener('reset', () => setTimeout(show));
  return [h('label', { for: id, class: 'visually-hidden', text: `Find ${noun} by name or ID` }), input, count];
}

export const when = (ms) => (ms ? new Date(ms).toLocaleString() : '');
