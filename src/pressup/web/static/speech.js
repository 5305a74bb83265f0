// The coach's voice (speechSynthesis, one utterance at a time) and its captions.

const KEYS = { muted: 'pressup.muted', rate: 'pressup.speechRate', volume: 'pressup.speechVolume' };
const STALE_MS = 12000; // a queued cue older than this is no longer worth saying
const MAX_QUEUE = 6;

function load(key, fallback) {
  try {
    const v = localStorage.getItem(key);
    return v === null ? fallback : JSON.parse(v);
  } catch (err) {
    return fallback;
  }
}

function save(key, value) {
  try {
    localStorage.setItem(key, JSON.stringify(value));
  } catch (err) {
    /* private mode: settings last for this page only */
  }
}

const isCountdown = (cue) => cue.kind === 'count' && /^\d+$/.test(String(cue.text).trim());
const num = (x, lo, hi, fallback) => (Number.isFinite(+x) ? Math.min(hi, Math.max(lo, +x)) : fallback);

export class Speaker {
  /** @param {{onBlocked?: () => void}} o  onBlocked: the browser refused to speak (no user gesture yet) */
  constructor(o = {}) {
    this.synth = 'speechSynthesis' in window ? window.speechSynthesis : null;
    this.onBlocked = o.onBlocked || (() => {});
    this.muted = load(KEYS.muted, false) === true;
    this.rate = num(load(KEYS.rate, 0.95), 0.5, 1.5, 0.95);
    this.volume = num(load(KEYS.volume, 1), 0, 1, 1);
    this.queue = [];
    this.current = null;
    this.timer = null;
    this.voice = null;
    this.spoken = 0;
    if (this.synth) {
      this._pickVoice();
      this.synth.addEventListener?.('voiceschanged', () => this._pickVoice());
    }
  }

  get supported() {
    return this.synth !== null;
  }

  setMuted(muted) {
    this.muted = !!muted;
    save(KEYS.muted, this.muted);
    if (this.muted) this.stop();
  }

  setRate(rate) {
    this.rate = num(rate, 0.5, 1.5, this.rate);
    save(KEYS.rate, this.rate);
  }

  setVolume(volume) {
    this.volume = num(volume, 0, 1, this.volume);
    save(KEYS.volume, this.volume);
  }

  /** Call from a click: browsers only let a page speak after the user has interacted with it. */
  unlock() {
    if (!this.synth) return;
    try {
      const u = new SpeechSynthesisUtterance(' ');
      u.volume = 0;
      this.synth.speak(u);
    } catch (err) {
      /* nothing to unlock */
    }
  }

  /** Queue a cue {id, text, kind, priority}; never overlaps the one being spoken. */
  say(cue) {
    if (this.muted || !this.synth || !cue || !cue.text) return;
    const item = { cue, at: performance.now() };
    if (isCountdown(cue)) this.queue = this.queue.filter((q) => !isCountdown(q.cue));
    this.queue.push(item);
    // most important first; the same importance in order of arrival
    this.queue.sort((a, b) => (a.cue.priority ?? 5) - (b.cue.priority ?? 5) || a.at - b.at);
    while (this.queue.length > MAX_QUEUE) this.queue.pop();
    this._pump();
  }

  stop() {
    this.queue = [];
    this.current = null;
    clearTimeout(this.timer);
    if (this.synth) this.synth.cancel();
  }

  _pickVoice() {
    const voices = this.synth.getVoices ? this.synth.getVoices() : [];
    const en = voices.filter((v) => /^en\b|^en[-_]/i.test(v.lang));
    this.voice = en.find((v) => v.localService && v.default) || en.find((v) => v.localService) || en[0] || null;
  }

  _pump() {
    if (this.current || this.muted || !this.queue.length) return;
    const now = performance.now();
    this.queue = this.queue.filter((q) => q.cue.kind === 'safety' || now - q.at < STALE_MS);
    const item = this.queue.shift();
    if (!item) return;
    const text = String(item.cue.text);
    const u = new SpeechSynthesisUtterance(text);
    u.lang = this.voice ? this.voice.lang : 'en';
    if (this.voice) u.voice = this.voice;
    u.rate = this.rate;
    u.volume = this.volume;
    this.current = u;
    const done = () => {
      if (this.current !== u) return;
      clearTimeout(this.timer);
      this.current = null;
      this._pump();
    };
    u.onend = () => {
      this.spoken += 1;
      done();
    };
    u.onerror = (ev) => {
      if (ev && ev.error === 'not-allowed') this.onBlocked();
      done();
    };
    // some engines never fire "end": move on after a generous estimate of the speaking time
    clearTimeout(this.timer);
    this.timer = setTimeout(done, 2500 + (text.length * 85) / this.rate);
    try {
      this.synth.speak(u);
    } catch (err) {
      done();
    }
  }
}

/** The big caption line and the screen-reader log of everything the coach said. */
export class Captions {
  constructor(captionEl, logEl, maxLog = 60) {
    this.caption = captionEl;
    this.log = logEl;
    this.maxLog = maxLog;
  }

  /** Show `text` as the caption (kind styles it: safety, form, count, breath, info). */
  show(text, kind = 'info') {
    if (this.caption.textContent !== text) this.caption.textContent = text;
    if (this.caption.dataset.kind !== kind) this.caption.dataset.kind = kind;
  }

  /** Append to the aria-live log. */
  announce(text) {
    const p = document.createElement('p');
    p.textContent = text;
    this.log.appendChild(p);
    while (this.log.childElementCount > this.maxLog) this.log.firstElementChild.remove();
  }
}
