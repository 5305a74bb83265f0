// pressup live coach: the page's entry point.
//
// camera -> BlazePose (pose.js) -> landmarks -> WebSocket (ws.js) -> server
// server -> status, events, cues -> screens (ui.js), captions and voice (speech.js)
//
// The person lies on the floor and cannot reach the keyboard, so the page never waits for a
// click once the camera runs: pain ratings skip themselves, a reload resumes the session, a
// dropped connection reconnects. The rating before the set is asked at the start button, while
// the person is still at the screen; the coach applies the stop rules to every rating.

import { CoachSocket, validSession } from './ws.js';
import { PoseRunner, cameraErrorText, drawSkeleton, poseAvailable } from './pose.js';
import { Captions, CueChannel, Speaker } from './speech.js';
import * as ui from './ui.js';
import { PLACE_WORDS, STAGE_WORDS, STORAGE_WORDS, placeWords } from './words.js';

const { $ } = ui;

const KEY = {
  session: 'pressup.session',
  at: 'pressup.sessionAt', // when the stored session was last used (ms since epoch)
  clock: 'pressup.clock', // {session, t, seq, at}: where the frame clock stood
  painAsked: 'pressup.painAsked', // {session, reps}: repetitions already asked about
};
const RESUME_WITHIN_MS = 30 * 60 * 1000; // a reload within this continues the stored session
const PAIN_AUTO_SKIP_S = 8;
const MAX_BUFFERED = 256 * 1024; // bytes waiting in the socket before frames are dropped
const POSE_MISSING =
  'The body tracker (@mediapipe/pose) is not installed, so the camera cannot follow you. ' +
  'In the pressup folder run "make demo" (or "npm ci --prefix web"), restart "pressup coach" ' +
  'and reload this page.';

const store = {
  get(k) {
    try {
      return localStorage.getItem(k);
    } catch (err) {
      return null;
    }
  },
  set(k, v) {
    try {
      localStorage.setItem(k, String(v));
    } catch (err) {
      /* private mode */
    }
  },
  del(k) {
    try {
      localStorage.removeItem(k);
    } catch (err) {
      /* private mode */
    }
  },
  json(k) {
    try {
      return JSON.parse(this.get(k) || 'null');
    } catch (err) {
      return null;
    }
  },
};

const token = new URLSearchParams(location.search).get('token');

/** For tests and debugging: kept current as messages arrive. */
const P = {
  stage: 'intro',
  stages: ['intro'], // every stage the coach reported, in order
  repsDone: 0,
  targetReps: null,
  session: null,
  framesSent: 0,
  framesDropped: 0,
  updates: 0, // frames answered
  replies: 0, // messages answering frames (one answers several)
  batchMax: 0, // most frames answered by one reply
  lastCue: null,
  cues: [],
  shown: [], // every cue caption shown: {text, kind, spoken, at, end} (ms, performance.now())
  errors: [],
  label: null,
  tracking: null,
  hold: null,
  connected: false,
  capture: 'off',
  pain: [],
  feedback: [],
  dose: null,
  gate: null,
  review: null, // the decision for next time, once the set is over
  stopped: null, // {reason, rules} when a pain rule stopped the set
  storage: 'ok', // ok | held (saving delayed, all kept) | full (new frames no longer kept)
};
window.__pressup = P;

const S = {
  status: null,
  prevStage: null,
  lastActive: 'setup', // the stage before a pause
  session: null, // the session this page was welcomed into
  resumeId: null, // stored session to continue (recent reload), or null
  dose: null,
  reps: new Map(), // rep number -> {rep, hold_s, faults}
  pain: new Map(), // rep number -> {score (null when skipped), place (null when not said)}
  painAsked: new Set(),
  lastPlace: null, // where the symptoms were, at the last rating
  before: null, // the rating before the set, until the session is welcomed
  review: null,
  stopped: null,
  capture: 'off', // off | starting | camera | running | failed
  endRequested: false,
  doneShown: false,
  helpful: null,
  lastErrorToast: 0,
  captionFromChecks: false, // the caption's status line is a set-up check
};

