"""What the physiotherapist's list says about a patient (alerts, counts, pain trend), and the
clinician's decisions through the application layer (typed refusals)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from pressup.errors import InputError, StorageError
from pressup.protocol import load_spec
from pressup.safety.screening import QUESTION_IDS, evaluate
from pressup.sessions.clinic import (
    AccountRecord,
    create_account,
    overview,
    patient_store,
    prescribe_dose,
    review_screening,
    reviews_of,
)
from pressup.sessions.plan import gate, todays_dose
from pressup.sessions.recorded import Rating, store_recorded_set
from pressup.sessions.records import add_screening, latest_screening
from pressup.sessions.store import Store
from pressup.storage.values import utc_now
from pressup.synthetic import RepScript, SessionScript, make_session

SPEC = load_spec(None)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store(f"sqlite:///{tmp_path / 'clinic.db'}")
    yield s
    s.close()


@pytest.fixture
def people(store: Store) -> tuple[AccountRecord, AccountRecord, AccountRecord]:
    physio = create_account(store, username="physio", display_name="P", role="clinician")
    admin = create_account(store, username="admin", display_name="A", role="admin")
    pat = create_account(
        store, username="pat", display_name="Pat", role="patient", clinician_id=physio.id
    )
    return physio, admin, pat


def _set(store: Store, pat: AccountRecord, ratings: list[Rating]) -> str:
    reps = [RepScript("forearms", 2.0, 7.0, 2.5, 3.0) for _ in range(3)]
    track, _ = make_session(SessionScript(reps=reps, noise_px=0.5))
    return store_recorded_set(patient_store(store, pat), SPEC, track, ratings).session_id


def test_a_new_patient_has_no_session_and_no_screening(store: Store, people: tuple) -> None:
    _, _, pat = people
    o = overview(patient_store(store, pat), pat, SPEC, utc_now())
    assert (o.last_session, o.sessions_recent, o.pain_trend) == (None, 0, "not rated")
    assert o.alerts[0] == "No session yet."
    assert o.alerts[1].startswith("Screening due: ")


def test_alerts_for_a_stopped_set_spreading_symptoms_and_a_quiet_week(
    store: Store, people: tuple
) -> None:
    _, _, pat = people
    ps = patient_store(store, pat)
    add_screening(ps, answers={q: "no" for q in QUESTION_IDS}, outcome="clear", locked=False)
    _set(store, pat, [Rating(0, 2, "back"), Rating(1, 2, "back"), Rating(2, 3, "back")])
    _set(store, pat, [Rating(0, 5, "back"), Rating(1, 5, "thigh")])
    now = utc_now()
    o = overview(ps, pat, SPEC, now)
    assert o.sessions_recent == 2 and o.pain_before == (2, 5) and o.pain_trend == "worse"
    assert any(a.startswith("A set was stopped for safety (1 in 4 weeks") for a in o.alerts)
    assert "Symptoms spread down the leg in 1 set(s) in 4 weeks." in o.alerts
    assert not any(a.startswith("No session") for a in o.alerts)
    later = overview(ps, pat, SPEC, now + timedelta(days=8))
    assert "No session for 8 days." in later.alerts
    assert later.sessions_recent == 2
    much_later = overview(ps, pat, SPEC, now + timedelta(days=40))
    assert much_later.sessions_recent == 0 and much_later.pain_trend == "not rated"


def test_a_locked_screening_is_approved_or_declined_by_the_clinician_only(
    store: Store, people: tuple
) -> None:
    physio, admin, pat = people
    ps = patient_store(store, pat)
    locked = evaluate({q: ("unsure" if i == 0 else "no") for i, q in enumerate(QUESTION_IDS)})
    rec = add_screening(ps, answers=dict(locked.answers), outcome=locked.outcome, locked=True)
    o = overview(ps, pat, SPEC, utc_now())
    assert o.locked_screening == rec.id and "A screening is waiting for your review." in o.alerts
    with pytest.raises(InputError, match="expected a clinician's account, got a admin's"):
        review_screening(
            ps, clinician=admin, screening_id=rec.id, decision="approved", note="", now=utc_now()
        )
    with pytest.raises(InputError, match="note: expected a few words"):
        review_screening(
            ps, clinician=physio, screening_id=rec.id, decision="declined", note="  ", now=utc_now()
        )
    with pytest.raises(InputError, match="decision: expected one of"):
        review_screening(
            ps, clinician=physio, screening_id=rec.id, decision="maybe", note="x", now=utc_now()
        )
    review_screening(
        ps,
        clinician=physio,
        screening_id=rec.id,
        decision="declined",
        note="Call me.",
        now=utc_now(),
    )
    assert not gate(ps, SPEC, utc_now()).allowed
    review_screening(
        ps, clinician=physio, screening_id=rec.id, decision="approved", note="OK.", now=utc_now()
    )
    assert gate(ps, SPEC, utc_now()).allowed
    latest = latest_screening(ps)
    assert latest is not None and latest.approved_by == "P"
    assert [r.decision for r in reviews_of(ps, [rec.id])[rec.id]] == ["declined", "approved"]
    other = create_account(store, username="other", display_name="O", role="patient")
    with pytest.raises(StorageError, match="no screening with id"):
        review_screening(
            patient_store(store, other),
            clinician=physio,
            screening_id=rec.id,
            decision="approved",
            note="",
            now=utc_now(),
        )


def test_a_prescription_is_todays_dose_for_that_patient_only(store: Store, people: tuple) -> None:
    physio, admin, pat = people
    other = create_account(store, username="other", display_name="O", role="patient")
    ps = patient_store(store, pat)
    prescribe_dose(
        ps,
        SPEC,
        clinician=physio,
        variant="hands_bent",
        hold_s=8,
        reps=4,
        sessions_per_day=2,
        notes="slowly",
    )
    dose = todays_dose(ps, SPEC, save=False)
    assert (dose.variant, dose.reps, dose.hold_s, dose.source) == (
        "hands_bent",
        4,
        8.0,
        "prescription",
    )
    assert todays_dose(patient_store(store, other), SPEC, save=False).source == "progression"
    with pytest.raises(InputError, match="expected a clinician's account"):
        prescribe_dose(
            ps,
            SPEC,
            clinician=admin,
            variant="forearms",
            hold_s=5,
            reps=3,
            sessions_per_day=1,
            notes="",
        )
    with pytest.raises(InputError, match="reps"):
        prescribe_dose(
            ps,
            SPEC,
            clinician=physio,
            variant="forearms",
            hold_s=5,
            reps=0,
            sessions_per_day=1,
            notes="",
        )
    with pytest.raises(InputError, match="expected a patient's account, got a clinician's"):
        patient_store(store, physio)


def test_an_approval_whose_review_cannot_be_stored_leaves_the_screening_locked(
    store: Store, people: tuple
) -> None:
    """The approval and the review are one transaction: when the review fails (here the
    clinician's account is gone, so its reference fails), the screening stays locked and no
    review is stored."""
    import dataclasses

    physio, _, pat = people
    ps = patient_store(store, pat)
    locked = evaluate({q: ("unsure" if i == 0 else "no") for i, q in enumerate(QUESTION_IDS)})
    rec = add_screening(ps, answers=dict(locked.answers), outcome=locked.outcome, locked=True)
    gone = dataclasses.replace(physio, id=physio.id + 10_000)
    with pytest.raises(StorageError):
        review_screening(
            ps, clinician=gone, screening_id=rec.id, decision="approved", note="OK.", now=utc_now()
        )
    latest = latest_screening(ps)
    assert latest is not None and latest.locked and latest.approved_by is None
    assert not gate(ps, SPEC, utc_now()).allowed
    assert reviews_of(ps, [rec.id]).get(rec.id, []) == []
    review_screening(
        ps, clinician=physio, screening_id=rec.id, decision="approved", note="OK.", now=utc_now()
    )
    latest = latest_screening(ps)
    assert latest is not None and not latest.locked and latest.approved_by == "P"
