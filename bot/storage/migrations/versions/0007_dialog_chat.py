"""dialog_states: the chat a dialog was started in

A dialog answers only messages from the chat it was started in, so a word said in a group is not taken as the
answer to a question asked in the private chat. Dialogs open during the upgrade keep NULL, which the bot reads as
the user's private chat. Adding a nullable column needs no table rebuild, also on SQLite.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('dialog_states', schema=None) as batch_op:
        batch_op.add_column(sa.Column('chat_id', sa.String(length=255), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('dialog_states', schema=None) as batch_op:
        batch_op.drop_column('chat_id')
