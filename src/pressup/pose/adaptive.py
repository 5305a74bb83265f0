"""Adaptive pose sampling: run the pose model where movement needs it, interpolate between.

The prone press-up is mostly stillness (lying, holding at the top) with a few slow presses
and lowerings. Running the pose model on every frame spends most of its time on frames that
linear interpolation predicts to within the model's own jitter. Adaptive sampling:

1. *coarse pass*: the pose model runs on keyframes, every ``stride`` frames (about
   :attr:`AdaptiveConfig.coarse_hz` keyframes per second of video);
2. *transitions*: a window between two keyframes is posed at full rate when the coarse pass
   shows movement the interpolation could get wrong there: the person appears or disappears,
   a landmark moves fast, or the movement changes speed at either end of the window (the start
   and end of a press, a lowering, a hold: what the engine times);
3. *interpolation*: the other frames get landmarks linearly interpolated (x, y, z and
   visibility) between the keyframes around them.

The decision is made in one streaming pass with a look-ahead of one keyframe: at most
``2 * stride + 1`` frames are buffered, never the whole video. MediaPipe's video mode reuses the
previous frame's region of interest for the next one (it re-runs the person detector only when
tracking is lost), so skipped frames keep that reuse: the next posed frame starts from the
last region found. That reuse is also why adaptive answers are not bit-identical to
every-frame ones: the model's output depends a little on the region it starts from (measured
on a rendered clip: the same frames' landmarks differed from the every-frame run by 1.2 to
1.3 px median, 4 px at the 90th percentile). Posing each refined window in time order and its
closing keyframe again (so the tracking state carries on as on every frame) did not reduce
that, and it agreed less well on the corpus tracks, so the look-ahead order was kept.

Frames are still decoded one by one (every frame must be at hand in case its window is
refined): measured on the shared rendered clips, decoding with colour conversion costs 0.5 to
0.9 ms a frame against tens of ms for the pose model, so ``grab()`` without decoding would
save under 3 % of the adaptive time; see ``docs/bulk.md``.

:func:`sample_adaptive` is generic over what a frame is: the video path hands it decoded RGB
frames and the MediaPipe model, the tests and the agreement benchmark hand it frame indices and
a stored every-frame track (so the same decisions are checked on the committed corpus).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar

import numpy as np
import numpy.typing as npt

from pressup.pose.track import CHANNELS, LANDMARK_INDEX, N_LANDMARKS, PoseTrack, empty_frame

FloatArray = npt.NDArray[np.float64]
F = TypeVar("F")

#: Landmarks whose movement decides where to pose at full rate: the ones the angles use.
MOTION_LANDMARKS: tuple[int, ...] = tuple(
    LANDMARK_INDEX[n]
    for n in (
        "nose",
        "left_ear",
        "right_ear",
        "left_shoulder",
        "right_shoulder",
        "left_elbow",
        "right_elbow",
        "left_wrist",
        "right_wrist",
        "left_hip",
        "right_hip",
        "left_knee",
        "right_knee",
    )
)
_SHOULDERS = (LANDMARK_INDEX["left_shoulder"], LANDMARK_INDEX["right_shoulder"])
_HIPS = (LANDMARK_INDEX["left_hip"], LANDMARK_INDEX["right_hip"])


@dataclass(frozen=True)
class AdaptiveConfig:
    """How sparse the coarse pass is and what movement asks for full rate.

    Attributes:
        coarse_hz: keyframes per second of video (the stride is ``round(fps / coarse_hz)``
            frames, at least 1).
        speed: a window is posed at full rate when a landmark moves more than this between its
            two keyframes, in torso lengths (shoulder-hip distance in pixels).
        accel: ... or when the movement changes speed at either keyframe by more than this:
            ``|L(k+1) - 2 L(k) + L(k-1)|`` over consecutive keyframes, in torso lengths.
        min_visibility: landmarks below this visibility (0..1) in either keyframe are not
            compared (the far-side limbs of a side view flicker).
    """

    coarse_hz: float = 7.5
    speed: float = 0.25
    accel: float = 0.06
    min_visibility: float = 0.5

    def stride(self, fps: float) -> int:
        """Frames from one keyframe to the next for a video of ``fps`` frames per second."""
        return max(1, round(fps / self.coarse_hz)) if fps > 0 else 1


@dataclass
class AdaptiveResult:
    """Landmarks for every frame, and which of them the pose model computed.

    Attributes:
        t_s: frame times in seconds.
        data: ``(frames, 33, 4)`` landmarks as :class:`~pressup.pose.track.PoseTrack` holds.
        posed: ``(frames,)`` True where the pose model ran, False where interpolated.
        stride: frames between keyframes.
    """

    t_s: FloatArray
    data: FloatArray
    posed: npt.NDArray[np.bool_]
    stride: int

    @property
    def posed_fraction(self) -> float:
        """Share of frames the pose model ran on (0..1)."""
        return float(self.posed.mean()) if self.posed.size else 0.0


def _torso(a: FloatArray, b: FloatArray) -> float:
    """Shoulder-to-hip distance in pixels from whichever of two frames shows it (min 1 px)."""
    for f in (b, a):
        s = (
            np.nanmean(f[list(_SHOULDERS), :2], axis=0)
            if np.isfinite(f[_SHOULDERS[0], 0])
            else None
        )
        h = np.nanmean(f[list(_HIPS), :2], axis=0) if np.isfinite(f[_HIPS[0], 0]) else None
        if s is not None and h is not None:
            d = float(np.hypot(*(s - h)))
            if np.isfinite(d) and d > 1.0:
                return d
    return 1.0


def _seen(frame: FloatArray) -> bool:
    return bool(np.isfinite(frame[0, 0]))


def _mask(cfg: AdaptiveConfig, *frames: FloatArray) -> npt.NDArray[np.bool_]:
    """Motion landmarks visible in every one of ``frames``."""
    idx = list(MOTION_LANDMARKS)
    m = np.ones(len(idx), dtype=bool)
    for f in frames:
        m &= f[idx, 3] >= cfg.min_visibility
    return m


def moving(a: FloatArray, b: FloatArray, cfg: AdaptiveConfig) -> bool:
    """True when the window between keyframes ``a`` and ``b`` needs the pose model on every
    frame by itself: the person appears or disappears, or a landmark moves more than
    ``cfg.speed`` torso lengths."""
    if _seen(a) != _seen(b):
        return True
    if not _seen(a):
        return False
    m = _mask(cfg, a, b)
    if not m.any():
        return False
    idx = np.asarray(MOTION_LANDMARKS)[m]
    d = np.hypot(*(b[idx, :2] - a[idx, :2]).T)
    return bool(d.max() > cfg.speed * _torso(a, b))


def turning(prev: FloatArray, cur: FloatArray, nxt: FloatArray, cfg: AdaptiveConfig) -> bool:
    """True when the movement changes speed at keyframe ``cur`` (more than ``cfg.accel`` torso
    lengths of second difference): the start or end of a movement, which interpolation would
    blur."""
    if not (_seen(prev) and _seen(cur) and _seen(nxt)):
        return False
    m = _mask(cfg, prev, cur, nxt)
    if not m.any():
        return False
    idx = np.asarray(MOTION_LANDMARKS)[m]
    acc = nxt[idx, :2] - 2.0 * cur[idx, :2] + prev[idx, :2]
    return bool(np.hypot(*acc.T).max() > cfg.accel * _torso(prev, cur))


def interpolate(a: FloatArray, b: FloatArray, n: int) -> FloatArray:
    """``n`` frames linearly interpolated strictly between frames ``a`` and ``b``.

    When the person is missing in either end the frames between are empty (no person): a
    window with the person appearing is always posed at full rate, so this is the case of a
    person missing at both ends.
    """
    if n <= 0:
        return np.zeros((0, N_LANDMARKS, len(CHANNELS)))
    if not (_seen(a) and _seen(b)):
        return np.repeat(empty_frame()[None], n, axis=0)
    w = (np.arange(1, n + 1, dtype=np.float64) / (n + 1))[:, None, None]
    out: FloatArray = np.asarray(a[None] * (1.0 - w) + b[None] * w, dtype=np.float64)
    return out


class _Sampler(Generic[F]):
    """The streaming state of :func:`sample_adaptive` (one instance per video)."""

    def __init__(self, pose: Callable[[F], FloatArray], stride: int, cfg: AdaptiveConfig) -> None:
        self.pose = pose
        self.stride = stride
        self.cfg = cfg
        self.times: list[float] = []
        self.data: list[FloatArray | None] = []
        self.posed: list[bool] = []
        self.payloads: dict[int, F] = {}  # frames not yet resolved (buffered)
        self.keys: list[int] = []  # keyframe indices posed, in order
        self.resolved_to = 0  # windows before keys[resolved_to] are done

    def push(self, t: float, payload: F) -> None:
        i = len(self.times)
        self.times.append(t)
        self.data.append(None)
        self.posed.append(False)
        self.payloads[i] = payload
        if i % self.stride == 0:
            self._key(i)

    def _key(self, i: int) -> None:
        self.data[i] = self.pose(self.payloads[i])
        self.posed[i] = True
        self.keys.append(i)
        # window keys[-3] -> keys[-2] can be decided now (turning at keys[-2] needs keys[-1])
        if len(self.keys) >= 3:
            self._resolve(len(self.keys) - 3, lookahead=True)

    def _frame(self, i: int) -> FloatArray:
        f = self.data[i]
        assert f is not None
        return f

    def _resolve(self, j: int, lookahead: bool) -> None:
        """Pose or interpolate the frames between keys[j] and keys[j + 1]."""
        a, b = self.keys[j], self.keys[j + 1]
        fa, fb = self._frame(a), self._frame(b)
        refine = moving(fa, fb, self.cfg)
        if not refine and j > 0:
            refine = turning(self._frame(self.keys[j - 1]), fa, fb, self.cfg)
        if not refine and lookahead:
            refine = turning(fa, fb, self._frame(self.keys[j + 2]), self.cfg)
        if refine:
            for i in range(a + 1, b):
                self.data[i] = self.pose(self.payloads[i])
                self.posed[i] = True
        else:
            filled = interpolate(fa, fb, b - a - 1)
            for k, i in enumerate(range(a + 1, b)):
                self.data[i] = filled[k]
        for i in range(a, b):
            self.payloads.pop(i, None)
        self.resolved_to = j + 1

    def finish(self) -> AdaptiveResult:
        n = len(self.times)
        if n and self.keys[-1] != n - 1:
            self._key(n - 1)
        for j in range(self.resolved_to, len(self.keys) - 1):
            self._resolve(j, lookahead=j + 2 < len(self.keys))
        self.payloads.clear()
        data = (
            np.stack([self._frame(i) for i in range(n)]).astype(np.float64)
            if n
            else np.zeros((0, N_LANDMARKS, len(CHANNELS)))
        )
        return AdaptiveResult(
            t_s=np.asarray(self.times, dtype=np.float64),
            data=data,
            posed=np.asarray(self.posed, dtype=bool),
            stride=self.stride,
        )


def sample_adaptive(
    frames: Iterable[tuple[float, F]],
    pose: Callable[[F], FloatArray],
    stride: int,
    cfg: AdaptiveConfig | None = None,
    progress: Callable[[int], None] | None = None,
) -> AdaptiveResult:
    """Landmarks for every frame of ``frames``, posing only where movement needs it.

    Args:
        frames: ``(t_s, frame)`` in presentation order (seconds; any frame type).
        pose: the pose model: a frame to its ``(33, 4)`` landmarks (NaN when no person). It is
            called in time order except inside a refined window, which is posed after the
            keyframe that closes it and the one after that.
        stride: frames from one keyframe to the next (1 poses every frame).
        cfg: the movement thresholds (default :class:`AdaptiveConfig`).
        progress: called with the number of frames read so far.
    """
    s = _Sampler(pose, max(1, stride), cfg or AdaptiveConfig())
    for t, payload in frames:
        s.push(t, payload)
        if progress is not None:
            progress(len(s.times))
    return s.finish()


def simulate(track: PoseTrack, cfg: AdaptiveConfig | None = None) -> tuple[PoseTrack, float]:
    """What adaptive sampling would give on a video whose every-frame ``track`` is known.

    The stored landmarks stand in for the pose model: posed frames keep their values exactly,
    the others are interpolated as :func:`sample_adaptive` would. Returns the adaptive track
    and the share of frames posed (0..1). Used to check the decisions against every-frame
    answers on stored tracks, without any video.
    """
    cfg = cfg or AdaptiveConfig()
    res = sample_adaptive(
        ((float(t), i) for i, t in enumerate(track.t_s)),
        lambda i: np.asarray(track.data[i], dtype=np.float64),
        cfg.stride(track.source.fps),
        cfg,
    )
    out = PoseTrack(t_s=res.t_s, data=res.data, source=track.source, meta=dict(track.meta))
    return out, res.posed_fraction
