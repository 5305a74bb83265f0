"""MediaPipe BlazePose backend. The only module that imports :mod:`mediapipe`.

Uses the legacy ``mediapipe.solutions.pose`` API of mediapipe 0.10.21 in video mode
(``static_image_mode=False``: the detector runs once, then landmarks are tracked frame to frame).
The Full landmark model ships inside the wheel. The Heavy model is used only when its file is
present in the package folder (install it with ``pressup models install-heavy`` from the npm
package ``@mediapipe/pose``); nothing is ever downloaded at run time.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Collection
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import cv2
import numpy as np
import numpy.typing as npt

from pressup.errors import BackendUnavailableError, NoPersonError
from pressup.pose.backends import PoseOptions, ProgressFn
from pressup.pose.track import CHANNELS, N_LANDMARKS, PoseTrack, TrackSource, empty_frame
from pressup.pose.video import VideoInfo, iter_frames, iter_frames_at, probe

if TYPE_CHECKING:
    from pressup.pose.adaptive import AdaptiveConfig, AdaptiveResult

_MODEL_FILES = {
    "full": "pose_landmark_full.tflite",
    "heavy": "pose_landmark_heavy.tflite",
    "lite": "pose_landmark_lite.tflite",
}
_COMPLEXITY = {"lite": 0, "full": 1, "heavy": 2}


def _mp_model_dir() -> Path:
    import mediapipe

    return Path(mediapipe.__file__).parent / "modules" / "pose_landmark"


def model_installed(model: str) -> bool:
    """True when the landmark model file for ``model`` is in the mediapipe package."""
    return (_mp_model_dir() / _MODEL_FILES[model]).exists()


def heavy_model_candidates() -> list[Path]:
    """Places a heavy model file may be found locally (never fetched from the network)."""
    env = os.environ.get("PRESSUP_HEAVY_MODEL")
    here = Path.cwd()
    cands = [Path(env)] if env else []
    for base in (here, *here.parents):
        cands.append(base / "node_modules" / "@mediapipe" / "pose" / _MODEL_FILES["heavy"])
    return cands


def install_heavy_model(source: Path | None = None) -> Path:
    """Copy a local heavy model file into the mediapipe package folder.

    Raises:
        BackendUnavailableError: no local copy was found.
    """
    target = _mp_model_dir() / _MODEL_FILES["heavy"]
    cands = [source] if source else heavy_model_candidates()
    for c in cands:
        if c is not None and c.is_file():
            shutil.copyfile(c, target)
            return target
    raise BackendUnavailableError(
        "heavy pose model not found locally; expected pose_landmark_heavy.tflite from the npm "
        "package @mediapipe/pose (npm install @mediapipe/pose) or PRESSUP_HEAVY_MODEL"
    )


def resolve_model(requested: str) -> str:
    """Map ``"auto"``/``"full"``/``"heavy"``/``"lite"`` to a model that is installed."""
    if requested == "auto":
        return "heavy" if model_installed("heavy") else "full"
    if requested not in _MODEL_FILES:
        raise BackendUnavailableError(
            f"unknown pose model {requested!r}; expected one of auto, full, heavy, lite"
        )
    if not model_installed(requested):
        raise BackendUnavailableError(
            f"the {requested} pose model is not installed; use --model full, or install it from "
            "the npm package @mediapipe/pose with `pressup models install-heavy`"
        )
    return requested


class BlazePoseStream:
    """Frame-by-frame BlazePose in video mode; ``process`` returns a ``(33, 4)`` array."""

    def __init__(self, options: PoseOptions, width: int, height: int) -> None:
        import mediapipe as mp

        self.model = resolve_model(options.model)
        self.width = width
        self.height = height
        self._pose: Any = mp.solutions.pose.Pose(
            static_image_mode=False,
            model_complexity=_COMPLEXITY[self.model],
            smooth_landmarks=options.smooth_landmarks,
            enable_segmentation=False,
            min_detection_confidence=options.min_detection_confidence,
            min_tracking_confidence=options.min_tracking_confidence,
        )

    def process(self, rgb: npt.NDArray[np.uint8]) -> npt.NDArray[np.float64]:
        res = self._pose.process(rgb)
        if res.pose_landmarks is None:
            return empty_frame()
        h, w = rgb.shape[:2]
        out = np.empty((N_LANDMARKS, len(CHANNELS)))
        for i, lm in enumerate(res.pose_landmarks.landmark):
            out[i] = (lm.x * w, lm.y * h, lm.z * w, min(max(lm.visibility, 0.0), 1.0))
        return out

    def close(self) -> None:
        self._pose.close()

    def __enter__(self) -> BlazePoseStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


#: Nodes of ``pose_landmark_cpu`` that carry state from frame to frame (the ROI loop and the
#: filters) or that pressup does not use (segmentation); :class:`TrackedPose` drops them.
_STATEFUL_NODES = (
    "PreviousLoopbackCalculator",
    "PoseLandmarkFiltering",
    "PoseLandmarksToRoi",
    "PoseSegmentationFiltering",
    "FromImageCalculator",
)


def _roi_input_graph() -> Any:
    """The legacy ``pose_landmark_cpu`` graph with the region of interest as an input.

    The loop that fed the previous frame's ROI back in is cut: the caller sends the ROI
    (``roi_in``, used when ``use_roi`` is true, else the person detector runs, as in the
    original when there is no previous ROI) and gets the unfiltered landmarks and auxiliary
    landmarks, from which :class:`pressup.pose.roi_track.RoiTracker` computes the next ROI.

    Raises:
        BackendUnavailableError: the installed mediapipe's graph is not laid out as expected.
    """
    from mediapipe.framework import calculator_pb2

    g = calculator_pb2.CalculatorGraphConfig()
    g.ParseFromString((_mp_model_dir() / "pose_landmark_cpu.binarypb").read_bytes())
    keep = [n for n in g.node if n.calculator not in _STATEFUL_NODES]
    gates = [
        n
        for n in keep
        if n.calculator == "GateCalculator" and "prev_pose_rect_from_landmarks" in n.input_stream
    ]
    if len(keep) != len(g.node) - len(_STATEFUL_NODES) or len(gates) != 1:
        raise BackendUnavailableError(
            "adaptive sampling needs mediapipe 0.10.21's pose graph; this mediapipe differs"
        )
    gates[0].input_stream[:] = ["roi_in", "ALLOW:use_roi"]
    del gates[0].input_side_packet[:]
    gates[0].ClearField("options")
    del g.node[:]
    g.node.extend(keep)
    del g.input_stream[:]
    g.input_stream.extend(["IMAGE:image", "roi_in", "use_roi"])
    del g.output_stream[:]
    g.output_stream.extend(
        ["LANDMARKS:unfiltered_pose_landmarks", "AUX:unfiltered_auxiliary_landmarks"]
    )
    sides = [s for s in g.input_side_packet if s.split(":")[-1] in _ROI_GRAPH_SIDE_PACKETS]
    del g.input_side_packet[:]
    g.input_side_packet.extend(sides)
    return g


_ROI_GRAPH_SIDE_PACKETS = ("model_complexity", "enable_segmentation")


def _landmark_array(landmarks: Any, w: int, h: int) -> npt.NDArray[np.float64]:
    """``(33, 4)`` pixels as :meth:`BlazePoseStream.process` gives them, from the graph's
    unfiltered landmarks after the round trip the legacy graph's pass-through filter makes
    (normalised -> pixels -> normalised, in single precision)."""
    raw = np.array([(p.x, p.y, p.z, p.visibility) for p in landmarks.landmark], dtype=np.float32)
    size = np.array([w, h, w], dtype=np.float32)
    out = np.empty((raw.shape[0], len(CHANNELS)))
    out[:, :3] = ((raw[:, :3] * size) / size).astype(np.float64) * size.astype(np.float64)
    out[:, 3] = np.clip(raw[:, 3].astype(np.float64), 0.0, 1.0)
    return out


class TrackedPose:
    """BlazePose in video mode, its frame-to-frame tracking state kept in Python.

    On every frame in order it gives the same landmarks as :class:`BlazePoseStream`, bit for
    bit; unlike it, its state can be saved (:meth:`snapshot`), restored (:meth:`restore`) and
    carried over a frame already posed (:meth:`replay`), so frames can be skipped and posed
    later from the state they would have had. This is the
    :class:`pressup.pose.adaptive.Tracker` adaptive sampling uses.
    """

    def __init__(self, options: PoseOptions, width: int, height: int) -> None:
        from mediapipe.framework.formats import rect_pb2
        from mediapipe.python.solution_base import PacketDataType, SolutionBase

        from pressup.pose.roi_track import RoiTracker

        self.model = resolve_model(options.model)
        self._graph: Any = SolutionBase(
            graph_config=_roi_input_graph(),
            side_inputs={"model_complexity": _COMPLEXITY[self.model], "enable_segmentation": False},
            calculator_params={
                "posedetectioncpu__TensorsToDetectionsCalculator.min_score_thresh": (
                    options.min_detection_confidence
                ),
                "poselandmarkbyroicpu__tensorstoposelandmarksandsegmentation__"
                "ThresholdingCalculator.threshold": options.min_tracking_confidence,
            },
            outputs=["unfiltered_pose_landmarks", "unfiltered_auxiliary_landmarks"],
            stream_type_hints={"roi_in": PacketDataType.PROTO, "use_roi": PacketDataType.BOOL},
        )
        self._rect = rect_pb2.NormalizedRect
        self._no_roi = rect_pb2.NormalizedRect(x_center=0.5, y_center=0.5, width=1.0, height=1.0)
        self.state = RoiTracker(width, height)
        self._aux: dict[int, npt.NDArray[np.float32] | None] = {}

    def _run(
        self, rgb: npt.NDArray[np.uint8]
    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float32] | None]:
        """The model on ``rgb`` cropped with the current ROI: landmarks ``(33, 4)`` (NaN when no
        person) and the unfiltered auxiliary landmarks the state moves on with (None then)."""
        roi = self.state.roi
        rect = self._no_roi if roi is None else self._rect(**roi.__dict__)
        res = self._graph.process({"image": rgb, "roi_in": rect, "use_roi": roi is not None})
        lms, aux = res.unfiltered_pose_landmarks, res.unfiltered_auxiliary_landmarks
        if lms is None or aux is None:
            return empty_frame(), None
        h, w = rgb.shape[:2]
        a = np.array([(p.x, p.y, p.z) for p in aux.landmark], dtype=np.float32)
        return _landmark_array(lms, w, h), a

    def pose(self, index: int, rgb: npt.NDArray[np.uint8]) -> npt.NDArray[np.float64]:
        """Landmarks of frame ``index`` (``(33, 4)``, NaN when no person) posed from the
        current state; the state then moves on to after this frame."""
        landmarks, self._aux[index] = self._run(rgb)
        self.replay(index)
        return landmarks

    def peek(self, index: int, rgb: npt.NDArray[np.uint8]) -> npt.NDArray[np.float64]:
        """Landmarks of frame ``index`` posed from the current state, which stays as it was
        (nothing is kept for :meth:`replay`)."""
        return self._run(rgb)[0]

    def snapshot(self) -> object:
        """The tracking state now (to :meth:`restore` later)."""
        return self.state.copy()

    def restore(self, state: object) -> None:
        """Go back to a state from :meth:`snapshot`."""
        from pressup.pose.roi_track import RoiTracker

        assert isinstance(state, RoiTracker)
        self.state = state.copy()

    def replay(self, index: int) -> None:
        """Move the state over frame ``index`` again, with the model output it had when
        posed (the model is not run)."""
        from pressup.pose.roi_track import frame_time_ns

        a = self._aux[index]
        if a is None:
            self.state.lost()
        else:
            self.state.update(frame_time_ns(index), a)

    def forget(self, before: int) -> None:
        """Drop what :meth:`replay` would need for frames before ``before``."""
        for i in [i for i in self._aux if i < before]:
            del self._aux[i]

    def close(self) -> None:
        self._graph.close()

    def __enter__(self) -> TrackedPose:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _every_frame(
    path: Path, options: PoseOptions, info: VideoInfo, progress: ProgressFn | None
) -> tuple[list[float], list[npt.NDArray[np.float32]], str]:
    """The pose model on every frame, its ROI following every frame (MediaPipe's own video
    mode): times, landmarks per frame, the model used."""
    times: list[float] = []
    frames: list[npt.NDArray[np.float32]] = []
    with BlazePoseStream(options, info.width, info.height) as stream:
        for t, rgb in iter_frames(path):
            frames.append(stream.process(rgb).astype(np.float32))
            times.append(t)
            if progress:
                progress(len(times), info.frame_count)
        return times, frames, stream.model


def _sample(
    path: Path,
    options: PoseOptions,
    info: VideoInfo,
    progress: ProgressFn | None,
    cfg: AdaptiveConfig | None = None,
    keep_held: bool = False,
) -> tuple[AdaptiveResult, str, dict[str, Any]]:
    """Keyframes and the windows between them (:mod:`pressup.pose.adaptive`): with
    ``options.adaptive`` the still windows interpolated, else posed from their keyframe's
    state (every frame, the ROI following keyframes). The sampler's result, the model used
    and the track's ``sampling`` metadata."""
    from pressup.pose.adaptive import AdaptiveConfig, sample_adaptive

    cfg = cfg or AdaptiveConfig()
    stride = cfg.stride(info.fps)
    with TrackedPose(options, info.width, info.height) as tracker:
        res = sample_adaptive(
            iter_frames(path, rgb=False),
            _BgrTracker(tracker),
            stride,
            cfg,
            (lambda n: progress(n, info.frame_count)) if progress else None,
            pose_all=not options.adaptive,
            keep_held=keep_held,
        )
        model = tracker.model
    sampling = {
        "mode": "adaptive" if options.adaptive else "every-frame",
        "tracking": "keyframes",
        "keyframe_stride": stride,
        "votes": cfg.at_stride(stride).votes,
        "posed_fraction": round(res.posed_fraction, 4),
    }
    return res, model, sampling


