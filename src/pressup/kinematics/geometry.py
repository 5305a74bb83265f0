"""Pure 2-D geometry on landmark arrays. All angles in degrees.

Points are arrays of shape ``(..., 2)``. Conventions used throughout pressup:

* Image coordinates are pixels, x to the right, **y down** (as in video frames).
* The *body frame* is a 2-D frame in the person's sagittal plane: ``a`` along the floor,
  positive toward the head, and ``b`` up (away from the floor), both in pixels.
  :func:`to_body_frame` maps image points into it.
"""

from __future__ import annotations

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
