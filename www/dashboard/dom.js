// Tiny DOM helpers. Every text from the data (vendor names, descriptions) goes in as text, never
// as HTML: a vendor called "<img onerror=...>" is just a vendor name.

/**
 * h('button', { class: 'x', onclick: fn, 'aria-label': 'Close' }, 'text', child, ...)
 * Attributes: `class`, `dataset` (object), `on*` listeners, booleans (true sets, false omits),
 * anything else through setAttribute. Children: nodes, strings, numbers, arrays, null/false (skipped).
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'value' || k === 'checked' || k === 'selected') el[k] = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

/** Replaces an element's children. */
export function replace(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

export const $ = (sel, root = document) => root.querySelector(sel);
export const $$ = (sel, root = document) => [...root.querySelectorAll(sel)];

/** Calls fn after `ms` of quiet; `.now()` runs it at once, `.cancel()` drops a pending call. */
export function debounce(fn, ms) {
  let t = null;
  let lastArgs = [];
  const d = (...args) => {
    lastArgs = args;
    clearTimeout(t);
    t = setTimeout(() => { t = null; fn(...lastArgs); }, ms);
  };
  d.now = (...args) => { clearTimeout(t); t = null; return fn(...(args.length ? args : lastArgs)); };
  d.cancel = () => { clearTimeout(t); t = null; };
  return d;
}

/** Announces a message to screen readers through the page's polite live region. */
export function announce(text) {
  const region = document.getElementById('announcer');
  if (!region) return;
  region.textContent = '';
  // a separate task, so the same message twice is still read out
  setTimeout(() => { region.textContent = text; }, 30);
}

/** Saves text as a file through a temporary link. */
export function download(name, text, type = 'application/json') {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = h('a', { href: url, download: name, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
