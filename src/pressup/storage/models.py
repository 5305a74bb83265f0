"""ORM tables of the session database (SQLAlchemy 2.0, portable SQLite / PostgreSQL).

These classes describe the schema *at the head migration*; the schema itself is created and
changed only by the Alembic migrations in ``pressup/storage/migrations/versions``. A test
(``test_models_match_migrations``) fails whenever the two disagree.

Units: every ``*_s`` column is seconds from the session's first frame, every ``*_deg`` column
degrees, ``width``/``height`` pixels, timestamps are UTC (``DateTime(timezone=True)``).
Types are portable: ``JSON`` for structured values, ``LargeBinary`` for landmark blobs, no
SQLite-only SQL. Every child table has ``session_id`` with ``ON DELETE CASCADE`` and an index
whose first column is ``session_id`` (for ``reps`` and ``track_chunks`` that is the unique
``(session_id, number|seq)`` index). The safety tables (revision ``0002``) have a nullable
``session_id``: ``symptom_reports`` cascade, ``progression_decisions`` keep their row (set
NULL); ``screenings`` and ``prescriptions`` belong to no session.

Columns are ``Optional`` (not ``X | None``) because SQLAlchemy evaluates these annotations at
run time and pressup supports Python 3.9.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Optional

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

#: Constraint and index names, so migrations can refer to them on every database.
NAMING_CONVENTION: dict[str, str] = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

#: 64-bit surrogate keys on PostgreSQL; SQLite needs exactly INTEGER for its rowid alias.
BigId = BigInteger().with_variant(Integer(), "sqlite")

#: Length limits of the short text columns (checked by the store before writing).
ID_LEN = 32
STAGE_LEN = 32
KIND_LEN = 64
VARIANT_LEN = 16
OUTCOME_LEN = 16
LOCATION_LEN = 16
SOURCE_LEN = 16
CUE_KIND_LEN = 16


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _session_fk(*, index: bool = True) -> Mapped[str]:
    return mapped_column(
        String(ID_LEN),
        ForeignKey("sessions.id", ondelete="CASCADE"),
        nullable=False,
        index=index,
    )


def _patient_fk() -> Mapped[Optional[int]]:
    """The patient account a row belongs to (revision 0004; NULL for the personal coach)."""
    return mapped_column(
        Integer, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=True, index=True
    )


class SessionRow(Base):
    """One coaching session. ``id`` is a 32-character hex UUID."""

    __tablename__ = "sessions"

    id: Mapped[str] = mapped_column(String(ID_LEN), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, index=True
    )
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    ended_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))
    client: Mapped[str] = mapped_column(Text, nullable=False)
    stage: Mapped[str] = mapped_column(String(STAGE_LEN), nullable=False)
    reps_done: Mapped[int] = mapped_column(Integer, nullable=False)
    target_reps: Mapped[int] = mapped_column(Integer, nullable=False)
    dose: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    protocol: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    video_width: Mapped[Optional[int]] = mapped_column(Integer)
    video_height: Mapped[Optional[int]] = mapped_column(Integer)
    patient_id: Mapped[Optional[int]] = _patient_fk()


class EventRow(Base):
    """One engine event; ``data`` holds every key other than ``t_s``, ``kind``, ``rep``."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    session_id: Mapped[str] = _session_fk()
    t_s: Mapped[Optional[float]] = mapped_column(Float)
    kind: Mapped[str] = mapped_column(String(KIND_LEN), nullable=False)
    rep: Mapped[Optional[int]] = mapped_column(Integer)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)


class RepRow(Base):
    """One repetition, as :class:`pressup.analysis.result.Rep` (``number`` is its ``index``).

    An attempt that did not count and the next one share a number, so a repetition is one
    ``(number, start_s)`` (seconds from the session's first frame)."""

    __tablename__ = "reps"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_id: Mapped[str] = _session_fk(index=False)
    number: Mapped[int] = mapped_column(Integer, nullable=False)
    start_s: Mapped[float] = mapped_column(Float, nullable=False)
    top_start_s: Mapped[Optional[float]] = mapped_column(Float)
    top_end_s: Mapped[Optional[float]] = mapped_column(Float)
    end_s: Mapped[Optional[float]] = mapped_column(Float)
    press_s: Mapped[Optional[float]] = mapped_column(Float)
    hold_s: Mapped[Optional[float]] = mapped_column(Float)
    lower_s: Mapped[Optional[float]] = mapped_column(Float)
    variant: Mapped[str] = mapped_column(String(VARIANT_LEN), nullable=False)
    peak_trunk_deg: Mapped[Optional[float]] = mapped_column(Float)
    peak_elbow_deg: Mapped[Optional[float]] = mapped_column(Float)
    faults: Mapped[list[Any]] = mapped_column(JSON, nullable=False)
    complete: Mapped[bool] = mapped_column(Boolean, nullable=False)
    not_counted: Mapped[Optional[str]] = mapped_column(String(32))

    # also the session_id index
    __table_args__ = (UniqueConstraint("session_id", "number", "start_s"),)


