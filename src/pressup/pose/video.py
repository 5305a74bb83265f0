"""Streaming video reading with OpenCV, rotation-aware.

Frames are yielded one at a time (never a whole video in memory), upright according to the
file's display-rotation flag, in RGB order, with their presentation time in seconds.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from pressup.errors import InputError

VIDEO_SUFFIXES = {".mp4", ".mov", ".m4v", ".avi", ".mkv", ".webm", ".y4m", ".mjpeg", ".mpg"}


@dataclass(frozen=True)
class VideoInfo:
    """Geometry of a video as played (after rotation).

    Attributes:
        path: file path.
        fps: nominal frames per second (30.0 assumed when the container gives none).
        frame_count: frames the container announces (may differ from frames decoded).
        width, height: upright frame size in pixels.
        rotation_deg: display rotation flag of the file (0, 90, 180, 270).
    """

    path: str
    fps: float
    frame_count: int
    width: int
    height: int
    rotation_deg: int


def _open(path: Path) -> cv2.VideoCapture:
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if path.is_dir():
        raise InputError(f"{path}: expected a video file, got a folder")
    if path.stat().st_size == 0:
        raise InputError(f"{path}: the file is empty (0 bytes); expected a video")
    cap = cv2.VideoCapture(str(path))
    if not cap.isOpened():
        raise InputError(f"{path}: not a readable video (OpenCV could not open it)")
    cap.set(cv2.CAP_PROP_ORIENTATION_AUTO, 1)
    return cap


def probe(path: str | Path) -> VideoInfo:
    """Read a video's geometry without decoding it all.

    Raises:
        InputError: missing, empty, or not a video OpenCV can decode.
    """
    p = Path(path)
    cap = _open(p)
    try:
        ok, frame = cap.read()
        if not ok or frame is None:
            raise InputError(f"{p}: no video frames could be decoded")
        fps = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
        rot = round(cap.get(cv2.CAP_PROP_ORIENTATION_META) or 0) % 360
        n = int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
        h, w = frame.shape[:2]
    finally:
        cap.release()
    return VideoInfo(
        path=str(p),
        fps=fps if 1.0 <= fps <= 1000.0 else 30.0,
        frame_count=max(n, 0),
        width=int(w),
        height=int(h),
        rotation_deg=rot,
    )


def iter_frames(
    path: str | Path, rgb: bool = True
) -> Iterator[tuple[float, npt.NDArray[np.uint8]]]:
    """Yield ``(t_s, rgb_frame)`` for every decodable frame, upright.

    ``t_s`` is the frame's presentation time in seconds from the first frame; when the container
    gives no usable timestamps it falls back to ``index / fps``. With ``rgb=False`` the frames
    are OpenCV's BGR, not converted (for a caller that converts only the frames it uses).
    """
    p = Path(path)
    info = probe(p)
    cap = _open(p)
    try:
        i = 0
        t0: float | None = None
        last = -1.0
        while True:
            ok, bgr = cap.read()
            if not ok or bgr is None:
                break
            pos = cap.get(cv2.CAP_PROP_POS_MSEC) / 1000.0
            if t0 is None:
                t0 = pos
            t = pos - t0
            if not np.isfinite(t) or t <= last:
                t = last + 1.0 / info.fps if i else 0.0
            last = t
            i += 1
            frame = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB) if rgb else bgr
            yield t, np.asarray(frame, dtype=np.uint8)
    finally:
        cap.release()


def iter_frames_at(
    path: str | Path, wanted: Collection[int]
) -> Iterator[tuple[int, npt.NDArray[np.uint8]]]:
    """Yield ``(index, bgr_frame)`` for the ``wanted`` frame indices, in order, with the
    indices :func:`iter_frames` gives (the frames between are grabbed, not retrieved; the
    video is read up to the last one wanted, not further). OpenCV's BGR, as
    ``iter_frames(path, rgb=False)`` gives them."""
    if not wanted:
        return
    want, last = set(wanted), max(wanted)
    cap = _open(Path(path))
    try:
        for i in range(last + 1):
            if not cap.grab():
                break
            if i in want:
                ok, bgr = cap.retrieve()
                if not ok or bgr is None:
                    break
                yield i, np.asarray(bgr, dtype=np.uint8)
    finally:
        cap.release()
