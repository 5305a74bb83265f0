"""Live coaching: the session pipeline and the coach script (no I/O)."""

from pressup.live.coach import Coach, Cue
from pressup.live.session import LiveSession, LiveUpdate, landmarks_to_pixels

__all__ = ["Coach", "Cue", "LiveSession", "LiveUpdate", "landmarks_to_pixels"]
