// pressup: the dose in force, the next dose and a clinician's prescription.
//
// GET /api/progress -> "Your dose now", "Next time", the recent decisions and the form's limits.
// POST /api/prescription -> a clinician's prescription (checked by the server; its 422 detail
// names the field and is shown next to the form). DELETE /api/prescription -> ends it.
// pressup does not diagnose: it suggests a dose; a clinician's prescription always comes first.

import { $, NO_TOKEN, el, pageToken, show } from './dom.js';

const { token, q } = pageToken();

/** The form's fields: the body key, the input's id and its label in plain words. */
const FIELDS = {
  variant: { input: 'f-variant', label: 'Position' },
  hold_s: { input: 'hold_s', label: 'Hold at the top (seconds)' },
  reps: { input: 'reps', label: 'Press-ups in a set' },
  sessions_per_day: { input: 'sessions_per_day', label: 'Sessions a day' },
  notes: { input: 'notes', label: 'Notes' },
};
const SEE_CLINICIAN = /clinician|doctor|physiotherapist/i;

/** For tests and debugging. */
const P = { state: 'loading', data: null, errors: [], saved: 0 };
window.__progress = P;

function setState(state) {
  P.state = state;
  $('main').dataset.state = state;
}

function capital(text) {
  return text ? text[0].toUpperCase() + text.slice(1) : text;
}

// dates as on the history page: 5 Mar 2026, 14:05 (in the time zone of this computer)
function day(iso) {
  if (!iso) return '';
  return new Date(iso).toLocaleDateString('en-GB', { day: 'numeric', month: 'short', year: 'numeric' });
}

function dayTime(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  const time = d.toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit' });
  return `${day(iso)}, ${time}`;
}

async function api(path, method = 'GET', body = undefined) {
  const init = { method, cache: 'no-store', headers: {} };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const r = await fetch(`${path}?${q}`, init);
  let data = null;
  try {
    data = await r.json();
  } catch (err) {
    data = null;
  }
  if (!r.ok) {
    const detail = data && data.detail ? data.detail : `the coach answered ${r.status}`;
    const e = new Error(typeof detail === 'string' ? detail : JSON.stringify(detail));
    e.status = r.status;
    throw e;
  }
  return data;
}

// -- the form, built from the server's limits ------------------------------------------------------
function buildForm(limits) {
  const box = $('variants');
  box.textContent = '';
  for (const v of limits.variants) {
    const id = `variant-${v.id}`;
    const lab = el('label', { class: 'q-choice rx-choice', for: id });
    const input = el('input', { type: 'radio', name: 'variant', id, value: v.id });
    lab.append(input, document.createTextNode(capital(v.words)));
    box.append(lab);
  }
  for (const key of ['hold_s', 'reps', 'sessions_per_day']) {
    const lim = limits[key];
    const input = $(key);
    input.min = String(lim.min);
    input.max = String(lim.max);
    const unit = key === 'hold_s' ? ' seconds' : '';
    const whole = key === 'hold_s' ? '' : ', a whole number';
    $(`${key}-hint`).textContent = `From ${lim.min} to ${lim.max}${unit}${whole}.`;
  }
  $('notes').maxLength = limits.notes_max_len;
  $('notes-hint').textContent = `Up to ${limits.notes_max_len} characters, shown to the person with the dose.`;
}

function fillForm(dose) {
  const pick = document.querySelector(`input[name="variant"][value="${dose.variant}"]`);
  if (pick) pick.checked = true;
  $('hold_s').value = String(dose.hold_s);
  $('reps').value = String(dose.reps);
  $('sessions_per_day').value = String(dose.sessions_per_day || 1);
  $('notes').value = dose.notes || '';
}

function clearFieldErrors() {
  for (const f of Object.values(FIELDS)) {
    const input = $(f.input);
    input.removeAttribute('aria-invalid');
    input.classList.remove('rx-invalid');
  }
}

/** Show the server's (or our own) message next to the form and mark the fields it names. */
function formError(detail) {
  const box = $('form-error');
  box.textContent = '';
  clearFieldErrors();
  if (!detail) {
    show(box, false);
    return;
  }
  const parts = String(detail).split('; ');
  if (!parts.some((part) => FIELDS[part.split(':')[0]])) {
    box.textContent = String(detail); // not about one field (the coach stopped, ...)
    show(box, true);
    box.focus();
    return;
  }
  const intro = el('p', {}, parts.length > 1 ? 'Please check these fields:' : 'Please check this field:');
  const ul = el('ul');
  for (const part of parts) {
    const at = part.indexOf(':');
    const key = at > 0 ? part.slice(0, at) : '';
    const f = FIELDS[key];
    const li = el('li');
    if (f) {
      const input = $(f.input);
      input.setAttribute('aria-invalid', 'true');
      input.classList.add('rx-invalid');
      const a = el('a', { href: `#${f.input}` }, f.label);
      a.addEventListener('click', (ev) => {
        ev.preventDefault();
        const target = f.input === 'f-variant' ? document.querySelector('input[name="variant"]') : $(f.input);
        if (target) target.focus();
      });
      li.append(a, document.createTextNode(`: ${part.slice(at + 1).trim()}`));
    } else {
      li.textContent = part;
    }
    ul.append(li);
  }
  box.append(intro, ul);
  show(box, true);
  box.focus();
}

