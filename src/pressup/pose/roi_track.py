"""MediaPipe Pose's frame-to-frame tracking state, computed in Python so it can be saved and
restored (used by adaptive sampling; no :mod:`mediapipe` import here).

In video mode MediaPipe's legacy pose graph (``pose_landmark_cpu``, mediapipe 0.10.21) crops
each frame around a region of interest (ROI) taken from the previous frame: the model's two
*auxiliary* landmarks (the body's centre and a scale point) go through a One Euro filter
(``min_cutoff`` 0.01 Hz, ``beta`` 10, ``derivate_cutoff`` 1 Hz, the speed scaled by the size of
the unfiltered auxiliary box, time from the packet timestamps), then become a rotated square
box 1.25 times the size of the filtered box. With ``smooth_landmarks=False`` (pressup's
setting) this is the only state carried from frame to frame; losing the person resets it
(the person detector then runs on the next frame).

This module repeats those steps in the same single-precision arithmetic, so that a graph fed
with these ROIs gives the same landmarks, bit for bit, as the legacy graph on every frame
(checked on the shared rendered clips, ``tests/integration/test_shared_data.py``). The
arithmetic follows MediaPipe's ``OneEuroFilter``/``LowPassFilter``
(``mediapipe/util/filtering``), ``AlignmentPointsRectsCalculator`` and
``RectTransformationCalculator``; ``atan2f`` comes from the C maths library, as MediaPipe's
does (Python's double ``atan2`` rounded to single precision differs by one unit in the last
place now and then, and the model's output moves with it).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

f32 = np.float32

#: ``pose_landmark_filtering``'s One Euro filter of the auxiliary landmarks (mediapipe 0.10.21).
AUX_MIN_CUTOFF_HZ = 0.01
AUX_BETA = 10.0
AUX_DERIVATE_CUTOFF_HZ = 1.0
#: ``pose_landmarks_to_roi``: the box around the filtered auxiliary points, enlarged.
ROI_SCALE = 1.25
#: The legacy Python API stamps the n-th processed frame ``n * 33333`` microseconds.
FRAME_STEP_US = 33333


def _load_atan2f() -> Callable[[float, float], float]:
    name = ctypes.util.find_library("m")
    try:
        lib = ctypes.CDLL(name) if name else None
    except OSError:  # pragma: no cover - every supported platform has a C maths library
        lib = None
    if lib is None or not hasattr(lib, "atan2f"):  # pragma: no cover
        return lambda y, x: float(f32(math.atan2(y, x)))
    fn = lib.atan2f
    fn.restype = ctypes.c_float
    fn.argtypes = [ctypes.c_float, ctypes.c_float]
    return fn  # type: ignore[no-any-return]


_atan2f = _load_atan2f()


def frame_time_ns(index: int) -> int:
    """The timestamp MediaPipe's legacy API gives frame ``index`` of a video posed on every
    frame, in nanoseconds (the filter's clock)."""
    return (index + 1) * FRAME_STEP_US * 1000


class _LowPass:
    """MediaPipe's ``LowPassFilter``: single-precision state."""

    __slots__ = ("raw", "ready", "stored")

    def __init__(self) -> None:
        self.ready = False
        self.raw = f32(0.0)
        self.stored = f32(0.0)

    def apply(self, value: float, alpha: float) -> float:
        v, a = f32(value), f32(alpha)
        # as in C++: a float product, then the rest in double precision, stored as float
        out = f32(float(a * v) + (1.0 - float(a)) * float(self.stored)) if self.ready else v
        self.ready = True
        self.raw = v
        self.stored = out
        return float(out)

    def copy(self) -> _LowPass:
        c = _LowPass()
        c.ready, c.raw, c.stored = self.ready, self.raw, self.stored
        return c


class _OneEuro:
    """MediaPipe's ``OneEuroFilter`` for one coordinate."""

    __slots__ = ("dx", "freq", "last_ns", "x")

    def __init__(self) -> None:
        self.freq = 30.0  # replaced by the timestamps from the second value on
        self.x = _LowPass()
        self.dx = _LowPass()
        self.last_ns = 0

    def _alpha(self, cutoff: float) -> float:
        return 1.0 / (1.0 + (1.0 / (2 * math.pi * cutoff)) / (1.0 / self.freq))

    def apply(self, t_ns: int, scale: float, value: float) -> float:
        if self.last_ns >= t_ns:
            return value
        if self.last_ns != 0 and t_ns != 0:
            self.freq = 1.0 / ((t_ns - self.last_ns) * 1e-9)
        self.last_ns = t_ns
        dv = (value - float(self.x.raw)) * scale * self.freq if self.x.ready else 0.0
        ed = self.dx.apply(dv, self._alpha(AUX_DERIVATE_CUTOFF_HZ))
        return self.x.apply(value, self._alpha(AUX_MIN_CUTOFF_HZ + AUX_BETA * abs(ed)))

    def copy(self) -> _OneEuro:
        c = _OneEuro()
        c.freq, c.x, c.dx, c.last_ns = self.freq, self.x.copy(), self.dx.copy(), self.last_ns
        return c


@dataclass(frozen=True)
class Roi:
    """A normalised rotated rectangle (MediaPipe's ``NormalizedRect``): centre and size as
    shares of the image width and height, rotation in radians."""

    x_center: float
    y_center: float
    width: float
    height: float
    rotation: float


def _box(aux: npt.NDArray[np.float32], w: int, h: int) -> tuple[f32, f32, f32, f32, f32]:
    """Centre (pixels) and side (pixels) of ``AlignmentPointsRectsCalculator``'s box."""
    x0, y0 = f32(f32(aux[0, 0]) * f32(w)), f32(f32(aux[0, 1]) * f32(h))
    x1, y1 = f32(f32(aux[1, 0]) * f32(w)), f32(f32(aux[1, 1]) * f32(h))
    dx, dy = f32(x1 - x0), f32(y1 - y0)
    side = f32(float(f32(math.sqrt(float(f32(dx * dx + dy * dy))))) * 2.0)
    return x0, y0, dx, dy, side


def roi_from_aux(aux: npt.NDArray[np.float32], w: int, h: int) -> Roi:
    """``PoseLandmarksToRoi``: the next frame's ROI from filtered auxiliary points.

    Args:
        aux: ``(2, 3)`` normalised auxiliary landmarks (float32).
        w, h: image size in pixels.
    """
    x0, y0, dx, dy, side = _box(aux, w, h)
    rot = f32(f32(math.pi * 90 / 180.0) - f32(_atan2f(float(f32(-dy)), float(dx))))
    rot = f32(float(rot) - 2 * math.pi * math.floor((float(rot) + math.pi) / (2 * math.pi)))
    fw, fh = f32(w), f32(h)
    long_side = max(f32(f32(side / fw) * fw), f32(f32(side / fh) * fh))
    return Roi(
        x_center=float(f32(x0 / fw)),
        y_center=float(f32(y0 / fh)),
        width=float(f32(f32(long_side / fw) * f32(ROI_SCALE))),
        height=float(f32(f32(long_side / fh) * f32(ROI_SCALE))),
        rotation=float(rot),
    )


class RoiTracker:
    """The tracking state between two frames: the auxiliary-landmark filter and the ROI the
    next frame is cropped with (None: the person detector runs)."""

    def __init__(self, width: int, height: int) -> None:
        self.width = width
        self.height = height
        self.filters: list[_OneEuro] | None = None
        self.roi: Roi | None = None

    def lost(self) -> None:
        """No person on the frame: the filter resets and the next frame is searched anew."""
        self.filters = None
        self.roi = None

    def update(self, t_ns: int, aux: npt.NDArray[np.float32]) -> None:
        """Feed the unfiltered normalised auxiliary landmarks ``(2, 3)`` of the frame at
        ``t_ns``; sets :attr:`roi` for the next frame."""
        w, h = f32(self.width), f32(self.height)
        px = np.asarray(aux, dtype=f32) * np.array([w, h, w], dtype=f32)
        if self.filters is None:
            self.filters = [_OneEuro() for _ in range(px.size)]
        side = _box(aux, self.width, self.height)[4]
        scale_px = f32((f32(f32(side / w) * w) + f32(f32(side / h) * h)) / f32(2.0))
        if scale_px < 1e-6:
            out = px
        else:
            inv = float(f32(1.0) / scale_px)
            flat = [f.apply(t_ns, inv, float(v)) for f, v in zip(self.filters, px.ravel())]
            out = np.asarray(flat, dtype=f32).reshape(px.shape)
        self.roi = roi_from_aux(out / np.array([w, h, w], dtype=f32), self.width, self.height)

    def copy(self) -> RoiTracker:
        c = RoiTracker(self.width, self.height)
        c.filters = None if self.filters is None else [f.copy() for f in self.filters]
        c.roi = self.roi
        return c
