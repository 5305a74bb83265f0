"""The accounts repository: accounts and roles, sign-in sessions, attempts and lock-out,
invitations used once, deleting a patient with all their data, the append-only audit log."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select, update

from pressup.errors import InputError, StorageError
from pressup.sessions import records as safety
from pressup.storage import Store
from pressup.storage import accounts as acc
from pressup.storage.models import AuditRow, CueRow, SessionRow
from pressup.storage.scoped import PatientStore
from pressup.storage.values import MAX_ROW_ID, utc_now

H = "a" * 64


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store(f"sqlite:///{tmp_path / 'acc.db'}")
    yield s
    s.close()


def test_accounts_roles_and_care(store: Store) -> None:
    physio = acc.create_account(store, username="physio", display_name="P", role="clinician")
    admin = acc.create_account(
        store, username="boss", display_name="B", role="admin", also_clinician=True
    )
    pat = acc.create_account(
        store, username="pat", display_name="Pat", role="patient", clinician_id=physio.id
    )
    assert physio.can_treat and not physio.can_admin
    assert admin.can_treat and admin.can_admin
    assert not pat.can_treat and not pat.has_password
    assert acc.patients_of(store, physio.id) == [pat]
    assert acc.patients_of(store, admin.id) == []
    with pytest.raises(InputError, match="taken"):
        acc.create_account(store, username="pat", display_name="x", role="patient")
    with pytest.raises(InputError, match="expected lower-case"):
        acc.create_account(store, username="Pat Two", display_name="x", role="patient")
    with pytest.raises(InputError, match="expected a clinician's account, got a patient's"):
        acc.create_account(
            store, username="p2", display_name="x", role="patient", clinician_id=pat.id
        )
    with pytest.raises(InputError, match="role: expected one of"):
        acc.create_account(store, username="p3", display_name="x", role="root")


def test_lockout_counts_in_a_row_and_success_resets(store: Store) -> None:
    a = acc.create_account(store, username="u", display_name="U", role="patient")
    until = utc_now() + timedelta(minutes=15)
    assert [acc.note_failure(store, a.id, lock_after=3, lock_until=until) for _ in range(3)] == [
        1,
        2,
        3,
    ]
    locked = acc.get_account(store, a.id)
    assert locked is not None and locked.locked_until is not None
    acc.note_success(store, a.id)
    again = acc.get_account(store, a.id)
    assert again is not None and again.failed_logins == 0 and again.locked_until is None
    since = utc_now() - timedelta(minutes=1)
    for ok in (False, False, True):
        acc.record_attempt(store, username="u", address="10.0.0.1", ok=ok)
    acc.record_attempt(store, username="v", address="10.0.0.2", ok=False)
    assert acc.failures_since(store, since, username="u") == 2
    assert acc.failures_since(store, since, address="10.0.0.2") == 1
    assert acc.failures_since(store, utc_now() + timedelta(seconds=1), username="u") == 0


def test_sign_in_sessions_expire(store: Store) -> None:
    a = acc.create_account(store, username="u", display_name="U", role="patient")
    now = utc_now()
    acc.create_auth_session(
        store,
        session_hash=H,
        account_id=a.id,
        csrf_token="c",
        expires_at=now + timedelta(hours=1),
        address="1.2.3.4",
    )
    found = acc.auth_session(store, H, now)
    assert found is not None and found[1].id == a.id and found[0].csrf_token == "c"
    assert acc.auth_session(store, H, now + timedelta(hours=2)) is None
    assert acc.auth_session(store, "b" * 64, now) is None
    assert acc.end_expired(store, now + timedelta(hours=2)) == 1
    assert acc.auth_session(store, H, now) is None
    with pytest.raises(InputError, match="SHA-256"):
        acc.create_auth_session(
            store,
            session_hash="plain",
            account_id=a.id,
            csrf_token="c",
            expires_at=now,
            address="x",
        )


def test_an_invitation_works_once_and_not_after_it_expires(store: Store) -> None:
    physio = acc.create_account(store, username="physio", display_name="P", role="clinician")
    pat = acc.create_account(store, username="pat", display_name="Pat", role="patient")
    now = utc_now()
    acc.create_invite(
        store,
        code_hash=H,
        account_id=pat.id,
        created_by=physio.id,
        expires_at=now + timedelta(hours=1),
    )
    acc.create_invite(
        store,
        code_hash="b" * 64,
        account_id=pat.id,
        created_by=physio.id,
        expires_at=now - timedelta(seconds=1),
    )
    assert acc.redeem_invite(store, "b" * 64, now, "hash") is None  # expired
    done = acc.redeem_invite(store, H, now, "hash-1")
    assert done is not None and done.has_password
    assert acc.password_hash_of(store, pat.id) == "hash-1"
    assert acc.redeem_invite(store, H, now, "hash-2") is None  # used
    assert acc.password_hash_of(store, pat.id) == "hash-1"


def test_deleting_a_patient_deletes_their_data_and_keeps_the_audit(store: Store) -> None:
    a = acc.create_account(store, username="a", display_name="A", role="patient")
    b = acc.create_account(store, username="b", display_name="B", role="patient")
    for who in (a, b):
        ps = PatientStore(store, who.id)
        sid = ps.create_session(client="t", dose={}, protocol={}, target_reps=1)
        ps.add_events(sid, [{"t_s": 0.0, "kind": "k"}])
        cue = {"t_s": 0.5, "cue": "c", "kind": "info", "priority": 3, "text": "Hi.", "speak": True}
        safety.add_cues(ps, sid, [cue])
        safety.add_screening(ps, answers={"fever": "no"}, outcome="clear", locked=False)
        safety.add_symptoms(ps, None, [{"rep": 0, "pain": 2, "location": "back"}])
        acc.add_audit(store, actor=who, action="read_history", patient=who, address="x")
    acc.delete_account(store, a.id)
    assert acc.get_account(store, a.id) is None
    with store.transaction(write=False) as s:
        assert s.scalar(select(func.count()).select_from(SessionRow)) == 1
        assert s.scalar(select(func.count()).select_from(CueRow)) == 1  # B's
    left = PatientStore(store, b.id)
    assert len(left.list_sessions()) == 1 and safety.latest_screening(left) is not None
    assert len(acc.list_audit(store)) == 2
    with pytest.raises(StorageError, match="no account"):
        acc.delete_account(store, a.id)


def test_the_audit_log_is_append_only(store: Store) -> None:
    acc.add_audit(store, actor=None, action="sign_in", patient=None, address="1.2.3.4")
    with pytest.raises(StorageError, match="append-only"), store.transaction(write=True) as s:
        s.execute(update(AuditRow).values(action="nothing"))
    with pytest.raises(StorageError, match="append-only"), store.transaction(write=True) as s:
        s.execute(delete(AuditRow))
    entries = list(acc.iter_audit(store, batch=1))
    assert [(e.action, e.actor_role, e.address) for e in entries] == [
        ("sign_in", "anonymous", "1.2.3.4")
    ]


def test_an_id_larger_than_any_row_is_no_account(store: Store) -> None:
    """An id past the database's integers names no account (it was an error: SQLite cannot
    bind 2**63; PostgreSQL's ``integer`` column stops at 2**31 - 1)."""
    for big in (MAX_ROW_ID + 1, 2**63, 10**30):
        assert acc.get_account(store, big) is None
    with pytest.raises(InputError, match="expected an integer >= 1, got 0"):
        acc.get_account(store, 0)
