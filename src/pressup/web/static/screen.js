// pressup: the safety questions before the first session (and when they are due again).
//
// GET /api/screening/questions -> one fieldset of radio buttons per question (Yes / No / Not sure)
// POST /api/screening -> the outcome: go to the coach, or (locked) record a clinician's approval.
// pressup does not diagnose: the statement stays on the page above the questions and the result.

import { $, NO_TOKEN, el, pageToken, show } from './dom.js';

const { token, q } = pageToken();
const coachUrl = `/?${q}`;

const GROUPS = [
  { ids: ['red_flag'], title: 'Warning signs', note: 'These need a doctor before any exercise.' },
  { ids: ['ask_clinician'], title: 'Things a clinician should check first', note: '' },
  { ids: ['suits', 'general'], title: 'About your back', note: '' },
];
const CHOICES = [
  ['yes', 'Yes'],
  ['no', 'No'],
  ['unsure', 'Not sure'],
];

/** For tests and debugging. */
const P = { state: 'loading', questions: [], result: null, errors: [] };
window.__screening = P;

function setState(state) {
  P.state = state;
  $('main').dataset.state = state;
}

async function api(path, body) {
  const init = body === undefined
    ? { cache: 'no-store' }
    : { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) };
  const r = await fetch(`${path}?${q}`, init);
  let data = null;
  try {
    data = await r.json();
  } catch (err) {
    data = null;
  }
  if (!r.ok) {
    const detail = data && data.detail ? data.detail : `the coach answered ${r.status}`;
    throw new Error(typeof detail === 'string' ? detail : JSON.stringify(detail));
  }
  return data;
}

// -- the questions -------------------------------------------------------------------------------
function renderQuestions(list) {
  const box = $('questions');
  box.textContent = '';
  let n = 0;
  for (const g of GROUPS) {
    const qs = list.filter((x) => g.ids.includes(x.group));
    if (!qs.length) continue;
    const section = el('section', { class: 'q-group', 'aria-labelledby': `g-${g.ids[0]}` });
    section.append(el('h2', { id: `g-${g.ids[0]}` }, g.title));
    if (g.note) section.append(el('p', { class: 'q-note' }, g.note));
    for (const item of qs) {
      n += 1;
      const fs = el('fieldset', { class: 'q', id: `q-${item.id}`, 'data-qid': item.id });
      const legend = el('legend');
      legend.append(el('span', { class: 'q-num' }, `${n}.`), document.createTextNode(` ${item.text}`));
      fs.append(legend);
      const row = el('div', { class: 'q-choices' });
      for (const [value, label] of CHOICES) {
        const id = `a-${item.id}-${value}`;
        const lab = el('label', { class: 'q-choice', for: id });
        const input = el('input', { type: 'radio', name: item.id, id, value });
        lab.append(input, document.createTextNode(label));
        row.append(lab);
      }
      fs.append(row);
      section.append(fs);
    }
    box.append(section);
  }
}

function collect() {
  const answers = {};
  const missing = [];
  for (const item of P.questions) {
    const picked = document.querySelector(`input[name="${item.id}"]:checked`);
    const fs = $(`q-${item.id}`);
    if (picked) {
      answers[item.id] = picked.value;
      fs.classList.remove('q-missing');
      fs.removeAttribute('aria-invalid');
    } else {
      missing.push(item);
      fs.classList.add('q-missing');
      fs.setAttribute('aria-invalid', 'true');
    }
  }
  return { answers, missing };
}

function formError(text, focusQuestion, takeFocus = true) {
  const box = $('form-error');
  box.textContent = '';
  if (!text) {
    show(box, false);
    return;
  }
  box.append(document.createTextNode(text));
  if (focusQuestion) {
    const a = el('a', { href: `#q-${focusQuestion.id}` }, 'Go to the first one.');
    box.append(document.createTextNode(' '));
    a.addEventListener('click', (ev) => {
      ev.preventDefault();
      const first = document.querySelector(`input[name="${focusQuestion.id}"]`);
      if (first) first.focus();
    });
    box.append(a);
  }
  show(box, true);
  if (takeFocus) box.focus();
}

function missingText(n) {
  return `Please answer every question: ${n} ${n === 1 ? 'question has' : 'questions have'} no answer yet.`;
}

/** After a failed submit, each answer updates the count of the questions still open (or clears
 * the message once all are answered): a stale count is never left on the page. */
