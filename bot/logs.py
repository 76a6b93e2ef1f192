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


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": scrub(record.getMessage()),
        }
        if record.exc_info:
            entry["exc"] = scrub(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


def setup(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("httpx", "httpcore", "aiosqlite", "sqlalchemy.engine", "nio", "peewee", "alembic"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
