// The screens: which one shows, and drawing the server's status into them.
// Everything here only touches the DOM; app.js decides what to show.

import { CHECK_WORDS, STAGE_WORDS, faultWords, labelWords } from './words.js';

export const $ = (id) => document.getElementById(id);

/** Set text only when it changed (status arrives 10-30 times a second). */
export function setText(el, text) {
  const s = String(text);
  if (el && el.textContent !== s) el.textContent = s;
}

export function show(el, visible) {
  if (el && el.hidden === !!visible) el.hidden = !visible;
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
  const controls = $('controls');
  show(controls, live);
  if (live && controls.parentElement !== $(`slot-controls-${screen}`)) $(`slot-controls-${screen}`).appendChild(controls);
  show($('caption'), live);
  document.body.classList.toggle('has-caption', live);
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

export function renderSetup(status, { poseReady }) {
  const start = status.stage === 'start_check';
  setText($('setup-title'), start ? 'Get into the start position' : 'Set up the camera');
  setText(
    $('setup-hint'),
    start
      ? 'Lie face down, forearms on the floor beside your chest, hands level with your shoulders, forehead down. Stay still for a moment.'
      : 'Camera on the floor at your side, about 2 metres away, so it sees you from head to feet.',
  );
  const checks = Array.isArray(status.checks) ? status.checks : [];
  const list = $('checks');
  const key = checks.map((c) => `${c.id}:${c.ok ? 1 : 0}:${c.message}`).join('|') + `|${poseReady}`;
  if (key === checksKey) return;
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
let painState = null;

/**
 * Ask for a pain rating for repetition `rep`.
 * @param {number} rep
 * @param {{autoSkipS: number, title: string, onAnswer: (score: number|null) => void}} o
 */
export function openPain(rep, o) {
  closePain();
  const panel = $('pain');
  setText($('pain-title'), o.title || `How is your back? Press-up ${rep}`);
  panel.hidden = false;
  document.body.classList.add('has-pain');
  painState = { rep, onAnswer: o.onAnswer, timer: null, tick: null, deadline: 0 };
  if (o.autoSkipS > 0) {
    painState.deadline = performance.now() + o.autoSkipS * 1000;
    const tick = () => {
      if (!painState) return;
      const left = Math.ceil((painState.deadline - performance.now()) / 1000);
      if (left <= 0) {
        answerPain(null);
        return;
      }
      setText($('pain-timer'), `Skipping in ${left} s if you stay still`);
    };
    tick();
    painState.tick = setInterval(tick, 250);
  } else {
    setText($('pain-timer'), '');
  }
  const focusable = panel.querySelector('button[data-score="0"]');
  if (focusable && !document.activeElement?.matches('input, textarea')) focusable.focus({ preventScroll: true });
}

export function painOpenFor() {
  return painState ? painState.rep : null;
}

export function answerPain(score) {
  if (!painState) return;
  const { onAnswer } = painState;
  closePain();
  onAnswer(score);
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
 * @param {{repsDone: number, target: number|null, ended: boolean,
 *          reps: Array<{rep: number, hold_s: number|null, faults: string[]}>,
 *          pain: Map<number, number|null>, targetHold: number|null}} s
 */
export function renderDone(s) {
  const finished = s.target && s.repsDone >= s.target;
  setText($('done-title'), finished ? "Well done: that's the set" : 'Session ended');
  const noun = (s.target || s.repsDone) === 1 ? 'press-up' : 'press-ups';
  let lead = s.target ? `You did ${s.repsDone} of ${s.target} ${noun}.` : `You did ${s.repsDone} ${noun}.`;
  if (s.pain.has(0) && s.pain.get(0) !== null) lead += ` Pain before you started: ${s.pain.get(0)} of 10.`;
  setText($('done-lead'), lead);
  const rows = $('summary-rows');
  rows.replaceChildren();
  const byRep = new Map(s.reps.map((r) => [r.rep, r]));
  const n = Math.max(s.repsDone, ...s.reps.map((r) => r.rep), 0);
  for (let i = 1; i <= n; i += 1) {
    const r = byRep.get(i);
    const tr = document.createElement('tr');
    const cells = [
      String(i),
      r && Number.isFinite(r.hold_s)
        ? `${Math.round(r.hold_s)} s${s.targetHold ? ` of ${Math.round(s.targetHold)}` : ''}`
        : '–',
      r ? (r.faults.length ? r.faults.map(faultWords).join('; ') : 'Good form') : '–',
      s.pain.has(i) ? (s.pain.get(i) === null ? 'skipped' : String(s.pain.get(i))) : '–',
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