def _sampled_frames(
    path: Path,
    options: PoseOptions,
    info: VideoInfo,
    progress: ProgressFn | None,
    cfg: AdaptiveConfig | None = None,
) -> tuple[list[float], list[npt.NDArray[np.float32]], str, dict[str, Any]]:
    """:func:`_sample` as times, landmarks per frame, the model and the metadata."""
    res, model, sampling = _sample(path, options, info, progress, cfg)
    return res.t_s.tolist(), list(res.data.astype(np.float32)), model, sampling


class AdaptiveVideo:
    """The adaptive track of a video (:attr:`track`) whose interpolated frames can still be
    posed (:meth:`pose_more`), each from the state the every-frame analysis poses it from
    (:func:`pressup.pose.adaptive.pose_held`): the second pass of
    :mod:`pressup.analysis.settle`.

    Raises (on creation): as :func:`track_video`.
    """

    def __init__(
        self,
        path: Path,
        options: PoseOptions,
        progress: ProgressFn | None = None,
        cfg: AdaptiveConfig | None = None,
    ) -> None:
        self.path = path
        self.options = replace(options, adaptive=True)
        self.info = probe(path)
        self._res, self.model, self._sampling = _sample(
            path, self.options, self.info, progress, cfg, keep_held=True
        )
        self._first = int(self._res.posed.sum())
        self.track = self._as_track()

    @property
    def posed(self) -> npt.NDArray[np.bool_]:
        """``(frames,)`` True where the pose model ran (a copy)."""
        return self._res.posed.copy()

    def _as_track(self) -> PoseTrack:
        return _build_track(
            self.path,
            self.info,
            self._res.t_s.tolist(),
            list(self._res.data.astype(np.float32)),
            self.model,
            {"sampling": dict(self._sampling)},
        )

    def pose_more(self, wanted: Collection[int]) -> PoseTrack | None:
        """The track with the ``wanted`` interpolated frames posed (the video is decoded
        again), or None when none of them was left to pose."""
        from pressup.pose.adaptive import held_frames, pose_held

        todo = held_frames(self._res, wanted)
        if not todo:
            return None
        with TrackedPose(self.options, self.info.width, self.info.height) as tracker:
            new = pose_held(self._res, iter_frames_at(self.path, todo), todo, _BgrTracker(tracker))
        if new is None:
            return None
        self._res = new
        self._sampling["posed_fraction"] = round(new.posed_fraction, 4)
        self._sampling["posed_for_holds"] = int(new.posed.sum()) - self._first
        self.track = self._as_track()
        return self.track


