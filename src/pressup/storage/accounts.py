"""The clinic's accounts repository: accounts and roles, care teams, sign-in sessions, login
attempts, invitations and password-reset codes, clinicians' screening reviews and the audit
log (revisions ``0004`` and ``0007``).

Functions take a :class:`~pressup.storage.store.Store` (the plain one: accounts belong to no
patient) and run as one transaction each. Secrets are never stored: passwords as the Argon2id
hash the caller made, cookie secrets and invitation codes as their SHA-256 (hex). Malformed
arguments raise :class:`~pressup.errors.InputError`; an unknown id
:class:`~pressup.errors.StorageError`. Timestamps are timezone-aware UTC.

The audit log is append-only: this module only inserts into it and the database refuses
``UPDATE`` and ``DELETE`` on it (triggers of the migration).

Its public names are those without a leading underscore. The shells do not import them from
here: :mod:`pressup.sessions.clinic` passes them on, and its ``__all__`` is the one list of the
ones it does.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Optional, get_args

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from pressup.errors import InputError, RecordNotFoundError, StorageError
from pressup.storage.models import (
    ADDRESS_LEN,
    PATIENT_OWNED,
    USERNAME_LEN,
    AccountRow,
    AuditRow,
    AuthSessionRow,
    CareTeamRow,
    InviteRow,
    LoginAttemptRow,
    ScreeningReviewRow,
    ScreeningRow,
)
from pressup.storage.screenings import Approval
from pressup.storage.store import Store
from pressup.storage.values import MAX_ROW_ID, as_utc, req_int, req_text, utc_now

Role = Literal["patient", "clinician", "admin"]
ROLES: tuple[str, ...] = get_args(Role)
ReviewDecision = Literal["approved", "declined"]
REVIEW_DECISIONS: tuple[str, ...] = get_args(ReviewDecision)
#: What a one-time code is for: setting the first password, or a new one.
CodePurpose = Literal["invite", "reset"]
CODE_PURPOSES: tuple[str, ...] = get_args(CodePurpose)

# -- records ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class AccountRecord:
    """An account (no password hash: see :func:`password_hash_of`)."""

    id: int
    username: str
    display_name: str
    role: Role
    also_clinician: bool
    created_at: datetime
    has_password: bool
    failed_logins: int
    locked_until: Optional[datetime]
    #: A second sign-in factor (TOTP) is set up (its secret: :func:`two_factor_of`).
    has_two_factor: bool = False

    @property
    def can_treat(self) -> bool:
        """May this account read and change patients' health data (its own patients')?"""
        return self.role == "clinician" or (self.role == "admin" and self.also_clinician)

    @property
    def can_admin(self) -> bool:
        return self.role == "admin"


@dataclass(frozen=True)
class AuthSessionRecord:
    """A signed-in browser (``id``: SHA-256 hex of its cookie secret); ``verified`` false: it
    waits for its second factor and signs nobody in yet."""

    id: str
    account_id: int
    csrf_token: str
    created_at: datetime
    expires_at: datetime
    address: str
    verified: bool = True


@dataclass(frozen=True)
class InviteRecord:
    """A one-time code (its hash only is stored): an invitation or a password reset."""

    id: int
    account_id: int
    created_by: Optional[int]
    created_at: datetime
    expires_at: datetime
    used_at: Optional[datetime]
    purpose: CodePurpose


@dataclass(frozen=True)
class ReviewRecord:
    """A clinician's approval or refusal of a screening, with the note for the patient."""

    id: int
    screening_id: int
    clinician_id: Optional[int]
    decision: ReviewDecision
    note: str
    created_at: datetime


@dataclass(frozen=True)
class AuditRecord:
    """One audit entry: who (id, username, role), did what, to whose data, when, from where,
    and the account it was about when that is not only the patient's (``target_*``)."""

    id: int
    at: datetime
    actor_id: Optional[int]
    actor_username: str
    actor_role: str
    action: str
    patient_id: Optional[int]
    patient_username: Optional[str]
    address: str
    target_id: Optional[int] = None
    target_username: Optional[str] = None


