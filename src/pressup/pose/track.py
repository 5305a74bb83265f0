"""The one pose-track type that flows through pressup.

A :class:`PoseTrack` holds, for every video frame, the 33 BlazePose landmarks. Its array has
named dimensions ``("frame", "keypoint", "channel")`` with channels ``x_px, y_px, z, visibility``:

* ``x_px``, ``y_px``: image position in pixels of the *upright* (rotation-corrected) frame,
  x to the right, y downwards. NaN when no person was found in that frame.
* ``z``: BlazePose relative depth (same scale as x in pixels; smaller = nearer the camera),
  relative to the hip midpoint. NaN when no person.
* ``visibility``: 0..1 likelihood that the landmark is visible and in frame (0 when no person).

Times ``t_s`` are seconds from the first frame, non-decreasing (frames' presentation times).
A track is validated once when built; code downstream trusts it.
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from pressup.errors import InputError, TrackFormatError

LANDMARK_NAMES: tuple[str, ...] = (
    "nose",
    "left_eye_inner",
    "left_eye",
    "left_eye_outer",
    "right_eye_inner",
    "right_eye",
    "right_eye_outer",
    "left_ear",
    "right_ear",
    "mouth_left",
    "mouth_right",
    "left_shoulder",
    "right_shoulder",
    "left_elbow",
    "right_elbow",
    "left_wrist",
    "right_wrist",
    "left_pinky",
    "right_pinky",
    "left_index",
    "right_index",
    "left_thumb",
    "right_thumb",
    "left_hip",
    "right_hip",
    "left_knee",
    "right_knee",
    "left_ankle",
    "right_ankle",
    "left_heel",
    "right_heel",
    "left_foot_index",
    "right_foot_index",
)
N_LANDMARKS = len(LANDMARK_NAMES)
LANDMARK_INDEX: dict[str, int] = {name: i for i, name in enumerate(LANDMARK_NAMES)}
DIMS: tuple[str, str, str] = ("frame", "keypoint", "channel")
CHANNELS: tuple[str, ...] = ("x_px", "y_px", "z", "visibility")
TRACK_FILE_SCHEMA = "pressup.track/1"

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class TrackSource:
    """Where a track came from and the geometry of its frames.

    Attributes:
        backend: pose backend name (e.g. ``"mediapipe"``, ``"trackfile"``, ``"synthetic"``).
        model: model identifier (e.g. ``"blazepose_full"``).
        video: path of the source video, or ``None``.
        width, height: upright frame size in pixels (after rotation correction).
        fps: nominal frames per second of the source.
        rotation_deg: display rotation applied to the stored frames (0, 90, 180, 270).
    """

    backend: str
    model: str
    video: str | None
    width: int
    height: int
    fps: float
    rotation_deg: int = 0


@dataclass(frozen=True)
class PoseTrack:
    """Landmarks of one person over time. See the module docstring for units.

    Attributes:
        t_s: shape ``(frame,)``, seconds from the first frame.
        data: shape ``(frame, keypoint=33, channel=4)``, float64.
        source: provenance and frame geometry.
    """

    t_s: FloatArray
    data: FloatArray
    source: TrackSource
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        t = np.asarray(self.t_s, dtype=np.float64)
        d = np.asarray(self.data, dtype=np.float64)
        if t.ndim != 1:
            raise TrackFormatError(f"t_s must be 1-D (frame,), got shape {t.shape}")
        if d.ndim != 3 or d.shape[1:] != (N_LANDMARKS, len(CHANNELS)):
            raise TrackFormatError(
                f"landmark data must have shape (frame, {N_LANDMARKS}, {len(CHANNELS)}) "
                f"with dims {DIMS}, got {d.shape}"
            )
        if d.shape[0] != t.shape[0]:
            raise TrackFormatError(
                f"t_s has {t.shape[0]} frames but landmark data has {d.shape[0]}"
            )
        if t.size and not np.all(np.isfinite(t)):
            raise TrackFormatError("t_s must be finite seconds; found NaN or infinity")
        if t.size > 1 and np.any(np.diff(t) < 0):
            bad = int(np.argmax(np.diff(t) < 0)) + 1
            raise TrackFormatError(f"t_s must not decrease; frame {bad} goes back in time")
        if np.any(np.isinf(d)):
            raise TrackFormatError("landmark data contains infinity (NaN marks a missing value)")
        vis = d[:, :, 3]
        if np.any((vis < 0) | (vis > 1)):
            raise TrackFormatError("visibility must lie in 0..1")
        if self.source.width <= 0 or self.source.height <= 0:
            raise TrackFormatError(
                f"image size must be positive, got {self.source.width}x{self.source.height}"
            )
        if not (self.source.fps > 0):
            raise TrackFormatError(f"fps must be positive, got {self.source.fps}")
        object.__setattr__(self, "t_s", t)
        object.__setattr__(self, "data", d)

    # -- convenience views ---------------------------------------------------------------
    @property
    def n_frames(self) -> int:
        return int(self.t_s.shape[0])

    @property
    def duration_s(self) -> float:
        """Seconds from the first frame to the end of the last frame."""
        if self.n_frames == 0:
            return 0.0
        return float(self.t_s[-1] + 1.0 / self.source.fps)

    @property
    def xy(self) -> FloatArray:
        """``(frame, keypoint, 2)`` pixel positions."""
        return self.data[:, :, :2]

    @property
    def visibility(self) -> FloatArray:
        """``(frame, keypoint)`` visibility 0..1."""
        return self.data[:, :, 3]

    @property
    def person_found(self) -> npt.NDArray[np.bool_]:
        """``(frame,)`` True where the backend returned a person."""
        return np.asarray(np.isfinite(self.data[:, 0, 0]), dtype=bool)

    def point(self, name: str) -> FloatArray:
        """``(frame, 2)`` pixel positions of one named landmark."""
        return self.data[:, LANDMARK_INDEX[name], :2]

    def slice(self, start: int, stop: int) -> PoseTrack:
        return replace(self, t_s=self.t_s[start:stop], data=self.data[start:stop])

    # -- file format ---------------------------------------------------------------------
    def save(self, path: str | Path) -> Path:
        """Write the track as a compressed ``.npz`` (schema ``pressup.track/1``).

        Raises:
            InputError: the file or its folder cannot be written.
        """
        p = Path(path)
        if p.suffix != ".npz":
            p = p.with_suffix(p.suffix + ".npz") if p.suffix else p.with_suffix(".npz")
        header = {
            "schema": TRACK_FILE_SCHEMA,
            "dims": list(DIMS),
            "channels": list(CHANNELS),
            "landmarks": list(LANDMARK_NAMES),
            "source": asdict(self.source),
            "meta": self.meta,
        }
        try:
            p.parent.mkdir(parents=True, exist_ok=True)
            np.savez_compressed(
                p,
                header=np.array(json.dumps(header)),
                t_s=self.t_s,
                data=self.data.astype(np.float32),
            )
        except OSError as exc:
            raise InputError(
                f"{p}: expected a track file that can be written, got {exc.strerror or exc}"
            ) from exc
        return p


def load_track(path: str | Path) -> PoseTrack:
    """Read a ``pressup.track/1`` ``.npz`` file, validating it.

    Raises:
        TrackFormatError: the file is not a pressup track or its arrays are malformed.
    """
    p = Path(path)
    try:
        with np.load(p, allow_pickle=False) as z:
            header = json.loads(str(z["header"]))
            t_s = np.asarray(z["t_s"], dtype=np.float64)
            data = np.asarray(z["data"], dtype=np.float64)
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, EOFError) as exc:
        raise TrackFormatError(
            f"{p}: expected a pressup track (.npz with header, t_s, data): {exc}"
        ) from exc
    if not isinstance(header, dict):
        raise TrackFormatError(
            f"{p}: expected a pressup track with a JSON object as header, got "
            f"{type(header).__name__}"
        )
    if header.get("schema") != TRACK_FILE_SCHEMA:
        raise TrackFormatError(
            f"{p}: expected schema {TRACK_FILE_SCHEMA!r}, found {header.get('schema')!r}"
        )
    if tuple(header.get("landmarks", ())) != LANDMARK_NAMES:
        raise TrackFormatError(f"{p}: landmark list is not the 33 BlazePose landmarks")
    try:
        source = TrackSource(**header["source"])
    except TypeError as exc:
        raise TrackFormatError(f"{p}: bad source block: {exc}") from exc
    meta = dict(header.get("meta", {}))
    meta.setdefault("track_file", str(p))
    return PoseTrack(t_s=t_s, data=data, source=source, meta=meta)


def empty_frame() -> FloatArray:
    """One frame with no person: NaN positions and zero visibility, shape ``(33, 4)``."""
    f = np.full((N_LANDMARKS, len(CHANNELS)), np.nan)
    f[:, 3] = 0.0
    return f
