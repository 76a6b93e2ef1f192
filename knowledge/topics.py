"""Topic keys of the coordinator directory and their detection in free text.

The keys follow the competence teams that district networks use to split refugee work (Soziale Betreuung,
Unterkunft und Anschlussunterbringung, Engagement und Ehrenamt, Erziehung und Bildung, Ausbildung und
Arbeit, Medizinische Versorgung und Psychosoziale Betreuung), so a volunteer's question can be routed to
the person a district has put in charge of that field.  ``integration`` covers Integrationsbeauftragte and
dialogue formats that are about living together in general; ``allgemein`` marks general contacts.

Labels are plain strings; translating them for users happens where the other interface texts are
translated.

``topic_in_text`` exists because users type one line such as "Bildung in Esslingen": the topic part must
be split off so that the place lookup only sees "in Esslingen".
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Topic:
    key: str
    label_de: str
    label_en: str


TOPICS: dict[str, Topic] = {
    t.key: t
    for t in (
        Topic("soziale_betreuung", "Soziale Betreuung", "Social support"),
        Topic("unterkunft", "Unterkunft und Anschlussunterbringung", "Housing and follow-up accommodation"),
        Topic("engagement", "Engagement und Ehrenamt", "Civic engagement and volunteering"),
        Topic("bildung", "Erziehung und Bildung", "Childcare and education"),
        Topic("arbeit", "Ausbildung und Arbeit", "Vocational training and work"),
        Topic(
            "medizin",
            "Medizinische Versorgung und Psychosoziale Betreuung",
            "Medical care and psychosocial support",
        ),
        Topic("integration", "Integration", "Integration"),
        Topic("allgemein", "Allgemein", "General"),
    )
}

_UMLAUTS = {"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"}


def fold(text: str) -> str:
    """Case- and umlaut-insensitive form: "Ärzte" and "aerzte" compare equal."""
    return "".join(_UMLAUTS.get(ch, ch) for ch in text.casefold())


def topic_key(value: str) -> str | None:
    """The key for a topic written as its key, German label or English label (as admins type it in files)."""
    wanted = fold(value.strip())
    if not wanted:
        return None
    for topic in TOPICS.values():
        if wanted in (fold(topic.key), fold(topic.label_de), fold(topic.label_en)):
            return topic.key
    return None


# Patterns match a whole folded word (hyphenated compounds count as one word).  The list is ordered:
# the first match wins, so specific words come before the stems they contain ("Ausbildung" is work, not
# school; "Kinderbetreuung" is childcare, not social support; "psychosozial" is health care).
_WORD_PATTERNS: tuple[tuple[str, str], ...] = (
    ("arbeit", r"ausbild\w*|azubi\w*|apprentice\w*|vocational"),
    ("bildung", r"\w*kinderbetreuung\w*|childcare|daycare|day-care"),
    ("medizin", r"psychosozial\w*|psychosocial|psych\w*|trauma\w*|therap\w*"),
    ("soziale_betreuung", r"\w*sozialarbeit\w*|social|sozial\w*"),
    (
        "bildung",
        r"\w*bildung\w*|(?!\w*dorf$)\w*schul(?!d|z$)\w*|\w*schueler\w*|\w*kita\w*|\w*kindergar\w*|krippe\w*"
        r"|erzieh\w*|\w*sprachkurs\w*|\w*deutschkurs\w*|hausaufgaben\w*|nachhilfe\w*|studium|studier\w*"
        r"|hochschul\w*|universit\w*|education\w*|educational|school\w*|kindergarten\w*|nursery"
        r"|language|languages|course|courses|learning|study|studies|university",
    ),
    (
        "unterkunft",
        r"\w*unterk(?:ue|u)nft\w*|\w*wohnung\w*|wohn(?!ort|e$|st$|ste$|t$|haft)\w*|\w*unterbringung\w*"
        r"|miete\w*|mietvertrag\w*|vermiet\w*|obdach\w*|housing|accommodation\w*|apartment\w*|flat|flats"
        r"|rent|rental|renting|shelter\w*|home|homes|homeless\w*",
    ),
    (
        "engagement",
        r"\w*ehrenamt\w*|freiwillig\w*|engagement|engagier\w*|helferkreis\w*|unterstuetzerkreis\w*"
        r"|patenschaft\w*|spende\w*|volunteer\w*|volunteering|donation\w*|mentor\w*|mitmach\w*|mitwirk\w*",
    ),
    (
        "arbeit",
        r"arbeit(?!e$|est$|et$)\w*|job\w*|beruf\w*|bewerbung\w*|praktik\w*|arbeitsmarkt\w*|arbeitsagentur\w*"
        r"|work|working|employ\w*|career\w*|internship\w*",
    ),
    (
        "medizin",
        r"\w*arzt|\w*arzt(?:e|es|in|innen|praxis\w*|termin\w*)|\w*aerzt\w*|gesundheit\w*|health\w*"
        r"|medizin\w*|medic\w*|doctor\w*|hospital\w*|klinik\w*|clinic\w*|vaccin\w*|apothek\w*|pharmac\w*"
        r"|krank(?:e|en|er|es|heit\w*|enhaus\w*|enhaeuser\w*|enkass\w*|enversicher\w*|enschein\w*)?"
        r"|impf(?:ung\w*|en|stoff\w*|termin\w*|ausweis\w*|pass\w*)?"
        r"|hebamme\w*|schwanger\w*|pregnan\w*|\w*versorgung",
    ),
    ("soziale_betreuung", r"betreu\w*|beratung\w*|counsel\w*|care|support|begleit\w*|\w*behoerdengaeng\w*"
     r"|\w*behoerdengang\w*|escort\w*"),
    (
        "integration",
        r"integration\w*|integrier\w*|migration\w*|dolmetsch\w*|sprachmittl\w*|uebersetz\w*"
        r"|interpret\w*|translat\w*|begegnung\w*",
    ),
    ("allgemein", r"allgemein\w*|general|generell"),
)
_COMPILED = tuple((key, re.compile(pattern)) for key, pattern in _WORD_PATTERNS)
_CONNECTORS = frozenset({"und", "and", "oder", "or", "sowie"})
_WORD = re.compile(r"\w+(?:-\w+)*")
_EDGE_PUNCTUATION = " \t,;:/&+-–"


def _word_topic(word: str) -> str | None:
    """Topic of one word; a hyphenated compound ("Kita-Platz") also counts by any of its parts."""
    folded = fold(word)
    parts = folded.split("-") if "-" in folded else []
    for candidate in (folded, *parts):
        for key, pattern in _COMPILED:
            if pattern.fullmatch(candidate):
                return key
    return None


def topic_in_text(text: str) -> tuple[str | None, str]:
    """Find a topic mentioned in ``text``; return its key and the text without the topic words.

    When several topics are named, the one with most words wins and earlier mention breaks ties; the
    words of every topic are removed all the same, since none of them names a place.  Connectors between
    two removed words ("Unterkunft und Anschlussunterbringung") go with them.
    """
    words = [(m.start(), m.end(), _word_topic(m.group())) for m in _WORD.finditer(text)]
    found = [(i, key) for i, (_, _, key) in enumerate(words) if key is not None]
    if not found:
        return None, text.strip()
    counts: dict[str, int] = {}
    for _, key in found:
        counts[key] = counts.get(key, 0) + 1
    first_seen = {key: i for i, key in reversed(found)}
    best = max(counts, key=lambda key: (counts[key], -first_seen[key]))

    removed = {i for i, _ in found}
    for i in range(1, len(words) - 1):
        start, end, _ = words[i]
        if fold(text[start:end]) in _CONNECTORS and i - 1 in removed and i + 1 in removed:
            removed.add(i)
    pieces, position = [], 0
    for i in sorted(removed):
        start, end, _ = words[i]
        pieces.append(text[position:start])
        position = end
    pieces.append(text[position:])
    rest = " ".join("".join(pieces).split())
    rest = re.sub(r"\s+([,;:.!?])", r"\1", rest).strip(_EDGE_PUNCTUATION)
    return best, rest