def _account(row: AccountRow) -> AccountRecord:
    role = row.role
    if role not in ROLES:
        raise StorageError(f"account {row.id}: expected a role in {ROLES}, got {role!r}")
    return AccountRecord(
        id=row.id,
        username=row.username,
        display_name=row.display_name,
        role=role,  # type: ignore[arg-type]
        also_clinician=row.also_clinician,
        created_at=as_utc(row.created_at),
        has_password=row.password_hash is not None,
        failed_logins=row.failed_logins,
        locked_until=as_utc(row.locked_until) if row.locked_until is not None else None,
        has_two_factor=row.totp_secret is not None,
    )


def _auth(row: AuthSessionRow) -> AuthSessionRecord:
    return AuthSessionRecord(
        id=row.id,
        account_id=row.account_id,
        csrf_token=row.csrf_token,
        created_at=as_utc(row.created_at),
        expires_at=as_utc(row.expires_at),
        address=row.address,
        verified=row.verified,
    )


def _invite(row: InviteRow) -> InviteRecord:
    return InviteRecord(
        id=row.id,
        account_id=row.account_id,
        created_by=row.created_by,
        created_at=as_utc(row.created_at),
        expires_at=as_utc(row.expires_at),
        used_at=as_utc(row.used_at) if row.used_at is not None else None,
        purpose=row.purpose,  # type: ignore[arg-type]  # the table's check keeps it one
    )


def _audit(row: AuditRow) -> AuditRecord:
    return AuditRecord(
        id=row.id,
        at=as_utc(row.at),
        actor_id=row.actor_id,
        actor_username=row.actor_username,
        actor_role=row.actor_role,
        action=row.action,
        patient_id=row.patient_id,
        patient_username=row.patient_username,
        address=row.address,
        target_id=row.target_id,
        target_username=row.target_username,
    )


def _username(value: object) -> str:
    text = req_text("username", value, max_len=USERNAME_LEN)
    ok = text == text.strip().lower() and all(c.isalnum() or c in "._-@" for c in text)
    if not ok:
        raise InputError(
            f"username: expected lower-case letters, digits and . _ - @ (no spaces), got {text!r}"
        )
    return text


def _address(value: object) -> str:
    return req_text("address", value)[:ADDRESS_LEN] or "-"


def _hash(name: str, value: object) -> str:
    text = req_text(name, value)
    if len(text) != 64 or any(c not in "0123456789abcdef" for c in text):
        raise InputError(f"{name}: expected a SHA-256 hex digest (64 characters), got {text!r}")
    return text


def _row(s: Session, account_id: int) -> AccountRow:
    row = s.get(AccountRow, req_int("account_id", account_id, minimum=1))
    if row is None:
        raise RecordNotFoundError(f"no account with id {account_id} in the database")
    return row


# -- accounts ---------------------------------------------------------------------------------


def create_account(
    store: Store,
    *,
    username: str,
    display_name: str,
    role: str,
    password_hash: str | None = None,
    clinician_id: int | None = None,
    also_clinician: bool = False,
) -> AccountRecord:
    """Store a new account; a patient with ``clinician_id`` starts with that clinician as
    their care team (added by them).

    Raises:
        InputError: a malformed argument, a ``clinician_id`` on a non-patient or one that is
            not a clinician's, or the username is taken.
    """
    name = _username(username)
    if role not in ROLES:
        raise InputError(f"role: expected one of {ROLES}, got {role!r}")
    if clinician_id is not None and role != "patient":
        raise InputError(f"clinician_id: only a patient has a clinician, not a {role}")
    with store.transaction(write=True) as s:
        if s.scalar(select(AccountRow.id).where(AccountRow.username == name)) is not None:
            raise InputError(f"username: {name!r} is taken")
        if clinician_id is not None:
            clinician = _account(_row(s, clinician_id))
            if not clinician.can_treat:
                raise InputError(
                    f"clinician_id: expected a clinician's account, got a {clinician.role}'s"
                )
        row = AccountRow(
            username=name,
            display_name=req_text("display_name", display_name).strip() or name,
            role=role,
            also_clinician=bool(also_clinician) and role == "admin",
            password_hash=password_hash,
            created_at=utc_now(),
            failed_logins=0,
            locked_until=None,
        )
        s.add(row)
        s.flush()
        if clinician_id is not None:
            s.add(
                CareTeamRow(
                    patient_id=row.id,
                    clinician_id=clinician_id,
                    added_at=row.created_at,
                    added_by=clinician_id,
                )
            )
        return _account(row)


