"""Pure 2-D geometry on landmark arrays. All angles in degrees.

Points are arrays of shape ``(..., 2)``. Conventions used throughout pressup:

* Image coordinates are pixels, x to the right, **y down** (as in video frames).
* The *body frame* is a 2-D frame in the person's sagittal plane: ``a`` along the floor,
  positive toward the head, and ``b`` up (away from the floor), both in pixels.
  :func:`to_body_frame` maps image points into it.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.float64]


def interior_angle(a: Array, b: Array, c: Array) -> Array:
    """Interior angle ABC at vertex ``b`` in degrees, in [0, 180] (180 = straight line).

    NaN where a segment has zero length or an input is NaN.
    """
    u = a - b
    w = c - b
    nu = np.linalg.norm(u, axis=-1)
    nw = np.linalg.norm(w, axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        cos = np.sum(u * w, axis=-1) / (nu * nw)
    cos = np.where((nu > 0) & (nw > 0), cos, np.nan)
    return np.asarray(np.degrees(np.arccos(np.clip(cos, -1.0, 1.0))), dtype=np.float64)


def signed_angle(u: Array, w: Array) -> Array:
    """Signed angle from vector ``u`` to vector ``w`` in degrees, in (-180, 180].

    Positive is counter-clockwise in a frame whose second axis points up (the body frame).
    """
    cross = u[..., 0] * w[..., 1] - u[..., 1] * w[..., 0]
    dot = np.sum(u * w, axis=-1)
    return np.asarray(np.degrees(np.arctan2(cross, dot)), dtype=np.float64)


def elevation(v: Array) -> Array:
    """Elevation of body-frame vector ``v = (a, b)`` above the floor, degrees in (-180, 180].

    0 = along the floor pointing toward the head, +90 = straight up.
    """
    return np.asarray(np.degrees(np.arctan2(v[..., 1], v[..., 0])), dtype=np.float64)


def wrap_deg(x: Array | float) -> Array:
    """Wrap angles in degrees into (-180, 180]."""
    y = np.mod(np.asarray(x, dtype=np.float64) + 180.0, 360.0) - 180.0
    return np.where(y == -180.0, 180.0, y)


def to_body_frame(p_img: Array, floor_dir: tuple[float, float]) -> Array:
    """Map image points (pixels, y down) into the body frame ``(a, b)``.

    ``floor_dir`` is the unit direction of the floor line in image coordinates with **y up**,
    pointing from the feet toward the head. A point is decomposed as
    ``p = a * floor_dir + b * up`` with ``up = (0, 1)`` (image vertical): lines along the floor
    keep a constant ``b``. This corrects the apparent tilt of the floor seen from a turned or
    raised camera, to first order, while vertical lines in the scene stay vertical.
    """
    dx, dy = floor_dir
    x = p_img[..., 0]
    y = -p_img[..., 1]
    a = x / dx
    b = y - a * dy
    return np.stack([a, b], axis=-1)


#: Up to this many values :func:`median` sorts them itself; more go to ``np.median``.
SMALL_MEDIAN = 512


def median(x: npt.ArrayLike) -> float:
    """``float(np.median(x))`` of a 1-D array, the same number, without its overhead on the short
    windows of the live checks (about 50 µs a call on ~30 values): NaN when ``x`` is empty or
    holds a NaN; the middle value, or the mean of the two middle values computed as numpy does
    (their sum over 2)."""
    a = np.asarray(x, dtype=np.float64)
    n = a.size
    if n > SMALL_MEDIAN or a.ndim != 1:
        return float(np.median(a)) if n else math.nan
    if n == 0:
        return math.nan
    s = np.sort(a)
    if s[-1] != s[-1]:  # NaN sorts last
        return math.nan
    m = n // 2
    return float(s[m]) if n % 2 else float((s[m - 1] + s[m]) / 2.0)


def nanmedian(x: npt.ArrayLike) -> float:
    """``float(np.nanmedian(x))`` of a 1-D array (see :func:`median`): the median of the values
    that are not NaN, NaN when there are none (without numpy's warning)."""
    a = np.asarray(x, dtype=np.float64)
    if a.ndim != 1 or a.size > SMALL_MEDIAN:
        with np.errstate(invalid="ignore"):
            finite = ~np.isnan(a)
            return float(np.nanmedian(a)) if finite.any() else math.nan
    return median(a[~np.isnan(a)])
