"""Pose layer: one :class:`PoseTrack` type and the backends that produce it."""

from pressup.pose.backends import (
    AdaptiveSource,
    PoseBackend,
    PoseOptions,
    backend_for,
    open_adaptive,
    open_track,
    register_backend,
)
from pressup.pose.track import (
    CHANNELS,
    DIMS,
    LANDMARK_INDEX,
    LANDMARK_NAMES,
    PoseTrack,
    TrackSource,
    load_track,
)

__all__ = [
    "CHANNELS",
    "DIMS",
    "LANDMARK_INDEX",
    "LANDMARK_NAMES",
    "AdaptiveSource",
    "PoseBackend",
    "PoseOptions",
    "PoseTrack",
    "TrackSource",
    "backend_for",
    "load_track",
    "open_adaptive",
    "open_track",
    "register_backend",
]