def get_account(store: Store, account_id: int) -> AccountRecord | None:
    """The account ``account_id``, or ``None`` (also for an id larger than any row's)."""
    n = req_int("account_id", account_id, minimum=1)
    if n > MAX_ROW_ID:
        return None
    with store.transaction(write=False) as s:
        row = s.get(AccountRow, n)
        return _account(row) if row is not None else None


def account_by_username(store: Store, username: str) -> AccountRecord | None:
    if not isinstance(username, str) or not 0 < len(username) <= USERNAME_LEN:
        return None
    with store.transaction(write=False) as s:
        row = s.scalar(select(AccountRow).where(AccountRow.username == username))
        return _account(row) if row is not None else None


def password_hash_of(store: Store, account_id: int) -> str | None:
    """The stored Argon2id hash (``None`` before a password is set)."""
    with store.transaction(write=False) as s:
        return _row(s, account_id).password_hash


def set_password_hash(store: Store, account_id: int, password_hash: str) -> None:
    """Replace the password hash (a rehash with new parameters, or a new password)."""
    text = req_text("password_hash", password_hash)
    with store.transaction(write=True) as s:
        _row(s, account_id).password_hash = text


def list_accounts(store: Store) -> list[AccountRecord]:
    """Every account, by username."""
    with store.transaction(write=False) as s:
        return [_account(r) for r in s.scalars(select(AccountRow).order_by(AccountRow.username))]


def list_clinicians(store: Store) -> list[AccountRecord]:
    """Every account that may treat patients (clinicians, admins who are also clinicians), by
    display name."""
    stmt = (
        select(AccountRow)
        .where(
            (AccountRow.role == "clinician")
            | ((AccountRow.role == "admin") & AccountRow.also_clinician.is_(True))
        )
        .order_by(AccountRow.display_name, AccountRow.id)
    )
    with store.transaction(write=False) as s:
        return [_account(r) for r in s.scalars(stmt)]


def patients_of(store: Store, clinician_id: int) -> list[AccountRecord]:
    """The patients in whose care team ``clinician_id`` is, by display name."""
    cid = req_int("clinician_id", clinician_id, minimum=1)
    stmt = (
        select(AccountRow)
        .join(CareTeamRow, CareTeamRow.patient_id == AccountRow.id)
        .where(AccountRow.role == "patient", CareTeamRow.clinician_id == cid)
        .order_by(AccountRow.display_name, AccountRow.id)
    )
    with store.transaction(write=False) as s:
        return [_account(r) for r in s.scalars(stmt)]


# -- care teams -------------------------------------------------------------------------------


def patient_in_care(store: Store, patient_id: int, clinician_id: int) -> AccountRecord | None:
    """The patient ``patient_id`` when ``clinician_id`` is in their care team, else ``None``
    (also for an id larger than any row's, or an account that is not a patient's)."""
    pid = req_int("patient_id", patient_id, minimum=1)
    cid = req_int("clinician_id", clinician_id, minimum=1)
    if pid > MAX_ROW_ID or cid > MAX_ROW_ID:
        return None
    stmt = (
        select(AccountRow)
        .join(CareTeamRow, CareTeamRow.patient_id == AccountRow.id)
        .where(AccountRow.id == pid, AccountRow.role == "patient", CareTeamRow.clinician_id == cid)
    )
    with store.transaction(write=False) as s:
        row = s.scalar(stmt)
        return _account(row) if row is not None else None


