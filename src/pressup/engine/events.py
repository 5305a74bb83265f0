"""Input frames and output events of the streaming engine."""

from __future__ import annotations

import math
from typing import Any, NamedTuple

from pressup.vocab import EVENT_KINDS as EVENT_KINDS  # re-exported: the old import path
from pressup.vocab import SessionEventKind


class KinFrame(NamedTuple):
    """One frame of (smoothed) kinematics, the engine's input.

    Angles in degrees, times in seconds; NaN = not seen. ``tracked`` False means the frame
    cannot be judged at all (no person, cut, close-up, half out of frame).
    See :data:`pressup.kinematics.ANGLE_DEFINITIONS` for each quantity.
    """

    t_s: float
    tracked: bool
    trunk_deg: float = math.nan
    elbow_deg: float = math.nan
    hip_ext_deg: float = math.nan
    neck_deg: float = math.nan
    shrug_ratio: float = math.nan
    hip_height: float = math.nan
    thigh_deg: float = math.nan
    shin_deg: float = math.nan
    forearm_deg: float = math.nan
    wrist_ahead: float = math.nan
    foot_deg: float = math.nan
    elbow_ahead: float = math.nan


class Event(NamedTuple):
    """Something that happened at time ``t_s`` (seconds). ``rep`` is 1-based or None.

    ``kind`` is one of :data:`~pressup.vocab.EVENT_KINDS` (or the live coach's
    :data:`~pressup.vocab.STOP_EVENT`).
    """

    t_s: float
    kind: SessionEventKind
    rep: int | None = None
    data: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"t_s": round(self.t_s, 3), "kind": self.kind}
        if self.rep is not None:
            out["rep"] = self.rep
        if self.data:
            out.update(self.data)
        return out
