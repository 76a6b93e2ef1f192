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
from dataclasses import dataclass
from functools import lru_cache

#: Little words inside names, reduced to one letter so that "an der", "a.d." and "a. d." compare equal.
CONNECTORS: dict[str, str] = {
    "am": "a", "an": "a", "a": "a", "auf": "a",
    "der": "d", "dem": "d", "den": "d", "d": "d",
    "im": "i", "in": "i", "i": "i",
    "bei": "b", "b": "b",
    "vor": "v", "v": "v",
    "ob": "o", "o": "o",
    "und": "u", "unter": "u", "u": "u",
}

#: Abbreviations used in official names (and by people) for the qualifier after a name, expanded before the
#: umlauts are folded so that both spellings get the long form.  Only a word written with a dot counts as an
#: abbreviation ("Brünn/Thür."), because some are names on their own (the Gemeinde Thür); "St" is always
#: Sankt.
ABBREVIATIONS: dict[str, str] = {
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
    "weinstr": "weinstraße",
    "str": "straße",
}
_ALWAYS = {"st": "sankt"}

_UMLAUT_AE = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
_UMLAUT_A = str.maketrans({"ä": "a", "ö": "o", "ü": "u", "ß": "ss"})
# Letters that do not decompose under NFKD (Sorbian and Nordic names).
_SPECIAL = str.maketrans({"ł": "l", "ø": "o", "æ": "ae", "œ": "oe", "đ": "d", "ı": "i", "ð": "d", "þ": "th"})
_APOSTROPHES = re.compile(r"['’`´]")
_OBERLAUSITZ = re.compile(r"\b[oO]\s*\.\s*[lL]\b\.?")  # "Rothenburg/O.L."
_WORD = re.compile(r"[^\W_]+")


def raw_tokens(text: str, expand: bool = True) -> list[str]:
    """Lower-case word tokens with umlauts intact; punctuation separates.  With ``expand``, "St" becomes
    Sankt and abbreviations written with a dot are spelt out."""
    return [tok.token for tok in word_tokens(text, expand)]


@dataclass(frozen=True)
class Token:
    token: str  # canonical, umlauts intact: "sankt", "a" (for "am"), "münchen"
    word: str  # as written, lower case: "st", "am", "münchen"
    capital: bool  # written with a capital letter


def word_tokens(text: str, expand: bool = True) -> list[Token]:
    text = unicodedata.normalize("NFC", text)
    text = _APOSTROPHES.sub("", text)
    if expand:
        text = _OBERLAUSITZ.sub(" Oberlausitz ", text)
    out = []
    for m in _WORD.finditer(text):
        word = m.group(0).lower()
        tok = word
        if expand and tok in _ALWAYS:
            tok = _ALWAYS[tok]
        elif expand and tok in ABBREVIATIONS and text[m.end():m.end() + 1] == ".":
            tok = ABBREVIATIONS[tok]
        out.append(Token(CONNECTORS.get(tok, tok), word, m.group(0)[:1].isupper()))
    return out


def _strip_marks(token: str) -> str:
    token = token.translate(_SPECIAL)
    if token.isascii():
        return token
    decomposed = unicodedata.normalize("NFKD", token)
    return "".join(c for c in decomposed if not unicodedata.combining(c) and c.isascii())


@lru_cache(maxsize=1 << 12)
def fold(token: str, style: str = "ae") -> str:
    """One token in ASCII: ``style`` "ae" writes ä as ae, "a" as a (ß as ss in both)."""
    return _strip_marks(token.translate(_UMLAUT_AE if style == "ae" else _UMLAUT_A))


def spellings(text: str | list[str]) -> tuple[str, str]:
    """The two canonical spellings of a name (or of its raw tokens): umlauts as ae, and as plain vowel."""
    raw = raw_tokens(text) if isinstance(text, str) else text
    ae = " ".join(t for t in (fold(t, "ae") for t in raw) if t)
    a = " ".join(t for t in (fold(t, "a") for t in raw) if t)
    return ae, a


CONNECTOR_FORMS = frozenset(CONNECTORS.values())

