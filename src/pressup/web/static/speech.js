// The coach's voice (speechSynthesis, one utterance at a time) and its captions: every cue is
// captioned for at least 2 s and while it is said, one at a time, in turn (CueChannel).

const KEYS = { muted: 'pressup.muted', rate: 'pressup.speechRate', volume: 'pressup.speechVolume' };
const STALE_MS = 12000; // a queued cue older than this is no longer worth saying
const COUNTDOWN_MS = 1000; // a countdown number is true for its second only
const MIN_SHOW_MS = 2000; // every cue's caption shows at least this long
const READ_MS_PER_CHAR = 45; // a caption that is not said shows long enough to be read
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

/** The browser's voice: one utterance at a time, told when it starts and ends. */
export class Speaker {
  /** @param {{onBlocked?: () => void}} o  onBlocked: the browser refused to speak (no user gesture yet) */
  constructor(o = {}) {
    this.synth = 'speechSynthesis' in window ? window.speechSynthesis : null;
    this.onBlocked = o.onBlocked || (() => {});
    this.muted = load(KEYS.muted, false) === true;
    this.rate = num(load(KEYS.rate, 0.95), 0.5, 1.5, 0.95);
    this.volume = num(load(KEYS.volume, 1), 0, 1, 1);
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

  /** Whether a cue would be heard now. */
  get audible() {
    return this.supported && !this.muted;
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

  /** A generous estimate of how long `text` takes to say, ms (at this speaking rate). */
  estimateMs(text) {
    return (String(text).length * 70) / this.rate;
  }

  /**
   * Say `text` now (the caller waits for `onEnd` before the next: never two at once).
   * `onEnd` runs once: when the voice ends, fails, or after a generous estimate (some engines
   * never fire "end").
   */
  speak(text, onEnd) {
    const u = new SpeechSynthesisUtterance(String(text));
    u.lang = this.voice ? this.voice.lang : 'en';
    if (this.voice) u.voice = this.voice;
    u.rate = this.rate;
    u.volume = this.volume;
    let ended = false;
    const done = () => {
      if (ended) return;
      ended = true;
      clearTimeout(this.timer);
      if (this.current === done) this.current = null;
      onEnd();
    };
    this.current = done;
    u.onend = () => {
      this.spoken += 1;
      done();
    };
    u.onerror = (ev) => {
      if (ev && ev.error === 'not-allowed') this.onBlocked();
      done();
    };
    clearTimeout(this.timer);
    this.timer = setTimeout(done, 2500 + this.estimateMs(text) * 1.3);
    try {
      this.synth.speak(u);
    } catch (err) {
      done();
    }
    return done;
  }

  /** Stop speaking; the utterance under way ends (its `onEnd` runs). */
  stop() {
    const done = this.current;
    if (this.synth) this.synth.cancel();
    if (done) done();
  }

  _pickVoice() {
    const voices = this.synth.getVoices ? this.synth.getVoices() : [];
    const en = voices.filter((v) => /^en\b|^en[-_]/i.test(v.lang));
    this.voice = en.find((v) => v.localService && v.default) || en.find((v) => v.localService) || en[0] || null;
  }
}

/**
 * Every cue the coach sends, one at a time: its caption shows for at least `MIN_SHOW_MS` and as
 * long as it is being said, and the next waits its turn (a caption is never replaced before its
 * time). The most important waiting cue goes next. What waits is dropped, unsaid and unshown,
 * once it is over: when a newer cue as or more important comes, for a countdown number after
 * its second, for any other cue after `STALE_MS` (a safety cue never is). Between cues the caption shows the
 * page's own status line (the failing set-up check, "Looking for you…").
 */
export class CueChannel {
  /**
   * @param {{captions: Captions, speaker: Speaker,
   *          onShow?: (e: {text: string, kind: string, spoken: boolean, at: number}) => void,
   *          onDone?: (e: {text: string, at: number, end: number}) => void}} o
   */
  constructor(o) {
    this.captions = o.captions;
    this.speaker = o.speaker;
    this.onShow = o.onShow || (() => {});
    this.onDone = o.onDone || (() => {});
    this.queue = [];
    this.current = null;
    this.statusLine = { text: '', kind: 'info' };
    this.seq = 0;
  }

  /** Queue a cue {id, text, kind, priority, speak}; it is announced to screen readers at once. */
  say(cue) {
    if (!cue || !cue.text) return;
    this.captions.announce(cue.text);
    const item = { cue, at: performance.now(), n: this.seq };
    this.seq += 1;
    // a newer cue is about a later moment: what waits and matters no more than it is over
    // (a safety cue never is; a countdown number pushes nothing out, it is true for a second)
    if (cue.kind !== 'safety' && !isCountdown(cue)) {
      const p = cue.priority ?? 5;
      this.queue = this.queue.filter((q) => q.cue.kind === 'safety' || (q.cue.priority ?? 5) < p);
    }
    this.queue.push(item);
    // most important first; the same importance in order of arrival
    this.queue.sort((a, b) => (a.cue.priority ?? 5) - (b.cue.priority ?? 5) || a.n - b.n);
    while (this.queue.length > MAX_QUEUE) this.queue.pop();
    this._next();
  }

  /** The page's own line, shown whenever no cue is. */
  status(text, kind = 'info') {
    this.statusLine = { text: text || '', kind };
    if (!this.current) this.captions.show(this.statusLine.text, kind);
  }

  /** Forget what waits and what shows (the set is over, or the page starts again). */
  clear() {
    this.queue = [];
    if (this.current) {
      clearTimeout(this.current.timer);
      this.current = null;
      this.speaker.stop();
    }
    this.captions.show(this.statusLine.text, this.statusLine.kind);
  }

  _next() {
    if (this.current) return;
    const now = performance.now();
    this.queue = this.queue.filter(
      (q) => q.cue.kind === 'safety' || now - q.at < (isCountdown(q.cue) ? COUNTDOWN_MS : STALE_MS),
    );
    const item = this.queue.shift();
    if (!item) {
      this.captions.show(this.statusLine.text, this.statusLine.kind);
      return;
    }
    const { cue } = item;
    const text = String(cue.text);
    const spoken = cue.speak !== false && this.speaker.audible;
    const cur = { cue, shownAt: now, minUntil: now + MIN_SHOW_MS, voiced: !spoken, timer: null };
    if (!spoken) cur.minUntil = Math.max(cur.minUntil, now + text.length * READ_MS_PER_CHAR);
    this.current = cur;
    this.captions.show(text, cue.kind || 'info');
    this.onShow({ text, kind: cue.kind || 'info', spoken, at: now });
    const finish = () => {
      if (this.current !== cur) return;
      if (!cur.voiced || performance.now() < cur.minUntil - 1) return;
      this.current = null;
      this.onDone({ text, at: cur.shownAt, end: performance.now() });
      this._next();
    };
    cur.timer = setTimeout(finish, MIN_SHOW_MS);
    if (spoken) {
      this.speaker.speak(text, () => {
        cur.voiced = true;
        const wait = cur.minUntil - performance.now();
        if (wait > 0) cur.timer = setTimeout(finish, wait);
        else finish();
      });
    } else {
      clearTimeout(cur.timer);
      cur.timer = setTimeout(finish, cur.minUntil - now);
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
