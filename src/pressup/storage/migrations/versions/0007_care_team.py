"""Care teams (several clinicians per patient), password-reset codes, and the account an audit
entry is about.

* ``care_team``: one row per (patient, clinician); each patient's ``accounts.clinician_id``
  moves into it (``added_at``: the patient's account's creation) and the column goes.
* ``invites.purpose``: ``invite`` (every code so far) or ``reset`` (a password reset).
* ``audit_log.target_id`` / ``target_username``: the account an action was about (unlocked,
  given a reset code, added to or removed from a care team), beside the patient whose data it
  was.

Down again: each patient's clinician is the care team's earliest member (the others are
dropped), reset codes are deleted (an older pressup would take them for invitations), and
the audit entries lose the account they were about.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 09:00:00

"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Union

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0007"
down_revision: Union[str, Sequence[str], None] = "0006"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

_TS = sa.DateTime(timezone=True)

#: 0004's triggers that keep the audit log append-only on SQLite (a copied table loses them).
_APPEND_ONLY_SQLITE = (
    "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
    "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
)


def _fk(column: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column],
        ["accounts.id"],
        name=op.f(f"fk_care_team_{column}_accounts"),
        ondelete=ondelete,
    )


def upgrade() -> None:
    op.create_table(
        "care_team",
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("clinician_id", sa.Integer(), nullable=False),
        sa.Column("added_at", _TS, nullable=False),
        sa.Column("added_by", sa.Integer(), nullable=True),
        _fk("patient_id", "CASCADE"),
        _fk("clinician_id", "CASCADE"),
        _fk("added_by", "SET NULL"),
        sa.PrimaryKeyConstraint("patient_id", "clinician_id", name=op.f("pk_care_team")),
    )
    op.create_index(op.f("ix_care_team_clinician_id"), "care_team", ["clinician_id"])
    op.execute(
        "INSERT INTO care_team (patient_id, clinician_id, added_at, added_by) "
        "SELECT id, clinician_id, created_at, NULL FROM accounts "
        "WHERE clinician_id IS NOT NULL AND role = 'patient'"
    )
    with op.batch_alter_table("accounts") as batch:
        batch.drop_index(op.f("ix_accounts_clinician_id"))
        batch.drop_constraint(op.f("fk_accounts_clinician_id_accounts"), type_="foreignkey")
        batch.drop_column("clinician_id")
    with op.batch_alter_table("invites") as batch:
        batch.add_column(
            sa.Column("purpose", sa.String(16), nullable=False, server_default="invite")
        )
        batch.create_check_constraint(
            op.f("ck_invites_purpose_kind"), "purpose IN ('invite', 'reset')"
        )
    with op.batch_alter_table("audit_log") as batch:  # added in place: its triggers stay
        batch.add_column(sa.Column("target_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("target_username", sa.String(64), nullable=True))


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    with op.batch_alter_table("audit_log") as batch:
        batch.drop_column("target_username")
        batch.drop_column("target_id")
    if sqlite:  # the copied table lost its triggers
        for statement in _APPEND_ONLY_SQLITE:
            op.execute(statement)
    op.execute("DELETE FROM invites WHERE purpose = 'reset'")
    with op.batch_alter_table("invites") as batch:
        batch.drop_constraint(op.f("ck_invites_purpose_kind"), type_="check")
        batch.drop_column("purpose")
    with op.batch_alter_table("accounts") as batch:
        batch.add_column(sa.Column("clinician_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_accounts_clinician_id_accounts"),
            "accounts",
            ["clinician_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch.create_index(op.f("ix_accounts_clinician_id"), ["clinician_id"])
    op.execute(
        "UPDATE accounts SET clinician_id = ("
        "SELECT t.clinician_id FROM care_team t WHERE t.patient_id = accounts.id "
        "ORDER BY t.added_at, t.clinician_id LIMIT 1) "
        "WHERE role = 'patient'"
    )
    op.drop_index(op.f("ix_care_team_clinician_id"), table_name="care_team")
    op.drop_table("care_team")
