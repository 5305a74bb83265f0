"""Pose backends behind one small interface, found through a registry.

A backend turns a source (a video path, a track file, ...) into a :class:`PoseTrack`. Each one
streams frames and reports progress through a callback ``progress(done, total)``.
MediaPipe types never leave :mod:`pressup.pose.mediapipe_backend`.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from pressup.errors import InputError
from pressup.pose.track import PoseTrack, load_track
from pressup.pose.video import VIDEO_SUFFIXES

ProgressFn = Callable[[int, int], None]

#: Values of :attr:`PoseOptions.tracking`.
TRACKING_MODES = ("keyframes", "mediapipe")


@dataclass(frozen=True)
class PoseOptions:
    """Options shared by backends.

    Attributes:
        model: ``"full"`` (default, ships with the wheel), ``"heavy"`` (needs the heavy model
            file installed, see :func:`pressup.pose.mediapipe_backend.heavy_model_status`),
            or ``"auto"`` (heavy when installed, else full).
        min_detection_confidence: 0..1, person-detector threshold.
        min_tracking_confidence: 0..1, below which the detector re-runs.
        smooth_landmarks: MediaPipe's own causal landmark filter. Off by default offline: it
            delays landmarks by about 0.2 s, and pressup smooths without delay afterwards.
        adaptive: run the pose model only where movement needs it and interpolate landmarks
            between (:mod:`pressup.pose.adaptive`); False (default) runs it on every frame,
            which is what pressup's published accuracy is measured with.
        tracking: how the region the pose model crops around the person (its ROI) follows
            the person from frame to frame. ``"keyframes"`` (default): the ROI is carried from
            keyframe to keyframe, and from frame to frame only through the stretches where
            the person moves; a frame of a still stretch is posed with the ROI of the keyframe
            before it (:mod:`pressup.pose.adaptive`, ``pose_all``). Adaptive sampling poses
            the frames it poses with the very same ROIs, so with the same landmarks, and
            interpolates the still stretches. ``"mediapipe"``: MediaPipe's own video mode,
            the ROI following every frame; adaptive answers then drift from every-frame ones
            (see ``docs/bulk.md``). ``smooth_landmarks`` always uses MediaPipe's own.
    """

    model: str = "full"
    min_detection_confidence: float = 0.5
    min_tracking_confidence: float = 0.5
    smooth_landmarks: bool = False
    adaptive: bool = False
    tracking: str = "keyframes"

    def __post_init__(self) -> None:
        if self.tracking not in TRACKING_MODES:
            raise InputError(
                f"tracking: expected one of {', '.join(TRACKING_MODES)}, got {self.tracking!r}"
            )

    @property
    def keyframe_tracking(self) -> bool:
        """True when the ROI follows keyframes (see :attr:`tracking`)."""
        return self.tracking == "keyframes" and not self.smooth_landmarks


class PoseBackend(Protocol):
    """What every backend provides."""

    name: str

    def can_open(self, path: Path) -> bool: ...

    def track(
        self, path: Path, options: PoseOptions, progress: ProgressFn | None = None
    ) -> PoseTrack: ...


class TrackFileBackend:
    """Replays a saved ``.npz`` track (schema ``pressup.track/1``) without any video."""

    name = "trackfile"

    def can_open(self, path: Path) -> bool:
        return path.suffix.lower() == ".npz"

    def track(
        self, path: Path, options: PoseOptions, progress: ProgressFn | None = None
    ) -> PoseTrack:
        t = load_track(path)
        if progress:
            progress(t.n_frames, t.n_frames)
        return t


class AdaptiveSource(Protocol):
    """An adaptive track whose interpolated frames can still be posed (what
    :mod:`pressup.analysis.settle` asks of a video's backend)."""

    track: PoseTrack

    def pose_more(self, wanted: Collection[int]) -> PoseTrack | None:
        """The track with the ``wanted`` frames posed, or None when none was left to pose."""
        ...


class MediaPipeVideoBackend:
    """BlazePose (MediaPipe 0.10.21 legacy ``solutions.pose``) over a video file."""

    name = "mediapipe"

    def can_open(self, path: Path) -> bool:
        return path.suffix.lower() in VIDEO_SUFFIXES

    def track(
        self, path: Path, options: PoseOptions, progress: ProgressFn | None = None
    ) -> PoseTrack:
        from pressup.pose import mediapipe_backend

        return mediapipe_backend.track_video(path, options, progress)

    def adaptive(
        self, path: Path, options: PoseOptions, progress: ProgressFn | None = None
    ) -> AdaptiveSource:
        """Adaptive sampling of the video, its interpolated frames posable later."""
        from pressup.pose import mediapipe_backend

        return mediapipe_backend.AdaptiveVideo(path, options, progress)


_REGISTRY: list[PoseBackend] = [TrackFileBackend(), MediaPipeVideoBackend()]


def register_backend(backend: PoseBackend) -> None:
    """Add a backend; later registrations are tried first."""
    _REGISTRY.insert(0, backend)


def backend_for(path: str | Path) -> PoseBackend:
    """The first registered backend that can open ``path``.

    Raises:
        InputError: no backend handles this kind of file.
    """
    p = Path(path)
    if not p.exists():
        raise InputError(f"{p}: no such file")
    if p.is_dir():
        raise InputError(f"{p}: expected a video file or a track file, got a folder")
    for b in _REGISTRY:
        if b.can_open(p):
            return b
    kinds = ", ".join(sorted(VIDEO_SUFFIXES | {".npz"}))
    raise InputError(
        f"{p}: expected a video or a pressup track ({kinds}), got {p.suffix or 'no suffix'!r}"
    )


def open_track(
    path: str | Path, options: PoseOptions | None = None, progress: ProgressFn | None = None
) -> PoseTrack:
    """Load or compute the pose track of a video or track file."""
    p = Path(path)
    return backend_for(p).track(p, options or PoseOptions(), progress)


def open_adaptive(
    path: str | Path, options: PoseOptions | None = None, progress: ProgressFn | None = None
) -> AdaptiveSource | None:
    """Adaptive sampling of a video whose interpolated frames can still be posed; None when
    the source's backend does not sample (a track file: it has every frame already)."""
    p = Path(path)
    backend = backend_for(p)
    sample = getattr(backend, "adaptive", None)
    if sample is None:
        return None
    source: AdaptiveSource = sample(p, options or PoseOptions(adaptive=True), progress)
    return source
