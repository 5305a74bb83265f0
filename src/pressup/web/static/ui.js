// The screens: which one shows, and drawing the server's status into them.
// Everything here only touches the DOM; app.js decides what to show.

import {
  CHECK_WORDS,
  SETUP_HINTS,
  STAGE_WORDS,
  faultWords,
  holdCell,
  labelWords,
  placeWords,
  postureCell,
} from './words.js';

import { $, show } from './dom.js';

export { $, show };

/** Set text only when it changed (status arrives 10-30 times a second). */
export function setText(el, text) {
  const s = String(text);
  if (el && el.textContent !== s) el.textContent = s;
}

/** Which screen a stage belongs to. `lastActive`: the stage before a pause. */
export function screenFor(stage, lastActive) {
  if (stage === 'paused') return screenFor(lastActive || 'exercise');
  if (stage === 'setup' || stage === 'start_check') return 'setup';
  if (stage === 'done') return 'done';
  if (stage === 'exercise' || stage === 'rest' || stage === 'pain') return 'exercise';
  return 'intro';
}

const SCREENS = ['intro', 'setup', 'exercise', 'done'];

/** Show one screen; move the camera preview into it; show the controls and caption bar. */
export function showScreen(screen, stage) {
  const main = $('main');
  if (main.dataset.stage !== stage) main.dataset.stage = stage;
  setText($('stage-name'), STAGE_WORDS[stage] || stage);
  if (main.dataset.screen === screen) return false;
  main.dataset.screen = screen;
  for (const s of SCREENS) show($(`screen-${s}`), s === screen);
  const live = screen === 'setup' || screen === 'exercise';
  // the controls and the caption sit in the bottom dock, which nothing covers
  show($('controls'), live);
  // the caption shows on every screen whenever a cue is being said (CSS hides it when empty)
  show($('caption'), true);
  document.body.classList.toggle('has-caption', true);
  const slot = live ? $(`slot-${screen}`) : $('preview-home');
  const preview = $('preview');
  if (preview.parentElement !== slot) slot.appendChild(preview);
  const video = $('video');
  if (video.srcObject && video.paused) video.play().catch(() => {});
  return true;
}

/** Aspect ratio of the preview box follows the camera. */
export function fitPreview(width, height) {
  if (width && height) $('preview').style.aspectRatio = `${width} / ${height}`;
}

export function previewNote(text) {
  const el = $('preview-note');
  setText(el, text || '');
  show(el, !!text);
}

// -- set-up --------------------------------------------------------------------------------------
let checksKey = '';

let failingShown = '';
// a new size (a phone turned) may put the failing check under the dock: bring it back
addEventListener('resize', () => {
  failingShown = '';
});

export function renderSetup(status, { poseReady, posture }) {
  const start = status.stage === 'start_check';
  setText($('setup-title'), start ? 'Get into the start position' : 'Set up the camera');
  setText($('setup-hint'), start ? SETUP_HINTS[posture] || SETUP_HINTS.forearms : SETUP_HINTS.setup);
  const checks = Array.isArray(status.checks) ? status.checks : [];
  const list = $('checks');
  const key = checks.map((c) => `${c.id}:${c.ok ? 1 : 0}:${c.message}`).join('|') + `|${poseReady}`;
  if (key === checksKey) {
    showFailing(list, checks);
    return;
  }
  checksKey = key;
  list.replaceChildren();
  if (!checks.length) {
    const li = document.createElement('li');
    li.className = 'check check-wait';
    li.textContent = poseReady ? 'Looking for you…' : 'Loading the body tracker… (a few seconds)';
    list.appendChild(li);
    return;
  }
  for (const c of checks) {
    const li = document.createElement('li');
    li.className = `check ${c.ok ? 'check-ok' : 'check-bad'}`;
    li.dataset.check = c.id;
    const mark = document.createElement('span');
    mark.className = 'mark';
    mark.setAttribute('aria-hidden', 'true');
    mark.textContent = c.ok ? '✓' : '✗';
    const text = document.createElement('span');
    text.className = 'check-text';
    const sr = document.createElement('span');
    sr.className = 'sr-only';
    sr.textContent = c.ok ? 'Done: ' : 'To do: ';
    const title = CHECK_WORDS[c.id];
    if (title) {
      // passing: the short title; failing: the title and what to do
      const b = document.createElement('strong');
      b.textContent = title;
      text.append(sr, b);
      if (!c.ok && c.message) {
        const m = document.createElement('span');
        m.className = 'check-msg';
        m.textContent = c.message;
        text.append(m);
      }
    } else {
      text.append(sr, c.message || c.id);
    }
    li.append(mark, text);
    list.appendChild(li);
  }
  showFailing(list, checks);
}

