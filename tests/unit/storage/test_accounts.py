"""The accounts repository: accounts and roles, sign-in sessions, attempts and lock-out,
invitations used once, deleting a patient with all their data, the append-only audit log."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select, update

from pressup.errors import InputError, RecordNotFoundError, StorageError
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
    assert acc.redeem_invite(store, H, now, "hash", purpose="reset") is None  # not a reset
    done = acc.redeem_invite(store, H, now, "hash-1")
    assert done is not None and done.has_password
    assert acc.password_hash_of(store, pat.id) == "hash-1"
    assert acc.redeem_invite(store, H, now, "hash-2") is None  # used
    assert acc.password_hash_of(store, pat.id) == "hash-1"
    assert [i.purpose for i in acc.invites_of(store, pat.id)] == ["invite", "invite"]


def _sign_in(store: Store, account_id: int, secret: str) -> None:
    acc.create_auth_session(
        store,
        session_hash=secret * 64,
        account_id=account_id,
        csrf_token="c",
        expires_at=utc_now() + timedelta(hours=1),
        address="-",
    )


def test_a_reset_code_ends_every_sign_in_and_only_the_newest_works(store: Store) -> None:
    admin = acc.create_account(store, username="boss", display_name="B", role="admin")
    pat = acc.create_account(store, username="pat", display_name="Pat", role="patient")
    other = acc.create_account(store, username="other", display_name="O", role="patient")
    _sign_in(store, pat.id, "1")
    _sign_in(store, pat.id, "2")
    _sign_in(store, other.id, "3")
    later = utc_now() + timedelta(hours=1)
    for code in ("d", "e"):
        acc.create_invite(
            store,
            code_hash=code * 64,
            account_id=pat.id,
            created_by=admin.id,
            expires_at=later,
            purpose="reset",
        )
    now = utc_now()
    assert acc.redeem_invite(store, "d" * 64, now, "old-code", purpose="reset") is None
    assert acc.redeem_invite(store, "e" * 64, now, "new", purpose="invite") is None
    done = acc.redeem_invite(store, "e" * 64, now, "new", purpose="reset")
    assert done is not None and acc.password_hash_of(store, pat.id) == "new"
    assert acc.auth_session(store, "1" * 64, now) is None
    assert acc.auth_session(store, "2" * 64, now) is None
    assert acc.auth_session(store, "3" * 64, now) is not None  # another account's stays
    assert acc.redeem_invite(store, "e" * 64, now, "again", purpose="reset") is None
    with pytest.raises(InputError, match="purpose: expected one of"):
        acc.create_invite(
            store,
            code_hash="f" * 64,
            account_id=pat.id,
            created_by=admin.id,
            expires_at=later,
            purpose="forever",
        )


def test_changing_a_password_ends_the_other_sign_ins(store: Store) -> None:
    a = acc.create_account(store, username="u", display_name="U", role="clinician")
    for secret in ("1", "2", "3"):
        _sign_in(store, a.id, secret)
    assert acc.change_password(store, a.id, "new-hash", keep="2" * 64) == 2
    now = utc_now()
    assert [acc.auth_session(store, s * 64, now) is not None for s in "123"] == [
        False,
        True,
        False,
    ]
    assert acc.password_hash_of(store, a.id) == "new-hash"


def test_unlocking_ends_the_lock_and_forgets_the_failed_sign_ins(store: Store) -> None:
    a = acc.create_account(store, username="u", display_name="U", role="patient")
    since = utc_now() - timedelta(minutes=1)
    for _ in range(3):
        acc.record_attempt(store, username="u", address="10.0.0.1", ok=False)
        acc.note_failure(store, a.id, lock_after=3, lock_until=utc_now() + timedelta(hours=1))
    acc.record_attempt(store, username="v", address="10.0.0.1", ok=False)
    locked = acc.get_account(store, a.id)
    assert locked is not None and locked.locked_until is not None and locked.failed_logins == 3
    done = acc.unlock_account(store, a.id)
    assert done.locked_until is None and done.failed_logins == 0
    assert acc.failures_since(store, since, username="u") == 0
    assert acc.failures_since(store, since, username="v") == 1  # someone else's stay
    with pytest.raises(RecordNotFoundError):
        acc.unlock_account(store, a.id + 100)


def test_a_care_team_has_many_clinicians_and_never_none(store: Store) -> None:
    one = acc.create_account(store, username="one", display_name="A One", role="clinician")
    two = acc.create_account(store, username="two", display_name="B Two", role="clinician")
    boss = acc.create_account(
        store, username="boss", display_name="C Boss", role="admin", also_clinician=True
    )
    plain = acc.create_account(store, username="plain", display_name="Plain", role="admin")
    pat = acc.create_account(
        store, username="pat", display_name="Pat", role="patient", clinician_id=one.id
    )
    assert acc.patient_in_care(store, pat.id, one.id) == pat
    assert acc.patient_in_care(store, pat.id, two.id) is None
    acc.add_to_care_team(store, patient_id=pat.id, clinician_id=two.id, added_by=one.id)
    acc.add_to_care_team(store, patient_id=pat.id, clinician_id=boss.id, added_by=one.id)
    assert [c.username for c in acc.care_team(store, pat.id)] == ["one", "two", "boss"]
    assert acc.patients_of(store, two.id) == [pat] and acc.patients_of(store, boss.id) == [pat]
    assert acc.patient_in_care(store, pat.id, two.id) == pat
    assert acc.patient_in_care(store, one.id, one.id) is None  # not a patient
    assert acc.patient_in_care(store, MAX_ROW_ID + 1, one.id) is None
    with pytest.raises(InputError, match="in the care team already"):
        acc.add_to_care_team(store, patient_id=pat.id, clinician_id=two.id, added_by=one.id)
    with pytest.raises(InputError, match="expected a clinician's account"):
        acc.add_to_care_team(store, patient_id=pat.id, clinician_id=plain.id, added_by=one.id)
    with pytest.raises(RecordNotFoundError, match="no patient"):
        acc.add_to_care_team(store, patient_id=one.id, clinician_id=two.id, added_by=one.id)
    acc.remove_from_care_team(store, patient_id=pat.id, clinician_id=one.id)
    acc.remove_from_care_team(store, patient_id=pat.id, clinician_id=boss.id)
    assert acc.patients_of(store, one.id) == []
    with pytest.raises(InputError, match="not in the care team"):
        acc.remove_from_care_team(store, patient_id=pat.id, clinician_id=one.id)
    with pytest.raises(InputError, match="keeps at least one"):
        acc.remove_from_care_team(store, patient_id=pat.id, clinician_id=two.id)
    assert [c.username for c in acc.care_team(store, pat.id)] == ["two"]
    acc.delete_account(store, pat.id)  # the care team goes with the patient
    assert acc.patients_of(store, two.id) == []


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
