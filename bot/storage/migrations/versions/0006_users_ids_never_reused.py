"""users: ids are never handed out twice, also on SQLite

SQLite reuses the highest rowid after a delete unless the table is AUTOINCREMENT. The claims audit log names
people by their id after their account is gone, so a newcomer must never get a deleted person's id. PostgreSQL
sequences never go back, so there is nothing to do there.

SQLite can only change this by rebuilding the table. The bot runs migrations with foreign-key enforcement off
(bot/storage/db.py), because dropping the old table with enforcement on would cascade-delete every row that
points to a user; the migration refuses to run otherwise.

Revision ID: 0006
Revises: 0001
Create Date: 2026-11-21
"""

from alembic import op

revision = '0006'
down_revision = '0001'
branch_labels = None
depends_on = None


def _rebuild(autoincrement: bool) -> None:
    bind = op.get_bind()
    if bind.dialect.name != 'sqlite':
        return
    if bind.exec_driver_sql("PRAGMA foreign_keys").scalar():
        raise RuntimeError("rebuilding users with foreign keys enforced would delete every user's data")
    with op.batch_alter_table('users', recreate='always', table_kwargs={'sqlite_autoincrement': autoincrement}):
        pass


def upgrade() -> None:
    _rebuild(True)


def downgrade() -> None:
    _rebuild(False)
