"""One patient's view of the store (PatientStore): reads, updates and deletes see only that
patient's rows, new rows are theirs, and the application layer runs on it unchanged."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select, update

from pressup.errors import InputError, StorageError
from pressup.sessions import records as safety
from pressup.storage import Store
from pressup.storage.accounts import create_account
from pressup.storage.models import EventRow, PrescriptionRow, SessionRow
from pressup.storage.scoped import PatientStore

DOSE = {"target_reps": 3, "target_hold_s": 2.0}


@pytest.fixture
def base(tmp_path: Path) -> Iterator[Store]:
    s = Store(f"sqlite:///{tmp_path / 'scoped.db'}")
    yield s
    s.close()


def _two(base: Store) -> tuple[PatientStore, PatientStore]:
    ids = [
        create_account(base, username=f"p{k}", display_name=f"P{k}", role="patient").id
        for k in (1, 2)
    ]
    return PatientStore(base, ids[0]), PatientStore(base, ids[1])


def _session(store: Store) -> str:
    sid = store.create_session(client="t", dose=DOSE, protocol={}, target_reps=3)
    store.add_events(sid, [{"t_s": 1.0, "kind": "rep_started", "rep": 1}])
    return sid


def test_each_patient_sees_only_their_sessions_and_children(base: Store) -> None:
    a, b = _two(base)
    sa, sb = _session(a), _session(b)
    assert [r.id for r in a.list_sessions()] == [sa]
    assert [r.id for r in b.list_sessions()] == [sb]
    assert a.get_session(sb) is None
    assert {r.id for r in base.list_sessions()} == {sa, sb}  # the plain store sees all
    with pytest.raises(StorageError, match="no session"):
        a.list_events(sb)
    with pytest.raises(StorageError, match="no session"):
        a.update_session(sb, stage="done")
    with pytest.raises(StorageError, match="no session"):
        a.delete_session(sb)
    assert a.events_of([sa, sb], "rep_started") == {
        sa: [{"t_s": 1.0, "kind": "rep_started", "rep": 1}],
        sb: [],
    }
    assert b.get_session(sb) is not None and b.get_session(sb).stage == "setup"  # type: ignore[union-attr]


def test_raw_statements_inside_a_transaction_are_scoped_too(base: Store) -> None:
    a, b = _two(base)
    _session(a)
    sb = _session(b)
    with a.transaction(write=True) as s:
        assert s.scalar(select(func.count()).select_from(SessionRow)) == 1
        assert s.scalar(select(func.count(EventRow.id))) == 1
        s.execute(update(SessionRow).values(stage="x"))
        s.execute(delete(SessionRow))
    assert a.list_sessions() == []
    rec = b.get_session(sb)
    assert rec is not None and rec.stage == "setup"
    assert len(b.list_events(sb)) == 1


def test_prescriptions_and_screenings_are_per_patient(base: Store) -> None:
    a, b = _two(base)
    safety.set_prescription(a, variant="forearms", hold_s=5, reps=3, sessions_per_day=1)
    safety.set_prescription(b, variant="hands_bent", hold_s=6, reps=4, sessions_per_day=1)
    safety.set_prescription(a, variant="forearms", hold_s=7, reps=3, sessions_per_day=1)
    pa, pb = safety.active_prescription(a), safety.active_prescription(b)
    assert pa is not None and pa.hold_s == 7.0
    assert pb is not None and pb.hold_s == 6.0  # A's new one did not end B's
    with base.transaction(write=False) as s:
        assert s.scalar(select(func.count()).where(PrescriptionRow.active.is_(True))) == 2
    rec = safety.add_screening(a, answers={"fever": "no"}, outcome="clear", locked=False)
    assert safety.latest_screening(b) is None
    with pytest.raises(StorageError, match="no screening"):
        safety.approve_screening(b, rec.id, approved_by="x", approved_at=rec.created_at)


def test_new_rows_belong_to_the_store_patient(base: Store) -> None:
    a, _ = _two(base)
    sid = _session(a)
    with base.transaction(write=False) as s:
        assert s.scalar(select(SessionRow.patient_id).where(SessionRow.id == sid)) == a.patient_id
    with pytest.raises(InputError, match="patient_id: expected"):
        PatientStore(base, 0)
    with pytest.raises(InputError, match="patient_id: expected 1"), a.transaction(write=True) as s:
        s.add(
            SessionRow(
                id="f" * 32,
                created_at=a.list_sessions()[0].created_at,
                updated_at=a.list_sessions()[0].created_at,
                client="x",
                stage="setup",
                reps_done=0,
                target_reps=1,
                dose={},
                protocol={},
                patient_id=a.patient_id + 1,
            )
        )


def test_a_patient_store_closes_with_its_base(tmp_path: Path) -> None:
    base = Store(f"sqlite:///{tmp_path / 'closing.db'}")
    pid = create_account(base, username="p", display_name="P", role="patient").id
    mine = PatientStore(base, pid)
    mine.close()  # does not close the base
    assert base.list_sessions() == [] and mine.list_sessions() == []
    base.close()
    with pytest.raises(StorageError, match="is closed"):
        mine.list_sessions()


def test_live_writes_through_a_patient_store_leave_another_patients_session_out(
    base: Store,
) -> None:
    from pressup.sessions.records import SessionWrites, write_live

    a, b = _two(base)
    sa, sb = _session(a), _session(b)
    mine = SessionWrites(sa, events=[{"t_s": 2.0, "kind": "rep_completed", "rep": 1}])
    theirs = SessionWrites(sb, events=[{"t_s": 2.0, "kind": "rep_completed", "rep": 1}])
    theirs.stage = "done"
    problems = write_live(a, [mine, theirs])
    assert len(problems) == 1 and sb in problems[0], problems
    assert [e["kind"] for e in a.list_events(sa)] == ["rep_started", "rep_completed"]
    assert [e["kind"] for e in b.list_events(sb)] == ["rep_started"]
    assert b.get_session(sb).stage == "setup"  # type: ignore[union-attr]