class PainRow(Base):
    """A pain rating 0..10 (``score`` None when ``skipped``); ``rep`` 0 = before the set."""

    __tablename__ = "pain_ratings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_id: Mapped[str] = _session_fk()
    rep: Mapped[int] = mapped_column(Integer, nullable=False)
    score: Mapped[Optional[int]] = mapped_column(Integer)
    skipped: Mapped[bool] = mapped_column(Boolean, nullable=False)
    t_s: Mapped[Optional[float]] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)


class FeedbackRow(Base):
    """The user's answer to "was this helpful?" after the set."""

    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_id: Mapped[str] = _session_fk()
    helpful: Mapped[bool] = mapped_column(Boolean, nullable=False)
    comment: Mapped[Optional[str]] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)


class TrackChunkRow(Base):
    """Up to about a second of landmark frames.

    ``t_s``: ``n_frames`` float64 little-endian seconds; ``data``: float32 little-endian,
    C order, shape ``(n_frames, 33, 4)`` with channels ``x_px, y_px, z, visibility`` as in
    :mod:`pressup.pose.track`. ``seq`` counts chunks from 0 within a session.
    """

    __tablename__ = "track_chunks"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    session_id: Mapped[str] = _session_fk(index=False)
    seq: Mapped[int] = mapped_column(Integer, nullable=False)
    t0_s: Mapped[float] = mapped_column(Float, nullable=False)
    n_frames: Mapped[int] = mapped_column(Integer, nullable=False)
    width: Mapped[int] = mapped_column(Integer, nullable=False)
    height: Mapped[int] = mapped_column(Integer, nullable=False)
    t_s: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    data: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)

    __table_args__ = (UniqueConstraint("session_id", "seq"),)  # also the session_id index


class CueRow(Base):
    """One cue the live coach sent during a set (revision 0006): ``t_s`` is the time of the
    frame (or rating) it answered, seconds on the session's frame clock (NULL: before any
    frame); ``cue`` its id, ``kind`` (``breath``, ``count``, ``form``, ``info``, ``safety``),
    ``priority`` (1 = most important), ``text`` the words shown and said (``speak`` false:
    shown only)."""

    __tablename__ = "cues"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    session_id: Mapped[str] = _session_fk()
    t_s: Mapped[Optional[float]] = mapped_column(Float)
    cue: Mapped[str] = mapped_column(String(KIND_LEN), nullable=False)
    kind: Mapped[str] = mapped_column(String(CUE_KIND_LEN), nullable=False)
    priority: Mapped[int] = mapped_column(Integer, nullable=False)
    text: Mapped[str] = mapped_column(Text, nullable=False)
    speak: Mapped[bool] = mapped_column(Boolean, nullable=False)


# -- safety: screening, symptoms, progression (revision 0002) --------------------------------


class ScreeningRow(Base):
    """One safety screening (:mod:`pressup.safety.screening`).

    ``answers``: question id -> ``"yes"``/``"no"``/``"unsure"``; ``outcome``: ``seek_care``,
    ``ask_clinician``, ``advice``, ``go_gently`` or ``clear``; ``locked`` until a clinician's
    approval is recorded (``approved_by``, ``approved_at``).
    """

    __tablename__ = "screenings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, index=True
    )
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    outcome: Mapped[str] = mapped_column(String(OUTCOME_LEN), nullable=False)
    locked: Mapped[bool] = mapped_column(Boolean, nullable=False)
    approved_by: Mapped[Optional[str]] = mapped_column(Text)
    approved_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))
    patient_id: Mapped[Optional[int]] = _patient_fk()


