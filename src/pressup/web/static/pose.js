// Camera and BlazePose (@mediapipe/pose, served locally at /vendor/pose/).
//
// pose.js from the npm package is a classic script that defines window.Pose; index.html loads
// it with a <script> tag before this module runs. The model runs on the CPU (XNNPACK): the WebGL
// path is far slower on machines without a real GPU.

const ASSETS = '/vendor/pose/';
const LIGHT_EVERY = 10; // frames between brightness measurements

/** True when /vendor/pose/pose.js loaded. */
export function poseAvailable() {
  return typeof window.Pose === 'function';
}

/** Explain a getUserMedia failure in plain words. */
export function cameraErrorText(err) {
  const name = err && err.name;
  if (name === 'NotAllowedError' || name === 'SecurityError') {
    return (
      'The camera is blocked for this page. Allow the camera (click the camera or lock icon ' +
      'in the address bar), then press "Start camera" again.'
    );
  }
  if (name === 'NotFoundError' || name === 'OverconstrainedError') {
    return 'No camera was found. Connect a camera, then press "Start camera" again.';
  }
  if (name === 'NotReadableError' || name === 'AbortError') {
    return (
      'The camera is busy or could not start. Close other apps that use the camera ' +
      '(video calls), then press "Start camera" again.'
    );
  }
  if (name === 'NotSupportedError') {
    return 'This browser cannot use the camera here. Try a current Chrome, Edge or Firefox.';
  }
  return `The camera could not start (${(err && err.message) || err}).`;
}

const round = (x, k) => {
  const f = 10 ** k;
  return Math.round(x * f) / f;
};
const clamp = (x, lo, hi) => Math.min(hi, Math.max(lo, x));

/** MediaPipe landmarks -> [[x, y, z, visibility], ...] within what the protocol accepts. */
export function packLandmarks(points) {
  if (!points || points.length !== 33) return null;
  return points.map((p) => {
    const ok = Number.isFinite(p.x) && Number.isFinite(p.y);
    const z = Number.isFinite(p.z) ? p.z : 0;
    const vis = Number.isFinite(p.visibility) ? clamp(p.visibility, 0, 1) : 0;
    return ok
      ? [round(clamp(p.x, -1, 2), 5), round(clamp(p.y, -1, 2), 5), round(clamp(z, -50, 50), 5), round(vis, 4)]
      : [0, 0, 0, 0];
  });
}

export class PoseRunner {
  /**
   * @param {object} o
   * @param {HTMLVideoElement} o.video
   * @param {(f: {lm: number[][]|null, w: number, h: number, light: number|null}) => void} o.onFrame
   * @param {(err: unknown) => void} o.onError
   */
  constructor(o) {
    this.video = o.video;
    this.onFrame = o.onFrame;
    this.onError = o.onError || (() => {});
    this.stream = null;
    this.pose = null;
    this.running = false;
    this.frames = 0;
    this.light = null;
    this.failures = 0;
    this._lightCanvas = null;
  }

  get size() {
    const v = this.video;
    return v && v.videoWidth ? { width: v.videoWidth, height: v.videoHeight } : null;
  }

