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
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from pressup.errors import BackendUnavailableError, NoPersonError
from pressup.pose.backends import PoseOptions, ProgressFn
from pressup.pose.track import CHANNELS, N_LANDMARKS, PoseTrack, TrackSource, empty_frame
from pressup.pose.video import iter_frames, probe

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


def track_video(path: Path, options: PoseOptions, progress: ProgressFn | None = None) -> PoseTrack:
    """Run BlazePose over every frame of ``path`` (streamed) and return the track.

    Raises:
        InputError: unreadable or empty video.
        NoPersonError: no person found in any frame.
    """
    info = probe(path)
    times: list[float] = []
    frames: list[npt.NDArray[np.float32]] = []
    meta: dict[str, Any] = {}
    with BlazePoseStream(options, info.width, info.height) as stream:
        if options.adaptive:
            from pressup.pose.adaptive import AdaptiveConfig, sample_adaptive

            cfg = AdaptiveConfig()
            res = sample_adaptive(
                iter_frames(path),
                lambda rgb: stream.process(rgb).astype(np.float32).astype(np.float64),
                cfg.stride(info.fps),
                cfg,
                (lambda n: progress(n, info.frame_count)) if progress else None,
            )
            times = res.t_s.tolist()
            frames = list(res.data.astype(np.float32))
            meta["sampling"] = {"mode": "adaptive", "posed_fraction": round(res.posed_fraction, 4)}
        else:
            for t, rgb in iter_frames(path):
                frames.append(stream.process(rgb).astype(np.float32))
                times.append(t)
                if progress:
                    progress(len(times), info.frame_count)
        model = stream.model
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