def care_teams(store: Store, patient_ids: Sequence[int]) -> dict[int, list[AccountRecord]]:
    """Each patient's care team (the clinicians' accounts, by display name)."""
    out: dict[int, list[AccountRecord]] = {int(i): [] for i in patient_ids}
    if not out:
        return out
    stmt = (
        select(CareTeamRow.patient_id, AccountRow)
        .join(AccountRow, AccountRow.id == CareTeamRow.clinician_id)
        .where(CareTeamRow.patient_id.in_(list(out)))
        .order_by(AccountRow.display_name, AccountRow.id)
    )
    with store.transaction(write=False) as s:
        for pid, row in s.execute(stmt):
            out[pid].append(_account(row))
    return out


def care_team(store: Store, patient_id: int) -> list[AccountRecord]:
    """The clinicians in the patient's care team, by display name."""
    return care_teams(store, [patient_id])[int(patient_id)]


def _patient_row(s: Session, patient_id: int) -> AccountRow:
    """The patient's row, locked for this transaction (care-team changes queue on it)."""
    pid = req_int("patient_id", patient_id, minimum=1)
    row = s.get(AccountRow, pid, with_for_update=True) if pid <= MAX_ROW_ID else None
    if row is None or row.role != "patient":
        raise RecordNotFoundError(f"no patient with id {patient_id}")
    return row


def add_to_care_team(
    store: Store, *, patient_id: int, clinician_id: int, added_by: int
) -> AccountRecord:
    """Add a clinician to the patient's care team; the clinician's account is returned.

    Raises:
        RecordNotFoundError: no such patient, or no account ``clinician_id``.
        InputError: that account may not treat patients, or is in the care team already.
    """
    with store.transaction(write=True) as s:
        patient = _patient_row(s, patient_id)
        cid = req_int("clinician_id", clinician_id, minimum=1)
        row = s.get(AccountRow, cid) if cid <= MAX_ROW_ID else None
        if row is None:
            raise RecordNotFoundError(f"no account with id {clinician_id}")
        clinician = _account(row)
        if not clinician.can_treat:
            raise InputError(
                f"clinician: expected a clinician's account, got {clinician.username}, "
                f"a {clinician.role}'s"
            )
        if s.get(CareTeamRow, (patient.id, cid)) is not None:
            raise InputError(f"clinician: {clinician.display_name} is in the care team already")
        s.add(
            CareTeamRow(
                patient_id=patient.id,
                clinician_id=cid,
                added_at=utc_now(),
                added_by=req_int("added_by", added_by, minimum=1),
            )
        )
        return clinician


def remove_from_care_team(store: Store, *, patient_id: int, clinician_id: int) -> None:
    """Take a clinician out of the patient's care team (never the last one).

    Raises:
        RecordNotFoundError: no such patient.
        InputError: the clinician is not in the care team, or is its only member.
    """
    with store.transaction(write=True) as s:
        patient = _patient_row(s, patient_id)  # locked: two removals cannot both pass
        cid = req_int("clinician_id", clinician_id, minimum=1)
        members = set(
            s.scalars(select(CareTeamRow.clinician_id).where(CareTeamRow.patient_id == patient.id))
        )
        if cid not in members:
            raise InputError(f"clinician: account {clinician_id} is not in the care team")
        if members == {cid}:
            raise InputError(
                "clinician: expected another clinician in the care team first; a patient "
                "keeps at least one"
            )
        s.execute(
            delete(CareTeamRow).where(
                CareTeamRow.patient_id == patient.id, CareTeamRow.clinician_id == cid
            )
        )


