"""Which Matrix direct chats are still private, and where a person's private messages go once one is not.

The core sends personal pushes (claim decisions, reviewer questions, invitations to a role) to the chat a person
last wrote to the bot from privately. On Matrix anyone in a direct chat can invite a third person, who then reads
everything the bot sends there from that moment on. So when a direct chat gains a third member, the bot opens a
new direct chat with the person it belonged to, says why in the old room, and delivers pushes meant for the old
room to the new one; the core learns the new chat as soon as the person writes there.

The mapping lives next to the device store (`private-chats.json`, mode 0600) so it survives restarts: it holds
room and user ids only, no message content.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

from bot.platforms.matrix_store import _write_private

log = logging.getLogger(__name__)

PRIVATE_CHATS_FILE = "private-chats.json"
MAX_PARTNERS = 50_000


def breaks_privacy(*, partner: str | None, bot: str, newcomer: str, membership: str) -> bool:
    """Whether a membership change makes a direct chat with `partner` no longer private.

    An invitation counts already: clients share room keys with invited members' devices, and the invitee can read
    whatever is sent from then on once they join.
    """
    return partner is not None and membership in ("invite", "join") and newcomer not in (bot, partner)


@dataclass
class PrivateChats:
    store_dir: Path
    partners: dict[str, str] = field(default_factory=dict)
    """Direct chat room id -> the person the bot talks to there."""
    moved: dict[str, str] = field(default_factory=dict)
    """Former direct chat room id -> the new direct chat with the same person."""

    @property
    def path(self) -> Path:
        return self.store_dir / PRIVATE_CHATS_FILE

    def load(self) -> PrivateChats:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return self
        except (OSError, ValueError):
            log.error("%s is unreadable; former direct chats are not redirected", self.path)
            return self
        self.partners = dict(data.get("partners") or {})
        self.moved = dict(data.get("moved") or {})
        return self

    def _save(self) -> None:
        _write_private(self.path, json.dumps({"partners": self.partners, "moved": self.moved}))

    def note_direct(self, room_id: str, person: str) -> None:
        """The person wrote to the bot in this direct chat."""
        if self.partners.get(room_id) == person or room_id in self.moved:
            return
        if len(self.partners) >= MAX_PARTNERS:
            self.partners.pop(next(iter(self.partners)))
        self.partners[room_id] = person
        self._save()

    def partner(self, room_id: str) -> str | None:
        return None if room_id in self.moved else self.partners.get(room_id)

    def move(self, old_room: str, new_room: str) -> None:
        person = self.partners.pop(old_room, None)
        # A chain (the new chat lost its privacy too) ends in the newest chat.
        for room, target in self.moved.items():
            if target == old_room:
                self.moved[room] = new_room
        self.moved[old_room] = new_room
        if person is not None:
            self.partners[new_room] = person
        self._save()

    def target(self, room_id: str) -> str:
        """Where a push addressed to `room_id` goes."""
        return self.moved.get(room_id, room_id)
