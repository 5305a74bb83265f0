"""Adaptive pose sampling: run the pose model where movement needs it, interpolate between.

The prone press-up is mostly stillness (lying, holding at the top) with a few slow presses
and lowerings. Running the pose model on every frame spends most of its time on frames that
linear interpolation predicts to within the model's own jitter. Adaptive sampling:

1. *coarse pass*: the pose model runs on keyframes, every ``stride`` frames (about
   :attr:`AdaptiveConfig.coarse_hz` keyframes per second of video);
2. *transitions*: a window between two keyframes is posed at full rate when the coarse pass
   shows movement the interpolation could get wrong there: the person appears or disappears,
   a landmark moves fast, or the movement changes speed at either end of the window (the start
   and end of a press, a lowering, a hold: what the engine times); while the last three
   keyframes show such movement, the next window is posed *live*, frame by frame as its
   frames arrive, so through a movement the model's state follows every frame;
3. *interpolation*: the other frames get landmarks linearly interpolated (x, y, z and
   visibility) between the keyframes around them.

The decision is made in one streaming pass with a look-ahead of one keyframe: at most
``2 * stride + 1`` frames are buffered, never the whole video.

MediaPipe's video mode carries a state from frame to frame: it crops each frame around a
region of interest (ROI) taken, through a One Euro filter, from the previous frames' output,
and its landmarks move with that crop (a ROI moved by 0.1 px moves them by 0.2 px, median).
The pose model is therefore a :class:`Tracker` here, whose state can be saved and restored
(:class:`pressup.pose.mediapipe_backend.TrackedPose`). The state is carried from keyframe to
keyframe (a keyframe is posed from the state after the previous one), and through a refined
window frame by frame, in time order, from the state after its first keyframe; the state is
then carried over the keyframes posed since. Frames of a window left still are posed (or
interpolated) from the state after the window's first keyframe and move no state.

The every-frame analysis runs this same sampler with ``pose_all``: it poses the still
windows too (:meth:`Tracker.peek`), from their first keyframe's state, instead of
interpolating them. Both runs then hold the same states throughout, so every frame adaptive
sampling poses gets the very landmarks of the every-frame run, bit for bit, and the two
differ only where adaptive sampling interpolates a still window. (With MediaPipe's own
tracking, the ROI following every frame, every frame skipped would change the ROI, and so the
landmarks, of every frame after it: by 0.5 to 3 px median on the shared clips, enough to move
the answers; see ``docs/bulk.md``.)

Frames are still decoded one by one (every frame must be at hand in case its window is
refined), but converted to RGB only when posed (``iter_frames(rgb=False)``): decoding costs
0.5 to 0.9 ms a frame against about 20 ms of CPU for the pose model, so ``grab()`` without
decoding would save under 3 % of the adaptive time; see ``docs/bulk.md``.

:func:`sample_adaptive` is generic over what a frame is: the video path hands it decoded BGR
frames and the MediaPipe model, the tests and the agreement benchmark hand it frame indices and
a stored every-frame track (so the same decisions are checked on the committed corpus).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field, replace
from typing import Generic, Protocol, TypeVar

import numpy as np
import numpy.typing as npt

from pressup.pose.track import CHANNELS, LANDMARK_INDEX, N_LANDMARKS, PoseTrack, empty_frame

FloatArray = npt.NDArray[np.float64]
F = TypeVar("F")
F_contra = TypeVar("F_contra", contravariant=True)

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
        votes: a change of speed counts when at least this many landmarks show it, when
            keyframes are 3 or more frames apart (a video of 19 frames per second or more at
            7.5 keyframes a second): one or two flickering landmarks, often a wrist on the
            floor, do not ask for a window of frames at full rate.
        votes_dense: ... when keyframes are 2 frames apart or fewer (a 15 frames per second
            video): a window then holds one frame, so one landmark is enough.

    The votes were chosen on the development part of the scenario corpus and the shared
    development clips (``benchmarks/adaptive_frontier.py``): at 3 votes, videos of 20 frames
    per second or more keep the default's agreement with the every-frame answers while the
    model runs on 40-46 % of their frames instead of 56-68 %; at 15 frames per second no
    cheaper setting kept it.
    """

    coarse_hz: float = 7.5
    speed: float = 0.25
    accel: float = 0.06
    min_visibility: float = 0.5
    votes: int = 3
    votes_dense: int = 1

    def stride(self, fps: float) -> int:
        """Frames from one keyframe to the next for a video of ``fps`` frames per second."""
        return max(1, round(fps / self.coarse_hz)) if fps > 0 else 1

    def at_stride(self, stride: int) -> AdaptiveConfig:
        """This setting with the votes of keyframes ``stride`` frames apart in ``votes``
        (what :func:`turning` reads)."""
        return replace(self, votes=self.votes if stride >= 3 else self.votes_dense)


