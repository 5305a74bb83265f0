// The page's side of the WebSocket protocol (docs/protocol.md, version 1).
//
// One CoachSocket per page. It says hello (with the stored session id, so a reload or a dropped
// connection continues the same session), reconnects with backoff, keeps the connection alive
// with pings, and holds ratings and button presses until the server has welcomed us again.
// Frames are not held across a reconnection: a frame that cannot go now is simply dropped.
// They go out a few at a time (queueFrame): one `frames` message carries at most BATCH_FRAMES
// of them, and the first waits at most BATCH_WAIT_MS, so a reply (and the cue it carries)
// comes at most that much later than frame by frame, while the server reads a third as many
// messages.

export const PROTOCOL_VERSION = 1;
export const BATCH_FRAMES = 3; // frames in one `frames` message at most (100 ms at 30 frames/s)
export const BATCH_WAIT_MS = 100; // the first frame of a batch waits at most this long
const SESSION_RE = /^[0-9a-f]{32}$/;

/** JSON.parse that also accepts the NaN / Infinity tokens Python's json module can write. */
export function parseMessage(text) {
  try {
    return JSON.parse(text);
  } catch (first) {
    const fixed = text.replace(/([:[,]\s*)-?(?:NaN|Infinity)(?=\s*[,\]}])/g, '$1null');
    if (fixed === text) throw first;
    return JSON.parse(fixed);
  }
}

export function validSession(id) {
  return typeof id === 'string' && SESSION_RE.test(id);
}

export class CoachSocket {
  /**
   * @param {object} o
   * @param {string} o.url           ws://host/ws?token=...
   * @param {string} o.client        client description for hello
   * @param {() => string|null} o.getSession   session id to resume (or null)
   * @param {() => object|null} o.getVideo     {width, height} of the camera, or null
   * @param {(msg: object) => void} o.onMessage   every parsed server message
   * @param {(state: string, info?: object) => void} o.onState  'connecting' | 'open' | 'ready' | 'closed'
   * @param {() => void} o.onUnknownSession  the stored session is not known to this server
   * @param {(n: number) => void} o.onFramesSent  n queued frames went out in one message
   * @param {number} [o.batchFrames]  frames per `frames` message at most (BATCH_FRAMES)
   * @param {number} [o.batchWaitMs]  how long the first queued frame may wait (BATCH_WAIT_MS)
   */
  constructor(o) {
    this.url = o.url;
    this.client = o.client;
    this.getSession = o.getSession;
    this.getVideo = o.getVideo || (() => null);
    this.onMessage = o.onMessage;
    this.onState = o.onState || (() => {});
    this.onUnknownSession = o.onUnknownSession || (() => {});
    this.onFramesSent = o.onFramesSent || (() => {});
    this.batchFrames = o.batchFrames || BATCH_FRAMES;
    this.batchWaitMs = o.batchWaitMs ?? BATCH_WAIT_MS;
    this.batch = []; // frames waiting to go out together
    this.batchTimer = null;
    this.ws = null;
    this.ready = false; // welcomed on the current connection
    this.wanted = false;
    this.failures = 0; // consecutive failed attempts (for the backoff)
    this.everOpened = false;
    this.outbox = []; // ratings / controls waiting for a welcome
    this.retryTimer = null;
    this.pingTimer = null;
  }

  /** Connect (no-op when already connected or connecting). */
  connect() {
    this.wanted = true;
    if (this.ws && this.ws.readyState <= 1) return;
    clearTimeout(this.retryTimer);
    this._open();
  }

  close() {
    this.wanted = false;
    this._dropFrames();
    clearTimeout(this.retryTimer);
    clearInterval(this.pingTimer);
    if (this.ws) this.ws.close(1000, 'page closed the session');
  }

  get bufferedAmount() {
    return this.ws ? this.ws.bufferedAmount : 0;
  }

  /** Send now if welcomed; returns false (message dropped) otherwise. For frames. */
  send(obj) {
    if (!this.ready) return false;
    return this._raw({ v: PROTOCOL_VERSION, ...obj });
  }

