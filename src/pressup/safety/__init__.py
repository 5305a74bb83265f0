"""Safety over weeks: screening before coaching, pain-gated sets, and explained progression.

* :mod:`pressup.safety.screening` - the safety questions as a decision table, the outcome
  (locked until a clinician approves, where needed), when to ask again, the coach gate.
* :mod:`pressup.safety.symptoms` - pain 0..10 and where symptoms are felt; the stop rules and
  the centralising / peripheralising / unchanged classification of a set.
* :mod:`pressup.safety.progression` - the next dose (variant, hold, reps, how high) from the
  last sessions, each decision with a one-line reason; a clinician's prescription wins.

The same rules fed from and recorded in the session store are in :mod:`pressup.sessions.plan`.

The commands ``pressup screen`` and ``pressup progress`` are in :mod:`pressup.cli.safety`.

Thresholds live in the protocol file (``[pain]``, ``[progression]``, ``[screening]``).
pressup does not diagnose.
"""

from pressup.safety.progression import (
    Decision,
    Prescription,
    SessionSummary,
    SetSummary,
    decide,
    load_prescription,
    starting_prescription,
    summarise_set,
)
from pressup.safety.screening import (
    QUESTIONS,
    STATEMENT,
    Approval,
    Gate,
    ScreeningResult,
    coach_gate,
    evaluate,
    rescreen_reason,
)
from pressup.safety.symptoms import (
    LOCATIONS,
    Stop,
    SymptomReport,
    check_before,
    check_rep,
    classify,
    clinician_advice,
)

__all__ = [
    "LOCATIONS",
    "QUESTIONS",
    "STATEMENT",
    "Approval",
    "Decision",
    "Gate",
    "Prescription",
    "ScreeningResult",
    "SessionSummary",
    "SetSummary",
    "Stop",
    "SymptomReport",
    "check_before",
    "check_rep",
    "classify",
    "clinician_advice",
    "coach_gate",
    "decide",
    "evaluate",
    "load_prescription",
    "rescreen_reason",
    "starting_prescription",
    "summarise_set",
]