class _BgrTracker:
    """A :class:`TrackedPose` fed OpenCV's BGR frames (converted to RGB only for the frames
    posed) whose landmarks are rounded to single precision as the track stores them (so
    interpolation starts from the stored values)."""

    def __init__(self, inner: TrackedPose) -> None:
        self.inner = inner
        self.snapshot = inner.snapshot
        self.restore = inner.restore
        self.replay = inner.replay
        self.forget = inner.forget

    def pose(self, index: int, bgr: npt.NDArray[np.uint8]) -> npt.NDArray[np.float64]:
        rgb = np.asarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), dtype=np.uint8)
        return self.inner.pose(index, rgb).astype(np.float32).astype(np.float64)

    def peek(self, index: int, bgr: npt.NDArray[np.uint8]) -> npt.NDArray[np.float64]:
        rgb = np.asarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), dtype=np.uint8)
        return self.inner.peek(index, rgb).astype(np.float32).astype(np.float64)


def track_video(
    path: Path,
    options: PoseOptions,
    progress: ProgressFn | None = None,
    adaptive_config: AdaptiveConfig | None = None,
) -> PoseTrack:
    """Run BlazePose over every frame of ``path`` (streamed) and return the track; with
    ``options.adaptive`` only where movement needs it, interpolated between. Both use the
    keyframes of ``adaptive_config`` (default :class:`pressup.pose.adaptive.AdaptiveConfig`)
    unless ``options.tracking`` is ``"mediapipe"`` (every frame only: MediaPipe's own video
    mode). The track's ``meta["sampling"]`` says which was used.

    Raises:
        InputError: unreadable or empty video.
        NoPersonError: no person found in any frame.
    """
    info = probe(path)
    meta: dict[str, Any] = {}
    if options.adaptive or options.keyframe_tracking:
        times, frames, model, meta["sampling"] = _sampled_frames(
            path, options, info, progress, adaptive_config
        )
    else:
        times, frames, model = _every_frame(path, options, info, progress)
        meta["sampling"] = {"mode": "every-frame", "tracking": "mediapipe"}
    return _build_track(path, info, times, frames, model, meta)