// -- the frame clock: seq and t keep increasing across reconnects and reloads ----------------------
const clock = {
  perf0: performance.now(),
  offset: 0,
  lastT: 0,
  seq: 0,
  savedAt: 0,
  now() {
    return this.offset + (performance.now() - this.perf0) / 1000;
  },
  next() {
    let t = Math.round(this.now() * 1000) / 1000;
    if (t < this.lastT) t = this.lastT;
    this.lastT = t;
    const seq = this.seq;
    this.seq += 1;
    return { seq, t };
  },
  /** The next frame must come after seq `seq` and at or after time `t`. */
  after(seq, t) {
    if (Number.isFinite(seq) && seq >= this.seq) this.seq = Math.floor(seq) + 1;
    if (Number.isFinite(t)) {
      const behind = t - this.now();
      if (behind > -0.002) this.offset += behind + 0.002;
    }
  },
  save(force = false) {
    const now = Date.now();
    if (!S.session || (!force && now - this.savedAt < 1000)) return;
    this.savedAt = now;
    store.set(KEY.clock, JSON.stringify({ session: S.session, t: this.lastT, seq: this.seq - 1, at: now }));
    store.set(KEY.at, now);
  },
};

// -- voice and captions --------------------------------------------------------------------------
const speaker = new Speaker({
  onBlocked: () => ui.show($('banner-voice'), true),
});
const captions = new Captions($('caption'), $('log'));
const channel = new CueChannel({
  captions,
  speaker,
  onShow: (e) => {
    const cap = $('caption');
    P.shown.push({ ...e, end: null, visible: !cap.hidden && cap.textContent === e.text });
    if (P.shown.length > 300) P.shown.shift();
  },
  onDone: (e) => {
    const shown = P.shown.findLast((x) => x.at === e.at && x.text === e.text);
    if (shown) shown.end = e.end;
  },
});

// -- camera and pose -----------------------------------------------------------------------------
const runner = new PoseRunner({
  video: $('video'),
  onFrame: onPoseFrame,
  onError: (err) => {
    P.errors.push({ code: 'pose', message: String((err && err.message) || err), seq: null });
    if (runner.failures === 5) ui.toast('The body tracker is having trouble. It keeps trying.');
  },
});

// -- the connection ------------------------------------------------------------------------------
const sock = new CoachSocket({
  url: `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws?token=${encodeURIComponent(token || '')}`,
  client: `pressup-web/1 ${navigator.userAgent}`,
  getSession: () => S.session || S.resumeId,
  getVideo: () => runner.size,
  onMessage,
  onState: onSocketState,
  onFramesSent: (n) => onFramesSent(n),
  onUnknownSession: () => {
    S.resumeId = null;
    S.session = null;
    store.del(KEY.session);
  },
});

function onSocketState(state, info = {}) {
  P.connected = state === 'ready';
  const conn = $('conn');
  conn.dataset.state = state;
  if (state === 'ready') {
    ui.setText(conn, 'Connected');
    ui.show($('banner-conn'), false);
  } else if (state === 'connecting') {
    ui.setText(conn, 'Connecting…');
  } else if (state === 'open') {
    ui.setText(conn, 'Connected');
  } else if (state === 'closed') {
    ui.setText(conn, 'Not connected');
    if (!sock.wanted) return;
    const banner = $('banner-conn');
    if (info.failures >= 5) {
      ui.setText(
        banner,
        sock.everOpened
          ? 'Lost the connection to the coach. Is "pressup coach" still running? Trying again…'
          : 'Cannot reach the coach. Is "pressup coach" running? If you restarted it, open the new link it printed.',
      );
    } else {
      ui.setText(banner, 'Reconnecting to the coach…');
    }
    ui.show(banner, true);
  }
}

function onMessage(msg) {
  switch (msg.type) {
    case 'welcome':
      onWelcome(msg);
      break;
    case 'update':
    case 'updates': // the reply to several frames (ws.js sends them a few at a time)
      onUpdate(msg);
      break;
    case 'saved':
      onSaved(msg);
      break;
    case 'review':
      onReview(msg);
      break;
    case 'error':
      onServerError(msg);
      break;
    case 'storage_back':
      onStorage('ok');
      break;
    default:
      break; // pong
  }
}

