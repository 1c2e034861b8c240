"""robots.txt files remembered between crawls (RFC 9309 allows a cache of up to 24 hours);
documents remember the sentence fingerprints of their blocks (unchanged blocks are not
canonicalised again) and count their failed fetches apart from shrunken versions.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from hrdwatch.storage.models import UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "robots",
        sa.Column("origin", sa.String(length=300), primary_key=True),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("fetched_at", UTCDateTime(), nullable=False),
    )
    with op.batch_alter_table("documents") as batch_op:
        batch_op.add_column(sa.Column("block_prints", sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("failures", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("documents") as batch_op:
        batch_op.drop_column("failures")
        batch_op.drop_column("block_prints")
    op.drop_table("robots")
