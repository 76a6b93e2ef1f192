"""meetings: a reason with a cancellation, recurring meetings and their cancelled or moved dates

`events.rrule` holds the RFC 5545 rule of a recurring meeting ("" for a single date) and
`event_occurrence_changes` one row per date of it that was cancelled or moved; answers and reminders
for one date are kept in `event_occurrence_rsvps` and `event_reminders.occurrence`. A person's settings
gain the name they share with organisers and the choice of a weekly digest. Both new columns are NOT NULL
with an empty default, so existing rows need no backfill.

Revision ID: 0009
Revises: 0003 (the events branch)
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cancel_reason', sa.String(length=500), server_default='', nullable=False))
        batch_op.add_column(sa.Column('rrule', sa.String(length=255), server_default='', nullable=False))
    op.create_table(
        'event_occurrence_changes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('event_id', sa.Integer(), nullable=False),
        sa.Column('original_start', sa.DateTime(timezone=True), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('starts_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('ends_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('reason', sa.String(length=500), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_event_occurrence_changes_event_id_events'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_event_occurrence_changes')),
        sa.UniqueConstraint('event_id', 'original_start', name='uq_event_occurrence_changes_event_start'),
    )
    with op.batch_alter_table('event_occurrence_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_event_occurrence_changes_event_id'), ['event_id'], unique=False)
    op.create_table(
        'event_occurrence_rsvps',
        sa.Column('event_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('occurrence', sa.DateTime(timezone=True), nullable=False),
        sa.Column('answer', sa.String(length=8), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_event_occurrence_rsvps_event_id_events'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_event_occurrence_rsvps_user_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('event_id', 'user_id', 'occurrence', name=op.f('pk_event_occurrence_rsvps')),
    )
    with op.batch_alter_table('event_reminders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('occurrence', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('event_user_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('shared_name', sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column('digest', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('digest_week', sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('event_user_settings', schema=None) as batch_op:
        batch_op.drop_column('digest_week')
        batch_op.drop_column('digest')
        batch_op.drop_column('shared_name')
    with op.batch_alter_table('event_reminders', schema=None) as batch_op:
        batch_op.drop_column('occurrence')
    op.drop_table('event_occurrence_rsvps')
    with op.batch_alter_table('event_occurrence_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_event_occurrence_changes_event_id'))
    op.drop_table('event_occurrence_changes')
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_column('rrule')
        batch_op.drop_column('cancel_reason')