function onWelcome(msg) {
  const first = S.session !== msg.session;
  if (first) {
    if (S.session) resetSessionData();
    if (msg.resumed) {
      // continuing a session from an earlier page: its frames must come after the stored ones
      const c = store.json(KEY.clock);
      if (c && c.session === msg.session && Number.isFinite(c.t)) {
        const gap = Math.min(3600, Math.max(0, (Date.now() - (c.at || Date.now())) / 1000));
        clock.after(c.seq, c.t + gap);
      }
      // and after the last frame the server has stored (it only ever moves the clock forward)
      clock.after(msg.last_seq, msg.last_t);
    }
    const asked = store.json(KEY.painAsked);
    S.painAsked = new Set(asked && asked.session === msg.session && Array.isArray(asked.reps) ? asked.reps : []);
  }
  S.session = msg.session;
  P.session = msg.session;
  store.set(KEY.session, msg.session);
  store.set(KEY.at, Date.now());
  S.dose = msg.dose || S.dose;
  P.dose = S.dose;
  ui.renderDose(S.dose);
  if (S.before && !msg.resumed) {
    // the rating given at the start button belongs to this new session
    const b = S.before;
    S.before = null;
    S.painAsked.add(0);
    sendPain(0, b.score, b.place, true);
  }
  if (msg.status) applyStatus(msg.status);
  // a reload mid-session: carry on without a click (the camera permission is remembered)
  if (S.capture === 'off' && S.resumeId && msg.status && msg.status.stage !== 'done') startCapture();
}

function resetSessionData() {
  S.reps = new Map();
  S.pain = new Map();
  S.review = null;
  S.stopped = null;
  ui.renderNext(null);
  S.painAsked = new Set();
  S.doneShown = false;
  S.endRequested = false;
  S.prevStage = null;
}

function onUpdate(msg) {
  P.replies += 1;
  P.updates += msg.type === 'updates' ? (msg.seqs || []).length : 1;
  P.batchMax = Math.max(P.batchMax, msg.type === 'updates' ? (msg.seqs || []).length : 1);
  const st = msg.status || S.status;
  for (const e of msg.events || []) onEvent(e);
  for (const c of msg.cues || []) onCue(c, st);
  if (msg.status) applyStatus(msg.status);
}

function onEvent(e) {
  if (e.kind === 'set_stopped') {
    S.stopped = { reason: e.reason, rules: e.rules || [] };
    P.stopped = S.stopped;
    if (ui.painOpenFor() !== null) ui.closePain();
  }
  if (e.kind === 'rep_completed') {
    const rep = Number(e.rep ?? e.index);
    if (Number.isFinite(rep)) S.reps.set(rep, normaliseRep(rep, e));
  }
}

function normaliseRep(rep, r) {
  let faults = r.faults || [];
  if (typeof faults === 'string') {
    try {
      faults = JSON.parse(faults);
    } catch (err) {
      faults = faults.split(/[,;\s]+/);
    }
  }
  const codes = (Array.isArray(faults) ? faults : [])
    .map((f) => (f && typeof f === 'object' ? f.code : f))
    .filter((c) => typeof c === 'string' && c);
  const hold = Number(r.hold_s);
  const variant = r.variant === 'forearms' || r.variant === 'hands' ? r.variant : null;
  return { rep, hold_s: Number.isFinite(hold) ? hold : null, faults: [...new Set(codes)], variant };
}

function onCue(c, st) {
  if (!c || !c.text) return;
  P.lastCue = c;
  P.cues.push({ ...c, at: performance.now() });
  if (P.cues.length > 200) P.cues.shift();
  channel.say(c);
  if (c.id === 'pain' && st) askPain(st.reps_done, true);
}

function liveAllowed(stage) {
  return S.capture === 'camera' || S.capture === 'running' || stage === 'done';
}

