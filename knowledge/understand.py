"""One reading of a free-text message: what the person wants (intent), the place and the topic they mean.

Volunteers type on phones: "Hallo, wer ist in Hanau zuständig?", "termine esslingen", "fahrtkosten",
"abbrechen".  The intent comes from the patterns of :mod:`knowledge.intent_lexicon` over a folded message; the
place from the place index (:mod:`knowledge.places`), fed only the words that may name a place; the topic from
:mod:`knowledge.topics`.

The hard part is words that are also places: "abbrechen" is fuzzily close to Brechen, "ich komme" to Kommen,
"mir ist kalt" is exactly Kalt.  Two libraries tell everyday words from names, so that no list of them has to
be kept by hand:

- ``wordfreq`` knows how common a word is in German and English.  A common word that is not itself part of any
  place name is never a place and never a misspelt one, so it is hidden from the resolver.  Its "small"
  lists (words used at least once per million) hold every word above the thresholds used here, and the
  full lists would add about 100 MB (``bench/understand.py --full-libraries``);
- ``simplemma`` lemmatises, and keeps capital letters only for nouns and names: "essen", "kalt", "kommen",
  "meine" come back in lower case, "Hanau" and "Halle" do not.  A place name that is such an everyday word
  counts as a place only where the sentence makes it one: after "in"/"aus"/..., next to another part of a
  name or to a word like "Kontakt", or alone and written with a capital letter.  Only the words of place
  names need that answer, so :mod:`knowledge.build_place_words` asks simplemma once and ships the answers
  in ``knowledge/place_words.tsv``; its whole dictionary would cost the bot another 100 MB.

``bench/understand.py`` measures what each source adds (``--no-wordfreq``, ``--no-lemmas``).
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import TextIO

from rapidfuzz import process
from rapidfuzz.distance import OSA

from knowledge import normalize as nz
from knowledge.intent_lexicon import PATTERNS, PLACE_INTENTS, PRECEDENCE, VOCABULARY, WEAK_CONTACT
from knowledge.places import PlaceIndex, Resolution, default_index
from knowledge.topics import topic_in_text

INTENTS: tuple[str, ...] = PRECEDENCE + ("none",)
PLACE_WORDS = Path(__file__).resolve().parent / "place_words.tsv"

_PLAIN = str.maketrans({"ä": "a", "ö": "o", "ü": "u", "ß": "ss"})
_DIGRAPHS = re.compile(r"(?<=[a-z])(?:ae|oe|ue)|^(?:ae|oe|ue)")
_WORD = re.compile(r"[^\W\d_]+")
_MASK = "bitte"  # a filler word of the resolver: it ends a span of name words without being one


def _fold_pattern(pattern: str) -> str:
    """A pattern in the spelling of :func:`fold_text`; regex syntax has no umlauts or vowel pairs."""
    return _DIGRAPHS.sub(lambda m: m.group(0)[0], pattern.translate(_PLAIN))


def fold_text(text: str) -> str:
    """Lower case, umlauts as plain vowels, "ae"/"oe"/"ue" merged, accents dropped: one spelling for
    "zuständig", "zustaendig" and "zustandig"."""
    text = unicodedata.normalize("NFC", text).casefold().translate(_PLAIN)
    decomposed = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"[a-z]+", lambda m: _DIGRAPHS.sub(lambda d: d.group(0)[0], m.group(0)), text)


_COMPILED = {intent: [re.compile(_fold_pattern(p)) for p in pats] for intent, pats in PATTERNS.items()}
_WEAK = [re.compile(_fold_pattern(p)) for p in WEAK_CONTACT]
_VOCAB = tuple(sorted({_fold_pattern(w) for w in VOCABULARY}))
_VOCAB_SET = frozenset(_VOCAB)
#: Words next to which an everyday word that is also a place name is read as the place ("Kontakt Essen").
_CUE_NEIGHBOUR = re.compile(_fold_pattern(
    r"(?:ansprech|kontakt|zustandig|koordin|termin|treffen|abonnier|abbestell|abo$|subscrib|unsubscrib|contact"
    r"|meetings?$|events?$|plz$|kreis$|landkreis$|stadt$|gemeinde$)\w*"))
_DOMAIN_NOUN = re.compile(r"(?:fluchtling|gefluchtet|helfer|ehrenamt|hilfe|help|kontakt|ansprech|koordin|stelle"
                          r"|beratung|team|verein|initiative|netzwerk|termin|treffen|morgen|abend|nacht|tag|woche"
                          r"|monat|info|nummer|telefon|mail|adresse|ort|wohnort|gruss|frage|sprache|rathaus|amt"
                          r"|behord|jobcenter|verwaltung|gruppe|person|plz|postleitzahl|asyl|migration)\w*")
_PREPOSITIONS = frozenset({"für", "fuer", "fur", "for", "to", "zu", "über", "ueber", "uber", "about", "of"})
_KEEP = nz.CONNECTOR_FORMS | frozenset(nz.CONNECTORS) | nz.LOCATIVES | nz.SOFT_WORDS | nz.KREIS_WORDS | {"plz"}


@dataclass(frozen=True)
class Understanding:
    text: str
    intent: str  # one of INTENTS
    place: str | None  # place id, "ambiguous", or None
    topic: str | None  # a key of knowledge.topics.TOPICS
    resolution: Resolution | None = None  # the place answer with its choices, when a place was looked up

    def as_dict(self) -> dict:
        return {"text": self.text, "intent": self.intent, "place": self.place, "topic": self.topic}


def _place_tokens(index: PlaceIndex) -> frozenset[str]:
    """Every word of every place name, in both umlaut spellings: only these words may be (part of) a place."""
    out: set[str] = set()
    for name in index.gazetteer.names():
        for tok in nz.raw_tokens(name.replace("-", " ")):
            out.add(nz.fold(tok, "ae"))
            out.add(nz.fold(tok, "a"))
    return frozenset(out)


@cache
def place_words() -> dict[str, tuple[bool, bool]]:
    """``knowledge/place_words.tsv``: word -> (known German word, its lemma is a noun or a name)."""
    table: dict[str, tuple[bool, bool]] = {}
    with open(PLACE_WORDS, encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("#") or line.startswith("word\t"):
                continue
            word, known, noun = line.rstrip("\n").split("\t")
            table[word] = (known == "1", noun == "1")
    return table


class Understander:
    """Reads messages with one place index; the libraries can be switched off to measure what they add."""

    def __init__(self, index: PlaceIndex | None = None, *, use_wordfreq: bool = True, use_lemmas: bool = True):
        self.index = index or default_index()
        self.places = _place_tokens(self.index)
        self._zipf = None
        #: (known German word, lemma is a noun or name) of the words of place names
        self._lemma: dict[str, tuple[bool, bool]] | None = place_words() if use_lemmas else None
        if use_wordfreq:
            from wordfreq import zipf_frequency

            self._zipf = lambda word, lang: zipf_frequency(word, lang, wordlist="small")
        self._word = lru_cache(maxsize=1 << 15)(self._classify)

    # ------------------------------------------------------------------ words

    def _classify(self, word: str) -> tuple[bool, bool, bool, bool]:
        """(common, place word, everyday place word, noun or name) for a lower-case word."""
        folded_ae, folded_a = nz.fold(word, "ae"), nz.fold(word, "a")
        place = folded_ae in self.places or folded_a in self.places
        common = False
        if self._zipf is not None:
            common = self._zipf(word, "de") >= 3.0 or self._zipf(word, "en") >= 3.6
        known = False
        if self._lemma is not None:
            known, noun = self._lemma.get(word, (False, False))
            common = common or known
        else:
            noun = not common
        if self._lemma is not None:
            everyday = place and known and common and not noun
        else:
            everyday = place and self._zipf is not None and self._zipf(word, "de") >= 4.0
        return common, place, everyday, noun

    def _correct(self, word: str) -> str:
        """A misspelt cue word ("fahrtksoten", "abonieren") read as the word meant; other words unchanged."""
        if len(word) < 5 or word in _VOCAB_SET:
            return word
        common, place, _, _ = self._word(word)
        if common or place:
            return word
        edits = 1 if len(word) < 9 else 2
        hit = process.extractOne(word, _VOCAB, scorer=OSA.distance, score_cutoff=edits)
        return hit[0] if hit else word

    # ------------------------------------------------------------------ reading

    def __call__(self, text: str) -> Understanding:
        text = (text or "").strip()
        folded = fold_text(text)
        corrected = _WORD.sub(lambda m: self._correct(m.group(0)), folded)
        matched = {intent for intent, pats in _COMPILED.items() if any(p.search(corrected) for p in pats)}
        weak = any(p.search(corrected) for p in _WEAK)
        intent = next((i for i in PRECEDENCE if i in matched), "none")

        if not matched:
            other = self._other_language(text)
            if other[0] != "none":
                return Understanding(text, other[0], other[1], None, other[2])
        topic, rest = topic_in_text(text)
        resolution = None
        place = None
        if intent in PLACE_INTENTS or intent in ("none", "greeting"):
            resolution = self._resolve(self._place_text(rest or text))
            if resolution.status == "none" and intent in PLACE_INTENTS:
                again = self._place_text(rest or text, capitals=True)
                if again != self._place_text(rest or text):
                    resolution = self._resolve(again)
            if resolution.status == "match":
                place = resolution.best.id
            elif resolution.status == "ambiguous":
                place = "ambiguous"
            else:
                resolution = None
        if intent in ("none", "greeting") and (place or (topic and weak)):
            intent = "contact"
        if intent in ("contact", "events") and place is None and topic is None and self._abroad(text):
            intent = "none"
        if intent == "contact" and place is None:
            _, place, resolution = self._other_language(text)  # "Nürtingen'de koordinatör kim?"
        if intent not in PLACE_INTENTS:
            place, resolution = None, None
        if intent not in ("contact", "events"):
            topic = None
        return Understanding(text, intent, place, topic, resolution)

    def _other_language(self, text: str) -> tuple[str, str | None, Resolution | None]:
        """Greetings, thanks, help, cancel and "contact in <place>" in the bot's other languages
        (knowledge/intent_words.toml); the place name stays German, as people write it on a letter."""
        from knowledge.intent_words import reading

        found = reading(text)
        if found is None:
            return "none", None, None
        intent, place_text = found
        if intent != "contact" or not place_text:
            return intent, None, None
        resolution = self._resolve(place_text)
        if resolution.status == "match":
            return intent, resolution.best.id, resolution
        if resolution.status == "ambiguous":
            return intent, "ambiguous", resolution
        return intent, None, None

    def _resolve(self, text: str) -> Resolution:
        """The resolver's answer, skipped when every word is hidden and no postal code is left."""
        if not any(w.lower() not in _KEEP and w != _MASK for w in _WORD.findall(text)) \
                and not re.search(r"\d{4}", text):
            return Resolution(text, "none", ())
        return self.index.resolve(text)

    def _place_text(self, text: str, capitals: bool = False) -> str:
        """The message with every word hidden that cannot name a place here.  With ``capitals``, an everyday
        word written with a capital letter inside the sentence stays ("Ich will Gießen nicht mehr abonnieren")."""
        words = [(m.start(), m.end(), m.group(0)) for m in _WORD.finditer(text)]
        lower = [w.lower() for _, _, w in words]
        info = [self._word(w) for w in lower]
        folded = [fold_text(w) for w in lower]
        alone = len(words) == 1
        out, pos = [], 0
        for k, (start, end, word) in enumerate(words):
            keep = True
            common, place, everyday, _noun = info[k]
            if lower[k] in _KEEP or folded[k] in _KEEP:
                keep = True
            elif self._correct(folded[k]) in _VOCAB_SET and not place:
                keep = False
            elif place and everyday:
                keep = (alone and word[:1].isupper()) or self._place_context(k, lower, folded, info) or (
                    capitals and k > 0 and word[:1].isupper())
            elif place:
                keep = True
            elif common:
                keep = False
            if not keep:
                out.append(text[pos:start] + _MASK)
                pos = end
        out.append(text[pos:])
        return "".join(out)

    @staticmethod
    def _place_context(k: int, lower: list[str], folded: list[str], info: list[tuple]) -> bool:
        """Whether the words around an everyday word that is also a place name make it the place."""
        before = k - 1
        while before >= 0 and folded[before] in nz.CONNECTOR_FORMS | frozenset(nz.CONNECTORS) \
                and lower[before] not in nz.LOCATIVES:
            before -= 1
        if before >= 0 and lower[before] in nz.LOCATIVES:
            return True
        for step in (-1, 1):
            j = k + step
            if 0 <= j < len(lower) and info[j][1] and not info[j][2]:
                return True  # next to another part of a name that is no everyday word: "Bad Vilbel"
            while 0 <= j < len(lower) and lower[j] in _PREPOSITIONS:
                j += step
            if 0 <= j < len(lower) and _CUE_NEIGHBOUR.fullmatch(folded[j]):
                return True  # "Kontakt Essen", "Abo für Gießen"
        return False

    def _abroad(self, text: str) -> bool:
        """A named place the index does not know, such as "Wien" or "Zürich": out of scope, not a question
        without a place."""
        for m in _WORD.finditer(text):
            word = m.group(0).lower()
            folded = nz.fold(word, "ae")
            if folded not in nz.FILLERS or _DOMAIN_NOUN.match(fold_text(word)):
                continue
            _common, place, _everyday, noun = self._word(word)
            if noun and not place:
                return True
        return False


@cache
def default_understander() -> Understander:
    return Understander()


_BY_INDEX: dict[int, Understander] = {}


def understander_for(index: PlaceIndex) -> Understander:
    """One reader per place index (the app's index is the default one, tests may build their own)."""
    if index is default_index():
        return default_understander()
    reader = _BY_INDEX.get(id(index))
    if reader is None or reader.index is not index:
        reader = _BY_INDEX[id(index)] = Understander(index)
    return reader


def understand(text: str) -> Understanding:
    return default_understander()(text)


def run_jsonl(lines: Iterable[str], out: TextIO, reader: Understander | None = None) -> int:
    """Behind ``helferbot understand --jsonl``: one JSON object per non-blank input line; returns 0."""
    reader = reader or default_understander()
    for line in lines:
        text = line.rstrip("\r\n")
        if text.strip():
            out.write(json.dumps(reader(text).as_dict(), ensure_ascii=False) + "\n")
    out.flush()
    return 0