function onAnswer(ev) {
  const item = P.questions.find((x) => ev && ev.target && x.id === ev.target.name);
  if (item && item.group === 'red_flag' && ev.target.value === 'yes') {
    redFlag();
    return;
  }
  if ($('form-error').hidden || P.state !== 'questions') return;
  const { missing } = collect();
  if (missing.length) formError(missingText(missing.length), missing[0], false);
  else formError('');
}

/** A "yes" to a warning sign decides alone: send what is answered so far and show "seek care
 * now" at once, instead of asking the remaining questions first. */
async function redFlag() {
  const { answers } = collect();
  for (const fs of document.querySelectorAll('fieldset.q-missing')) {
    fs.classList.remove('q-missing');
    fs.removeAttribute('aria-invalid');
  }
  formError('');
  try {
    showOutcome(await api('/api/screening', { answers }));
  } catch (err) {
    P.errors.push(String(err.message || err));
    formError(`Could not save your answers: ${err.message || err}`);
  }
}

async function submit(ev) {
  ev.preventDefault();
  const { answers, missing } = collect();
  if (missing.length) {
    formError(missingText(missing.length), missing[0]);
    return;
  }
  formError('');
  $('submit').disabled = true;
  try {
    const result = await api('/api/screening', { answers });
    showOutcome(result);
  } catch (err) {
    P.errors.push(String(err.message || err));
    formError(`Could not save your answers: ${err.message || err}`);
  } finally {
    $('submit').disabled = false;
  }
}

// -- the outcome ---------------------------------------------------------------------------------
function showOutcome(r) {
  P.result = r;
  setState('outcome');
  const box = $('outcome');
  box.dataset.level = r.level;
  box.dataset.locked = String(!!r.locked);
  $('outcome-title').textContent = r.headline;
  const ul = $('outcome-messages');
  ul.textContent = '';
  for (const m of r.messages || []) ul.append(el('li', {}, m));
  show(ul, (r.messages || []).length > 0);
  const canStart = r.gate ? r.gate.can_start : !r.locked;
  show($('go'), !r.locked && canStart);
  show($('approval'), !!r.locked);
  show($('form'), false);
  show($('why'), false);
  show(box, true);
  box.focus();
  window.scrollTo(0, 0);
}

async function approve(ev) {
  ev.preventDefault();
  const name = $('approver').value.trim();
  const date = $('approved-on').value;
  const err = $('approval-error');
  if (!name || !date) {
    err.textContent = !name ? "Please write the clinician's name." : 'Please give the date of the approval.';
    show(err, true);
    (!name ? $('approver') : $('approved-on')).focus();
    return;
  }
  try {
    const r = await api('/api/screening/approval', { name, date });
    show(err, false);
    showOutcome(r);
  } catch (e) {
    err.textContent = `Could not record the approval: ${e.message || e}`;
    show(err, true);
  }
}

function again() {
  P.result = null;
  setState('questions');
  show($('outcome'), false);
  show($('form'), true);
  for (const input of document.querySelectorAll('#questions input')) input.checked = false;
  const first = document.querySelector('#questions input');
  if (first) first.focus();
}

// -- start ---------------------------------------------------------------------------------------
async function boot() {
  $('back-top').href = coachUrl;
  $('go-coach').href = coachUrl;
  $('approved-on').max = new Date(Date.now() + 86400000).toISOString().slice(0, 10);
  $('form').addEventListener('submit', submit);
  $('questions').addEventListener('change', onAnswer);
  $('approval').addEventListener('submit', approve);
  $('again').addEventListener('click', again);
  if (!token) {
    $('load-error').textContent = NO_TOKEN;
    show($('load-error'), true);
    setState('error');
    return;
  }
  try {
    const data = await api('/api/screening/questions');
    P.questions = data.questions || [];
    if (data.statement) $('statement').textContent = data.statement.replace(/^pressup does not diagnose\.\s*/, '');
    renderQuestions(P.questions);
    show($('form'), true);
    setState('questions');
  } catch (err) {
    $('load-error').textContent = `Could not load the questions: ${err.message || err}. Is "pressup coach" still running?`;
    show($('load-error'), true);
    setState('error');
    return;
  }
  try {
    const g = await api('/api/gate');
    const why = $('why');
    if (g.allowed) why.textContent = 'Your answers are up to date. Answer again if anything has changed.';
    else if (g.screening) why.textContent = g.reason;
    else why.textContent = '';
    show(why, !!why.textContent);
  } catch (err) {
    /* the questions work without it */
  }
}

boot();