@dataclass
class AdaptiveResult:
    """Landmarks for every frame, and which of them the pose model computed.

    Attributes:
        t_s: frame times in seconds.
        data: ``(frames, 33, 4)`` landmarks as :class:`~pressup.pose.track.PoseTrack` holds.
        posed: ``(frames,)`` True where the pose model ran, False where interpolated.
        stride: frames between keyframes.
        held: the windows interpolated, when kept (``sample_adaptive(..., keep_held=True)``):
            first keyframe -> (the keyframe that closes the window, the tracker's state after
            the first one), so that their frames can still be posed later, from the state
            the every-frame analysis poses them from (:func:`pose_held`).
    """

    t_s: FloatArray
    data: FloatArray
    posed: npt.NDArray[np.bool_]
    stride: int
    held: dict[int, tuple[int, object]] = field(default_factory=dict)

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
    return int((np.hypot(*acc.T) > cfg.accel * _torso(prev, cur)).sum()) >= cfg.votes


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


class Tracker(Protocol[F_contra]):
    """A pose model whose state carries from one frame to the next (MediaPipe's video mode:
    :class:`pressup.pose.mediapipe_backend.TrackedPose`), with that state under the caller's
    control, so that skipped frames can be posed later from the state they would have had."""

    def pose(self, index: int, frame: F_contra) -> FloatArray:
        """Landmarks ``(33, 4)`` of frame ``index`` (NaN when no person); the state moves on
        to after this frame."""
        ...

    def snapshot(self) -> object:
        """The state now."""
        ...

    def restore(self, state: object) -> None:
        """Go back to a :meth:`snapshot`."""
        ...

    def replay(self, index: int) -> None:
        """Move the state over frame ``index`` again with its model output from when it was
        posed (the model does not run)."""
        ...

    def peek(self, index: int, frame: F_contra) -> FloatArray:
        """Landmarks ``(33, 4)`` of frame ``index`` posed from the current state, which this
        leaves as it was."""
        ...

    def forget(self, before: int) -> None:
        """Frames before ``before`` will not be replayed."""
        ...


class _Stateless(Generic[F]):
    """A pose function with no state between frames, as a :class:`Tracker`."""

    def __init__(self, fn: Callable[[F], FloatArray]) -> None:
        self.fn = fn

    def pose(self, index: int, frame: F) -> FloatArray:
        return self.fn(frame)

    def snapshot(self) -> object:
        return None

    def restore(self, state: object) -> None:
        return None

    def replay(self, index: int) -> None:
        return None

    def peek(self, index: int, frame: F) -> FloatArray:
        return self.fn(frame)

    def forget(self, before: int) -> None:
        return None


