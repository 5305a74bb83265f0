"""The words pressup uses between its layers, each declared once.

Every vocabulary is a :data:`typing.Literal` type and a tuple of its values, in a meaningful
order. This module imports nothing from pressup, so every layer may import it (the engine,
the analysis, the safety rules, storage, the CLI and the web alike); the one exception is
:class:`pressup.errors.InputError`, which the parsers below raise::

    pose -> kinematics -> engine -> analysis -> (safety, storage, report, export, live, web, cli)
                     vocab (and protocol, errors) below them all

The JSON contracts (``analysis.json``, ``events.json``, the WebSocket protocol) carry these
same strings.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal, get_args

from pressup.errors import InputError

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

#: The same places in plain words, for questions and messages.
LOCATION_WORDS: dict[Location, str] = {
    "none": "no symptoms",
    "back": "back only",
    "buttock": "buttock",
    "thigh": "thigh",
    "below_knee": "below the knee",
    "foot": "foot",
}

#: The worst pain (0 = none, 10 = the worst imaginable).
PAIN_MAX = 10


def parse_location(value: object) -> Location:
    """A :data:`Location` from its name (``"below_knee"``) or plain words (``"below the knee"``).

    Raises:
        InputError: not one of the known places.
    """
    if isinstance(value, str):
        text = value.strip().lower().replace("-", "_")
        if text in LOCATIONS:
            return text  # type: ignore[return-value]
        for key, words in LOCATION_WORDS.items():
            if text == words or text.replace("_", " ") == words:
                return key
    raise InputError(f"symptom location: expected one of {', '.join(LOCATIONS)}, got {value!r}")


@dataclass(frozen=True)
class SymptomReport:
    """One rating: ``rep`` 0 = before the set, ``k`` = after press-up ``k``.

    Attributes:
        rep: 0 before the set, else the number of the press-up just done (1-based).
        pain: 0..10 (0 = none, 10 = the worst imaginable).
        location: where the symptoms are felt furthest from the spine.

    Raises:
        InputError: ``rep`` negative, ``pain`` outside 0..10, unknown ``location``.
    """

    rep: int
    pain: int
    location: Location

    def __post_init__(self) -> None:
        if isinstance(self.rep, bool) or not isinstance(self.rep, int) or self.rep < 0:
            raise InputError(f"symptom rep: expected an integer >= 0, got {self.rep!r}")
        if (
            isinstance(self.pain, bool)
            or not isinstance(self.pain, int)
            or not 0 <= self.pain <= PAIN_MAX
        ):
            raise InputError(f"pain: expected an integer 0..10, got {self.pain!r}")
        object.__setattr__(self, "location", parse_location(self.location))


# -- screening -------------------------------------------------------------------------------

#: An answer to a screening question.
Answer = Literal["yes", "no", "unsure"]
ANSWERS: tuple[Answer, ...] = get_args(Answer)

#: Screening outcomes, most serious first.
Outcome = Literal["seek_care", "ask_clinician", "advice", "go_gently", "clear"]
OUTCOMES: tuple[Outcome, ...] = get_args(Outcome)

#: The screening questions' ids, in the order asked (:data:`pressup.safety.screening.QUESTIONS`
#: holds their wording and meaning).
QuestionId = Literal[
    "bladder_bowel",
    "saddle_numbness",
    "leg_weakness",
    "fever",
    "recent_trauma",
    "cancer_history",
    "weight_loss",
    "arthritis_facet",
    "pregnancy",
    "spondylolisthesis",
    "spinal_stenosis",
    "recent_surgery",
    "herniated_disc",
    "unsure_suitable",
]
QUESTION_IDS: tuple[QuestionId, ...] = get_args(QuestionId)

# -- progression decisions -------------------------------------------------------------------

#: What a progression decision does to the dose.
Action = Literal["start", "progress", "keep", "regress", "clinician"]
ACTIONS: tuple[Action, ...] = get_args(Action)

#: Who set a dose: pressup's progression or a clinician.
Source = Literal["engine", "clinician"]
SOURCES: tuple[Source, ...] = get_args(Source)

#: Where the dose an analysis was judged against came from (``analysis.json``
#: ``protocol.dose_source``): ``prescription`` (a clinician's), ``progression`` (pressup's
#: ladder, from the person's past sessions), ``protocol`` (the protocol file's ``[dose]``
#: targets: the video is linked to no one's plan).
DoseSource = Literal["protocol", "prescription", "progression"]
DOSE_SOURCES: tuple[DoseSource, ...] = get_args(DoseSource)


def dose_source_of(source: Source) -> DoseSource:
    """The dose source of a prescription or decision (``clinician`` -> ``prescription``)."""
    return "prescription" if source == "clinician" else "progression"


#: Limits on a clinician's prescription (inclusive).
PRESCRIPTION_LIMITS: dict[str, tuple[float, float]] = {
    "hold_s": (1, 120),
    "reps": (1, 20),
    "sessions_per_day": (1, 10),
}

__all__ = [
    "ABANDON_REASONS",
    "ACTIONS",
    "ANSWERS",
    "DOSE_SOURCES",
    "EVENT_KINDS",
    "FAULT_CODES",
    "LABELS",
    "LADDER_STEPS",
    "LOCATIONS",
    "LOCATION_WORDS",
    "OUTCOMES",
    "PAIN_MAX",
    "PHASES",
    "POSTURES",
    "POSTURE_OF_STEP",
    "PRESCRIPTION_LIMITS",
    "QUESTION_IDS",
    "RAISED_LABELS",
    "SOURCES",
    "STOP_EVENT",
    "UNFINISHED_REASONS",
    "AbandonReason",
    "Action",
    "Answer",
    "DoseSource",
    "EventKind",
    "FaultCode",
    "Label",
    "LadderStep",
    "Location",
    "Outcome",
    "Phase",
    "Posture",
    "QuestionId",
    "SessionEventKind",
    "Source",
    "SymptomReport",
    "UnfinishedReason",
    "dose_source_of",
    "parse_location",
    "posture_of",
    "step_of",
]
