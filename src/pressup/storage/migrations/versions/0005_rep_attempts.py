"""Every attempt kept: a press-up that did not count and the counted one after it share a
number, so a repetition is keyed by its number *and* its start time (reps.start_s).

Before, the unique key was (session_id, number): the next attempt of the same number replaced
the one that did not count, and its reason was lost from storage.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06 08:00:00

"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Union

from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0005"
down_revision: Union[str, Sequence[str], None] = "0004"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("reps") as batch:
        batch.drop_constraint(op.f("uq_reps_session_id_number"), type_="unique")
        batch.create_unique_constraint(
            op.f("uq_reps_session_id_number_start_s"), ["session_id", "number", "start_s"]
        )


def downgrade() -> None:
    # keeps the last attempt of each number, as the old key did
    op.execute(
        "DELETE FROM reps WHERE id NOT IN (SELECT MAX(id) FROM reps GROUP BY session_id, number)"
    )
    with op.batch_alter_table("reps") as batch:
        batch.drop_constraint(op.f("uq_reps_session_id_number_start_s"), type_="unique")
        batch.create_unique_constraint(op.f("uq_reps_session_id_number"), ["session_id", "number"])
