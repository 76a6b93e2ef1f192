"""meetings: one date of a recurring meeting with its own title or address

`event_occurrence_changes` gains `title` and `location`, NULL where the date keeps the series' values, so
existing rows need no backfill.

Revision ID: 0010
Revises: 0009 (the events branch)
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('event_occurrence_changes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('title', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('location', sa.String(length=255), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('event_occurrence_changes', schema=None) as batch_op:
        batch_op.drop_column('location')
        batch_op.drop_column('title')