class SymptomRow(Base):
    """Pain 0..10 and where symptoms are felt; ``rep`` 0 = before the set, ``k`` after rep ``k``.

    ``location``: ``none``, ``back``, ``buttock``, ``thigh``, ``below_knee`` or ``foot``.
    ``session_id`` is NULL for a rating given outside a stored session.
    """

    __tablename__ = "symptom_reports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_id: Mapped[Optional[str]] = mapped_column(
        String(ID_LEN), ForeignKey("sessions.id", ondelete="CASCADE"), index=True
    )
    rep: Mapped[int] = mapped_column(Integer, nullable=False)
    pain: Mapped[int] = mapped_column(Integer, nullable=False)
    location: Mapped[str] = mapped_column(String(LOCATION_LEN), nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    patient_id: Mapped[Optional[int]] = _patient_fk()

    __table_args__ = (
        CheckConstraint("pain >= 0 AND pain <= 10", name="pain_range"),
        CheckConstraint("rep >= 0", name="rep_range"),
    )


class DecisionRow(Base):
    """One progression decision (:mod:`pressup.safety.progression`) and its one-line reason.

    ``target_hold_s`` seconds, ``target_peak_trunk_deg`` degrees (NULL: as pain allows);
    ``source`` ``engine`` or ``clinician``. ``session_id``: the latest session it judged
    (NULL before any; set NULL when that session is deleted, the decision stays).
    """

    __tablename__ = "progression_decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, index=True
    )
    session_id: Mapped[Optional[str]] = mapped_column(
        String(ID_LEN), ForeignKey("sessions.id", ondelete="SET NULL"), index=True
    )
    action: Mapped[str] = mapped_column(String(SOURCE_LEN), nullable=False)
    variant: Mapped[str] = mapped_column(String(VARIANT_LEN), nullable=False)
    target_hold_s: Mapped[float] = mapped_column(Float, nullable=False)
    target_reps: Mapped[int] = mapped_column(Integer, nullable=False)
    target_peak_trunk_deg: Mapped[Optional[float]] = mapped_column(Float)
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    source: Mapped[str] = mapped_column(String(SOURCE_LEN), nullable=False)
    patient_id: Mapped[Optional[int]] = _patient_fk()

    __table_args__ = (CheckConstraint("source IN ('engine', 'clinician')", name="source_kind"),)


class PrescriptionRow(Base):
    """A clinician's prescription; at most one is ``active`` (it overrides the engine).

    ``hold_s`` seconds, ``reps`` per set, ``sessions_per_day``.
    """

    __tablename__ = "prescriptions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    variant: Mapped[str] = mapped_column(String(VARIANT_LEN), nullable=False)
    hold_s: Mapped[float] = mapped_column(Float, nullable=False)
    reps: Mapped[int] = mapped_column(Integer, nullable=False)
    sessions_per_day: Mapped[int] = mapped_column(Integer, nullable=False)
    notes: Mapped[str] = mapped_column(Text, nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, index=True)
    patient_id: Mapped[Optional[int]] = _patient_fk()


# -- the clinic: accounts, sign-in, invitations, the audit log (revision 0004) ----------------

#: Length limits of the clinic's short text columns.
USERNAME_LEN = 64
ROLE_LEN = 16
TOKEN_HASH_LEN = 64  # hex SHA-256
ACTION_LEN = 64
ADDRESS_LEN = 64


class AccountRow(Base):
    """A person who signs in to ``pressup serve``: ``role`` ``patient``, ``clinician`` or
    ``admin`` (an admin with ``also_clinician`` may also treat patients).

    ``password_hash`` is an Argon2id hash (NULL until an invited patient sets a password);
    ``failed_logins`` counts failures since the last success and ``locked_until`` is the end of
    a lock-out (UTC). A patient's clinicians are their care team (:class:`CareTeamRow`,
    revision 0007; before it, one ``clinician_id`` here). ``totp_secret`` (base32) is the
    account's second sign-in factor (revision 0008; NULL: none) and ``totp_step`` the last
    30-second step whose code was taken.
    """

    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(USERNAME_LEN), nullable=False, unique=True)
    display_name: Mapped[str] = mapped_column(Text, nullable=False)
    role: Mapped[str] = mapped_column(String(ROLE_LEN), nullable=False)
    also_clinician: Mapped[bool] = mapped_column(Boolean, nullable=False)
    password_hash: Mapped[Optional[str]] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    failed_logins: Mapped[int] = mapped_column(Integer, nullable=False)
    locked_until: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))
    totp_secret: Mapped[Optional[str]] = mapped_column(Text)
    totp_step: Mapped[Optional[int]] = mapped_column(BigInteger)

    __table_args__ = (
        CheckConstraint("role IN ('patient', 'clinician', 'admin')", name="role_kind"),
    )


class CareTeamRow(Base):
    """A clinician in a patient's care team (revision 0007): they may read and change that
    patient's health data. ``added_by``: who added them (NULL: moved from the patient's one
    clinician of earlier revisions, or that account is gone). A patient keeps at least one
    (the application refuses to remove the last)."""

    __tablename__ = "care_team"

    patient_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    clinician_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    added_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    added_by: Mapped[Optional[int]] = mapped_column(
        Integer, ForeignKey("accounts.id", ondelete="SET NULL")
    )


