"""Live coaching: the session pipeline and the coach script (no I/O)."""

from pressup.live.coach import Coach
from pressup.live.cues import Cue, CueGate, CuePriority, Moment
from pressup.live.replay import LiveReplay, Parity, compare_live_offline, replay_live
from pressup.live.session import LiveSession, LiveUpdate, landmarks_to_pixels

__all__ = [
    "Coach",
    "Cue",
    "CueGate",
    "CuePriority",
    "LiveReplay",
    "LiveSession",
    "LiveUpdate",
    "Moment",
    "Parity",
    "compare_live_offline",
    "landmarks_to_pixels",
    "replay_live",
]