def delete_account(store: Store, account_id: int) -> None:
    """Delete the account and, for a patient, every health row that is theirs (sessions with
    their frames, events, repetitions and ratings; screenings, symptoms, decisions,
    prescriptions), its sign-in sessions and invitations, in one transaction. Audit entries
    stay (they hold no health data)."""
    with store.transaction(write=True) as s:
        row = _row(s, account_id)
        for cls in PATIENT_OWNED:
            s.execute(delete(cls).where(cls.patient_id == row.id))  # type: ignore[attr-defined]
        s.execute(delete(AuthSessionRow).where(AuthSessionRow.account_id == row.id))
        s.execute(delete(InviteRow).where(InviteRow.account_id == row.id))
        s.delete(row)


# -- sign-in: attempts, lock-out, sessions ----------------------------------------------------


def record_attempt(store: Store, *, username: str, address: str, ok: bool) -> None:
    """Store one sign-in attempt (for the rate limit)."""
    row = LoginAttemptRow(
        at=utc_now(),
        username=str(username)[:USERNAME_LEN],
        address=_address(address),
        ok=bool(ok),
    )
    with store.transaction(write=True) as s:
        s.add(row)


def failures_since(
    store: Store, since: datetime, *, username: str | None = None, address: str | None = None
) -> int:
    """Failed attempts after ``since`` for ``username`` and/or from ``address``."""
    stmt = select(func.count(LoginAttemptRow.id)).where(
        LoginAttemptRow.at > since, LoginAttemptRow.ok.is_(False)
    )
    if username is not None:
        stmt = stmt.where(LoginAttemptRow.username == str(username)[:USERNAME_LEN])
    if address is not None:
        stmt = stmt.where(LoginAttemptRow.address == _address(address))
    with store.transaction(write=False) as s:
        return int(s.scalar(stmt) or 0)


def note_failure(store: Store, account_id: int, *, lock_after: int, lock_until: datetime) -> int:
    """Count one failed password for the account; at ``lock_after`` failures in a row lock it
    until ``lock_until``. Returns the failures in a row."""
    with store.transaction(write=True) as s:
        row = s.get(AccountRow, req_int("account_id", account_id, minimum=1), with_for_update=True)
        if row is None:
            raise RecordNotFoundError(f"no account with id {account_id} in the database")
        row.failed_logins += 1
        if row.failed_logins >= lock_after:
            row.locked_until = lock_until
        return row.failed_logins


def note_success(store: Store, account_id: int) -> None:
    """A correct password: the failures in a row and any lock-out end."""
    with store.transaction(write=True) as s:
        row = _row(s, account_id)
        row.failed_logins = 0
        row.locked_until = None


def unlock_account(store: Store, account_id: int) -> AccountRecord:
    """End the account's lock-out now (an admin's hand): the failures in a row go to 0 and
    the failed sign-ins under its user name are forgotten, so neither the lock nor the
    per-name limit refuses the next sign-in. Returns the account as it is now.

    Raises:
        RecordNotFoundError: no such account.
    """
    with store.transaction(write=True) as s:
        row = _row(s, account_id)
        row.failed_logins = 0
        row.locked_until = None
        s.execute(
            delete(LoginAttemptRow).where(
                LoginAttemptRow.username == row.username, LoginAttemptRow.ok.is_(False)
            )
        )
        s.flush()
        return _account(row)


def create_auth_session(
    store: Store,
    *,
    session_hash: str,
    account_id: int,
    csrf_token: str,
    expires_at: datetime,
    address: str,
    verified: bool = True,
) -> AuthSessionRecord:
    """Store a sign-in (``verified`` false: it waits for the second factor)."""
    row = AuthSessionRow(
        id=_hash("session_hash", session_hash),
        account_id=req_int("account_id", account_id, minimum=1),
        csrf_token=req_text("csrf_token", csrf_token, max_len=64),
        created_at=utc_now(),
        expires_at=expires_at,
        address=_address(address),
        verified=bool(verified),
    )
    with store.transaction(write=True) as s:
        s.add(row)
        s.flush()
        return _auth(row)


