"""Turn German place names and chat messages into comparable token strings.

Names and queries go through the same function, so that "Frankfurt a.M.", "frankfurt am main" and
"Frankfurt/Main" meet on one spelling without any per-name rules.  The work is done once per name when the
index is built; at query time it runs once per message, which keeps the fuzzy step free of any processor.

Two umlaut spellings exist side by side ("muenchen" and "munchen"): folding "ue" to "u" instead would merge
real, different names such as Neuenkirchen and Neunkirchen.
"""

from __future__ import annotations

import re
import unicodedata

#: Little words inside names, reduced to one letter so that "an der", "a.d." and "a. d." compare equal.
CONNECTORS: dict[str, str] = {
    "am": "a", "an": "a", "a": "a", "auf": "a",
    "der": "d", "dem": "d", "den": "d", "d": "d",
    "im": "i", "in": "i", "i": "i",
    "bei": "b", "b": "b",
    "vor": "v", "v": "v",
    "ob": "o", "o": "o",
    "und": "u", "u": "u",
}

#: Abbreviations used in official names (and by people) for the qualifier after a name; expanded before the
#: umlauts are folded so that both spellings get the long form.
ABBREVIATIONS: dict[str, str] = {
    "st": "sankt",
    "bay": "bayern",
    "erzgeb": "erzgebirge",
    "fürstl": "fürstlich",
    "hann": "hannoversch",
    "ofr": "oberfranken",
    "mfr": "mittelfranken",
    "ufr": "unterfranken",
    "opf": "oberpfalz",
    "odw": "odenwald",
    "rhld": "rheinland",
    "sa": "sachsen",
    "sächs": "sächsische",
    "thür": "thüringen",
    "vogtl": "vogtland",
    "westf": "westfalen",
    "holst": "holstein",
    "ol": "oberlausitz",
}

_UMLAUT_AE = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
_UMLAUT_A = str.maketrans({"ä": "a", "ö": "o", "ü": "u", "ß": "ss"})
_UMLAUT_A_S = str.maketrans({"ä": "a", "ö": "o", "ü": "u", "ß": "s"})
# Letters that do not decompose under NFKD (Sorbian and Nordic names).
_SPECIAL = str.maketrans({"ł": "l", "ø": "o", "æ": "ae", "œ": "oe", "đ": "d", "ı": "i", "ð": "d", "þ": "th"})
_APOSTROPHES = re.compile(r"['’`´]")
_OBERLAUSITZ = re.compile(r"\bo\s*\.\s*l\b\.?")
_WORD = re.compile(r"[^\W_]+")


def raw_tokens(text: str) -> list[str]:
    """Lower-case word tokens with umlauts intact and abbreviations expanded; punctuation separates."""
    text = unicodedata.normalize("NFC", text).lower()
    text = _APOSTROPHES.sub("", text)
    text = _OBERLAUSITZ.sub(" ol ", text)
    out = []
    for tok in _WORD.findall(text):
        tok = ABBREVIATIONS.get(tok, tok)
        out.append(CONNECTORS.get(tok, tok))
    return out


def _strip_marks(token: str) -> str:
    token = token.translate(_SPECIAL)
    if token.isascii():
        return token
    decomposed = unicodedata.normalize("NFKD", token)
    return "".join(c for c in decomposed if not unicodedata.combining(c) and c.isascii())


def fold(token: str, style: str = "ae") -> str:
    """One token in ASCII: ``style`` "ae" writes ä as ae, "a" as a, "s" as a with ß as a single s."""
    table = {"ae": _UMLAUT_AE, "a": _UMLAUT_A, "s": _UMLAUT_A_S}[style]
    return _strip_marks(token.translate(table))


def tokens(text: str, style: str = "ae") -> list[str]:
    """The canonical tokens of a name or message."""
    return [t for t in (fold(t, style) for t in raw_tokens(text)) if t]


def spellings(text: str) -> set[str]:
    """Every canonical spelling of a name: umlauts as ae, as plain vowel, and ß as s."""
    raw = raw_tokens(text)
    out = set()
    for style in ("ae", "a", "s"):
        key = " ".join(t for t in (fold(t, style) for t in raw) if t)
        if key:
            out.add(key)
    return out