function applyStatus(st) {
  S.status = st;
  const stage = st.stage;
  if (stage !== P.stage) P.stages.push(stage);
  if (st.stopped && !S.stopped) {
    S.stopped = st.stopped;
    P.stopped = st.stopped;
  }
  P.stage = stage;
  P.repsDone = st.reps_done ?? 0;
  P.targetReps = st.target_reps ?? null;
  P.label = st.label ?? null;
  P.tracking = st.tracking ?? null;
  P.hold = st.hold ?? null;
  if (stage !== 'paused') S.lastActive = stage;
  if (!liveAllowed(stage)) return; // stay on the start screen until the camera works
  const screen = ui.screenFor(stage, S.lastActive);
  ui.showScreen(screen, stage);
  if (stage !== S.prevStage) {
    const before = S.prevStage;
    S.prevStage = stage;
    onStageChange(before, stage);
  }
  if (screen === 'setup') {
    ui.renderSetup(stage === 'paused' ? { ...st, stage: S.lastActive } : st, {
      poseReady: S.capture === 'running',
      posture: S.dose ? S.dose.variant : null,
    });
    S.captionFromChecks = true;
    const failing = ui.failingMessage(st);
    if (failing) channel.status(failing, 'info');
    else if ((st.checks || []).length) {
      channel.status(stage === 'start_check' ? 'Good. Stay still for a moment…' : 'The camera looks good. Stay still…', 'breath');
    } else channel.status(S.capture === 'running' ? 'Looking for you…' : 'Loading the body tracker…', 'info');
  } else if (screen === 'exercise') {
    if (S.captionFromChecks) {
      // the set-up line is stale once the set begins (cues waiting still show, in turn)
      S.captionFromChecks = false;
      channel.status('', 'info');
    }
    ui.renderExercise(st, S.dose ? S.dose.target_hold_s : null);
  }
  ui.show($('banner-lost'), screen === 'exercise' && stage !== 'paused' && st.tracking === false);
  ui.show($('banner-paused'), stage === 'paused');
  const pause = $('btn-pause');
  ui.setText(pause, stage === 'paused' ? 'Resume' : 'Pause');
  pause.classList.toggle('btn-primary', stage === 'paused');
  pause.classList.toggle('btn-secondary', stage !== 'paused');
  if ((stage === 'rest' || stage === 'pain') && st.reps_done > 0) askPain(st.reps_done, true);
}

function onStageChange(before, stage) {
  captions.announce(`Now: ${STAGE_WORDS[stage] || stage}.`);
  if (stage === 'done') onDone();
  else S.doneShown = false;
}

// -- frames --------------------------------------------------------------------------------------
function onPoseFrame(f) {
  drawSkeleton($('overlay'), f.lm, f.w, f.h);
  const stage = S.status && S.status.stage;
  if (stage === 'done' || !sock.ready) return;
  if (!(f.w >= 16 && f.h >= 16)) return;
  if (sock.bufferedAmount > MAX_BUFFERED) {
    P.framesDropped += 1;
    return;
  }
  const { seq, t } = clock.next();
  const frame = { seq, t, w: f.w, h: f.h, lm: f.lm };
  if (f.light !== null && Number.isFinite(f.light)) frame.light = f.light;
  sock.queueFrame(frame); // sent with the next few (ws.js: at most 100 ms later)
}

/** Queued frames went out (one `frames` message). */
function onFramesSent(n) {
  P.framesSent += n;
  clock.save();
}

async function startCapture() {
  if (['starting', 'camera', 'running'].includes(S.capture)) return;
  if (!poseAvailable()) {
    showPoseMissing();
    return;
  }
  setCapture('starting');
  ui.introError('');
  ui.introStatus('Starting the camera…');
  $('start').disabled = true;
  try {
    await runner.startCamera();
  } catch (err) {
    setCapture('failed');
    ui.introStatus('');
    ui.introError(cameraErrorText(err));
    $('start').disabled = false;
    $('start').focus();
    return;
  }
  setCapture('camera');
  const size = runner.size;
  if (size) ui.fitPreview(size.width, size.height);
  sock.connect();
  ui.introStatus('Connecting to the coach…');
  ui.previewNote('Loading the body tracker…');
  if (S.status) applyStatus(S.status);
  try {
    await runner.init();
  } catch (err) {
    setCapture('failed');
    runner.stop();
    ui.previewNote('');
    ui.fatal(`The body tracker could not start (${(err && err.message) || err}). Reload the page to try again.`);
    ui.showScreen('intro', 'intro');
    ui.introStatus('');
    $('start').disabled = false;
    return;
  }
  setCapture('running');
  ui.previewNote('');
  if (S.status) applyStatus(S.status);
  runner.run();
}