/** The person may be lying on the floor: bring what to fix into view, clear of the dock. */
function showFailing(list, checks) {
  const bad = checks.find((c) => !c.ok);
  const id = bad ? bad.id : '';
  if (id && id !== failingShown) {
    const el = list.querySelector(`li[data-check="${id}"]`);
    if (el) keepInView(el);
  }
  failingShown = id;
}

/** Scroll so that `el` shows between the top of the window and the top of the dock. */
export function keepInView(el) {
  const r = el.getBoundingClientRect();
  const bottom = $('dock').getBoundingClientRect().top;
  if (r.top >= 0 && r.bottom <= bottom) return;
  const room = Math.max(0, bottom - r.height);
  scrollBy(0, r.top - Math.min(room, Math.max(8, room / 3)));
}

/** The first failing check's message (for the caption), or null. */
export function failingMessage(status) {
  const bad = (status.checks || []).find((c) => !c.ok);
  return bad ? bad.message : null;
}

// -- exercise ------------------------------------------------------------------------------------
export function renderExercise(status, targetHold) {
  const done = status.reps_done ?? 0;
  const target = status.target_reps ?? '?';
  setText($('rep-count'), `${done} of ${target}`);
  let sub = 'press-ups done';
  if (status.stage === 'rest') sub = 'press-ups done. Rest, then breathe in.';
  else if (status.rep) sub = `press-up ${status.rep} under way`;
  setText($('rep-sub'), sub);
  setText($('label'), labelWords(status.label));
  const hold = status.hold;
  const box = $('hold-box');
  box.classList.toggle('idle', !hold);
  show($('hold'), !!hold);
  show($('hold-idle'), !hold);
  if (!hold) {
    if (targetHold) setText($('hold-target'), Math.round(targetHold));
    setText($('hold-note'), 'at the top');
    $('ring-fg').setAttribute('stroke-dashoffset', '100');
    box.classList.remove('paused');
  } else {
    const target = Number(hold.target_s) || 0;
    const held = Math.max(0, Number(hold.held_s) || 0);
    const left = Math.max(0, Math.ceil(target - held - 1e-6));
    setText($('hold'), left);
    $('hold').setAttribute('aria-label', `${left} seconds left to hold`);
    const frac = target > 0 ? Math.min(1, held / target) : 0;
    $('ring-fg').setAttribute('stroke-dashoffset', String(Math.round((1 - frac) * 1000) / 10));
    box.classList.toggle('paused', !hold.running);
    setText($('hold-note'), !hold.running ? 'hold timer paused' : left > 0 ? 'seconds to hold' : 'lower slowly');
  }
}

// -- pain rating ---------------------------------------------------------------------------------
// Two steps: the pain score (0 to 10), then where the symptoms are felt. Either step can be
// skipped (a tap on Skip, or lying still until the timer runs out when `autoSkipS` is set).
let painState = null;

/** The place buttons say the wording module's words (the page's HTML holds only the keys). */
function namePlaces() {
  for (const b of document.querySelectorAll('#place-row button[data-place]')) {
    const words = placeWords(b.dataset.place);
    const label = b.querySelector('.place-words');
    if (label && words) setText(label, words.charAt(0).toUpperCase() + words.slice(1));
  }
}
namePlaces();

const SCORE_HELP = '0 = no pain, 10 = the worst pain. Keys: 0 to 9, T for 10, S to skip.';
const PLACE_HELP = 'Tap the place furthest down your leg where you feel it. Keys: 1 to 6, S to skip.';

/**
 * Ask for a pain rating (and where it is felt) for repetition `rep` (0 = before the set).
 * @param {number} rep
 * @param {{autoSkipS: number, title?: string, previous?: string|null,
 *          onPlaceStep?: (score: number) => void,
 *          onAnswer: (score: number|null, place: string|null) => void}} o
 */
