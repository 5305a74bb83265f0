"""Input frames and output events of the streaming engine."""

from __future__ import annotations

import math
from typing import Any, NamedTuple


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
    shoulder_height: float = math.nan
    wrist_ahead: float = math.nan
    face_deg: float = math.nan
    foot_deg: float = math.nan
    elbow_ahead: float = math.nan


#: Event kinds the engine emits, in the order they can occur within a repetition.
EVENT_KINDS: tuple[str, ...] = (
    "position",  # data: {"label": new per-frame label, "reason": why, for other_pose}
    "rep_started",  # the trunk began to rise from the floor
    "top_reached",  # the hold at the top began
    "hold_tick",  # data: {"held_s": whole seconds held so far}
    "hold_ended",  # data: {"hold_s": seconds}
    "lowering_started",
    "rep_completed",  # data: the finished rep as a dict
    # data: {"reason": words, "code": no_hold | upright | kneeling | arms_overhead | plank}
    "rep_abandoned",  # a movement that was not a press-up
    # data: the rep as a dict, complete=False, "not_counted": not_from_floor | no_hold |
    # lowering_not_seen | ended_up (it was not seen from the floor, up and back down)
    "rep_unfinished",
    "fault_started",  # data: {"code": ...}
    "fault_ended",  # data: {"code": ..., "start_s": ...}
    "tracking_lost",
    "tracking_regained",
    "set_completed",  # data: {"reps": completed count}
)


class Event(NamedTuple):
    """Something that happened at time ``t_s`` (seconds). ``rep`` is 1-based or None."""

    t_s: float
    kind: str
    rep: int | None = None
    data: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"t_s": round(self.t_s, 3), "kind": self.kind}
        if self.rep is not None:
            out["rep"] = self.rep
        if self.data:
            out.update(self.data)
        return out