def auth_session(
    store: Store, session_hash: str, now: datetime
) -> tuple[AuthSessionRecord, AccountRecord] | None:
    """The unexpired sign-in session with this hash and its account, or ``None``."""
    if not isinstance(session_hash, str) or len(session_hash) != 64:
        return None
    with store.transaction(write=False) as s:
        row = s.get(AuthSessionRow, session_hash)
        if row is None or as_utc(row.expires_at) <= now:
            return None
        return _auth(row), _account(_row(s, row.account_id))


def end_auth_session(store: Store, session_hash: str) -> None:
    with store.transaction(write=True) as s:
        s.execute(delete(AuthSessionRow).where(AuthSessionRow.id == session_hash))


def end_auth_sessions(store: Store, account_id: int) -> int:
    """End every sign-in of the account; how many."""
    stmt = delete(AuthSessionRow).where(
        AuthSessionRow.account_id == req_int("account_id", account_id, minimum=1)
    )
    with store.transaction(write=True) as s:
        return int(getattr(s.execute(stmt), "rowcount", 0) or 0)


def two_factor_of(store: Store, account_id: int) -> tuple[str | None, int | None]:
    """The account's TOTP secret (``None``: none set up) and the last step whose code was
    taken.

    Raises:
        RecordNotFoundError: no such account.
    """
    with store.transaction(write=False) as s:
        row = _row(s, account_id)
        return row.totp_secret, row.totp_step


def set_two_factor(store: Store, account_id: int, secret: str | None, step: int | None) -> None:
    """Set up (``secret``, with the step of the code that confirmed it) or remove (``None``)
    the account's second factor.

    Raises:
        RecordNotFoundError: no such account.
    """
    with store.transaction(write=True) as s:
        row = _row(s, account_id)
        row.totp_secret = req_text("secret", secret) if secret is not None else None
        row.totp_step = step if secret is not None else None


def take_two_factor_step(store: Store, account_id: int, step: int) -> bool:
    """Take the code of ``step`` for the account: true once, false when that step or a later
    one was taken already (a code is used once, also by two workers at the same moment)."""
    stmt = (
        update(AccountRow)
        .where(
            AccountRow.id == req_int("account_id", account_id, minimum=1),
            AccountRow.totp_secret.is_not(None),
            (AccountRow.totp_step.is_(None)) | (AccountRow.totp_step < step),
        )
        .values(totp_step=int(step))
    )
    with store.transaction(write=True) as s:
        return int(getattr(s.execute(stmt), "rowcount", 0) or 0) == 1


def change_password(store: Store, account_id: int, password_hash: str, *, keep: str) -> int:
    """Set a new password hash and end the account's other sign-ins (all but ``keep``), in
    one transaction; how many ended.

    Raises:
        RecordNotFoundError: no such account.
    """
    text = req_text("password_hash", password_hash)
    with store.transaction(write=True) as s:
        row = _row(s, account_id)
        row.password_hash = text
        result = s.execute(
            delete(AuthSessionRow).where(
                AuthSessionRow.account_id == row.id, AuthSessionRow.id != keep
            )
        )
        return int(getattr(result, "rowcount", 0) or 0)


def end_expired(store: Store, now: datetime) -> int:
    """Delete the expired sign-in sessions; return how many."""
    with store.transaction(write=True) as s:
        result = s.execute(delete(AuthSessionRow).where(AuthSessionRow.expires_at <= now))
        return int(getattr(result, "rowcount", 0) or 0)


# -- invitations ------------------------------------------------------------------------------