class _Sampler(Generic[F]):
    """The streaming state of :func:`sample_adaptive` (one instance per video)."""

    def __init__(
        self,
        tracker: Tracker[F],
        stride: int,
        cfg: AdaptiveConfig,
        pose_all: bool = False,
        keep_held: bool = False,
    ) -> None:
        self.tracker = tracker
        self.stride = stride
        self.cfg = cfg
        self.pose_all = pose_all
        self.keep_held = keep_held
        self.held: dict[int, tuple[int, object]] = {}
        self.times: list[float] = []
        self.data: list[FloatArray | None] = []
        self.posed: list[bool] = []
        self.payloads: dict[int, F] = {}  # frames not yet resolved (buffered)
        self.keys: list[int] = []  # keyframe indices posed, in order
        self.snaps: dict[int, object] = {}  # the tracker's state after each unresolved keyframe
        self.resolved_to = 0  # windows before keys[resolved_to] are done
        #: frames posed as they arrived (a live window), whose state the tracker carried on
        self.live_frames: set[int] = set()
        self.live = False  # the window now arriving is posed as it arrives

    def push(self, t: float, payload: F) -> None:
        i = len(self.times)
        self.times.append(t)
        self.data.append(None)
        self.posed.append(False)
        if i % self.stride == 0:
            self.payloads[i] = payload
            self._key(i)
        elif self.live:
            self.data[i] = self.tracker.pose(i, payload)
            self.posed[i] = True
            self.live_frames.add(i)
        else:
            self.payloads[i] = payload

    def _key(self, i: int) -> None:
        if i in self.live_frames:  # the last frame, posed live already
            self.live_frames.discard(i)
        else:
            self.data[i] = self.tracker.pose(i, self.payloads[i])
        self.posed[i] = True
        self.keys.append(i)
        self.snaps[i] = self.tracker.snapshot()
        # window keys[-3] -> keys[-2] can be decided now (turning at keys[-2] needs keys[-1])
        if len(self.keys) >= 3:
            self._resolve(len(self.keys) - 3, lookahead=True)
        # the next window is posed live, frame by frame as MediaPipe would, while the last
        # keyframes show the person moving fast or changing speed
        k = [self._frame(key) for key in self.keys[-3:]]
        self.live = (len(k) >= 2 and moving(k[-2], k[-1], self.cfg)) or (
            len(k) == 3 and turning(k[0], k[1], k[2], self.cfg)
        )

    def _frame(self, i: int) -> FloatArray:
        f = self.data[i]
        assert f is not None
        return f

    def _refine(self, j: int) -> None:
        """Pose the frames between keys[j] and keys[j + 1] in time order, from the tracker's
        state after keys[j]; then carry the state over the frames posed since (keyframes and
        live windows), in time order."""
        a, b = self.keys[j], self.keys[j + 1]
        self.tracker.restore(self.snaps[a])
        for i in range(a + 1, b):
            self.data[i] = self.tracker.pose(i, self.payloads[i])
            self.posed[i] = True
        later = sorted({*self.keys[j + 1 :], *(i for i in self.live_frames if i > b)})
        for k in later:
            self.tracker.replay(k)
            if k in self.snaps:
                self.snaps[k] = self.tracker.snapshot()

    def _hold(self, j: int) -> None:
        """Pose the frames between keys[j] and keys[j + 1] from the tracker's state after
        keys[j], leaving every state as it was (what adaptive sampling interpolates)."""
        a, b = self.keys[j], self.keys[j + 1]
        now = self.tracker.snapshot()
        self.tracker.restore(self.snaps[a])
        for i in range(a + 1, b):
            self.data[i] = self.tracker.peek(i, self.payloads[i])
            self.posed[i] = True
        self.tracker.restore(now)

    def _resolve(self, j: int, lookahead: bool) -> None:
        """Pose or interpolate the frames between keys[j] and keys[j + 1]."""
        a, b = self.keys[j], self.keys[j + 1]
        fa, fb = self._frame(a), self._frame(b)
        refine = moving(fa, fb, self.cfg)
        if not refine and j > 0:
            refine = turning(self._frame(self.keys[j - 1]), fa, fb, self.cfg)
        if not refine and lookahead:
            refine = turning(fa, fb, self._frame(self.keys[j + 2]), self.cfg)
        if b == a + 1 or (a + 1) in self.live_frames:
            pass  # nothing between, or posed live already
        elif refine:
            self._refine(j)
        elif self.pose_all:
            self._hold(j)
        else:
            filled = interpolate(fa, fb, b - a - 1)
            for k, i in enumerate(range(a + 1, b)):
                self.data[i] = filled[k]
            if self.keep_held:
                self.held[a] = (b, self.snaps[a])
        for i in range(a, b):
            self.payloads.pop(i, None)
            self.live_frames.discard(i)
        self.snaps.pop(a, None)
        self.tracker.forget(b)
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
            held=self.held,
        )


def sample_adaptive(
    frames: Iterable[tuple[float, F]],
    pose: Callable[[F], FloatArray] | Tracker[F],
    stride: int,
    cfg: AdaptiveConfig | None = None,
    progress: Callable[[int], None] | None = None,
    pose_all: bool = False,
    keep_held: bool = False,
) -> AdaptiveResult:
    """Landmarks for every frame of ``frames``, posing only where movement needs it.

    Args:
        frames: ``(t_s, frame)`` in presentation order (seconds; any frame type).
        pose: the pose model: a :class:`Tracker`, or a function from a frame to its
            ``(33, 4)`` landmarks (NaN when no person) when the model keeps no state between
            frames. Keyframes are posed in time order; a refined window is posed after the
            keyframe that closes it and the one after that, from the tracker's state restored
            to the window's first keyframe, in time order.
        stride: frames from one keyframe to the next (1 poses every frame).
        cfg: the movement thresholds (default :class:`AdaptiveConfig`).
        progress: called with the number of frames read so far.
        pose_all: pose the still windows too, from their first keyframe's state, instead of
            interpolating them (the every-frame analysis; see the module's docstring).
        keep_held: keep the tracker's state for each window interpolated
            (:attr:`AdaptiveResult.held`), for :func:`pose_held`.
    """
    tracker: Tracker[F] = _Stateless(pose) if callable(pose) else pose
    stride = max(1, stride)
    s = _Sampler(tracker, stride, (cfg or AdaptiveConfig()).at_stride(stride), pose_all, keep_held)
    for t, payload in frames:
        s.push(t, payload)
        if progress is not None:
            progress(len(s.times))
    return s.finish()