CONNECTOR_FORMS = frozenset(CONNECTORS.values())

#: Words of a request that are never part of a place name: questions, greetings, the topics people ask about
#: (German and English), in canonical spelling.  A word that is also the name of a Gemeinde is dropped from
#: this list when the index is built, so the list cannot hide a place.
FILLERS = frozenset("""
wer was wo wie wann warum wieso weshalb welche welcher welches welchen wen wem wessen woher wohin
ich du er sie es wir ihr mir mich dir dich uns euch ihnen mein meine meinen meinem meiner dein deine
unser unsere unseren unserem jemand jemanden jemandem man
ist sind bin bist war hat habe haben hast gibt gib geht gehen kann kannst koennen koennte moechte
moechten will wollen soll sollte muss brauche brauchen suche suchen sucht finde finden wohne wohnen wohnt
lebe leben arbeite arbeiten helfe helfen hilft hilf wende wenden melde melden erreiche erreichen
kontaktieren zustaendig zustaendige zustaendigen zustaendiger weiter weiterhelfen engagiere engagieren
frage fragen fragt mache machen macht bitte danke dankeschoen vielen dank gruss gruesse
die das des ein eine einen einem einer fuer zu zum zur von vom aus mit nach ueber um gegen ohne durch
hier dort da auch noch schon mal gerne gern jetzt heute ja nein nicht kein keine nur sehr so aber denn
doch also dann wenn mehr etwas alle alles
ansprechpartner ansprechpartnerin ansprechpartnerinnen ansprechperson ansprechpersonen kontakt kontakte
kontaktperson kontaktdaten koordinator koordinatorin koordination hilfe helfer helferin helferinnen
helferkreis ehrenamt ehrenamtlich ehrenamtliche ehrenamtlicher ehrenamtlichen aktiv engagiert
fluechtlingshilfe fluechtlinge fluechtling gefluechtete gefluechteten asyl asylbewerber integration
integrationsbeauftragte integrationsbeauftragter migration migrationsberatung beratung bildung unterkunft
unterkuenfte wohnung wohnungen arbeit job jobs schule schulen kita kitas sprache sprachkurs sprachkurse
deutschkurs deutschkurse kurs kurse gesundheit arzt aerztin behoerde behoerden auslaenderbehoerde
jobcenter sozialamt landratsamt rathaus verwaltung stadtverwaltung kreisverwaltung ort wohnort team
gruppe initiative verein netzwerk termin termine treffen info infos information informationen telefon
nummer email mail adresse plz postleitzahl
hallo hi hey moin servus gruezi guten tag morgen abend nacht tschuess ciao hello thanks thank please bye
ok okay
who what where when why how which are was be been my our your me we you the for of at to from with near
around contact contacts person responsible coordinator help helper helpers volunteer volunteers
volunteering refugee refugees support housing accommodation work job education school language
course courses health office live living lives do does can could need looking look find there any
someone somebody anyone get touch reach whom should would like know tell about is it this that
""".split())

#: Words that name a kind of Gemeinde; they may stand inside a name ("Stadt Wehlen", "Amt Neuhaus") but on
#: their own they only say that the person means a town rather than a district.
SOFT_WORDS = frozenset("""
stadt gemeinde markt amt samtgemeinde verbandsgemeinde ortsgemeinde hansestadt universitaetsstadt
kreisstadt landeshauptstadt lutherstadt city town village municipality
""".split())

CITY_WORDS = frozenset({"stadt", "hansestadt", "universitaetsstadt", "kreisstadt", "landeshauptstadt",
                        "lutherstadt", "city", "town"})

#: Words that announce a district ("LK Esslingen", "Kreis Offenbach", "Region Hannover").
KREIS_WORDS = frozenset("""
kreis kreises landkreis landkreises lk lkr lkrs krs kr landkr region staedteregion regionalverband
district county
""".split())


def kreis_split(token: str) -> tuple[str | None, bool]:
    """(rest, is_cue) for one token: "vogelsbergkreis" -> ("vogelsberg", True), "lk" -> (None, True)."""
    if token in KREIS_WORDS:
        return None, True
    if len(token) > 7 and token.endswith("kreis"):
        return token[:-5], True
    return token, False