def create_invite(
    store: Store,
    *,
    code_hash: str,
    account_id: int,
    created_by: int,
    expires_at: datetime,
    purpose: str = "invite",
) -> InviteRecord:
    """Store a one-time code's hash. A new ``reset`` code ends the account's earlier unused
    reset codes (their expiry becomes now): only the newest works.

    Raises:
        InputError: a malformed argument or an unknown ``purpose``.
        RecordNotFoundError: no such account.
    """
    if purpose not in CODE_PURPOSES:
        raise InputError(f"purpose: expected one of {CODE_PURPOSES}, got {purpose!r}")
    now = utc_now()
    row = InviteRow(
        code_hash=_hash("code_hash", code_hash),
        account_id=req_int("account_id", account_id, minimum=1),
        created_by=req_int("created_by", created_by, minimum=1),
        created_at=now,
        expires_at=expires_at,
        used_at=None,
        purpose=purpose,
    )
    with store.transaction(write=True) as s:
        _row(s, row.account_id)
        if purpose == "reset":
            earlier = select(InviteRow).where(
                InviteRow.account_id == row.account_id,
                InviteRow.purpose == "reset",
                InviteRow.used_at.is_(None),
                InviteRow.expires_at > now,
            )
            for old in s.scalars(earlier.with_for_update()):
                old.expires_at = now
        s.add(row)
        s.flush()
        return _invite(row)


def redeem_invite(
    store: Store, code_hash: str, now: datetime, password_hash: str, *, purpose: str = "invite"
) -> AccountRecord | None:
    """Use a one-time code of ``purpose`` once: set the account's password, mark the code
    used, end the account's lock-out and every sign-in it has (a reset is often because
    someone else may know the old password), in one transaction. ``None`` when there is no
    such code for this purpose, it was used, or it expired."""
    if not isinstance(code_hash, str) or len(code_hash) != 64:
        return None
    pw = req_text("password_hash", password_hash)
    stmt = select(InviteRow).where(InviteRow.code_hash == code_hash, InviteRow.purpose == purpose)
    with store.transaction(write=True) as s:
        row = s.scalar(stmt.with_for_update())
        if row is None or row.used_at is not None or as_utc(row.expires_at) <= now:
            return None
        row.used_at = now
        account = _row(s, row.account_id)
        account.password_hash = pw
        account.failed_logins = 0
        account.locked_until = None
        s.execute(delete(AuthSessionRow).where(AuthSessionRow.account_id == account.id))
        return _account(account)


def invites_of(store: Store, account_id: int) -> list[InviteRecord]:
    """The account's one-time codes (their hashes stay in the database), oldest first."""
    stmt = (
        select(InviteRow)
        .where(InviteRow.account_id == req_int("account_id", account_id, minimum=1))
        .order_by(InviteRow.id)
    )
    with store.transaction(write=False) as s:
        return [_invite(r) for r in s.scalars(stmt)]


# -- screening reviews ------------------------------------------------------------------------


def add_review(
    store: Store,
    *,
    screening_id: int,
    clinician_id: int,
    decision: str,
    note: str,
    approval: Approval | None = None,
) -> ReviewRecord:
    """Store a clinician's answer to a screening (the caller has checked the screening is
    their patient's). With ``approval`` (only for ``approved``), the screening is approved,
    which unlocks the coach, in the same transaction: both are stored or neither.

    Raises:
        InputError: an unknown decision, or an approval with a decline.
        StorageError: no such screening or clinician (nothing is stored).
    """
    if decision not in REVIEW_DECISIONS:
        raise InputError(f"decision: expected one of {REVIEW_DECISIONS}, got {decision!r}")
    if approval is not None and decision != "approved":
        raise InputError(f"approval: only with the decision 'approved', got {decision!r}")
    row = ScreeningReviewRow(
        screening_id=req_int("screening_id", screening_id, minimum=1),
        clinician_id=req_int("clinician_id", clinician_id, minimum=1),
        decision=decision,
        note=req_text("note", note).strip(),
        created_at=utc_now(),
    )
    with store.transaction(write=True) as s:
        screening = s.get(ScreeningRow, row.screening_id, with_for_update=approval is not None)
        if screening is None:
            raise RecordNotFoundError(f"no screening with id {row.screening_id} in the database")
        if approval is not None:
            approval.apply(screening)
        s.add(row)
        s.flush()
        return ReviewRecord(
            row.id,
            row.screening_id,
            row.clinician_id,
            decision,  # type: ignore[arg-type]
            row.note,
            as_utc(row.created_at),
        )


