"""The schema: migrations build what the code expects, upgrades keep every row, and ids are never reused."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select, text

from bot.storage.base import Base
from bot.storage.models import RoleGrant, User
from bot.storage.models_claims import AuditEntry
from tests.support.backend import user_id
from tests.support.claims import audit_of, file_claim
from tests.support.config import PG_URL

BEFORE_PSEUDONYMS = ("0002", "0003", "0004")
"""The heads before the audit log named people by pseudonym and before SQLite kept ids unique."""


async def test_the_migrations_build_exactly_the_tables_the_code_uses(db):
    def differences(connection):
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, Base.metadata)

    async with db.engine.connect() as conn:
        assert await conn.run_sync(differences) == []


async def test_upgrading_keeps_every_row_and_names_actors_by_pseudonym(scratch):
    for revision in BEFORE_PSEUDONYMS:
        await scratch.migrate(revision)
    async with scratch.session() as session:
        anna = User(platform="telegram", platform_user_id="111")
        bert = User(platform="matrix", platform_user_id="@bert:example.org")
        session.add_all([anna, bert])
        await session.flush()
        ids = anna.id, bert.id
        session.add_all([RoleGrant(user_id=anna.id, role="reviewer", scope="08116", granted_by=bert.id),
                         AuditEntry(claim_id=7, actor_id=anna.id, actor="telegram:111", action="submitted"),
                         AuditEntry(claim_id=7, actor_id=None, actor="cli", action="exported")])
        await session.commit()

    await scratch.migrate()

    async with scratch.session() as session:
        assert list(await session.scalars(select(User.platform_user_id).order_by(User.id))) == [
            "111", "@bert:example.org"]
        grant = await session.scalar(select(RoleGrant))
        assert (grant.user_id, grant.granted_by, grant.scope) == (*ids, "08116")  # nothing cascaded away
        assert list(await session.scalars(select(AuditEntry.actor).order_by(AuditEntry.id))) == [
            f"user:{ids[0]}", "cli"]
        await session.execute(text("DELETE FROM users WHERE id = :id"), {"id": ids[1]})
        carl = User(platform="telegram", platform_user_id="333")
        session.add(carl)
        await session.commit()
        assert carl.id > ids[1]  # the deleted id is gone for good
    if not PG_URL:
        async with scratch.engine.connect() as conn:
            assert (await conn.exec_driver_sql("PRAGMA foreign_keys")).scalar() == 1
            assert not (await conn.exec_driver_sql("PRAGMA foreign_key_check")).all()


async def test_a_deleted_persons_id_never_goes_to_someone_new(app, new_chat):
    bert, carl = new_chat("bert"), new_chat("carl")
    claim_id = await file_claim(bert)
    bert_id = await user_id(app, bert)
    await bert.say("/loeschen")
    await bert.press("Ja, alles löschen")
    assert await user_id(app, bert) is None

    await carl.say("/start")

    assert await user_id(app, carl) > bert_id
    entries = await audit_of(app, claim_id)
    assert [e.actor for e in entries] == [f"user:{bert_id}"]  # the log names nobody any more
