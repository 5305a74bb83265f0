// Small DOM helpers shared by the coach page (ui.js), the safety questions (screen.js) and the
// progress page (progress.js).

export const $ = (id) => document.getElementById(id);

/** Show or hide an element (only touches the DOM when it changes). */
export function show(el, visible) {
  if (el && el.hidden === !!visible) el.hidden = !visible;
}

/** A new element with attributes and, optionally, text. */
export function el(tag, attrs = {}, text = '') {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text) e.textContent = text;
  return e;
}

/** The launch token from this page's address, and it as a query string (`token=...`). */
export function pageToken() {
  const token = new URLSearchParams(location.search).get('token');
  return { token, q: `token=${encodeURIComponent(token || '')}` };
}

/** Where a page opened without the token explains itself (in the `load-error` element). */
export const NO_TOKEN =
  'This page needs the address that "pressup coach" printed (it ends in ?token=…). Open the coach from that link, then come back here.';
