"""Alembic environment: migrations run on a connection handed in by the bot (sync side of an async engine)."""

from alembic import context

import bot.storage.all_models  # noqa: F401  (registers every table on the metadata)
from bot.storage.base import Base

target_metadata = Base.metadata


def run() -> None:
    connection = context.config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("migrations are run by the bot: use `helferbot migrate`")
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run()
