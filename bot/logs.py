"""Structured logging: one JSON object a line, never with message texts, names, phone numbers or IBANs.

Call sites log kinds of events and ids; this formatter additionally masks anything that looks like an IBAN, a
phone number or an e-mail address in case personal data slips into an exception message. Database errors never
carry the statement's values (the engine hides them), but PostgreSQL's own constraint messages quote the row.
"""

from __future__ import annotations

import json
import logging
import re
import sys

_MASKS = [
    (re.compile(r"\b[A-Z]{2}\d{2}(?:\s?[A-Z0-9]{4}){3,7}(?:\s?[A-Z0-9]{1,4})?\b"), "[iban]"),
    (re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+"), "[email]"),
    (re.compile(r"(?<![\w])\+?\d[\d /-]{6,}\d"), "[number]"),
    # PostgreSQL quotes the offending row in constraint errors ("Key (...)=(Anna, ...)", "Failing row contains").
    (re.compile(r"(Key \([^)]*\)=\().*?(\) (?:already exists|is not present))"), r"\1[values]\2"),
    (re.compile(r"(Failing row contains \().*?(\)\.?(?:\\n|$))", re.MULTILINE), r"\1[values]\2"),
]


def scrub(text: str) -> str:
    for pattern, replacement in _MASKS:
        text = pattern.sub(replacement, text)
    return text


OWN_LOGGERS = ("bot", "handlers", "knowledge", "helferbot")
"""Loggers whose call sites follow the rule above; everything else is a library's."""
LIBRARY_LOGGERS = ("telegram", "httpx", "httpcore", "hpack", "h2", "aiohttp", "aiosqlite", "asyncpg",
                   "sqlalchemy.engine", "nio", "peewee", "alembic", "apscheduler", "asyncio", "urllib3")


def _own(name: str) -> bool:
    return any(name == own or name.startswith(own + ".") for own in OWN_LOGGERS)


def _message(record: logging.LogRecord) -> str:
    """A library's log call keeps its wording but loses its arguments.

    Libraries log what passes through them: python-telegram-bot the whole update (message text, first name) at
    DEBUG, nio the events of a sync. Their arguments are where that lives; the format string says what happened.
    """
    if _own(record.name) or not record.args or not isinstance(record.msg, str):
        return record.getMessage()
    return record.msg


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": scrub(_message(record)),
        }
        if record.exc_info:
            entry["exc"] = scrub(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


def setup(level: str = "INFO", stream=None) -> None:
    """JSON lines on stderr; libraries speak only from WARNING on, whatever the bot's own level."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for library in LIBRARY_LOGGERS:
        logging.getLogger(library).setLevel(max(logging.WARNING, root.level))