export function openPain(rep, o) {
  closePain();
  const panel = $('pain');
  painState = { rep, o, step: 'score', score: null, tick: null, deadline: 0 };
  panel.hidden = false;
  document.body.classList.add('has-pain');
  showStep('score', o.title || `How is your back? Press-up ${rep}`);
}

function showStep(step, title) {
  const panel = $('pain');
  painState.step = step;
  panel.dataset.step = step;
  setText($('pain-title'), title);
  setText($('pain-help'), step === 'score' ? SCORE_HELP : PLACE_HELP);
  show($('score-row'), step === 'score');
  show($('place-row'), step === 'place');
  for (const b of panel.querySelectorAll('button[data-place]')) {
    const before = painState.o.previous === b.dataset.place;
    b.classList.toggle('was', before);
    b.title = before ? 'Your answer last time' : '';
  }
  clearInterval(painState.tick);
  const autoSkipS = painState.o.autoSkipS || 0;
  if (autoSkipS > 0) {
    painState.deadline = performance.now() + autoSkipS * 1000;
    const tick = () => {
      if (!painState) return;
      const left = Math.ceil((painState.deadline - performance.now()) / 1000);
      if (left <= 0) {
        if (painState.step === 'score') answerPain(null);
        else answerPlace(null);
        return;
      }
      setText($('pain-timer'), painState.step === 'score' ? `Skipping in ${left} s if you stay still` : `Carrying on in ${left} s if you stay still`);
    };
    tick();
    painState.tick = setInterval(tick, 250);
  } else {
    setText($('pain-timer'), '');
  }
  const first = panel.querySelector(step === 'score' ? 'button[data-score="0"]' : 'button[data-place]');
  if (first && !document.activeElement?.matches('input, textarea')) first.focus({ preventScroll: true });
}

/** The repetition the dialog asks about, or null when it is closed. */
export function painOpenFor() {
  return painState ? painState.rep : null;
}

/** 'score' or 'place' while the dialog is open, else null. */
export function painStep() {
  return painState ? painState.step : null;
}

/** The score was chosen (or skipped: null, which ends the rating). */
export function answerPain(score) {
  if (!painState) return;
  if (painState.step !== 'score') {
    answerPlace(null);
    return;
  }
  if (score === null) {
    finish(null, null);
    return;
  }
  painState.score = score;
  showStep('place', `Pain ${score}. Where do you feel it?`);
  if (painState.o.onPlaceStep) painState.o.onPlaceStep(score);
}

/** Where the symptoms are felt (null: not said). Ends the rating. */
export function answerPlace(place) {
  if (!painState) return;
  if (painState.step !== 'place') return;
  finish(painState.score, place);
}

function finish(score, place) {
  const { onAnswer } = painState.o;
  closePain();
  onAnswer(score, place);
}

export function closePain() {
  if (painState) clearInterval(painState.tick);
  painState = null;
  const panel = $('pain');
  if (panel.contains(document.activeElement)) document.activeElement.blur();
  panel.hidden = true;
  document.body.classList.remove('has-pain');
}

// -- done ----------------------------------------------------------------------------------------
/**
 * @param {{repsDone: number, target: number|null, stopped: {reason: string}|null,
 *          reps: Array<{rep: number, hold_s: number|null, faults: string[]}>,
 *          pain: Map<number, {score: number|null, place: string|null}>, targetHold: number|null}} s
 */
