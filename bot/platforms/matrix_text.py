"""What Matrix messages mean to the bot, and how the bot's replies look in Element.

Kept apart from the network code because these are the decisions a reader of the adapter most often wants to
check: when a message in a room counts as addressed to the bot, how choices become numbered options, and whom
the bot accepts invitations from.

Element treats a leading "/" as its own command and asks before sending "/hilfe" as text, which is why Matrix bots
conventionally take "!hilfe". The bot accepts both and, in what it writes, shows its commands with "!" so that
every command it mentions can be typed as shown.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Collection
from urllib.parse import unquote

from bot import bidi
from bot.messages import Button, Reply
from bot.platforms.console import plain

HTML_FORMAT = "org.matrix.custom.html"


def server_of(user_id: str) -> str:
    """The server part of "@name:example.org" (everything after the first colon, port included)."""
    return user_id.partition(":")[2].lower()


def may_join(inviter: str, policy: str, allowed_servers: Collection[str]) -> bool:
    """Whether an invitation from `inviter` is accepted: from anyone, or only from users of listed servers."""
    if policy == "anyone":
        return True
    if policy == "servers":
        return server_of(inviter) in {s.strip().lower() for s in allowed_servers}
    return False


def strip_reply_fallback(body: str) -> str:
    """Drop the quoted "> <@someone> ..." block older clients put in front of a reply's own text."""
    lines = body.split("\n")
    index = 0
    while index < len(lines) and lines[index].startswith(">"):
        index += 1
    if index == 0:
        return body
    if index < len(lines) and lines[index] == "":
        index += 1
    return "\n".join(lines[index:])


def command_text(text: str, known: Callable[[str], bool]) -> str | None:
    """The text in the core's "/name args" form if it is one of the bot's commands ("!hilfe" or "/hilfe")."""
    stripped = text.lstrip()
    if len(stripped) < 2 or stripped[0] not in "/!":
        return None
    name = re.split(r"[\s@]", stripped[1:], maxsplit=1)[0]
    if not name or not known(name.lower()):
        return None
    return "/" + stripped[1:]


def mention_free(text: str, content: dict, own_id: str, names: Collection[str]) -> str | None:
    """The message text without a leading mention if the message mentions the bot; None if it does not.

    A mention is the bot in `m.mentions` (what Element sends for a pill), the bot's user id or a link to it, or
    one of its names (display name, localpart) as a word of the text.
    """
    mentions = content.get("m.mentions")
    ids = mentions.get("user_ids", []) if isinstance(mentions, dict) else []
    formatted = content.get("formatted_body", "") if content.get("format") == HTML_FORMAT else ""
    candidates = [own_id, *sorted({n for n in names if n}, key=len, reverse=True)]
    alternatives = "|".join(re.escape(c) for c in candidates)
    leading = re.match(rf"^\s*@?(?:{alternatives})(?:\s*[:,]\s*|\s+|$)", text, re.IGNORECASE)
    if leading:
        return text[leading.end():]
    hit = (
        own_id in ids
        or own_id.lower() in text.lower()
        or own_id.lower() in unquote(formatted).lower()
        or any(re.search(rf"(?<!\w)@?{re.escape(n)}(?!\w)", text, re.IGNORECASE) for n in names if n)
    )
    return text if hit else None


def show_commands(text: str, commands: Collection[str]) -> str:
    """Write the bot's commands as "!name", the form Element sends without asking."""
    if not commands:
        return text
    names = "|".join(re.escape(c) for c in sorted(commands, key=len, reverse=True))
    return re.sub(rf"(?<![\w/.:<\"'=-])/({names})\b", r"!\1", text)


def numbered(reply: Reply) -> list[Button]:
    """The choices in the order the core numbers them (its remembered menu holds the same tokens)."""
    return [b for row in reply.buttons for b in row if b.token]


def links(reply: Reply) -> list[Button]:
    return [b for row in reply.buttons for b in row if b.url and not b.token]


def text_content(reply: Reply, *, hint: str | None, commands: Collection[str]) -> dict:
    """An m.text content: a plain `body` for every client and HTML for Element, choices as a numbered list."""
    if reply.html:
        markup = reply.text
        body = plain(reply)
    else:
        markup = html.escape(reply.text, quote=False)
        body = reply.text
    markup = markup.replace("\n", "<br>")
    options = numbered(reply)
    targets = links(reply)
    plain_extra: list[str] = []
    html_extra: list[str] = []
    if options:
        rtl = bidi.looks_rtl(reply.text)
        plain_extra.append("\n".join(bidi.numbered_line(n, b.label, rtl)
                                     for n, b in enumerate(options, reply.number_from)))
        start = f' start="{reply.number_from}"' if reply.number_from != 1 else ""
        html_extra.append((f'<ol dir="rtl"{start}>' if rtl else f"<ol{start}>")
                          + "".join(f"<li>{html.escape(bidi.isolate(b.label) if rtl else b.label, quote=False)}</li>"
                                    for b in options) + "</ol>")
    if targets:
        plain_extra.append("\n".join(f"{b.label}: {b.url}" for b in targets))
        html_extra.append("<br>".join(f'<a href="{html.escape(b.url)}">{html.escape(b.label, quote=False)}</a>'
                                      for b in targets))
    if options and hint:
        plain_extra.append(hint)
        html_extra.append(f"<i>{html.escape(hint, quote=False)}</i>")
    body = "\n\n".join([show_commands(body, commands), *plain_extra]) if body else "\n\n".join(plain_extra)
    content: dict = {"msgtype": "m.text", "body": body}
    if reply.html or options or targets:
        content["format"] = HTML_FORMAT
        content["formatted_body"] = _paragraphs([show_commands(markup, commands), *html_extra])
    return content


def _paragraphs(parts: list[str]) -> str:
    out = ""
    for part in parts:
        if not part:
            continue
        if out and not part.startswith("<ol") and not out.endswith("</ol>"):
            out += "<br><br>"
        out += part
    return out