class AuthSessionRow(Base):
    """A signed-in browser. ``id`` is the SHA-256 (hex) of the cookie's secret, never the
    secret itself; ``csrf_token`` is sent back with every state-changing request.
    ``verified`` is false while the sign-in waits for its second factor (revision 0008): such
    a row signs nobody in."""

    __tablename__ = "auth_sessions"

    id: Mapped[str] = mapped_column(String(TOKEN_HASH_LEN), primary_key=True)
    account_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False, index=True
    )
    csrf_token: Mapped[str] = mapped_column(String(TOKEN_HASH_LEN), nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    expires_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, index=True
    )
    address: Mapped[str] = mapped_column(String(ADDRESS_LEN), nullable=False)
    verified: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=true())


class LoginAttemptRow(Base):
    """One sign-in attempt (kept for the rate limit; the password is never stored)."""

    __tablename__ = "login_attempts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, index=True)
    username: Mapped[str] = mapped_column(String(USERNAME_LEN), nullable=False, index=True)
    address: Mapped[str] = mapped_column(String(ADDRESS_LEN), nullable=False, index=True)
    ok: Mapped[bool] = mapped_column(Boolean, nullable=False)


class InviteRow(Base):
    """A one-time code to set an account's password (``code_hash``: SHA-256 hex of the code),
    used once (``used_at``) and only before ``expires_at``. ``purpose``: ``invite`` (a
    clinician invites a patient, an admin a member of staff) or ``reset`` (a password reset
    given by an admin, or by a patient's clinician; revision 0007)."""

    __tablename__ = "invites"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    code_hash: Mapped[str] = mapped_column(String(TOKEN_HASH_LEN), nullable=False, unique=True)
    account_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False, index=True
    )
    created_by: Mapped[Optional[int]] = mapped_column(
        Integer, ForeignKey("accounts.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    used_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))
    purpose: Mapped[str] = mapped_column(String(ROLE_LEN), nullable=False, server_default="invite")

    __table_args__ = (CheckConstraint("purpose IN ('invite', 'reset')", name="purpose_kind"),)


class ScreeningReviewRow(Base):
    """A clinician's answer to a locked screening: ``decision`` ``approved`` or
    ``declined``, with a note for the patient."""

    __tablename__ = "screening_reviews"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    screening_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("screenings.id", ondelete="CASCADE"), nullable=False, index=True
    )
    clinician_id: Mapped[Optional[int]] = mapped_column(
        Integer, ForeignKey("accounts.id", ondelete="SET NULL")
    )
    decision: Mapped[str] = mapped_column(String(ROLE_LEN), nullable=False)
    note: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)

    __table_args__ = (
        CheckConstraint("decision IN ('approved', 'declined')", name="decision_kind"),
    )


class AuditRow(Base):
    """Append-only (the database refuses UPDATE and DELETE): who did what to whose data,
    when and from where. No health data: ``action`` is a fixed verb (``read_history``,
    ``prescribe``, ...), ``actor_*`` and ``patient_*`` copy the names at the time, so an entry
    outlives a deleted account. ``target_*``: the account the action was about (unlocked, given
    a reset code, added to a care team; revision 0007), when it is not just the patient's."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, index=True)
    actor_id: Mapped[Optional[int]] = mapped_column(Integer)
    actor_username: Mapped[str] = mapped_column(String(USERNAME_LEN), nullable=False)
    actor_role: Mapped[str] = mapped_column(String(ROLE_LEN), nullable=False)
    action: Mapped[str] = mapped_column(String(ACTION_LEN), nullable=False)
    patient_id: Mapped[Optional[int]] = mapped_column(Integer, index=True)
    patient_username: Mapped[Optional[str]] = mapped_column(String(USERNAME_LEN))
    address: Mapped[str] = mapped_column(String(ADDRESS_LEN), nullable=False)
    target_id: Mapped[Optional[int]] = mapped_column(Integer)
    target_username: Mapped[Optional[str]] = mapped_column(String(USERNAME_LEN))


#: The tables whose rows belong to one patient (``patient_id``).
PATIENT_OWNED: tuple[type[Base], ...] = (
    SessionRow,
    ScreeningRow,
    SymptomRow,
    DecisionRow,
    PrescriptionRow,
)
#: The tables whose rows belong to a session (``session_id``), so to its patient.
SESSION_CHILDREN: tuple[type[Base], ...] = (
    EventRow,
    RepRow,
    PainRow,
    FeedbackRow,
    TrackChunkRow,
    CueRow,
)


__all__ = [
    "NAMING_CONVENTION",
    "PATIENT_OWNED",
    "SESSION_CHILDREN",
    "AccountRow",
    "AuditRow",
    "AuthSessionRow",
    "Base",
    "CareTeamRow",
    "CueRow",
    "DecisionRow",
    "EventRow",
    "FeedbackRow",
    "InviteRow",
    "LoginAttemptRow",
    "PainRow",
    "PrescriptionRow",
    "RepRow",
    "ScreeningReviewRow",
    "ScreeningRow",
    "SessionRow",
    "SymptomRow",
    "TrackChunkRow",
]