  /**
   * Queue one frame ({seq, t, w, h, lm, light?}) to go out in the next `frames` message: sent
   * when BATCH_FRAMES are queued or the first has waited BATCH_WAIT_MS. Returns false (frame
   * dropped) when not welcomed.
   */
  queueFrame(frame) {
    if (!this.ready) return false;
    this.batch.push(frame);
    if (this.batch.length >= this.batchFrames) this.flushFrames();
    else if (this.batchTimer === null) this.batchTimer = setTimeout(() => this.flushFrames(), this.batchWaitMs);
    return true;
  }

  /** Send the queued frames now (one `frames` message); returns how many went out. */
  flushFrames() {
    clearTimeout(this.batchTimer);
    this.batchTimer = null;
    const frames = this.batch.splice(0);
    if (!frames.length || !this.send({ type: 'frames', frames })) return 0;
    this.onFramesSent(frames.length);
    return frames.length;
  }

  _dropFrames() {
    clearTimeout(this.batchTimer);
    this.batchTimer = null;
    this.batch = [];
  }

  /** Send now, or as soon as the server has welcomed us again. For ratings and controls. */
  sendReliable(obj) {
    this.flushFrames(); // the frames seen before a rating or a button go first, in order
    if (this.ready && this._raw({ v: PROTOCOL_VERSION, ...obj })) return true;
    this.outbox.push(obj);
    if (this.outbox.length > 50) this.outbox.shift();
    return false;
  }

  // -- internals -------------------------------------------------------------------------------
  _open() {
    this.ready = false;
    this._dropFrames();
    this.onState('connecting', { failures: this.failures });
    let ws;
    try {
      ws = new WebSocket(this.url);
    } catch (err) {
      this.onState('closed', { code: 0, reason: String(err), failures: ++this.failures });
      this._schedule();
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      if (this.ws !== ws) return;
      this.everOpened = true;
      this.onState('open');
      this._hello(this.getSession());
      clearInterval(this.pingTimer);
      this.pingTimer = setInterval(() => this._raw({ v: PROTOCOL_VERSION, type: 'ping' }), 20000);
    };
    ws.onmessage = (ev) => {
      if (this.ws === ws) this._receive(ev.data);
    };
    ws.onerror = () => {}; // a close event follows
    ws.onclose = (ev) => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.ready = false;
      this._dropFrames();
      clearInterval(this.pingTimer);
      if (this.wanted) {
        this.failures += 1;
        this.onState('closed', { code: ev.code, reason: ev.reason, failures: this.failures });
        this._schedule();
      } else {
        this.onState('closed', { code: ev.code, reason: ev.reason, failures: 0 });
      }
    };
  }

  _hello(session) {
    const video = this.getVideo();
    this._raw({
      v: PROTOCOL_VERSION,
      type: 'hello',
      session: validSession(session) ? session : null,
      client: this.client.slice(0, 100),
      video: video && video.width >= 16 && video.height >= 16 ? video : null,
    });
  }

  _receive(data) {
    let msg;
    try {
      msg = parseMessage(data);
    } catch (err) {
      this.onMessage({ type: 'error', code: 'client_bad_json', message: `unreadable message: ${err}`, seq: null });
      return;
    }
    if (!msg || typeof msg !== 'object') return;
    if (msg.type === 'welcome') {
      this.ready = true;
      this.failures = 0;
      this.onState('ready');
      this.onMessage(msg);
      const waiting = this.outbox.splice(0);
      for (const m of waiting) this._raw({ v: PROTOCOL_VERSION, ...m });
      return;
    }
    if (msg.type === 'error' && msg.code === 'unknown_session' && !this.ready) {
      // the stored session is not on this server (another database): start a new one
      this.onUnknownSession();
      this.onMessage(msg);
      this._hello(null);
      return;
    }
    this.onMessage(msg);
  }

  _raw(obj) {
    const ws = this.ws;
    if (!ws || ws.readyState !== 1) return false;
    try {
      ws.send(JSON.stringify(obj));
      return true;
    } catch (err) {
      return false;
    }
  }

  _schedule() {
    if (!this.wanted) return;
    clearTimeout(this.retryTimer);
    const base = Math.min(10000, 500 * 2 ** Math.min(this.failures - 1, 5));
    const delay = base * (0.8 + 0.4 * Math.random());
    this.retryTimer = setTimeout(() => {
      if (this.wanted) this._open();
    }, delay);
  }
}
