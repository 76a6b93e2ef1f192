"""Unguessable short tokens for buttons, invites and links."""

from __future__ import annotations

import hashlib
import secrets


def new_token(nbytes: int = 12) -> str:
    """URL-safe random text: 12 bytes give 16 characters, well inside Telegram's 64-byte callback limit."""
    return secrets.token_urlsafe(nbytes)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