def pose_held(
    res: AdaptiveResult,
    frames: Iterable[tuple[int, F]],
    wanted: Collection[int],
    pose: Callable[[F], FloatArray] | Tracker[F],
) -> AdaptiveResult | None:
    """``res`` with the ``wanted`` frames of its interpolated windows posed after all, each
    from the tracker's state after its window's first keyframe, as the every-frame analysis
    poses it (so with its landmarks, bit for bit); the window's other frames are then
    interpolated between the posed ones. None when no wanted frame was left to pose.

    Args:
        res: a result of ``sample_adaptive(..., keep_held=True)``.
        frames: ``(index, frame)`` in index order; those not wanted are skipped (a video is
            decoded again from its start).
        wanted: frame indices to pose (frames posed already and frames outside the windows
            interpolated are left as they are).
        pose: the pose model, as for :func:`sample_adaptive`.
    """
    todo = held_frames(res, wanted)
    if not todo:
        return None
    starts = sorted(res.held)
    tracker: Tracker[F] = _Stateless(pose) if callable(pose) else pose
    data, posed = res.data.copy(), res.posed.copy()
    touched: set[int] = set()
    last = max(todo)
    for i, payload in frames:
        if i > last:
            break
        if i not in todo:
            continue
        a = _held_window(starts, res.held, i)
        assert a is not None
        tracker.restore(res.held[a][1])
        data[i] = tracker.peek(i, payload)
        posed[i] = True
        touched.add(a)
    for a in touched:
        b = res.held[a][0]
        ends = [a, *(i for i in range(a + 1, b) if posed[i]), b]
        for u, v in zip(ends[:-1], ends[1:]):
            data[u + 1 : v] = interpolate(data[u], data[v], v - u - 1)
    return AdaptiveResult(res.t_s, data, posed, res.stride, res.held)


def held_frames(res: AdaptiveResult, wanted: Collection[int]) -> set[int]:
    """The ``wanted`` frames :func:`pose_held` would pose: interpolated, in a window kept."""
    starts = sorted(res.held)
    return {
        i
        for i in wanted
        if 0 <= i < res.posed.size
        and not res.posed[i]
        and _held_window(starts, res.held, i) is not None
    }


def _held_window(starts: list[int], held: dict[int, tuple[int, object]], i: int) -> int | None:
    """The first keyframe of the interpolated window frame ``i`` lies in, or None."""
    k = bisect_right(starts, i) - 1
    if k < 0:
        return None
    a = starts[k]
    return a if a < i < held[a][0] else None


def simulate(track: PoseTrack, cfg: AdaptiveConfig | None = None) -> tuple[PoseTrack, float]:
    """What adaptive sampling would give on a video whose every-frame ``track`` is known.

    The stored landmarks stand in for the pose model: posed frames keep their values exactly,
    the others are interpolated as :func:`sample_adaptive` would. Returns the adaptive track
    and the share of frames posed (0..1). Used to check the decisions against every-frame
    answers on stored tracks, without any video. For a track made with keyframe tracking
    (``PoseOptions.tracking``, the default) and the same ``cfg``, this is what adaptive
    sampling of the video gives: the model would pose the same frames from the same states.
    """
    res = simulate_result(track, cfg)
    out = PoseTrack(t_s=res.t_s, data=res.data, source=track.source, meta=dict(track.meta))
    return out, res.posed_fraction


def simulate_result(
    track: PoseTrack, cfg: AdaptiveConfig | None = None, keep_held: bool = False
) -> AdaptiveResult:
    """:func:`simulate`'s sampler result, the stored landmarks standing in for the model
    (frame ``i`` is the payload ``i``: :func:`pose_held` can pose more of them with
    :func:`stored_pose`)."""
    cfg = cfg or AdaptiveConfig()
    return sample_adaptive(
        ((float(t), i) for i, t in enumerate(track.t_s)),
        stored_pose(track),
        cfg.stride(track.source.fps),
        cfg,
        keep_held=keep_held,
    )


def stored_pose(track: PoseTrack) -> Callable[[int], FloatArray]:
    """A pose model that gives frame ``i`` the landmarks ``track`` stores for it."""
    data = np.asarray(track.data, dtype=np.float64)

    def pose(i: int) -> FloatArray:
        return np.asarray(data[i])

    return pose