function setCapture(state) {
  S.capture = state;
  P.capture = state;
}

function stopCapture() {
  if (S.capture === 'off' || S.capture === 'failed') return;
  runner.stop();
  setCapture('off');
  drawSkeleton($('overlay'), null);
}

function showPoseMissing() {
  setCapture('failed');
  ui.fatal(POSE_MISSING);
  ui.introStatus('');
  $('start').disabled = true;
}

// -- pain ---------------------------------------------------------------------------------------
function askPain(rep, autoSkip, title) {
  if (!(rep >= 1) || S.painAsked.has(rep) || S.stopped) return;
  if (ui.painOpenFor() !== null) ui.answerPain(null);
  S.painAsked.add(rep);
  if (S.session) store.set(KEY.painAsked, JSON.stringify({ session: S.session, reps: [...S.painAsked] }));
  ui.openPain(rep, {
    autoSkipS: autoSkip ? PAIN_AUTO_SKIP_S : 0,
    title,
    previous: S.lastPlace,
    onPlaceStep: askPlaceAloud,
    onAnswer: (score, place) => sendPain(rep, score, place),
  });
}

/** The rating before the set, asked at the start button (no timer: the person is at the screen). */
function askBefore() {
  return new Promise((resolve) => {
    ui.openPain(0, {
      autoSkipS: 0,
      title: 'Before you start: how is your back right now?',
      previous: S.lastPlace,
      onPlaceStep: askPlaceAloud,
      onAnswer: (score, place) => resolve({ score, place }),
    });
  });
}

/**
 * The second question of a rating, said aloud: the person may be lying on the floor. Before the
 * set (at the screen) the places are on the buttons; after a press-up they are said too. Less
 * important than the coach's own cues: it waits behind them and never pushes one out.
 */
function askPlaceAloud(score) {
  let text = `Pain ${score}. Where do you feel it?`;
  if (S.session) {
    const places = Object.values(PLACE_WORDS);
    const list = `${places.slice(0, -1).join(', ')}, or ${places[places.length - 1]}`;
    text += ` ${list.charAt(0).toUpperCase()}${list.slice(1)}.`;
  }
  channel.say({ id: 'place', text, kind: 'info', priority: 4 });
}

function sendPain(rep, score, place, quiet = false) {
  const msg = score === null ? { type: 'pain', rep, skipped: true } : { type: 'pain', rep, score };
  if (score !== null && place) msg.location = place;
  sock.sendReliable(msg);
  S.pain.set(rep, { score, place: score === null ? null : place || null });
  if (score !== null && place) S.lastPlace = place;
  P.pain.push({ rep, score, skipped: score === null, location: msg.location || null });
  if (score !== null && !quiet) {
    const where = place ? `, ${placeWords(place)}` : '';
    const text = `Pain ${score} out of 10${where}, noted. Thank you.`;
    channel.say({ id: 'noted', text, kind: 'info', priority: 4, speak: false });
  }
  if (S.doneShown) renderDone();
}

function onReview(msg) {
  S.review = msg;
  P.review = msg;
  ui.renderNext(msg);
  const text = `Next time: ${msg.words}`;
  channel.say({ id: 'next', text, kind: 'info', priority: 4, speak: S.doneShown });
  for (const a of msg.advice || []) channel.say({ id: 'advice', text: a, kind: 'safety', priority: 1 });
}

