"""The words pressup uses between its layers, each declared once.

Every vocabulary is a :data:`typing.Literal` type and a tuple of its values, in a meaningful
order. This module imports nothing from pressup, so every layer may import it (the engine,
the analysis, the safety rules, storage, the CLI and the web alike)::

    pose -> kinematics -> engine -> analysis -> (safety, storage, report, export, live, web, cli)
                     vocab (and protocol, errors) below them all

The JSON contracts (``analysis.json``, ``events.json``, the WebSocket protocol) carry these
same strings.
"""

from __future__ import annotations

from typing import Final, Literal, get_args

# -- engine ----------------------------------------------------------------------------------

#: The engine's phase within a repetition (see ``docs/engine.md``): ``start`` before anything
#: is known, ``rest`` lying, ``rising``, ``top`` (the hold), ``lowering``, ``settle`` (back
#: down, not yet still), ``other`` (another exercise or position).
Phase = Literal["start", "rest", "rising", "top", "lowering", "settle", "other"]
PHASES: tuple[Phase, ...] = get_args(Phase)

#: Per-frame position labels (same vocabulary as the hand-made labels).
Label = Literal[
    "prone_flat",
    "rising",
    "sphinx",
    "pressup_hands",
    "updog",
    "lowering",
    "other_pose",
    "not_visible",
]
LABELS: tuple[Label, ...] = get_args(Label)
#: The labels of the raised (top) position.
RAISED_LABELS: frozenset[Label] = frozenset({"sphinx", "pressup_hands", "updog"})

#: Event kinds the engine emits, in the order they can occur within a repetition.
EventKind = Literal[
    "position",  # data: {"label": new per-frame label, "reason": why, for other_pose}
    "rep_started",  # the trunk began to rise from the floor
    "top_reached",  # the hold at the top began
    "hold_tick",  # data: {"held_s": whole seconds held so far}
    "hold_ended",  # data: {"hold_s": seconds}
    "lowering_started",
    "rep_completed",  # data: the finished rep as a dict
    # data: {"reason": words, "code": an AbandonReason}
    "rep_abandoned",  # a movement that was not a press-up
    # data: the rep as a dict, complete=False, "not_counted": an UnfinishedReason
    "rep_unfinished",
    "fault_started",  # data: {"code": ...}
    "fault_ended",  # data: {"code": ..., "start_s": ...}
    "tracking_lost",
    "tracking_regained",
    "set_completed",  # data: {"reps": completed count}
]
EVENT_KINDS: tuple[EventKind, ...] = get_args(EventKind)
#: The event kind stored when the live coach stops a set (data: ``reason``, one line, and
#: ``rules``, the stop rules that fired). Not an engine event: the safety rules raise it.
STOP_EVENT: Final = "set_stopped"
#: Any event kind of a session: the engine's and the stop.
SessionEventKind = Literal[EventKind, "set_stopped"]

#: Form faults the engine reports.
FaultCode = Literal[
    "elbows_locked",
    "neck_extended",
    "neck_flexed",
    "hips_lifted",
    "shoulders_shrugged",
    "fast_lowering",
    "short_hold",
]
FAULT_CODES: tuple[FaultCode, ...] = get_args(FaultCode)

#: Why a movement was not a press-up at all (``rep_abandoned``'s ``code``): it went back down
#: without a hold, or the body left the prone family (see the engine's ``_other_reason``).
AbandonReason = Literal["no_hold", "upright", "kneeling", "arms_overhead", "plank"]
ABANDON_REASONS: tuple[AbandonReason, ...] = get_args(AbandonReason)

#: Why a repetition does not count (``Rep.not_counted``): it did not start from lying, had no
#: hold, its lowering was not seen, or the recording or set ended with the person still up.
UnfinishedReason = Literal["not_from_floor", "no_hold", "lowering_not_seen", "ended_up"]
UNFINISHED_REASONS: tuple[UnfinishedReason, ...] = get_args(UnfinishedReason)

# -- posture and the progression ladder ------------------------------------------------------

#: What the engine sees holding the body up at the top (``Rep.variant``, ``dose.variant``).
Posture = Literal["forearms", "hands"]
POSTURES: tuple[Posture, ...] = get_args(Posture)

#: The progression's variant ladder, easiest first: forearms, hands with the elbows bent,
#: hands with the elbows straight but not locked.
LadderStep = Literal["forearms", "hands_bent", "hands_straight"]
LADDER_STEPS: tuple[LadderStep, ...] = get_args(LadderStep)

#: The one mapping between the two: the posture of each step of the ladder.
POSTURE_OF_STEP: dict[LadderStep, Posture] = {
    "forearms": "forearms",
    "hands_bent": "hands",
    "hands_straight": "hands",
}


def posture_of(step: LadderStep) -> Posture:
    """The engine's posture for a ladder step (``hands_bent`` -> ``hands``)."""
    return POSTURE_OF_STEP[step]


def step_of(posture: Posture) -> LadderStep:
    """The easiest ladder step done in ``posture`` (``hands`` -> ``hands_bent``): how a
    session whose dose or repetitions name only the posture is placed on the ladder."""
    return next(s for s in LADDER_STEPS if POSTURE_OF_STEP[s] == posture)


# -- symptoms --------------------------------------------------------------------------------

#: Where the symptoms are felt, from the spine outwards (the order matters).
Location = Literal["none", "back", "buttock", "thigh", "below_knee", "foot"]
LOCATIONS: tuple[Location, ...] = get_args(Location)

__all__ = [
    "ABANDON_REASONS",
    "EVENT_KINDS",
    "FAULT_CODES",
    "LABELS",
    "LADDER_STEPS",
    "LOCATIONS",
    "PHASES",
    "POSTURES",
    "POSTURE_OF_STEP",
    "RAISED_LABELS",
    "STOP_EVENT",
    "UNFINISHED_REASONS",
    "AbandonReason",
    "EventKind",
    "FaultCode",
    "Label",
    "LadderStep",
    "Location",
    "Phase",
    "Posture",
    "SessionEventKind",
    "UnfinishedReason",
    "posture_of",
    "step_of",
]
