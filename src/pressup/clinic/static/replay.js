// The clinician's replay of a stored session (the patient page, /clinic/patients/<id>).
//
// A "Replay" button (class replay-open, data-src: the session's replay.json) loads the session's
// landmark frames and what the engine and the coach made of them; this module draws a stick
// figure of each frame on #replay-canvas and puts the engine's positions, the press-ups, the form
// faults and the coach's cues (those said during the set when they were stored, each `said`,
// else the engine's re-derived ones) on a timeline under it (play/pause, speed, scrub with the slider or
// by clicking the timeline, or click a line of the log). No video exists: only landmarks.
//
// window.__replay says what it is doing (for the browser tests): status (idle, loading, ready,
// error), t, playing, frames, drawn (frames drawn with a person so far), phase.

const $ = (id) => document.getElementById(id);

// BlazePose's 33 landmarks: the lines of the stick figure (as the coach page draws it).
const CONNECTIONS = [
  [0, 1], [1, 2], [2, 3], [3, 7], [0, 4], [4, 5], [5, 6], [6, 8], [9, 10],
  [11, 12], [11, 13], [13, 15], [15, 17], [15, 19], [15, 21], [17, 19],
  [12, 14], [14, 16], [16, 18], [16, 20], [16, 22], [18, 20],
  [11, 23], [12, 24], [23, 24],
  [23, 25], [25, 27], [27, 29], [27, 31], [29, 31],
  [24, 26], [26, 28], [28, 30], [28, 32], [30, 32],
];
const N = 33;
const SEEN = 0.5; // visibility from which a landmark is drawn solid

// Position label -> colour (as the report's plots).
const PHASE_COLOURS = {
  prone_flat: '#dbe9f6',
  rising: '#c7e9c0',
  sphinx: '#fdd9a8',
  pressup_hands: '#d9c9ec',
  updog: '#f7b9b9',
  lowering: '#b8e3e0',
  other_pose: '#f2ecb0',
  not_visible: '#d9d9d9',
};
const EVENT_WORDS = {
  rep_started: (r) => `Press-up ${r} started`,
  top_reached: (r) => `Press-up ${r}: at the top, hold`,
  rep_completed: (r) => `Press-up ${r} counted`,
  rep_unfinished: (r) => `Press-up ${r} did not count`,
  rep_abandoned: () => 'A movement that was not a press-up',
  set_completed: () => 'The set is complete',
  tracking_lost: () => 'Lost sight of the person',
};
const STAGE_WORDS = {
  setup: 'Camera set-up',
  start_check: 'Start position check',
  exercise: 'Exercise',
  rest: 'Rest between press-ups',
  done: 'Done',
};
const CAPTION_S = 3.5; // how long a cue stays on the canvas

export const state = {
  status: 'idle', t: 0, playing: false, frames: 0, drawn: 0, phase: null, error: null,
};
window.__replay = state;

export function fmt(t) {
  const s = Math.max(0, t);
  const m = Math.floor(s / 60);
  const rest = (s - m * 60).toFixed(1).padStart(4, '0');
  return `${m}:${rest}`;
}