// -- done ----------------------------------------------------------------------------------------
function onDone() {
  if (S.doneShown) return;
  S.doneShown = true;
  S.endRequested = false;
  if (S.status) $('rep-count').textContent = `${S.status.reps_done ?? 0} of ${S.status.target_reps ?? '?'}`;
  stopCapture();
  ui.show($('banner-lost'), false);
  renderDone();
  loadStoredSummary();
  const last = S.status ? S.status.reps_done : 0;
  if (last > 0 && !S.stopped && !S.painAsked.has(last) && ui.painOpenFor() === null) {
    askPain(last, false, `How is your back now, after press-up ${last}?`);
  }
}

function renderDone() {
  const st = S.status || {};
  ui.renderDone({
    repsDone: st.reps_done ?? S.reps.size,
    target: st.target_reps ?? (S.dose && S.dose.target_reps) ?? null,
    reps: [...S.reps.values()],
    pain: S.pain,
    targetHold: S.dose ? S.dose.target_hold_s : null,
    plannedPosture: S.dose ? S.dose.variant : null,
    stopped: S.stopped,
  });
  ui.renderNext(S.review);
}

/** After a reload the page has not seen the repetitions: ask the app for what it stored. */
async function loadStoredSummary() {
  if (!S.session || !token) return;
  try {
    const r = await fetch(`/api/sessions/${S.session}?token=${encodeURIComponent(token)}`, { cache: 'no-store' });
    if (!r.ok) return;
    const d = await r.json();
    (Array.isArray(d.reps) ? d.reps : []).forEach((rep, i) => {
      if (!rep || rep.complete === false) return;
      const n = Number(rep.index ?? rep.rep ?? rep.number ?? i + 1);
      if (Number.isFinite(n) && !S.reps.has(n)) S.reps.set(n, normaliseRep(n, rep));
    });
    const places = new Map((Array.isArray(d.symptoms) ? d.symptoms : []).map((x) => [Number(x.rep), x.location]));
    for (const p of Array.isArray(d.pain) ? d.pain : []) {
      const n = Number(p && p.rep);
      if (!Number.isFinite(n) || S.pain.has(n)) continue;
      const skipped = p.skipped || p.score === null || p.score === undefined;
      S.pain.set(n, { score: skipped ? null : Number(p.score), place: skipped ? null : places.get(n) || null });
    }
    if (!S.stopped && d.stopped) S.stopped = d.stopped;
    if (S.doneShown) renderDone();
  } catch (err) {
    /* the summary from this page is enough */
  }
}

function sendFeedback(helpful) {
  S.helpful = helpful;
  $('feedback-yes').setAttribute('aria-pressed', String(helpful === true));
  $('feedback-no').setAttribute('aria-pressed', String(helpful === false));
  const comment = $('comment').value.trim().slice(0, 1000);
  const msg = { type: 'feedback', helpful };
  if (comment) msg.comment = comment;
  sock.connect();
  sock.sendReliable(msg);
  P.feedback.push(msg);
  ui.setText($('feedback-status'), 'Sending…');
}

// -- messages from the server ----------------------------------------------------------------------
function onSaved(msg) {
  if (msg.what === 'feedback') ui.setText($('feedback-status'), 'Thank you. Your answer is saved.');
  if (msg.what === 'control' && S.endRequested && S.status && S.status.stage !== 'done') {
    // "end" stops the session at once; the next update would say so, but frames may have stopped
    applyStatus({ ...S.status, stage: 'done', hold: null, rep: null });
  }
}

function onServerError(msg) {
  const err = { code: msg.code || 'unknown', message: msg.message || '', seq: msg.seq ?? null };
  P.errors.push(err);
  if (err.code === 'screening_required') {
    onScreeningRequired(err.message);
    return;
  }
  if (P.errors.length > 500) P.errors.splice(0, P.errors.length - 500);
  if (err.code === 'storage_unavailable') {
    // not a refusal of this page's message: saving is delayed (a frame with its seq: not kept)
    onStorage(err.seq === null ? 'held' : 'full');
    return;
  }
  if (err.code === 'out_of_order') {
    const m = /seq > (-?\d+) and t >= (-?[\d.]+|-?inf)/.exec(err.message);
    if (m) clock.after(Number(m[1]), Number(m[2]));
    else clock.after(clock.seq + 1000, null);
  }
  const now = performance.now();
  if (now - S.lastErrorToast > 3000 && err.code !== 'unknown_session') {
    S.lastErrorToast = now;
    ui.toast(`The coach refused a message (${err.code}). Carrying on.`);
  }
}