export function renderDone(s) {
  const finished = s.target && s.repsDone >= s.target;
  setText(
    $('done-title'),
    s.stopped ? 'The set was stopped to keep you safe' : finished ? "Well done: that's the set" : 'Session ended',
  );
  setText($('done-stopped'), s.stopped ? s.stopped.reason : '');
  show($('done-stopped'), Boolean(s.stopped));
  // after a stop for safety the next step is rest and the gentler dose, not another set now
  const next = $('start-again');
  next.dataset.action = s.stopped ? 'progress' : 'restart';
  setText(next, s.stopped ? 'Rest now, then see your next dose' : 'Start again');
  const noun = (s.target || s.repsDone) === 1 ? 'press-up' : 'press-ups';
  let lead = s.target ? `You did ${s.repsDone} of ${s.target} ${noun}.` : `You did ${s.repsDone} ${noun}.`;
  const before = s.pain.get(0);
  if (before && before.score !== null) {
    lead += ` Pain before you started: ${before.score} of 10`;
    lead += before.place ? ` (${placeWords(before.place)}).` : '.';
  }
  setText($('done-lead'), lead);
  const rows = $('summary-rows');
  rows.replaceChildren();
  const byRep = new Map(s.reps.map((r) => [r.rep, r]));
  const n = Math.max(s.repsDone, ...s.reps.map((r) => r.rep), 0);
  for (let i = 1; i <= n; i += 1) {
    const r = byRep.get(i);
    const p = s.pain.get(i);
    const tr = document.createElement('tr');
    const cells = [
      String(i),
      // the posture each press-up was done in, marked when today's plan asked for the other one
      r ? postureCell(r.variant, s.plannedPosture) : '–',
      r && Number.isFinite(r.hold_s) ? holdCell(r.hold_s, s.targetHold) : '–',
      r ? (r.faults.length ? r.faults.map(faultWords).join('; ') : 'No fault seen') : '–',
      p ? (p.score === null ? 'skipped' : String(p.score)) : '–',
      p && p.place ? placeWords(p.place) : '–',
    ];
    cells.forEach((text, k) => {
      const td = document.createElement(k === 0 ? 'th' : 'td');
      if (k === 0) td.scope = 'row';
      td.textContent = text;
      tr.appendChild(td);
    });
    rows.appendChild(tr);
  }
  show($('summary'), n > 0);
}

/**
 * The decision for next time (a `review` message from the coach).
 * @param {{words: string, reason: string, advice: string[], source: string}|null} r
 */
export function renderNext(r) {
  show($('next-time'), Boolean(r));
  if (!r) return;
  setText($('next-words'), r.words);
  setText($('next-reason'), r.source === 'clinician' ? r.reason : `Why: ${r.reason}`);
  setText($('next-response'), r.response_words ? `Your symptoms during this set: ${r.response_words}.` : '');
  show($('next-response'), Boolean(r.response_words));
  const advice = (r.advice || []).join(' ');
  setText($('next-advice'), advice);
  show($('next-advice'), Boolean(advice));
}

/** Today's dose on the set-up screen (from the coach's welcome). */
export function renderDose(d) {
  const el = $('dose-today');
  if (!d || !d.target_reps || !d.words) {
    show(el, false);
    return;
  }
  // the same words as `pressup progress` prints for this dose
  let text = `Today: ${d.words}.`;
  if (d.source === 'clinician') text += ` Set by your clinician.${d.notes ? ` Notes: ${d.notes}` : ''}`;
  else if (d.reason) text += ` ${d.reason.charAt(0).toUpperCase()}${d.reason.slice(1)}${/[.!?]$/.test(d.reason) ? '' : '.'}`;
  setText(el, text);
  show(el, true);
}

/** Keep the page's bottom clear of the fixed dock (pain rating + caption). */
export function watchDock() {
  const dock = $('dock');
  const fit = () => {
    document.body.style.paddingBottom = `${dock.offsetHeight}px`;
  };
  if ('ResizeObserver' in window) new ResizeObserver(fit).observe(dock);
  fit();
}

// -- messages ------------------------------------------------------------------------------------
let toastTimer = null;

export function toast(text, ms = 4000) {
  const el = $('toast');
  setText(el, text);
  el.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => {
    el.hidden = true;
  }, ms);
}

/** The persistent notice while saving is delayed (empty text: none). */
export function storageNotice(text) {
  const el = $('banner-storage');
  setText(el, text || '');
  show(el, !!text);
}

export function fatal(text) {
  const el = $('banner-fatal');
  setText(el, text || '');
  show(el, !!text);
}

export function introError(text) {
  const el = $('intro-error');
  setText(el, text || '');
  show(el, !!text);
}

export function introStatus(text) {
  setText($('intro-status'), text || '');
}

/** The screening gate on the start screen: why the coach cannot start, and where to go. */
export function showGate(reason, href) {
  const box = $('gate');
  if (!reason) {
    show(box, false);
    return;
  }
  setText($('gate-reason'), reason);
  if (href) $('gate-link').href = href;
  show(box, true);
  show($('start'), false);
}

export function hideGate() {
  show($('gate'), false);
  show($('start'), true);
}