def reviews_of(store: Store, screening_ids: Sequence[int]) -> dict[int, list[ReviewRecord]]:
    """The reviews of each screening, oldest first."""
    out: dict[int, list[ReviewRecord]] = {int(i): [] for i in screening_ids}
    if not out:
        return out
    stmt = (
        select(ScreeningReviewRow)
        .where(ScreeningReviewRow.screening_id.in_(list(out)))
        .order_by(ScreeningReviewRow.created_at, ScreeningReviewRow.id)
    )
    with store.transaction(write=False) as s:
        for r in s.scalars(stmt):
            out[r.screening_id].append(
                ReviewRecord(
                    r.id,
                    r.screening_id,
                    r.clinician_id,
                    r.decision,  # type: ignore[arg-type]
                    r.note,
                    as_utc(r.created_at),
                )
            )
    return out


# -- the audit log ----------------------------------------------------------------------------


def add_audit(
    store: Store,
    *,
    actor: AccountRecord | None,
    action: str,
    patient: AccountRecord | None,
    address: str,
    target: AccountRecord | None = None,
) -> None:
    """Append one entry (``actor`` ``None``: anonymous, e.g. an invitation being used;
    ``target``: the account the action was about, when not only the patient's)."""
    add_audits(
        store, actor=actor, action=action, patients=[patient], address=address, target=target
    )


def add_audits(
    store: Store,
    *,
    actor: AccountRecord | None,
    action: str,
    patients: Sequence[AccountRecord | None],
    address: str,
    target: AccountRecord | None = None,
) -> None:
    """Append one entry per patient of ``patients`` (the same actor, action, target and
    moment), in one statement (an ``INSERT`` of many rows)."""
    at = utc_now()
    verb = req_text("action", action, max_len=64)
    where = _address(address)
    rows = [
        {
            "at": at,
            "actor_id": actor.id if actor is not None else None,
            "actor_username": actor.username if actor is not None else "-",
            "actor_role": actor.role if actor is not None else "anonymous",
            "action": verb,
            "patient_id": patient.id if patient is not None else None,
            "patient_username": patient.username if patient is not None else None,
            "address": where,
            "target_id": target.id if target is not None else None,
            "target_username": target.username if target is not None else None,
        }
        for patient in patients
    ]
    if not rows:
        return
    with store.transaction(write=True) as s:
        s.execute(insert(AuditRow), rows)


def list_audit(
    store: Store, *, patient_ids: Sequence[int] | None = None, limit: int = 500
) -> list[AuditRecord]:
    """Newest first; only entries about ``patient_ids`` when given."""
    n = req_int("limit", limit, minimum=1)
    stmt = select(AuditRow).order_by(AuditRow.at.desc(), AuditRow.id.desc()).limit(n)
    if patient_ids is not None:
        stmt = stmt.where(AuditRow.patient_id.in_([int(i) for i in patient_ids]))
    with store.transaction(write=False) as s:
        return [_audit(r) for r in s.scalars(stmt)]


def iter_audit(store: Store, batch: int = 1000) -> Iterator[AuditRecord]:
    """Every entry, oldest first, read in batches (for the CSV export)."""
    after = 0
    while True:
        stmt = select(AuditRow).where(AuditRow.id > after).order_by(AuditRow.id).limit(batch)
        with store.transaction(write=False) as s:
            rows = [_audit(r) for r in s.scalars(stmt)]
        if not rows:
            return
        yield from rows
        after = rows[-1].id
