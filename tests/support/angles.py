"""Plain-numpy angles of landmark points, shared by the checks of the track generators
(``test_synth``, ``test_negatives``): degrees, points as ``(..., 2)`` arrays with y up."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


def elev(v: FloatArray) -> FloatArray:
    """Elevation of ``v`` above the x axis (``atan2(v_y, v_x)``), degrees."""
    out: FloatArray = np.degrees(np.arctan2(v[..., 1], v[..., 0]))
    return out


def interior(a: FloatArray, b: FloatArray, c: FloatArray) -> FloatArray:
    """Interior angle at ``b`` of a-b-c for ``(n, 2)`` points, degrees (180 = straight)."""
    u, v = a - b, c - b
    cross = u[:, 0] * v[:, 1] - u[:, 1] * v[:, 0]
    out: FloatArray = np.degrees(np.arctan2(np.abs(cross), (u * v).sum(axis=1)))
    return out