/** The last index i with xs[i] <= x (-1 when none); xs sorted. */
export function lastAtOrBefore(xs, x) {
  let lo = 0;
  let hi = xs.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (xs[mid] <= x) {
      found = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return found;
}

/** The part of the picture the person used over the whole session (fractions, with a margin). */
function bounds(landmarks) {
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -Infinity;
  let y1 = -Infinity;
  for (const f of landmarks) {
    if (!f) continue;
    for (let i = 0; i < N; i += 1) {
      if (f[3 * i + 2] < SEEN) continue;
      const x = f[3 * i];
      const y = f[3 * i + 1];
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
    }
  }
  if (!(x1 > x0 && y1 > y0)) return { x0: 0, y0: 0, x1: 1, y1: 1 };
  const mx = (x1 - x0) * 0.08 + 0.02;
  const my = (y1 - y0) * 0.15 + 0.02;
  return { x0: x0 - mx, y0: y0 - my, x1: x1 + mx, y1: y1 + my };
}

class Player {
  constructor(data) {
    this.d = data;
    this.t = data.frames.t_s;
    this.lm = data.frames.landmarks;
    this.start = Math.min(0, this.t.length ? this.t[0] : 0);
    this.end = Math.max(data.duration_s || 0, this.t.length ? this.t[this.t.length - 1] : 0);
    this.box = bounds(this.lm);
    this.canvas = $('replay-canvas');
    this.first = this.t.length ? this.t[0] : this.start; // the camera's first frame
    this.now = this.first;
    this.playing = false;
    this.last = null;
    this.speed = 1;
    this.cues = data.cues || [];
    this.cueTimes = this.cues.map((c) => c.t_s ?? 0);
    this.phases = data.phases || [];
    this.phaseStarts = this.phases.map((p) => p.start_s ?? 0);
    this.log = [];
  }

  /** The landmarks at time t (linear between the two frames around it), or null. */
  frameAt(t) {
    const i = lastAtOrBefore(this.t, t);
    if (i < 0) return null; // before the camera's first frame
    const a = this.lm[i];
    const b = i + 1 < this.lm.length ? this.lm[i + 1] : null;
    if (!a || !b) return a;
    const gap = this.t[i + 1] - this.t[i];
    if (!(gap > 0) || gap > 0.5) return a;
    const k = (t - this.t[i]) / gap;
    return a.map((v, j) => (j % 3 === 2 ? Math.min(v, b[j]) : v + (b[j] - v) * k));
  }

  phaseAt(t) {
    const i = lastAtOrBefore(this.phaseStarts, t);
    return i >= 0 ? this.phases[i] : null;
  }

  cueAt(t) {
    const i = lastAtOrBefore(this.cueTimes, t);
    return i >= 0 && t - this.cueTimes[i] <= CAPTION_S ? this.cues[i] : null;
  }

  fit() {
    const c = this.canvas;
    const w = c.clientWidth || 896;
    const h = Math.round((w * 9) / 16);
    const ratio = window.devicePixelRatio || 1;
    if (c.width !== Math.round(w * ratio)) {
      c.width = Math.round(w * ratio);
      c.height = Math.round(h * ratio);
    }
  }

  draw() {
    this.fit();
    const c = this.canvas;
    const cx = c.getContext('2d');
    const W = c.width;
    const H = c.height;
    cx.clearRect(0, 0, W, H);
    const lm = this.frameAt(this.now);
    const phase = this.phaseAt(this.now);
    cx.fillStyle = phase ? PHASE_COLOURS[phase.label] || '#eee' : '#eee';
    cx.globalAlpha = 0.35;
    cx.fillRect(0, 0, W, H);
    cx.globalAlpha = 1;
    const { x0, y0, x1, y1 } = this.box;
    const aspect = (this.d.width || 16) / (this.d.height || 9);
    // the person's part of the picture, scaled to fit and kept in proportion
    const sx = W / ((x1 - x0) * aspect);
    const sy = H / (y1 - y0);
    const s = Math.min(sx, sy);
    const ox = (W - (x1 - x0) * aspect * s) / 2;
    const oy = (H - (y1 - y0) * s) / 2;
    const px = (x) => ox + (x - x0) * aspect * s;
    const py = (y) => oy + (y - y0) * s;
    if (lm) {
      this.figure(cx, lm, px, py, Math.max(3, Math.round(Math.min(W, H) / 110)));
      state.drawn += 1;
    } else {
      const words = this.now < this.first ? 'Before the first camera frame' : 'Nobody in view';
      this.text(cx, words, W / 2, H / 2, { align: 'center', size: H / 18 });
    }
    const size = Math.max(12, Math.round(H / 26));
    this.text(cx, phase ? phase.words : '', size * 0.6, size * 1.4, { size, box: true });
    this.text(cx, fmt(this.now), W - size * 0.6, size * 1.4, { size, align: 'right', box: true });
    const cue = this.cueAt(this.now);
    if (cue) {
      this.text(cx, `“${cue.text}”`, W / 2, H - size * 0.9, {
        size, align: 'center', box: true, maxWidth: W - size * 2,
      });
    }
    state.t = this.now;
    state.phase = phase ? phase.label : null;
  }

  figure(cx, lm, px, py, lw) {
    cx.lineCap = 'round';
    for (const pass of [0, 1]) {
      for (const [a, b] of CONNECTIONS) {
        const va = lm[3 * a + 2];
        const vb = lm[3 * b + 2];
        if (va <= 0 || vb <= 0) continue;
        cx.globalAlpha = Math.min(va, vb) >= SEEN ? 1 : 0.3;
        const side = a >= 11 && b >= 11 && a % 2 === b % 2;
        cx.strokeStyle = pass === 0 ? '#111' : side ? (a % 2 ? '#f0a800' : '#1a9fd6') : '#e8e8e8';
        cx.lineWidth = pass === 0 ? lw + 4 : lw;
        cx.beginPath();
        cx.moveTo(px(lm[3 * a]), py(lm[3 * a + 1]));
        cx.lineTo(px(lm[3 * b]), py(lm[3 * b + 1]));
        cx.stroke();
      }
    }
    cx.globalAlpha = 1;
    for (let i = 11; i < N; i += 1) {
      if (lm[3 * i + 2] < SEEN) continue;
      cx.fillStyle = '#fff';
      cx.strokeStyle = '#111';
      cx.lineWidth = 2;
      cx.beginPath();
      cx.arc(px(lm[3 * i]), py(lm[3 * i + 1]), lw * 0.9, 0, 2 * Math.PI);
      cx.fill();
      cx.stroke();
    }
  }

  text(cx, words, x, y, { size = 16, align = 'left', box = false, maxWidth } = {}) {
    if (!words) return;
    cx.font = `${Math.round(size)}px system-ui, sans-serif`;
    cx.textAlign = align;
    cx.textBaseline = 'alphabetic';
    let w = cx.measureText(words).width;
    if (maxWidth && w > maxWidth) w = maxWidth;
    if (box) {
      const left = align === 'right' ? x - w : align === 'center' ? x - w / 2 : x;
      cx.fillStyle = 'rgba(255,255,255,0.85)';
      cx.fillRect(left - size * 0.3, y - size, w + size * 0.6, size * 1.35);
    }
    cx.fillStyle = '#111';
    cx.fillText(words, x, y, maxWidth);
  }

  seek(t) {
    this.now = Math.min(Math.max(t, this.start), this.end);
    this.render();
  }

  render() {
    this.draw();
    const scrub = $('replay-scrub');
    if (document.activeElement !== scrub || this.playing) scrub.value = String(this.now);
    $('replay-time').textContent = `${fmt(this.now)} of ${fmt(this.end)}`;
    const left = `${this.pct(this.now)}%`;
    for (const head of document.querySelectorAll('#replay-timeline .tl-head')) {
      head.style.left = left;
    }
    let current = null;
    for (const item of this.log) {
      const past = item.t <= this.now + 1e-6;
      item.li.classList.toggle('past', past);
      item.li.classList.remove('now');
      if (past) current = item;
    }
    if (current) current.li.classList.add('now');
  }

  pct(t) {
    return ((t - this.start) / Math.max(this.end - this.start, 1e-6)) * 100;
  }

  play() {
    if (this.now >= this.end - 1e-3) this.now = this.first;
    this.playing = true;
    state.playing = true;
    this.last = null;
    $('replay-play').textContent = 'Pause';
    requestAnimationFrame((ts) => this.tick(ts));
  }

  pause() {
    this.playing = false;
    state.playing = false;
    $('replay-play').textContent = 'Play';
  }

  tick(ts) {
    if (!this.playing) return;
    if (this.last !== null) this.now += ((ts - this.last) / 1000) * this.speed;
    this.last = ts;
    if (this.now >= this.end) {
      this.now = this.end;
      this.pause();
    }
    this.render();
    if (this.playing) requestAnimationFrame((t) => this.tick(t));
  }
}

function span(parent, cls, from, to, player, title, text = '') {
  const el = document.createElement('span');
  el.className = cls;
  const a = player.pct(from);
  el.style.left = `${a}%`;
  if (to !== null) el.style.width = `${Math.max(player.pct(to) - a, 0.3)}%`;
  el.title = title;
  el.textContent = text;
  parent.appendChild(el);
  return el;
}

function buildTimeline(player) {
  const d = player.d;
  const rows = ['tl-phases', 'tl-reps', 'tl-faults', 'tl-cues'].map((id) => $(id));
  for (const row of rows) row.replaceChildren();
  for (const p of d.phases || []) {
    const el = span(rows[0], 'tl-phase', p.start_s, p.end_s, player,
      `${p.words}: ${fmt(p.start_s)}-${fmt(p.end_s)}`);
    el.style.background = PHASE_COLOURS[p.label] || '#eee';
    el.dataset.label = p.label;
  }
  for (const r of d.reps || []) {
    const end = r.end_s ?? r.top_end_s ?? r.top_start_s ?? r.start_s;
    const hold = r.hold_s === null ? '' : `, held ${r.hold_s.toFixed(1)} s`;
    const why = r.complete ? 'counted' : `not counted (${r.not_counted || 'unfinished'})`;
    span(rows[1], r.complete ? 'tl-rep' : 'tl-rep not-counted', r.start_s, end, player,
      `Press-up ${r.index}: ${why}${hold}, ${r.variant}`, String(r.index));
  }
  for (const f of d.faults || []) {
    span(rows[2], 'tl-fault', f.start_s, f.end_s ?? f.start_s, player,
      `${f.words} (${fmt(f.start_s)})`);
  }
  for (const c of d.cues || []) {
    span(rows[3], `tl-cue ${c.kind}`, c.t_s, null, player, `${fmt(c.t_s)} ${cueWords(c)}`);
  }
  for (const e of d.events || []) {
    if (e.kind === 'rep_completed' || e.kind === 'rep_unfinished') {
      span(rows[1], 'tl-event', e.t_s, null, player, EVENT_WORDS[e.kind](e.rep));
    }
  }
  for (const row of rows) {
    const head = document.createElement('span');
    head.className = 'tl-head';
    row.appendChild(head);
    row.onpointerdown = (ev) => {
      const seekTo = (e) => {
        const box = row.getBoundingClientRect();
        const k = Math.min(Math.max((e.clientX - box.left) / box.width, 0), 1);
        player.seek(player.start + k * (player.end - player.start));
      };
      seekTo(ev);
      row.setPointerCapture(ev.pointerId);
      row.onpointermove = (e) => { if (e.buttons) seekTo(e); };
    };
  }
  const seen = new Set((d.phases || []).map((p) => p.label));
  $('replay-legend').replaceChildren(...(d.phases || [])
    .filter((p) => seen.delete(p.label))
    .map((p) => {
      const item = document.createElement('span');
      const sw = document.createElement('i');
      sw.style.background = PHASE_COLOURS[p.label] || '#eee';
      item.append(sw, p.words);
      return item;
    }));
}

/** A cue in the log: said during the set (stored), or re-derived from the frames. */
export function cueWords(c) {
  return c.said ? `Coach said during the set: “${c.text}”` : `Coach would say (re-derived): “${c.text}”`;
}

/** The summary's words for the cues. */
export function cueSummary(d) {
  const n = (d.cues || []).length;
  return d.cues_said
    ? `${n} things the coach said during the set`
    : `${n} things the coach would have said (re-derived from the frames: what was said was not stored for this set)`;
}

function buildLog(player) {
  const d = player.d;
  const items = [];
  for (const s of d.stages || []) {
    items.push({ t: s.t_s, text: `Coach: ${STAGE_WORDS[s.stage] || s.stage}` });
  }
  for (const e of d.events || []) {
    const words = EVENT_WORDS[e.kind];
    if (words) items.push({ t: e.t_s, text: words(e.rep) });
  }
  for (const f of d.faults || []) items.push({ t: f.start_s, text: `Form: ${f.words}` });
  for (const c of d.cues || []) items.push({ t: c.t_s ?? 0, text: cueWords(c) });
  items.sort((a, b) => a.t - b.t);
  const ol = $('replay-log');
  ol.replaceChildren();
  player.log = items.map((item) => {
    const li = document.createElement('li');
    const time = document.createElement('time');
    time.textContent = fmt(item.t);
    li.append(time, item.text);
    li.onclick = () => player.seek(item.t);
    ol.appendChild(li);
    return { ...item, li };
  });
}

let player = null;

async function open(button) {
  if (player) player.pause();
  state.status = 'loading';
  state.drawn = 0;
  const section = $('replay');
  section.hidden = false;
  $('replay-title').textContent = `Replay of the session of ${button.dataset.title}`;
  const note = $('replay-note');
  note.hidden = true;
  $('replay-play').disabled = true;
  $('replay-scrub').disabled = true;
  let data;
  try {
    const r = await fetch(button.dataset.src, { headers: { accept: 'application/json' } });
    if (!r.ok) throw new Error(`the server answered ${r.status}`);
    data = await r.json();
  } catch (err) {
    state.status = 'error';
    state.error = String(err);
    note.textContent = `The replay could not be loaded: ${err.message || err}.`;
    note.hidden = false;
    return;
  }
  player = new Player(data);
  state.frames = data.frames.t_s.length;
  if (data.note) {
    note.textContent = data.note;
    note.hidden = false;
  }
  const scrub = $('replay-scrub');
  scrub.min = String(player.start);
  scrub.max = String(player.end);
  scrub.value = String(player.first);
  scrub.disabled = state.frames === 0;
  $('replay-play').disabled = state.frames === 0;
  $('replay-speed').value = '1';
  const counted = (data.reps || []).filter((r) => r.complete).length;
  $('replay-summary').textContent = data.phases
    ? `${counted} press-up(s) counted by the engine; ${(data.faults || []).length} form ` +
      `fault(s); ${cueSummary(data)}. ${state.frames} of ` +
      `${data.frames_stored} stored frames shown.`
    : '';
  buildTimeline(player);
  buildLog(player);
  state.status = 'ready';
  player.render();
  section.scrollIntoView({ block: 'start' });
}

function init() {
  for (const button of document.querySelectorAll('button.replay-open')) {
    button.addEventListener('click', () => open(button));
  }
  $('replay-play').addEventListener('click', () => {
    if (!player) return;
    if (player.playing) player.pause();
    else player.play();
  });
  $('replay-scrub').addEventListener('input', (e) => {
    if (!player) return;
    player.pause();
    player.seek(Number(e.target.value));
  });
  $('replay-speed').addEventListener('change', (e) => {
    if (player) player.speed = Number(e.target.value) || 1;
  });
  window.addEventListener('resize', () => player && player.render());
}

if ($('replay')) init();
