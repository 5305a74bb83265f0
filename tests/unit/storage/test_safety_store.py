"""Stored safety data: screenings, symptom reports, decisions, prescriptions (revision 0002)."""

from __future__ import annotations

from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from pressup.errors import InputError, StorageError
from pressup.safety.symptoms import SymptomReport
from pressup.storage import Store, decisions, prescriptions, screenings, symptoms


@pytest.fixture
def store(tmp_path: Path) -> Any:
    s = Store(f"sqlite:///{tmp_path / 'p.db'}")
    yield s
    s.close()


def _session(store: Store) -> str:
    return store.create_session(client="t", dose={}, protocol={}, target_reps=3)


def test_screening_round_trip_and_approval(store: Store) -> None:
    assert screenings.latest_screening(store) is None
    a = screenings.add_screening(store, answers={"fever": "no"}, outcome="clear", locked=False)
    b = screenings.add_screening(
        store, answers={"arthritis_facet": "yes"}, outcome="ask_clinician", locked=True
    )
    assert a.id < b.id and b.locked and b.approved_by is None
    assert [r.id for r in screenings.list_screenings(store)] == [b.id, a.id]
    assert screenings.latest_screening(store) == b
    ok = screenings.approve_screening(
        store, b.id, approved_by=" Dr Ito ", approved_at=date(2026, 2, 1)
    )
    assert not ok.locked and ok.approved_by == "Dr Ito"
    assert ok.approved_at == datetime(2026, 2, 1, tzinfo=timezone.utc)
    assert screenings.latest_screening(store) == ok
    with pytest.raises(StorageError, match="no screening with id 99"):
        screenings.approve_screening(store, 99, approved_by="X", approved_at=date(2026, 1, 1))


@pytest.mark.parametrize(
    ("kw", "needle"),
    [
        ({"answers": {"fevr": "no"}, "outcome": "clear", "locked": False}, "fevr"),
        ({"answers": {"fever": "maybe"}, "outcome": "clear", "locked": False}, "answers.fever"),
        ({"answers": {}, "outcome": "fine", "locked": False}, "outcome"),
        ({"answers": {}, "outcome": "clear", "locked": "no"}, "locked"),
        (
            {"answers": {}, "outcome": "clear", "locked": False, "approved_by": "X"},
            "both",
        ),
    ],
)
def test_bad_screenings_store_nothing(store: Store, kw: dict[str, Any], needle: str) -> None:
    with pytest.raises(InputError, match=needle):
        screenings.add_screening(store, **kw)
    assert screenings.list_screenings(store) == []


def test_symptoms_round_trip_and_batch_is_atomic(store: Store) -> None:
    sid = _session(store)
    recs = symptoms.add_symptoms(
        store,
        sid,
        [SymptomReport(0, 3, "thigh"), {"rep": 1, "pain": 2, "location": "below the knee"}],
    )
    assert [(r.rep, r.pain, r.location) for r in recs] == [(0, 3, "thigh"), (1, 2, "below_knee")]
    assert symptoms.list_symptoms(store, sid) == recs
    assert recs[0].report() == SymptomReport(0, 3, "thigh")
    with pytest.raises(InputError, match=r"reports\[1\]: pain"):
        symptoms.add_symptoms(
            store,
            sid,
            [{"rep": 2, "pain": 1, "location": "back"}, {"rep": 3, "pain": 11, "location": "back"}],
        )
    with pytest.raises(InputError, match=r"reports\[0\]: missing key 'location'"):
        symptoms.add_symptoms(store, sid, [{"rep": 2, "pain": 1}])
    assert len(symptoms.list_symptoms(store, sid)) == 2
    outside = symptoms.add_symptoms(store, None, [{"rep": 0, "pain": 0, "location": "none"}])
    assert outside[0].session_id is None and symptoms.list_symptoms(store, None) == outside
    with pytest.raises(StorageError, match="no session"):
        symptoms.add_symptoms(store, "f" * 32, [{"rep": 0, "pain": 0, "location": "none"}])
    with pytest.raises(StorageError, match="no session"):
        symptoms.list_symptoms(store, "f" * 32)


def test_deleting_a_session_deletes_its_symptoms_but_keeps_decisions(store: Store) -> None:
    sid = _session(store)
    symptoms.add_symptoms(store, sid, [{"rep": 0, "pain": 1, "location": "back"}])
    d = decisions.add_decision(
        store,
        session_id=sid,
        action="keep",
        variant="forearms",
        target_hold_s=5,
        target_reps=3,
        target_peak_trunk_deg=20.5,
        reason="Keep it.",
        source="engine",
    )
    store.delete_session(sid)
    assert symptoms.list_symptoms(store, None) == []
    kept = decisions.list_decisions(store)
    assert len(kept) == 1 and kept[0].session_id is None and kept[0].reason == "Keep it."
    assert kept[0].target_hold_s == 5.0 and kept[0].id == d.id


@pytest.mark.parametrize(
    ("kw", "needle"),
    [
        ({"action": "jump"}, "action"),
        ({"variant": "hands"}, "variant"),
        ({"source": "friend"}, "source"),
        ({"target_hold_s": 0}, "target_hold_s"),
        ({"target_reps": 0}, "target_reps"),
        ({"session_id": "f" * 32}, "no session"),
    ],
)
def test_bad_decisions(store: Store, kw: dict[str, Any], needle: str) -> None:
    args: dict[str, Any] = {
        "session_id": None,
        "action": "start",
        "variant": "forearms",
        "target_hold_s": 5.0,
        "target_reps": 3,
        "target_peak_trunk_deg": None,
        "reason": "r",
        "source": "engine",
    }
    args.update(kw)
    with pytest.raises((InputError, StorageError), match=needle):
        decisions.add_decision(store, **args)
    assert decisions.list_decisions(store) == []


def test_one_active_prescription(store: Store) -> None:
    assert prescriptions.active_prescription(store) is None
    a = prescriptions.set_prescription(
        store, variant="forearms", hold_s=10, reps=3, sessions_per_day=2
    )
    b = prescriptions.set_prescription(
        store, variant="hands_bent", hold_s=15.5, reps=4, sessions_per_day=1, notes="slow"
    )
    assert prescriptions.active_prescription(store) == b and a.active and b.active
    assert (b.variant, b.hold_s, b.reps, b.sessions_per_day, b.notes) == (
        "hands_bent",
        15.5,
        4,
        1,
        "slow",
    )
    assert prescriptions.clear_prescription(store) == 1
    assert prescriptions.active_prescription(store) is None
    assert prescriptions.clear_prescription(store) == 0
    with pytest.raises(InputError, match="hold_s"):
        prescriptions.set_prescription(
            store, variant="forearms", hold_s=500, reps=3, sessions_per_day=1
        )
    with pytest.raises(InputError, match="sessions_per_day"):
        prescriptions.set_prescription(
            store, variant="forearms", hold_s=5, reps=3, sessions_per_day=50
        )
    assert prescriptions.active_prescription(store) is None