function collect() {
  const body = {};
  const picked = document.querySelector('input[name="variant"]:checked');
  if (picked) body.variant = picked.value;
  for (const key of ['hold_s', 'reps', 'sessions_per_day']) {
    const text = $(key).value.trim();
    if (text !== '') body[key] = Number(text);
    else if (key === 'sessions_per_day') body[key] = null; // "expected a whole number, got null"
  }
  body.notes = $('notes').value;
  return body;
}

function announce(text) {
  const box = $('saved');
  box.textContent = text;
  show(box, true);
  box.focus();
  window.scrollTo(0, 0);
}

async function save(ev) {
  ev.preventDefault();
  const body = collect();
  if (!body.variant) {
    formError('variant: please choose one of the positions');
    return;
  }
  formError('');
  $('save').disabled = true;
  try {
    const data = await api('/api/prescription', 'POST', body);
    P.saved += 1;
    render(data);
    fillForm(data.prescription || data.current);
    announce(`Prescription saved. Your dose now: ${data.current.sentence}.`);
  } catch (err) {
    P.errors.push(String(err.message || err));
    if (err.status === 422) formError(err.message);
    else formError(`Could not save the prescription: ${err.message || err}`);
  } finally {
    $('save').disabled = false;
  }
}

async function endPrescription() {
  const box = $('end-error');
  show(box, false);
  $('end').disabled = true;
  try {
    const data = await api('/api/prescription', 'DELETE');
    render(data);
    fillForm(data.current);
    announce(
      data.ended
        ? `The clinician's prescription has ended. pressup's progression carries on from ${data.current.sentence}.`
        : "No clinician's prescription was in force.",
    );
  } catch (err) {
    P.errors.push(String(err.message || err));
    box.textContent = `Could not end the prescription: ${err.message || err}`;
    show(box, true);
    box.focus();
  } finally {
    $('end').disabled = false;
  }
}

// -- rendering -------------------------------------------------------------------------------------
function renderNow(c) {
  $('now').dataset.source = c.source;
  $('now-dose').textContent = capital(c.sentence);
  const from = {
    clinician: `Set by your clinician on ${day(c.since)}.`,
    engine: `pressup's progression, since ${day(c.since)}.`,
    start: 'The starting dose.',
  };
  $('now-from').textContent = from[c.source] || '';
  $('now-reason').textContent = c.reason;
  show($('now-reason'), !!c.reason);
  $('now-notes').textContent = c.notes ? `Your clinician's notes: ${c.notes}` : '';
  show($('now-notes'), !!c.notes);
}

function renderNext(n) {
  $('next').dataset.action = n.action;
  $('next-action').textContent = n.action_words;
  $('next-dose').textContent = capital(n.sentence);
  $('next-height').textContent = n.target_peak_trunk_deg == null
    ? 'How high: only as high as stays pain free.'
    : `How high: about ${Math.round(n.target_peak_trunk_deg)} degrees of trunk lift.`;
  $('next-reason').textContent = n.reason;
  const ul = $('next-advice');
  ul.textContent = '';
  for (const line of n.advice || []) {
    const warn = SEE_CLINICIAN.test(line);
    const li = el('li', { class: warn ? 'rx-warn' : 'rx-tip' });
    if (warn) li.append(el('strong', {}, 'Please note: '));
    li.append(document.createTextNode(line));
    ul.append(li);
  }
  show(ul, (n.advice || []).length > 0);
}

function renderDecisions(list) {
  const rows = $('decision-rows');
  rows.textContent = '';
  for (const d of list) {
    const tr = el('tr', { 'data-action': d.action });
    tr.append(
      el('td', { class: 'rx-when' }, dayTime(d.created_at)),
      el('td', {}, d.action_words),
      el('td', {}, capital(d.words)),
      el('td', {}, d.reason),
      el('td', {}, d.source === 'clinician' ? 'Your clinician' : 'pressup'),
    );
    rows.append(tr);
  }
  show($('decisions-wrap'), list.length > 0);
  show($('no-decisions'), list.length === 0);
}

function render(data) {
  P.data = data;
  renderNow(data.current);
  renderNext(data.next);
  renderDecisions(data.decisions || []);
  const rx = data.prescription;
  show($('active'), !!rx);
  if (rx) {
    $('active-since').textContent = `since ${day(rx.created_at)}`;
    $('active-dose').textContent = rx.sentence;
  }
  const g = data.gate || { allowed: true };
  $('gate-reason').textContent = g.allowed ? '' : g.reason;
  show($('gate'), !g.allowed);
  show($('content'), true);
  setState('ready');
}

// -- start -----------------------------------------------------------------------------------------
async function boot() {
  for (const [id, path] of [['link-coach', '/'], ['link-history', '/history'], ['link-screen', '/screen'], ['gate-link', '/screen']]) {
    $(id).href = `${path}?${q}`;
  }
  $('form').addEventListener('submit', save);
  $('end').addEventListener('click', endPrescription);
  if (!token) {
    $('load-error').textContent = NO_TOKEN;
    show($('load-error'), true);
    setState('error');
    return;
  }
  try {
    const data = await api('/api/progress');
    buildForm(data.limits);
    render(data);
    fillForm(data.prescription || data.current);
  } catch (err) {
    P.errors.push(String(err.message || err));
    $('load-error').textContent = `Could not load your dose: ${err.message || err}. Is "pressup coach" still running?`;
    show($('load-error'), true);
    setState('error');
  }
}

boot();
