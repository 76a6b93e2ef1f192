"""claims audit: actors named by pseudonym, entries of removed records deletable by the retention job

The audit log stays append-only for every claim and batch that still exists. Entries whose claim and batch are
gone (the retention job removes claims after the legal period) may now be deleted too, so the log does not outlive
the records it documents. Actors are named "user:<id>" instead of by their chat account: once the person deletes
their account, nothing in the log points to them any more (ids are never reused, see 0006).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-21
"""

from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

APPEND_ONLY = "claim_audit is append-only: entries cannot be changed or deleted"
RECORD_GONE = (
    "(OLD.claim_id IS NOT NULL OR OLD.batch_id IS NOT NULL)"
    " AND NOT EXISTS (SELECT 1 FROM claims WHERE claims.id = OLD.claim_id)"
    " AND NOT EXISTS (SELECT 1 FROM claim_batches WHERE claim_batches.id = OLD.batch_id)"
)


def _drop_guards(dialect: str) -> None:
    if dialect == 'postgresql':
        op.execute("DROP TRIGGER IF EXISTS claim_audit_append_only ON claim_audit")
        op.execute("DROP FUNCTION IF EXISTS claim_audit_append_only()")
    else:
        op.execute("DROP TRIGGER IF EXISTS claim_audit_no_update")
        op.execute("DROP TRIGGER IF EXISTS claim_audit_no_delete")


def _create_guards(dialect: str, deletable_when: str | None) -> None:
    if dialect == 'postgresql':
        allow = f"IF TG_OP = 'DELETE' AND {deletable_when} THEN RETURN OLD; END IF; " if deletable_when else ""
        op.execute(
            "CREATE FUNCTION claim_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN {allow}RAISE EXCEPTION '{APPEND_ONLY}'; END $$"
        )
        op.execute(
            "CREATE TRIGGER claim_audit_append_only BEFORE UPDATE OR DELETE ON claim_audit "
            "FOR EACH ROW EXECUTE FUNCTION claim_audit_append_only()"
        )
    else:
        op.execute(
            "CREATE TRIGGER claim_audit_no_update BEFORE UPDATE ON claim_audit "
            f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END"
        )
        when = f" WHEN NOT ({deletable_when})" if deletable_when else ""
        op.execute(
            f"CREATE TRIGGER claim_audit_no_delete BEFORE DELETE ON claim_audit{when} "
            f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END"
        )


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    _drop_guards(dialect)
    op.execute("UPDATE claim_audit SET actor = 'user:' || CAST(actor_id AS VARCHAR) WHERE actor_id IS NOT NULL")
    _create_guards(dialect, RECORD_GONE)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    _drop_guards(dialect)
    _create_guards(dialect, None)