#: Words of a request that are never part of a German place name: questions, greetings, the topics people
#: ask about (German and English), and countries and cities abroad that people mention ("ich komme aus
#: Aleppo"), in canonical spelling.  A word that is also the name of a Gemeinde ("Rom", "Linz") is dropped
#: from this list when the index is built, so the list cannot hide a place.
FILLERS = frozenset("""
wer was wo wie wann warum wieso weshalb welche welcher welches welchen wen wem wessen woher wohin
ich du er sie es wir ihr mir mich dir dich uns euch ihnen mein meine meinen meinem meiner dein deine
unser unsere unseren unserem jemand jemanden jemandem man
ist sind bin bist war hat habe haben hast gibt gib geht gehen kann kannst koennen koennte moechte
moechten will wollen soll sollte muss brauche brauchen suche suchen sucht finde finden wohne wohnen wohnt
lebe leben arbeite arbeiten helfe helfen hilft hilf wende wenden melde melden erreiche erreichen
kontaktieren gesucht zusammen zustaendig zustaendige zustaendigen zustaendiger weiter weiterhelfen engagiere engagieren
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
ok okay sorry entschuldigung super toll prima spaet frueh bald immer nie wieder gerade vielleicht
very much lot lots great good yes no not and or but so also too just maybe today tomorrow now here
who what where when why how which are was be been my our your me we you the for of at to from with near
around contact contacts person responsible coordinator help volunteer volunteers
volunteering refugee refugees support housing accommodation work job education school language
course courses health office live living lives do does can could need looking look find there any
someone somebody anyone get touch reach whom should would like know tell about is it this that
""".split()) | frozenset("""
afghanistan syrien syria irak iraq iran tuerkei turkey tuerkiye ukraine russland russia eritrea somalia
aethiopien ethiopia nigeria sudan suedsudan libyen libya aegypten egypt marokko morocco algerien algeria
tunesien tunisia pakistan indien india bangladesch bangladesh china vietnam georgien georgia armenien
armenia aserbaidschan azerbaijan albanien albania kosovo serbien serbia bosnien bosnia mazedonien
nordmazedonien macedonia moldau moldova rumaenien romania bulgarien bulgaria polen poland tschechien
czechia slowakei slovakia ungarn hungary oesterreich austria schweiz switzerland frankreich france
italien italy spanien spain portugal griechenland greece niederlande netherlands holland belgien
belgium luxemburg daenemark denmark schweden sweden norwegen norway finnland finland england
grossbritannien britain irland ireland usa amerika america kanada canada libanon lebanon jordanien
jordan israel palaestina palestine gaza jemen yemen kurdistan venezuela kolumbien colombia guinea
gambia ghana kamerun cameroon kongo congo mali senegal tschetschenien chechnya weissrussland belarus
lettland litauen estland kroatien croatia slowenien slovenia montenegro europa europe afrika africa
asien asia ausland abroad
paris london wien vienna zuerich zurich genf geneva basel bern amsterdam rotterdam bruessel brussels
bruxelles prag prague warschau warsaw krakau krakow budapest bukarest bucharest sofia belgrad belgrade
zagreb sarajevo skopje tirana pristina athen athens rom rome mailand milan neapel naples venedig
venice madrid barcelona lissabon lisbon kopenhagen copenhagen stockholm oslo helsinki dublin edinburgh
manchester moskau moscow kiew kyiv kiev charkiw kharkiv odessa lwiw lviv minsk istanbul ankara izmir
antalya teheran tehran bagdad baghdad mossul mosul erbil damaskus damascus aleppo homs beirut amman
kairo cairo kabul herat kandahar islamabad karachi lahore delhi mumbai dhaka peking beijing shanghai
tokio tokyo asmara mogadischu mogadishu khartum khartoum lagos abuja tripolis tripoli tunis algier
algiers casablanca rabat tiflis tbilisi eriwan yerevan baku york washington chicago toronto sydney
dubai riad riyadh doha jerusalem strassburg strasbourg salzburg innsbruck graz linz luzern lausanne
lyon marseille nizza
""".split())

#: Words that name a kind of Gemeinde; they may stand inside a name ("Stadt Wehlen", "Amt Neuhaus") but on
#: their own they only say that the person means a town rather than a district.
SOFT_WORDS = frozenset("""
stadt gemeinde markt amt samtgemeinde verbandsgemeinde ortsgemeinde hansestadt universitaetsstadt
kreisstadt landeshauptstadt lutherstadt city town village municipality
""".split())

#: Words after which a place name is expected, so that a misspelt word there may be taken for one.
LOCATIVES = frozenset({"in", "im", "aus", "bei", "nach", "von", "vom", "nahe", "near", "at", "from", "around"})

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