def _build_track(
    path: Path,
    info: VideoInfo,
    times: list[float],
    frames: list[npt.NDArray[np.float32]],
    model: str,
    meta: dict[str, Any],
) -> PoseTrack:
    """The track of ``path`` from its frames' times and landmarks.

    Raises:
        NoPersonError: no person found in any frame.
    """
    data = (
        np.stack(frames).astype(np.float64) if frames else np.zeros((0, N_LANDMARKS, len(CHANNELS)))
    )
    track = PoseTrack(
        t_s=np.asarray(times),
        data=data,
        source=TrackSource(
            backend="mediapipe-0.10.21",
            model=f"blazepose_{model}",
            video=str(path),
            width=info.width,
            height=info.height,
            fps=info.fps,
            rotation_deg=info.rotation_deg,
        ),
        meta=meta,
    )
    if not track.person_found.any():
        raise NoPersonError(f"{path}: no person was found in any of {track.n_frames} frames")
    early = ends_early(len(times), info.frame_count, info.fps, times[-1] if times else 0.0)
    if early is not None:
        track.meta["ends_early"] = early
    return track


def ends_early(
    decoded: int, announced: int, fps: float, last_t_s: float
) -> dict[str, float | int] | None:
    """Where a truncated or partly unreadable video stopped, or None when it did not.

    ``decoded`` frames were read of the ``announced`` ones (the container's count); a shortfall
    of more than 2 % (and more than one frame) means the video could not be read to its end.
    Returns ``{"decoded_frames", "announced_frames", "stopped_at_s", "announced_s"}`` (seconds).
    """
    if announced <= 0 or decoded >= announced or announced - decoded <= max(1, 0.02 * announced):
        return None
    step = 1.0 / fps if fps > 0 else 0.0
    return {
        "decoded_frames": decoded,
        "announced_frames": announced,
        "stopped_at_s": round(last_t_s + step, 3) if decoded else 0.0,
        "announced_s": round(announced * step, 3),
    }
