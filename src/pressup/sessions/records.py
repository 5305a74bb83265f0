"""What is stored beside the sessions, for the CLI, the web, the history page and the exports:
screenings, symptom reports and pain ratings, progression decisions and clinicians'
prescriptions, and the rows of many sessions at once (:func:`session_data`).

Each function is one transaction on the store (see :mod:`pressup.storage.safety`, the
repository module these come from); the shells call them here, never storage itself.
"""

from __future__ import annotations

from pressup.storage.safety import (
    DecisionRecord,
    PrescriptionRecord,
    ScreeningRecord,
    SessionData,
    SymptomRecord,
    active_prescription,
    add_decision,
    add_rating,
    add_screening,
    add_symptoms,
    approve_screening,
    clear_prescription,
    latest_decision,
    latest_screening,
    list_decisions,
    list_screenings,
    list_symptoms,
    session_data,
    set_prescription,
    symptoms_of,
)

__all__ = [
    "DecisionRecord",
    "PrescriptionRecord",
    "ScreeningRecord",
    "SessionData",
    "SymptomRecord",
    "active_prescription",
    "add_decision",
    "add_rating",
    "add_screening",
    "add_symptoms",
    "approve_screening",
    "clear_prescription",
    "latest_decision",
    "latest_screening",
    "list_decisions",
    "list_screenings",
    "list_symptoms",
    "session_data",
    "set_prescription",
    "symptoms_of",
]