/**
 * Saving is delayed (held: the set goes on and is kept; full: new frames are no longer kept) or
 * works again (ok): a calm notice that stays until the server says storage is back.
 */
function onStorage(state) {
  const was = P.storage;
  if (state === 'held' && was === 'full') return; // the worse news stands until storage is back
  P.storage = state;
  ui.storageNotice(state === 'ok' ? '' : STORAGE_WORDS[state]);
  if (state === 'ok' && was !== 'ok') ui.toast(STORAGE_WORDS.back);
}

// -- the safety screening gate -------------------------------------------------------------------
const screenUrl = () => `/screen?token=${encodeURIComponent(token || '')}`;

/** Ask the app whether the coach may start; shows the reason and a link when it may not. */
async function checkGate() {
  try {
    const r = await fetch(`/api/gate?token=${encodeURIComponent(token || '')}`, { cache: 'no-store' });
    if (!r.ok) return true; // the server checks again when the session opens
    const g = await r.json();
    P.gate = g;
    if (g && g.can_start === false) {
      ui.showGate(g.reason, screenUrl());
      return false;
    }
    ui.hideGate();
    return true;
  } catch (err) {
    return true; // the connection banner will say it
  }
}

function onScreeningRequired(message) {
  sock.close();
  stopCapture();
  S.resumeId = null;
  setCapture('off');
  ui.showScreen('intro', 'intro');
  ui.introStatus('');
  ui.showGate(message || 'Please answer the safety questions first.', screenUrl());
  $('start').disabled = false;
  $('gate-link').focus();
}

// -- wiring --------------------------------------------------------------------------------------
function bindVoiceSettings() {
  const rate = $('rate');
  const volume = $('volume');
  const showRate = () => ui.setText($('rate-out'), `${Number(speaker.rate).toFixed(2)}×`);
  const showVolume = () => ui.setText($('volume-out'), `${Math.round(speaker.volume * 100)}%`);
  rate.value = String(speaker.rate);
  volume.value = String(speaker.volume);
  showRate();
  showVolume();
  rate.addEventListener('input', () => {
    speaker.setRate(rate.value);
    showRate();
  });
  volume.addEventListener('input', () => {
    speaker.setVolume(volume.value);
    showVolume();
  });
  const mutes = [$('mute'), $('mute-intro')];
  for (const m of mutes) {
    m.checked = speaker.muted;
    m.addEventListener('change', () => {
      speaker.setMuted(m.checked);
      for (const other of mutes) other.checked = m.checked;
      ui.toast(m.checked ? 'Voice muted. Captions stay on.' : 'Voice on.');
    });
  }
  $('test-voice').addEventListener('click', () => {
    speaker.unlock();
    if (speaker.muted) ui.toast('The voice is muted. Untick "Mute voice" to hear it.');
    else if (!speaker.supported) ui.toast('This browser cannot speak. Captions will show everything.');
    else channel.say({ id: 'test', text: 'This is how the coach sounds.', kind: 'info', priority: 1 });
  });
}

