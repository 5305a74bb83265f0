"""Safety: screenings, symptom reports, progression decisions, clinicians' prescriptions.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 06:39:25

"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Union

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0002"
down_revision: Union[str, Sequence[str], None] = "0001"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

_TS = sa.DateTime(timezone=True)


def _session_fk(table: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["session_id"],
        ["sessions.id"],
        name=op.f(f"fk_{table}_session_id_sessions"),
        ondelete=ondelete,
    )


def upgrade() -> None:
    op.create_table(
        "screenings",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("locked", sa.Boolean(), nullable=False),
        sa.Column("approved_by", sa.Text(), nullable=True),
        sa.Column("approved_at", _TS, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_screenings")),
    )
    op.create_index(op.f("ix_screenings_created_at"), "screenings", ["created_at"])

    op.create_table(
        "symptom_reports",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("session_id", sa.String(32), nullable=True),
        sa.Column("rep", sa.Integer(), nullable=False),
        sa.Column("pain", sa.Integer(), nullable=False),
        sa.Column("location", sa.String(16), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.CheckConstraint("pain >= 0 AND pain <= 10", name=op.f("ck_symptom_reports_pain_range")),
        sa.CheckConstraint("rep >= 0", name=op.f("ck_symptom_reports_rep_range")),
        _session_fk("symptom_reports", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_symptom_reports")),
    )
    op.create_index(op.f("ix_symptom_reports_session_id"), "symptom_reports", ["session_id"])

    op.create_table(
        "progression_decisions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("session_id", sa.String(32), nullable=True),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("variant", sa.String(16), nullable=False),
        sa.Column("target_hold_s", sa.Float(), nullable=False),
        sa.Column("target_reps", sa.Integer(), nullable=False),
        sa.Column("target_peak_trunk_deg", sa.Float(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.CheckConstraint(
            "source IN ('engine', 'clinician')",
            name=op.f("ck_progression_decisions_source_kind"),
        ),
        _session_fk("progression_decisions", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_progression_decisions")),
    )
    op.create_index(
        op.f("ix_progression_decisions_created_at"), "progression_decisions", ["created_at"]
    )
    op.create_index(
        op.f("ix_progression_decisions_session_id"), "progression_decisions", ["session_id"]
    )

    op.create_table(
        "prescriptions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("variant", sa.String(16), nullable=False),
        sa.Column("hold_s", sa.Float(), nullable=False),
        sa.Column("reps", sa.Integer(), nullable=False),
        sa.Column("sessions_per_day", sa.Integer(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_prescriptions")),
    )
    op.create_index(op.f("ix_prescriptions_active"), "prescriptions", ["active"])


def downgrade() -> None:
    op.drop_index(op.f("ix_prescriptions_active"), table_name="prescriptions")
    op.drop_table("prescriptions")
    op.drop_index(op.f("ix_progression_decisions_session_id"), table_name="progression_decisions")
    op.drop_index(op.f("ix_progression_decisions_created_at"), table_name="progression_decisions")
    op.drop_table("progression_decisions")
    op.drop_index(op.f("ix_symptom_reports_session_id"), table_name="symptom_reports")
    op.drop_table("symptom_reports")
    op.drop_index(op.f("ix_screenings_created_at"), table_name="screenings")
    op.drop_table("screenings")
