"""Declarative routing: commands (German names with English aliases), buttons, dialogs and free-text intents.

Each handler module owns a `Router`; the bot merges them. Adding a feature means adding a module, not editing a
central switch.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.core.context import Context

CommandFn = Callable[["Context", str], Awaitable[None]]
ButtonFn = Callable[["Context", dict[str, Any]], Awaitable[None]]
DialogFn = Callable[["Context"], Awaitable[None]]
IntentFn = Callable[["Context"], Awaitable[bool]]
UnderstoodFn = Callable[["Context", Any], Awaitable[None]]
"""Answers a message read by `knowledge.understand` (it gets the `Understanding`)."""


@dataclass
class Command:
    names: tuple[str, ...]
    fn: CommandFn
    description: str = ""
    """English msgid for the command menu and help (translated where shown)."""
    keeps_dialog: bool = False
    """Help and language may be used in the middle of a dialog without ending it."""
    in_menu: bool = True
    private_only: bool = False
    """Answers with personal data, so in a group the bot points to the private chat instead."""

    @property
    def name(self) -> str:
        return self.names[0]

    @property
    def english(self) -> str:
        return self.names[1] if len(self.names) > 1 else self.names[0]


@dataclass
class Intent:
    name: str
    fn: IntentFn
    priority: int


@dataclass
class Router:
    commands: dict[str, Command] = field(default_factory=dict)
    ordered: list[Command] = field(default_factory=list)
    buttons: dict[str, ButtonFn] = field(default_factory=dict)
    dialogs: dict[str, DialogFn] = field(default_factory=dict)
    intents: list[Intent] = field(default_factory=list)
    understood: dict[str, UnderstoodFn] = field(default_factory=dict)
    """Handlers by intent name (see knowledge/understand.py) for free text that no earlier intent took."""
    resumers: dict[str, tuple[DialogFn, str]] = field(default_factory=dict)
    """Per dialog: how to ask its open question again, and the English msgid offering to continue it."""

    def command(
        self,
        *names: str,
        description: str = "",
        keeps_dialog: bool = False,
        in_menu: bool = True,
        private_only: bool = False,
    ) -> Callable[[CommandFn], CommandFn]:
        def register(fn: CommandFn) -> CommandFn:
            self._add_command(Command(tuple(names), fn, description, keeps_dialog, in_menu, private_only))
            return fn

        return register

    def button(self, action: str) -> Callable[[ButtonFn], ButtonFn]:
        def register(fn: ButtonFn) -> ButtonFn:
            if action in self.buttons:
                raise ValueError(f"button action {action!r} registered twice")
            self.buttons[action] = fn
            return fn

        return register

    def dialog(self, name: str) -> Callable[[DialogFn], DialogFn]:
        def register(fn: DialogFn) -> DialogFn:
            if name in self.dialogs:
                raise ValueError(f"dialog {name!r} registered twice")
            self.dialogs[name] = fn
            return fn

        return register

    def intent(self, name: str, priority: int = 50) -> Callable[[IntentFn], IntentFn]:
        """Free-text handlers tried in priority order (lower first); one returns True when it answered."""

        def register(fn: IntentFn) -> IntentFn:
            self.intents.append(Intent(name, fn, priority))
            self.intents.sort(key=lambda i: i.priority)
            return fn

        return register

    def on_understood(self, *intents: str) -> Callable[[UnderstoodFn], UnderstoodFn]:
        def register(fn: UnderstoodFn) -> UnderstoodFn:
            for name in intents:
                if name in self.understood:
                    raise ValueError(f"intent {name!r} handled twice")
                self.understood[name] = fn
            return fn

        return register

    def resume(self, dialog: str, offer: str) -> Callable[[DialogFn], DialogFn]:
        """`offer` is an English msgid such as "Your travel-cost claim is still open – continue?"."""

        def register(fn: DialogFn) -> DialogFn:
            self.resumers[dialog] = (fn, offer)
            return fn

        return register

    def include(self, other: Router) -> None:
        for cmd in other.ordered:
            self._add_command(cmd)
        for action, fn in other.buttons.items():
            if action in self.buttons:
                raise ValueError(f"button action {action!r} registered twice")
            self.buttons[action] = fn
        for name, fn in other.dialogs.items():
            if name in self.dialogs:
                raise ValueError(f"dialog {name!r} registered twice")
            self.dialogs[name] = fn
        self.intents.extend(other.intents)
        for name, fn in other.understood.items():
            if name in self.understood:
                raise ValueError(f"intent {name!r} handled twice")
            self.understood[name] = fn
        self.resumers.update(other.resumers)
        self.intents.sort(key=lambda i: i.priority)

    def _add_command(self, cmd: Command) -> None:
        for name in cmd.names:
            if name in self.commands:
                raise ValueError(f"command /{name} registered twice")
            self.commands[name] = cmd
        self.ordered.append(cmd)

    def find_command(self, name: str) -> Command | None:
        return self.commands.get(name.lower())


def parse_command(text: str, bot_username: str = "") -> tuple[str, str] | None:
    """Split "/kontakt@helferbot Nürtingen" into ("kontakt", "Nürtingen"); None if the text is no command.

    A command addressed to another bot in a group ("/start@otherbot") is not ours.
    """
    if not text.startswith("/") or len(text) < 2:
        return None
    head, _, rest = text[1:].partition(" ")
    head = head.split("\n", 1)[0]
    if "\n" in text[1:].split(" ", 1)[0]:
        rest = text[1:].split("\n", 1)[1] + (" " + rest if rest else "")
    name, _, target = head.partition("@")
    if target and bot_username and target.lower() != bot_username.lower():
        return None
    if not name or not all(c.isalnum() or c == "_" for c in name):
        return None
    return name.lower(), rest.strip()
