"""Kinematics: landmarks -> angles (degrees), view geometry, smoothing. Pure functions."""

from pressup.kinematics.features import (
    ANGLE_DEFINITIONS,
    FEATURES,
    ViewGeometry,
    compute_features,
    detect_side,
    estimate_view,
)
from pressup.kinematics.smoothing import OneEuro, zero_phase

__all__ = [
    "ANGLE_DEFINITIONS",
    "FEATURES",
    "OneEuro",
    "ViewGeometry",
    "compute_features",
    "detect_side",
    "estimate_view",
    "zero_phase",
]