function bindButtons() {
  $('start').addEventListener('click', async () => {
    speaker.unlock();
    ui.fatal('');
    $('start').disabled = true;
    const ok = await checkGate();
    if (!ok) {
      $('start').disabled = false;
      $('gate-link').focus();
      return;
    }
    if (!S.resumeId && !S.session) {
      ui.introStatus('Before you start: rate your pain below, then say where you feel it.');
      S.before = await askBefore();
      ui.introStatus('');
    }
    $('start').disabled = false;
    startCapture(); // connects once the camera works
  });
  $('btn-pause').addEventListener('click', () => {
    const paused = S.status && S.status.stage === 'paused';
    sock.sendReliable({ type: 'control', action: paused ? 'resume' : 'pause' });
  });
  $('btn-restart').addEventListener('click', () => {
    sock.sendReliable({ type: 'control', action: 'restart_setup' });
    ui.toast('Back to the camera set-up.');
  });
  $('btn-end').addEventListener('click', () => {
    S.endRequested = true;
    sock.sendReliable({ type: 'control', action: 'end' });
  });
  $('pain').addEventListener('click', (ev) => {
    const b = ev.target.closest('button');
    if (!b) return;
    if (b.id === 'pain-skip') {
      if (ui.painStep() === 'place') ui.answerPlace(null);
      else ui.answerPain(null);
    } else if (b.dataset.score !== undefined) ui.answerPain(Number(b.dataset.score));
    else if (b.dataset.place !== undefined) ui.answerPlace(b.dataset.place);
  });
  $('feedback-yes').addEventListener('click', () => sendFeedback(true));
  $('feedback-no').addEventListener('click', () => sendFeedback(false));
  $('send-comment').addEventListener('click', () => {
    if (S.helpful === null) {
      ui.setText($('feedback-status'), 'Please choose Yes or No first.');
      $('feedback-yes').focus();
      return;
    }
    sendFeedback(S.helpful);
  });
  $('start-again').addEventListener('click', (ev) => {
    for (const k of Object.values(KEY)) store.del(k);
    sock.close();
    stopCapture();
    if (ev.currentTarget.dataset.action === 'progress') location.assign($('progress-link').href);
    else location.reload();
  });
  document.addEventListener('keydown', (ev) => {
    if (ui.painOpenFor() === null) return;
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    if (ev.target instanceof Element && ev.target.matches('input, textarea, select')) return;
    if (ui.painStep() === 'place') {
      const places = Object.keys(PLACE_WORDS); // from the spine outwards, as the buttons
      if (/^[1-6]$/.test(ev.key)) ui.answerPlace(places[Number(ev.key) - 1]);
      else if (ev.key === 'Escape' || ev.key === 's' || ev.key === 'S') ui.answerPlace(null);
      else return;
      ev.preventDefault();
      return;
    }
    if (/^[0-9]$/.test(ev.key)) ui.answerPain(Number(ev.key));
    else if (ev.key === 't' || ev.key === 'T') ui.answerPain(10);
    else if (ev.key === 'Escape' || ev.key === 's' || ev.key === 'S') ui.answerPain(null);
    else return;
    ev.preventDefault();
  });
  // browsers speak only after a user gesture: any click turns a blocked voice on
  document.addEventListener('pointerdown', () => {
    if (!$('banner-voice').hidden) {
      speaker.unlock();
      ui.show($('banner-voice'), false);
    }
  });
  addEventListener('pagehide', () => clock.save(true));
}

async function checkHealth() {
  try {
    const r = await fetch('/api/health', { cache: 'no-store' });
    if (!r.ok) return;
    const h = await r.json();
    if (h && h.pose_assets === false) showPoseMissing();
  } catch (err) {
    /* the connection banner will say it */
  }
}

function boot() {
  bindVoiceSettings();
  bindButtons();
  ui.watchDock();
  ui.showScreen('intro', 'intro');
  if (!speaker.supported) ui.introStatus('This browser cannot speak: the captions will show everything.');
  if (!token) {
    ui.introError(
      'This page needs the address that "pressup coach" printed (it ends in ?token=…). Open that link.',
    );
    $('start').disabled = true;
    return;
  }
  $('screen-link').href = screenUrl();
  $('history-link').href = `/history?token=${encodeURIComponent(token)}`;
  $('progress-link').href = `/progress?token=${encodeURIComponent(token)}`;
  if (!poseAvailable()) {
    showPoseMissing();
    return;
  }
  checkHealth();
  checkGate();
  const stored = store.get(KEY.session);
  const at = Number(store.get(KEY.at)) || 0;
  if (validSession(stored) && Date.now() - at < RESUME_WITHIN_MS) {
    // a reload during a session: continue it, starting the camera without a click
    S.resumeId = stored;
    ui.introStatus('Continuing your session…');
    sock.connect();
  }
}

boot();
