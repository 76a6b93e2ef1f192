"""claims: travel-cost claims, receipts, saved accounts, payout batches and an append-only audit log

Revision ID: 0004
Revises: 0001
Create Date: 2026-11-21
"""

import sqlalchemy as sa
from alembic import op


revision = '0004'
down_revision = '0001'
branch_labels = ('claims',)
depends_on = None

APPEND_ONLY = "claim_audit is append-only: entries cannot be changed or deleted"


def upgrade() -> None:
    op.create_table('claim_audit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('claim_id', sa.Integer(), nullable=True),
    sa.Column('batch_id', sa.Integer(), nullable=True),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor', sa.String(length=80), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('old_status', sa.String(length=20), nullable=True),
    sa.Column('new_status', sa.String(length=20), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_claim_audit'))
    )
    with op.batch_alter_table('claim_audit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_claim_audit_claim_id'), ['claim_id'], unique=False)

    op.create_table('claim_accounts',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('holder', sa.String(length=70), nullable=False),
    sa.Column('iban_encrypted', sa.Text(), nullable=False),
    sa.Column('iban_hash', sa.String(length=64), nullable=False),
    sa.Column('iban_last4', sa.String(length=4), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_claim_accounts_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_claim_accounts'))
    )
    op.create_table('claim_batches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('message_id', sa.String(length=35), nullable=False),
    sa.Column('checksum', sa.String(length=64), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('total_cents', sa.BigInteger(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_by', sa.Integer(), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['closed_by'], ['users.id'], name=op.f('fk_claim_batches_closed_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_claim_batches_created_by_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_claim_batches'))
    )
    op.create_table('claim_receipts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('mime_type', sa.String(length=64), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_claim_receipts_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_claim_receipts'))
    )
    with op.batch_alter_table('claim_receipts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_claim_receipts_sha256'), ['sha256'], unique=False)
        batch_op.create_index(batch_op.f('ix_claim_receipts_user_id'), ['user_id'], unique=False)

    op.create_table('claims',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('trip_date', sa.Date(), nullable=False),
    sa.Column('from_text', sa.String(length=200), nullable=False),
    sa.Column('from_place_id', sa.String(length=12), nullable=True),
    sa.Column('to_text', sa.String(length=200), nullable=False),
    sa.Column('to_place_id', sa.String(length=12), nullable=True),
    sa.Column('place_id', sa.String(length=12), nullable=False),
    sa.Column('transport', sa.String(length=16), nullable=False),
    sa.Column('km_tenths', sa.Integer(), nullable=True),
    sa.Column('ticket_cents', sa.Integer(), nullable=True),
    sa.Column('rate_cents_per_km', sa.Integer(), nullable=True),
    sa.Column('rules_valid_from', sa.Date(), nullable=True),
    sa.Column('amount_cents', sa.Integer(), nullable=False),
    sa.Column('uncapped_cents', sa.Integer(), nullable=False),
    sa.Column('purpose', sa.String(length=500), nullable=False),
    sa.Column('round_table', sa.String(length=200), nullable=True),
    sa.Column('receipt_id', sa.Integer(), nullable=True),
    sa.Column('holder', sa.String(length=70), nullable=False),
    sa.Column('iban_encrypted', sa.Text(), nullable=True),
    sa.Column('iban_hash', sa.String(length=64), nullable=False),
    sa.Column('iban_last4', sa.String(length=4), nullable=False),
    sa.Column('needs_second_approval', sa.Boolean(), nullable=False),
    sa.Column('first_approver_id', sa.Integer(), nullable=True),
    sa.Column('decided_by', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reject_reason', sa.String(length=500), nullable=True),
    sa.Column('batch_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('paid_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('amount_cents >= 0', name=op.f('ck_claims_amount_not_negative')),
    sa.ForeignKeyConstraint(['batch_id'], ['claim_batches.id'], name=op.f('fk_claims_batch_id_claim_batches'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['decided_by'], ['users.id'], name=op.f('fk_claims_decided_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['first_approver_id'], ['users.id'], name=op.f('fk_claims_first_approver_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['receipt_id'], ['claim_receipts.id'], name=op.f('fk_claims_receipt_id_claim_receipts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_claims_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_claims'))
    )
    with op.batch_alter_table('claims', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_claims_batch_id'), ['batch_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_claims_iban_hash'), ['iban_hash'], unique=False)
        batch_op.create_index('ix_claims_status_place', ['status', 'place_id'], unique=False)
        batch_op.create_index('ix_claims_user_trip', ['user_id', 'trip_date'], unique=False)

    # The audit log is append-only in the database itself, not only in the code that writes it.
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(
            "CREATE FUNCTION claim_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN RAISE EXCEPTION '{APPEND_ONLY}'; END $$"
        )
        op.execute(
            "CREATE TRIGGER claim_audit_append_only BEFORE UPDATE OR DELETE ON claim_audit "
            "FOR EACH ROW EXECUTE FUNCTION claim_audit_append_only()"
        )
    else:
        for event in ('UPDATE', 'DELETE'):
            op.execute(
                f"CREATE TRIGGER claim_audit_no_{event.lower()} BEFORE {event} ON claim_audit "
                f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP TRIGGER IF EXISTS claim_audit_append_only ON claim_audit")
        op.execute("DROP FUNCTION IF EXISTS claim_audit_append_only()")
    else:
        op.execute("DROP TRIGGER IF EXISTS claim_audit_no_update")
        op.execute("DROP TRIGGER IF EXISTS claim_audit_no_delete")
    with op.batch_alter_table('claims', schema=None) as batch_op:
        batch_op.drop_index('ix_claims_user_trip')
        batch_op.drop_index('ix_claims_status_place')
        batch_op.drop_index(batch_op.f('ix_claims_iban_hash'))
        batch_op.drop_index(batch_op.f('ix_claims_batch_id'))

    op.drop_table('claims')
    with op.batch_alter_table('claim_receipts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_claim_receipts_user_id'))
        batch_op.drop_index(batch_op.f('ix_claim_receipts_sha256'))

    op.drop_table('claim_receipts')
    op.drop_table('claim_batches')
    op.drop_table('claim_accounts')
    with op.batch_alter_table('claim_audit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_claim_audit_claim_id'))

    op.drop_table('claim_audit')