  async startCamera() {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      const err = new Error('getUserMedia is not available');
      err.name = 'NotSupportedError';
      throw err;
    }
    this.stream = await navigator.mediaDevices.getUserMedia({
      audio: false,
      video: { width: { ideal: 960 }, height: { ideal: 540 }, facingMode: 'user' },
    });
    const v = this.video;
    v.muted = true;
    v.playsInline = true;
    v.srcObject = this.stream;
    if (v.readyState < 2) {
      await new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(Object.assign(new Error('no picture from the camera'), { name: 'AbortError' })), 15000);
        v.addEventListener('loadeddata', () => { clearTimeout(t); resolve(); }, { once: true });
      });
    }
    await v.play();
  }

  async init() {
    const pose = new window.Pose({ locateFile: (f) => ASSETS + f });
    pose.setOptions({
      modelComplexity: 1,
      smoothLandmarks: true,
      enableSegmentation: false,
      minDetectionConfidence: 0.5,
      minTrackingConfidence: 0.5,
      useCpuInference: true, // essential: TFLite on WebGL is ~1 fps without a real GPU
    });
    pose.onResults((r) => this._results(r));
    await pose.initialize();
    this.pose = pose;
  }

  /** Process camera frames until stop(); each result goes to onFrame. */
  async run() {
    if (this.running || !this.pose) return;
    this.running = true;
    while (this.running) {
      const v = this.video;
      if (v.readyState < 2 || !v.videoWidth) {
        await sleep(100);
        continue;
      }
      try {
        await this.pose.send({ image: v });
        this.failures = 0;
      } catch (err) {
        this.failures += 1;
        this.onError(err);
        await sleep(Math.min(5000, 250 * this.failures));
      }
      await sleep(0);
    }
  }

  stop() {
    this.running = false;
    if (this.stream) {
      for (const track of this.stream.getTracks()) track.stop();
      this.stream = null;
    }
    this.video.srcObject = null;
  }

  _results(r) {
    if (!this.running) return;
    const v = this.video;
    if (this.frames % LIGHT_EVERY === 0) this.light = this._brightness();
    this.frames += 1;
    this.onFrame({
      lm: packLandmarks(r.poseLandmarks),
      w: v.videoWidth,
      h: v.videoHeight,
      light: this.light,
    });
  }

  /** Mean brightness 0..1 of a 32×18 copy of the picture. */
  _brightness() {
    try {
      if (!this._lightCanvas) {
        const c = document.createElement('canvas');
        c.width = 32;
        c.height = 18;
        this._lightCanvas = c.getContext('2d', { willReadFrequently: true });
      }
      const cx = this._lightCanvas;
      cx.drawImage(this.video, 0, 0, 32, 18);
      const d = cx.getImageData(0, 0, 32, 18).data;
      let s = 0;
      for (let i = 0; i < d.length; i += 4) s += 0.2126 * d[i] + 0.7152 * d[i + 1] + 0.0722 * d[i + 2];
      return round(s / (d.length / 4) / 255, 3);
    } catch (err) {
      return null;
    }
  }
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// BlazePose's 33 landmarks: the lines of the stick figure.
const CONNECTIONS = [
  [0, 1], [1, 2], [2, 3], [3, 7], [0, 4], [4, 5], [5, 6], [6, 8], [9, 10],
  [11, 12], [11, 13], [13, 15], [15, 17], [15, 19], [15, 21], [17, 19],
  [12, 14], [14, 16], [16, 18], [16, 20], [16, 22], [18, 20],
  [11, 23], [12, 24], [23, 24],
  [23, 25], [25, 27], [27, 29], [27, 31], [29, 31],
  [24, 26], [26, 28], [28, 30], [28, 32], [30, 32],
];

/** Draw the stick figure of `lm` (normalised [x, y, z, vis] rows) over the preview. */
export function drawSkeleton(canvas, lm, w, h) {
  if (!canvas) return;
  if (w && h && (canvas.width !== w || canvas.height !== h)) {
    canvas.width = w;
    canvas.height = h;
  }
  const cx = canvas.getContext('2d');
  cx.clearRect(0, 0, canvas.width, canvas.height);
  if (!lm) return;
  const W = canvas.width;
  const H = canvas.height;
  const lw = Math.max(3, Math.round(Math.min(W, H) / 90));
  cx.lineCap = 'round';
  for (const pass of [0, 1]) {
    for (const [a, b] of CONNECTIONS) {
      const p = lm[a];
      const q = lm[b];
      const seen = Math.min(p[3], q[3]) >= 0.5;
      cx.globalAlpha = seen ? 1 : 0.35;
      cx.strokeStyle = pass === 0 ? '#000' : a % 2 ? '#ffd400' : '#3ee0ff';
      cx.lineWidth = pass === 0 ? lw + 4 : lw;
      cx.beginPath();
      cx.moveTo(p[0] * W, p[1] * H);
      cx.lineTo(q[0] * W, q[1] * H);
      cx.stroke();
    }
  }
  cx.globalAlpha = 1;
  for (let i = 11; i < 33; i += 1) {
    const p = lm[i];
    if (p[3] < 0.5) continue;
    cx.fillStyle = '#fff';
    cx.strokeStyle = '#000';
    cx.lineWidth = 2;
    cx.beginPath();
    cx.arc(p[0] * W, p[1] * H, lw * 0.9, 0, 2 * Math.PI);
    cx.fill();
    cx.stroke();
  }
}
