"""Sessions, events, repetitions, pain ratings, feedback and landmark chunks.

Revision ID: 0001
Revises:
Create Date: 2026-11-24 06:04:55

"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Union

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0001"
down_revision: Union[str, Sequence[str], None] = None
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_TS = sa.DateTime(timezone=True)


def _child_table(
    name: str, id_type: Any, *columns: sa.Column[Any], unique: tuple[str, ...] = ()
) -> None:
    """A table of rows belonging to one session: ``id`` (``id_type``), ``session_id``
    (cascading on delete), ``columns``; either ``UNIQUE (session_id, *unique)`` or an index on
    ``session_id``. (Constraints are made in the order the DDL lists them.)"""
    fk = sa.ForeignKeyConstraint(
        ["session_id"],
        ["sessions.id"],
        name=op.f(f"fk_{name}_session_id_sessions"),
        ondelete="CASCADE",
    )
    pk = sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{name}"))
    extra: list[Any] = []
    if unique:
        extra.append(
            sa.UniqueConstraint(
                "session_id", *unique, name=op.f(f"uq_{name}_session_id_{'_'.join(unique)}")
            )
        )
    op.create_table(
        name,
        sa.Column("id", id_type, autoincrement=True, nullable=False),
        sa.Column("session_id", sa.String(32), nullable=False),
        *columns,
        fk,
        pk,
        *extra,
    )
    if not unique:
        op.create_index(op.f(f"ix_{name}_session_id"), name, ["session_id"])


def _create_sessions() -> None:
    """The ``sessions`` table (times UTC; frame size in pixels)."""
    op.create_table(
        "sessions",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.Column("ended_at", _TS, nullable=True),
        sa.Column("client", sa.Text(), nullable=False),
        sa.Column("stage", sa.String(32), nullable=False),
        sa.Column("reps_done", sa.Integer(), nullable=False),
        sa.Column("target_reps", sa.Integer(), nullable=False),
        sa.Column("dose", sa.JSON(), nullable=False),
        sa.Column("protocol", sa.JSON(), nullable=False),
        sa.Column("video_width", sa.Integer(), nullable=True),
        sa.Column("video_height", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sessions")),
    )
    op.create_index(op.f("ix_sessions_created_at"), "sessions", ["created_at"])


def _create_events() -> None:
    """The ``events`` table (``t_s`` seconds)."""
    _child_table(
        "events",
        _BIG_ID,
        sa.Column("t_s", sa.Float(), nullable=True),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("rep", sa.Integer(), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
    )


def _create_reps() -> None:
    """The ``reps`` table (``*_s`` seconds, ``*_deg`` degrees), one row per rep number."""
    _child_table(
        "reps",
        sa.Integer(),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("start_s", sa.Float(), nullable=False),
        sa.Column("top_start_s", sa.Float(), nullable=True),
        sa.Column("top_end_s", sa.Float(), nullable=True),
        sa.Column("end_s", sa.Float(), nullable=True),
        sa.Column("press_s", sa.Float(), nullable=True),
        sa.Column("hold_s", sa.Float(), nullable=True),
        sa.Column("lower_s", sa.Float(), nullable=True),
        sa.Column("variant", sa.String(16), nullable=False),
        sa.Column("peak_trunk_deg", sa.Float(), nullable=True),
        sa.Column("peak_elbow_deg", sa.Float(), nullable=True),
        sa.Column("faults", sa.JSON(), nullable=False),
        sa.Column("complete", sa.Boolean(), nullable=False),
        unique=("number",),
    )


def _create_pain_ratings() -> None:
    """The ``pain_ratings`` table (score 0..10, ``t_s`` seconds)."""
    _child_table(
        "pain_ratings",
        sa.Integer(),
        sa.Column("rep", sa.Integer(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("skipped", sa.Boolean(), nullable=False),
        sa.Column("t_s", sa.Float(), nullable=True),
        sa.Column("created_at", _TS, nullable=False),
    )


def _create_feedback() -> None:
    """The ``feedback`` table."""
    _child_table(
        "feedback",
        sa.Integer(),
        sa.Column("helpful", sa.Boolean(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("created_at", _TS, nullable=False),
    )


def _create_track_chunks() -> None:
    """The ``track_chunks`` table (``t0_s`` seconds, frame size in pixels, arrays as bytes),
    one row per chunk number."""
    _child_table(
        "track_chunks",
        _BIG_ID,
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("t0_s", sa.Float(), nullable=False),
        sa.Column("n_frames", sa.Integer(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("t_s", sa.LargeBinary(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        unique=("seq",),
    )


def upgrade() -> None:
    _create_sessions()
    _create_events()
    _create_reps()
    _create_pain_ratings()
    _create_feedback()
    _create_track_chunks()


def downgrade() -> None:
    op.drop_table("track_chunks")
    op.drop_index(op.f("ix_feedback_session_id"), table_name="feedback")
    op.drop_table("feedback")
    op.drop_index(op.f("ix_pain_ratings_session_id"), table_name="pain_ratings")
    op.drop_table("pain_ratings")
    op.drop_table("reps")
    op.drop_index(op.f("ix_events_session_id"), table_name="events")
    op.drop_table("events")
    op.drop_index(op.f("ix_sessions_created_at"), table_name="sessions")
    op.drop_table("sessions")
