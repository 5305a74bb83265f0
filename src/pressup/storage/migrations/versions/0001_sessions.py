"""Sessions, events, repetitions, pain ratings, feedback and landmark chunks.

Revision ID: 0001
Revises:
Create Date: 2026-11-24 06:04:55

"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Union

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0001"
down_revision: Union[str, Sequence[str], None] = None
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_TS = sa.DateTime(timezone=True)


def _session_id(table: str) -> tuple[sa.Column[str], sa.ForeignKeyConstraint]:
    return (
        sa.Column("session_id", sa.String(32), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["sessions.id"],
            name=op.f(f"fk_{table}_session_id_sessions"),
            ondelete="CASCADE",
        ),
    )


def upgrade() -> None:
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

    sid, fk = _session_id("events")
    op.create_table(
        "events",
        sa.Column("id", _BIG_ID, autoincrement=True, nullable=False),
        sid,
        sa.Column("t_s", sa.Float(), nullable=True),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("rep", sa.Integer(), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        fk,
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
    )
    op.create_index(op.f("ix_events_session_id"), "events", ["session_id"])

    sid, fk = _session_id("reps")
    op.create_table(
        "reps",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sid,
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
        fk,
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reps")),
        sa.UniqueConstraint("session_id", "number", name=op.f("uq_reps_session_id_number")),
    )

    sid, fk = _session_id("pain_ratings")
    op.create_table(
        "pain_ratings",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sid,
        sa.Column("rep", sa.Integer(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("skipped", sa.Boolean(), nullable=False),
        sa.Column("t_s", sa.Float(), nullable=True),
        sa.Column("created_at", _TS, nullable=False),
        fk,
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pain_ratings")),
    )
    op.create_index(op.f("ix_pain_ratings_session_id"), "pain_ratings", ["session_id"])

    sid, fk = _session_id("feedback")
    op.create_table(
        "feedback",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sid,
        sa.Column("helpful", sa.Boolean(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("created_at", _TS, nullable=False),
        fk,
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback")),
    )
    op.create_index(op.f("ix_feedback_session_id"), "feedback", ["session_id"])

    sid, fk = _session_id("track_chunks")
    op.create_table(
        "track_chunks",
        sa.Column("id", _BIG_ID, autoincrement=True, nullable=False),
        sid,
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("t0_s", sa.Float(), nullable=False),
        sa.Column("n_frames", sa.Integer(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("t_s", sa.LargeBinary(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        fk,
        sa.PrimaryKeyConstraint("id", name=op.f("pk_track_chunks")),
        sa.UniqueConstraint("session_id", "seq", name=op.f("uq_track_chunks_session_id_seq")),
    )


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
