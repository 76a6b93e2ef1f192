"""claims: the filing person and reminders; person_accounts and person_link_codes

A person may use several chat accounts (Telegram and Matrix, or a new account after deleting the old one); the
claim keeps a keyed hash of its filing person so that person can never approve it. Nullable columns need no
table rebuild, also on SQLite.

Revision ID: 0008
Revises: 0005
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('claims', schema=None) as batch_op:
        batch_op.add_column(sa.Column('person_key', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('first_approver_person', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('reminded_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('waiting_told_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_claims_person_key'), ['person_key'], unique=False)
    op.create_table(
        'person_accounts',
        sa.Column('account_key', sa.String(length=64), nullable=False),
        sa.Column('person_key', sa.String(length=64), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('linked_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_person_accounts_user_id_users'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('account_key', name=op.f('pk_person_accounts')),
    )
    op.create_index(op.f('ix_person_accounts_person_key'), 'person_accounts', ['person_key'], unique=False)
    op.create_index(op.f('ix_person_accounts_user_id'), 'person_accounts', ['user_id'], unique=False)
    op.create_table(
        'person_link_codes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('code_hash', sa.String(length=64), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_person_link_codes_user_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_person_link_codes')),
        sa.UniqueConstraint('code_hash', name=op.f('uq_person_link_codes_code_hash')),
    )
    op.create_index(op.f('ix_person_link_codes_user_id'), 'person_link_codes', ['user_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_person_link_codes_user_id'), table_name='person_link_codes')
    op.drop_table('person_link_codes')
    op.drop_index(op.f('ix_person_accounts_user_id'), table_name='person_accounts')
    op.drop_index(op.f('ix_person_accounts_person_key'), table_name='person_accounts')
    op.drop_table('person_accounts')
    with op.batch_alter_table('claims', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_claims_person_key'))
        batch_op.drop_column('waiting_told_at')
        batch_op.drop_column('reminded_at')
        batch_op.drop_column('first_approver_person')
        batch_op.drop_column('person_key')
