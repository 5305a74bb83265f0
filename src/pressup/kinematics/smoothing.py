"""Smoothing of per-frame series: zero-phase offline, causal (One Euro) live.

Both leave NaN (unseen) frames NaN and never smooth across a gap.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
from scipy.ndimage import median_filter
from scipy.signal import butter, sosfiltfilt

Array = npt.NDArray[np.float64]


def _runs(finite: npt.NDArray[np.bool_]) -> list[tuple[int, int]]:
    """``[start, stop)`` index ranges of consecutive True values."""
    if finite.size == 0:
        return []
    d = np.diff(np.concatenate([[0], finite.astype(np.int8), [0]]))
    starts = np.flatnonzero(d == 1)
    stops = np.flatnonzero(d == -1)
    return list(zip(starts.tolist(), stops.tolist()))


def zero_phase(x: Array, fps: float, cutoff_hz: float) -> Array:
    """Second-order Butterworth low-pass run forwards and backwards (no time lag).

    Args:
        x: ``(frame,)`` series, NaN where unknown.
        fps: sampling rate in frames per second.
        cutoff_hz: -3 dB cut-off frequency in Hz (clamped below Nyquist).

    A 7-frame running median runs first, so single-frame glitches do not spread.
    Runs shorter than 13 frames are median-filtered over 3 frames instead.
    """
    out = np.array(x, dtype=np.float64, copy=True)
    wn = min(cutoff_hz / (fps / 2.0), 0.95)
    sos = butter(2, wn, output="sos")
    for a, b in _runs(np.isfinite(out)):
        seg = out[a:b]
        if b - a >= 13:
            # a 7-frame running median first removes glitches of up to three frames
            seg = median_filter(seg, size=7, mode="nearest")
            out[a:b] = sosfiltfilt(sos, seg, padtype="odd", padlen=min(12, b - a - 1))
        elif b - a >= 3:
            pad = np.concatenate([[seg[0]], seg, [seg[-1]]])
            out[a:b] = np.median(np.stack([pad[:-2], pad[1:-1], pad[2:]]), axis=0)
    return out


class OneEuro:
    """One Euro filter (Casiez et al. 2012) for one live series.

    Args:
        min_cutoff_hz: cut-off at rest (lower = smoother, more lag).
        beta: how fast the cut-off rises with speed (higher = less lag when moving).
        d_cutoff_hz: cut-off used to smooth the speed estimate.

    ``__call__(t_s, x)`` returns the filtered value; NaN input resets the filter and returns NaN.
    """

    def __init__(self, min_cutoff_hz: float = 1.0, beta: float = 0.05, d_cutoff_hz: float = 1.0):
        self.min_cutoff = min_cutoff_hz
        self.beta = beta
        self.d_cutoff = d_cutoff_hz
        self._t: float | None = None
        self._x = 0.0
        self._dx = 0.0

    @staticmethod
    def _alpha(dt: float, cutoff: float) -> float:
        tau = 1.0 / (2.0 * math.pi * cutoff)
        return 1.0 / (1.0 + tau / dt)

    def __call__(self, t_s: float, x: float) -> float:
        if not math.isfinite(x):
            self._t = None
            return math.nan
        if self._t is None or t_s <= self._t:
            self._t, self._x, self._dx = t_s, x, 0.0
            return x
        dt = t_s - self._t
        dx = (x - self._x) / dt
        a_d = self._alpha(dt, self.d_cutoff)
        self._dx = a_d * dx + (1 - a_d) * self._dx
        cutoff = self.min_cutoff + self.beta * abs(self._dx)
        a = self._alpha(dt, cutoff)
        self._x = a * x + (1 - a) * self._x
        self._t = t_s
        return self._x
