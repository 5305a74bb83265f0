"""Two-factor sign-in: an account's TOTP secret and the last time step used, and whether a
sign-in has passed its second step.

* ``accounts.totp_secret`` (base32, NULL: none set up) and ``accounts.totp_step`` (the last
  30-second step whose code was taken: a code is taken once);
* ``auth_sessions.verified``: false while a sign-in waits for its code (such a row signs
  nobody in); every sign-in so far is verified.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 10:00:00

"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Union

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0008"
down_revision: Union[str, Sequence[str], None] = "0007"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("accounts") as batch:
        batch.add_column(sa.Column("totp_secret", sa.Text(), nullable=True))
        batch.add_column(sa.Column("totp_step", sa.BigInteger(), nullable=True))
    with op.batch_alter_table("auth_sessions") as batch:
        batch.add_column(
            sa.Column("verified", sa.Boolean(), nullable=False, server_default=sa.true())
        )


def downgrade() -> None:
    op.execute("DELETE FROM auth_sessions WHERE verified = false")
    with op.batch_alter_table("auth_sessions") as batch:
        batch.drop_column("verified")
    with op.batch_alter_table("accounts") as batch:
        batch.drop_column("totp_step")
        batch.drop_column("totp_secret")
