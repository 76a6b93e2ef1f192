"""Persistence: every state that must survive a restart lives here."""

from bot.storage.base import Base
from bot.storage.db import Database

__all__ = ["Base", "Database"]
