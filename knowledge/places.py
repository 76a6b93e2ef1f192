"""German places (Gemeinden, Kreise, Länder) and a resolver from free text to one of them.

The chat asks "Wer ist mein Ansprechpartner in Nürtingen?" and the CLI gets one query per line; both call
:meth:`PlaceIndex.resolve`.  The resolver answers "match" only when one place is clearly meant, and
"ambiguous" with labelled choices when several are plausible (17 Gemeinden start with "Neustadt"), because a
wrong contact costs more than one question back.

Resolution runs from cheap and certain to expensive and doubtful:

1. postal codes (a code covering several Gemeinden is a question, not an answer);
2. exact lookups of the whole message, of district phrases ("LK Esslingen") and of every word span of a
   sentence, against names normalised once at index build (both umlaut spellings, "St."/"Sankt", "a.M.",
   the name without its qualifier, Ortsteile); the longest span wins;
3. for the words left over, the Damerau-Levenshtein distance to all names of similar length (rapidfuzz),
   accepted within 1 edit for 5-7 characters, 2 for 8-14 and 3 for longer names, and only when no other
   place is as close; a tie is a question, unless one name is much likelier once a far wrong first letter is
   counted as the rare slip it is ("Katzeburg" is Kratzeburg without its r, not Ratzeburg with a K for the R).

Districts (Ortsteile, former Gemeinden) lead to their Gemeinde, and the candidate says by which name
(:attr:`Candidate.via`), so that the answer can say "Sachsenhausen gehört zu Frankfurt am Main"; a Gemeinde's
name that is also a district elsewhere is a question unless the Gemeinde is a large city.  Same-named places
are ordered by population.  Uninhabited gemeindefreie Gebiete are found only by their own name.

The work per message is bounded: a message longer than ``MAX_TEXT`` characters is cut, in one linear pass,
to at most ``MAX_WORDS`` words that can begin a place name (words after "in", "aus" ... and postal codes
first), and the number of fuzzy searches per message is capped.

Data: ``knowledge/gazetteer`` (see its README for sources and licences), built by
``knowledge/build_gazetteer.py``.
"""

from __future__ import annotations

import bisect
import csv
import math
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from rapidfuzz import process
from rapidfuzz.distance import OSA, DamerauLevenshtein

from knowledge import normalize as nz

GAZETTEER_DIR = Path(__file__).resolve().parent / "gazetteer"


@dataclass(frozen=True)
class Place:
    id: str  # AGS (8 digits) for a Gemeinde, ARS (5) for a Kreis, 2 digits for a Land
    kind: str  # "gemeinde" | "kreis" | "land"
    name: str  # display name without suffixes: "Nürtingen", "Landkreis Esslingen", "Hessen"
    official_name: str  # as in the source: "Nürtingen, Stadt"
    kreis_id: str | None  # ARS of the Kreis; a Kreis's own id for a Kreis; None for a Land
    land_id: str
    lat: float | None
    lon: float | None
    postal_codes: tuple[str, ...]  # a Kreis has those of its Gemeinden, a Land none
    # Names of the parents, kept on the place so that a label needs no lookup.
    kreis_name: str | None = field(default=None, repr=False, compare=False)
    land_name: str = field(default="", repr=False, compare=False)
    population: int = field(default=0, repr=False, compare=False)  # Destatis; orders same-named choices
    kreisfrei: bool = field(default=False, repr=False, compare=False)  # a kreisfreie Stadt (or its Kreis)

    @property
    def label(self) -> str:
        """Text for a button: "Neustadt (Hessen) (Landkreis Marburg-Biedenkopf, Hessen)"; a kreisfreie
        Stadt names only its Land ("Frankfurt am Main (Hessen)"), a city state nothing ("Berlin")."""
        parents = [self.kreis_name] if self.kind == "gemeinde" and not self.kreisfrei else []
        if self.kind != "land":
            parents.append(self.land_name)
        shown: list[str] = []
        for parent in parents:
            if parent and parent != self.name and parent not in shown:
                shown.append(parent)
        return f"{self.name} ({', '.join(shown)})" if shown else self.name


@dataclass(frozen=True)
class Candidate:
    place: Place
    score: float  # 0..100
    #: the Ortsteil (district, former Gemeinde) whose name was matched, when the place was found through it:
    #: "Sachsenhausen" for Frankfurt am Main
    via: str | None = None


@dataclass(frozen=True)
class Resolution:
    query: str
    status: str  # "match" | "ambiguous" | "none"
    candidates: tuple[Candidate, ...]  # best first; for "match" the first is the answer

    @property
    def best(self) -> Place | None:
        return self.candidates[0].place if self.candidates and self.status == "match" else None


# --------------------------------------------------------------------------------------------- data


def _float(value: str) -> float | None:
    try:
        return float(value) if value else None
    except ValueError:
        return None


def _mean(points: Iterable[tuple[float | None, float | None]]) -> tuple[float | None, float | None]:
    pts = [(a, b) for a, b in points if a is not None and b is not None]
    if not pts:
        return None, None
    return round(sum(p[0] for p in pts) / len(pts), 4), round(sum(p[1] for p in pts) / len(pts), 4)


_LOWER_WORD = re.compile(r"(^|[\s\-/(])([a-zäöü])")
_KEEP_LOWER = {"a", "am", "an", "auf", "bei", "d", "der", "dem", "den", "i", "im", "in", "ob", "vor", "und"}


def _kreis_display(name: str) -> str:
    """Clean Kreis names: "Kreis rhein-kreis neuss" -> "Rhein-Kreis Neuss",
    "Landkreis Heidekreis" -> "Heidekreis"."""
    for prefix in ("Landkreis ", "Kreis "):
        rest = name[len(prefix):]
        if name.startswith(prefix) and "kreis" in rest.lower():
            name = rest
            break

    def cap(m: re.Match[str]) -> str:
        start = m.start(2)
        word = re.match(r"[\wäöüß]+", name[start:])
        if word and word.group(0) in _KEEP_LOWER:
            return m.group(0)
        return m.group(1) + m.group(2).upper()

    return _LOWER_WORD.sub(cap, name)


#: Abbreviations of official Gemeinde names, written out for people ("Neustadt a.d.Aisch" -> "Neustadt an
#: der Aisch"); the longer patterns first.  "St." stays: it is how the towns write themselves.
_WRITTEN_OUT = [(re.compile(p), w) for p, w in (
    (r"\bi\.\s?d\.\s?OPf\.", "in der Oberpfalz"), (r"\bi\.\s?d\.\s?O\.\s?L\.", "in der Oberlausitz"),
    (r"\bO\.\s?L\.", "Oberlausitz"), (r"\bi\.\s?Bay\.", "in Bayern"), (r"\bi\.\s?OFr\.", "in Oberfranken"),
    (r"\bi\.\s?UFr\.", "in Unterfranken"), (r"\bi\.\s?OB\b", "in Oberbayern"), (r"\bi\.\s?Schw\.", "in Schwaben"),
    (r"\bb\.\s?Hl\.\s?Blut\b", "beim Heiligen Blut"), (r"\br\.\s?d\.\s?", "rechts der "),
    (r"\bThür\.\s?Wald\b", "Thüringer Wald"), (r"\bSächs\.\s?Schw\.", "Sächsische Schweiz"),
    (r"\ba\.\s?d\.\s?", "an der "), (r"\bv\.\s?d\.\s?", "vor der "), (r"\bi\.\s?d\.\s?", "in der "),
    (r"\bo\.\s?d\.\s?", "ob der "), (r"(?<![\w.])a\.\s?", "am "), (r"(?<![\w.])b\.\s?", "bei "),
    (r"(?<![\w.])i\.\s?", "im "), (r"(?<![\w.])u\.\s?", "und "), (r"\bOdw\.", "Odenwald"),
    (r"\bErzgeb\.", "Erzgebirge"), (r"\bVogtl\.", "Vogtland"), (r"\bWestf\.", "Westfalen"), (r"\bSa\.", "Sachsen"),
    (r"\bThür\.", "Thüringen"), (r"\bHann\.\s?", "Hannoversch "), (r"\bRhld\.", "Rheinland"),
    (r"\bFürstl\.", "Fürstlich"), (r"\bForstgutsbez\.", "Forstgutsbezirk"),
)]


def written_out(name: str) -> str:
    """An official short name with its abbreviations spelt out: "Kirchheim b.München" -> "Kirchheim bei
    München", "Weiden i.d.OPf." -> "Weiden in der Oberpfalz"."""
    if "." not in name and "i.OB" not in name:
        return name.strip()
    for pattern, words in _WRITTEN_OUT:
        name = pattern.sub(words, name)
    return re.sub(r"\s+", " ", name).strip()


_FOLD_AE = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
_PARTS = re.compile(r"\d{4,5}|[^\W\d_]+(?:[.'’-][^\W\d_]+)*\.?")


class Gazetteer:
    """Every Gemeinde, Kreis and Land with keys, parents, postal codes and a coordinate."""

    def __init__(self, gemeinden: dict[str, Place], kreise: dict[str, Place], laender: dict[str, Place],
                 ortsteile: list[tuple[str, str, str]], kreis_kinds: dict[str, str]):
        self.gemeinden = gemeinden
        self.kreise = kreise
        self.laender = laender
        #: (name, postal code, AGS) of named districts of a Gemeinde ("Mainz-Kastel" -> Wiesbaden)
        self.ortsteile = ortsteile
        #: "Landkreis" or "kreisfreie Stadt" by Kreis id
        self.kreis_kinds = kreis_kinds
        #: gemeindefreie Gebiete without inhabitants: kept for their keys, never offered
        self.uninhabited: frozenset[str] = frozenset()
        #: the codes of the postal list by Gemeinde (without those only OpenStreetMap adds)
        self.listed_codes: dict[str, frozenset[str]] = {}
        self._by_kreis: dict[str, list[Place]] = defaultdict(list)
        for g in gemeinden.values():
            self._by_kreis[g.kreis_id or ""].append(g)
        for members in self._by_kreis.values():
            members.sort(key=lambda p: p.name)

    @classmethod
    def load(cls, directory: Path | None = None) -> Gazetteer:
        directory = Path(directory) if directory else GAZETTEER_DIR

        def rows(name: str) -> list[dict[str, str]]:
            with open(directory / name, encoding="utf-8", newline="") as fh:
                return list(csv.DictReader(fh))

        land_names = {r["ars"]: r["name"] for r in rows("laender.csv")}
        kreis_rows = rows("kreise.csv")
        kreis_names = {r["ars"]: _kreis_display(r["name"]) for r in kreis_rows}
        gem_rows = rows("gemeinden.csv")
        ort_rows = rows("ortsteile.csv")

        osm_codes: dict[str, list[str]] = defaultdict(list)
        if (directory / "plz_osm.csv").exists():  # ODbL, a file of its own; see its licence note
            for r in rows("plz_osm.csv"):
                osm_codes[r["ags"]].append(r["plz"])
        kinds = {r["ars"]: r["kind"] for r in kreis_rows}

        ort_points: dict[str, list[tuple[float | None, float | None]]] = defaultdict(list)
        for r in ort_rows:
            ort_points[r["ags"]].append((_float(r["lat"]), _float(r["lon"])))

        gemeinden: dict[str, Place] = {}
        for r in gem_rows:
            lat, lon = _float(r["lat"]), _float(r["lon"])
            if lat is None or lon is None:
                lat, lon = _mean(ort_points.get(r["ags"], ()))
            codes = sorted(set(r["plz"].split()) | set(osm_codes.get(r["ags"], ())))
            gemeinden[r["ags"]] = Place(
                id=r["ags"], kind="gemeinde", name=written_out(r["name"].split(",")[0]), official_name=r["name"],
                kreis_id=r["kreis_ars"], land_id=r["land_ars"], lat=lat, lon=lon,
                postal_codes=tuple(codes),
                kreis_name=kreis_names.get(r["kreis_ars"]), land_name=land_names.get(r["land_ars"], ""),
                population=int(r.get("population") or 0),
                kreisfrei=kinds.get(r["kreis_ars"]) == "kreisfreie Stadt")

        members: dict[str, list[Place]] = defaultdict(list)
        for g in gemeinden.values():
            members[g.kreis_id or ""].append(g)
        kreise: dict[str, Place] = {}
        for r in kreis_rows:
            own = members.get(r["ars"], [])
            lat, lon = _mean((g.lat, g.lon) for g in own)
            kreise[r["ars"]] = Place(
                id=r["ars"], kind="kreis", name=kreis_names[r["ars"]], official_name=r["name"],
                kreis_id=r["ars"], land_id=r["land_ars"], lat=lat, lon=lon,
                postal_codes=tuple(sorted({p for g in own for p in g.postal_codes})),
                kreis_name=kreis_names[r["ars"]], land_name=land_names.get(r["land_ars"], ""),
                population=sum(g.population for g in own), kreisfrei=r["kind"] == "kreisfreie Stadt")

        laender: dict[str, Place] = {}
        for ars, name in land_names.items():
            lat, lon = _mean((g.lat, g.lon) for g in gemeinden.values() if g.land_id == ars)
            laender[ars] = Place(id=ars, kind="land", name=name, official_name=name, kreis_id=None,
                                 land_id=ars, lat=lat, lon=lon, postal_codes=(), land_name=name)

        ortsteile = [(r["name"], r["plz"], r["ags"]) for r in ort_rows if r["ags"] in gemeinden]
        gz = cls(gemeinden, kreise, laender, ortsteile, kinds)
        gz.listed_codes = {r["ags"]: frozenset(r["plz"].split()) for r in gem_rows if r["plz"]}
        if gem_rows and "population" in gem_rows[0]:
            # forests, lakes and military areas without inhabitants: never a place someone lives or works in
            gz.uninhabited = frozenset(g.id for g in gemeinden.values() if g.population == 0)
        return gz

    def get(self, place_id: str) -> Place | None:
        return self.gemeinden.get(place_id) or self.kreise.get(place_id) or self.laender.get(place_id)

    def names(self) -> set[str]:
        """Every name a place goes by here: display and official names of Gemeinden, Kreise and Länder, and
        the names of districts."""
        out: set[str] = set()
        for group in (self.gemeinden, self.kreise, self.laender):
            for place in group.values():
                out.add(place.name)
                out.add(place.official_name)
        out.update(name for name, _code, _ags in self.ortsteile)
        return out

    def parents(self, place: Place) -> list[Place]:
        """Gemeinde -> [Kreis, Land]; Kreis -> [Land]; Land -> []."""
        if place.kind == "land":
            return []
        out = []
        if place.kind == "gemeinde" and place.kreis_id in self.kreise:
            out.append(self.kreise[place.kreis_id])
        if place.land_id in self.laender:
            out.append(self.laender[place.land_id])
        return out

    def gemeinden_in(self, kreis_id: str) -> list[Place]:
        return list(self._by_kreis.get(kreis_id, ()))


def distance_km(a: Place, b: Place) -> float | None:
    """Great-circle distance (haversine, mean earth radius) or None when a coordinate is missing."""
    if a.lat is None or a.lon is None or b.lat is None or b.lon is None:
        return None
    p1, p2 = math.radians(a.lat), math.radians(b.lat)
    dp, dl = p2 - p1, math.radians(b.lon - a.lon)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(min(1.0, h)))


# --------------------------------------------------------------------------------------------- index

# Alias tiers.  A full name beats a short form ("Friedberg" is Friedberg in Bavaria, not Friedberg (Hessen)),
# except when only the short form is written exactly as typed ("Esslingen" is short for Esslingen am Neckar
# but only a folded spelling of Eßlingen: ask).  Ortsteile count only when no Gemeinde name fits, weak
# aliases (part of a hyphenated name, a Kreis name without "Kreis") last.
NAME, SHORT, ORTSTEIL, WEAK = 1, 2, 3, 4
_SCORE_PENALTY = {NAME: 0.0, SHORT: 2.0, ORTSTEIL: 4.0, WEAK: 8.0}
_RANK_PENALTY = {NAME: 0.0, SHORT: 0.3, ORTSTEIL: 0.5, WEAK: 0.7}
_MAX_SPAN = 8
#: A message longer than this is cut to the words that may begin a place name (see PlaceIndex._cut_text);
#: at most MAX_WORDS words reach the matching steps, and only the first MAX_SCAN characters are read.
MAX_TEXT = 300
MAX_WORDS = 32
MAX_SCAN = 12_000
#: fuzzy searches (about 0.3-1 ms each) per message, and per long message
FUZZY_BUDGET = 16
FUZZY_BUDGET_LONG = 1
#: inhabitants from which a Gemeinde is what people mean by its name, before any district of that name
BIG_CITY = 100_000
_MAX_FUZZY_CALLS = 6

#: English and colloquial names that people use for German cities.
EXONYMS = {
    "munich": "München", "cologne": "Köln", "nuremberg": "Nürnberg", "hanover": "Hannover",
    "brunswick": "Braunschweig", "ffm": "Frankfurt am Main", "aix la chapelle": "Aachen",
}
_HYPHEN_PREFIXES = {"bad", "groß", "gross", "klein", "neu", "alt", "ober", "nieder", "unter", "sankt",
                    "hohen", "markt"}


#: neighbouring keys on a German (QWERTZ) keyboard
_ROWS = ("qwertzuiop", "asdfghjkl", "yxcvbnm")
_NEIGHBOURS: dict[str, frozenset[str]] = {}
for _r, _row in enumerate(_ROWS):
    for _c, _key in enumerate(_row):
        near = {_row[k] for k in (_c - 1, _c + 1) if 0 <= k < len(_row)}
        for _other in (_r - 1, _r + 1):  # the row above and below, shifted by about half a key
            if 0 <= _other < len(_ROWS):
                shift = _c if _other > _r else _c + 1
                near |= {_ROWS[_other][k] for k in (shift - 1, shift) if 0 <= k < len(_ROWS[_other])}
        _NEIGHBOURS[_key] = frozenset(near)
#: Between names equally many edits away: a far wrong first letter is taken to be this many times less likely
#: than any other single slip (first letters are seldom mistyped, and then mostly by a neighbouring key or by
#: ear), and a name is taken only when it is this many times likelier than every other.  bench/place_typos.py
#: shows what they gain and cost.
FAR_FIRST_ODDS = 40.0
DECISIVE = 5.0
#: first letters that sound alike in German names, so that one is written for the other by ear
#: ("Khemnitz", "Vürth", "Dorgau" for Torgau): never far apart, whatever the keyboard says
_SOUND_ALIKE = ("ckgqz", "fvw", "dt", "bp", "sz", "ijy", "aeo", "eiu")


def _far_first(x: str, y: str) -> bool:
    return y not in _NEIGHBOURS.get(x, ()) and not any(x in group and y in group for group in _SOUND_ALIKE)


def edits_without_far_first_letter(query: str, name: str) -> int:
    """The fewest edits from `query` to `name` that do not type a wrong first letter far from the right key
    (nor one that sounds alike): with different first letters, the first is then left out, added, or swapped
    with the second."""
    if not query or not name or query[0] == name[0] or not _far_first(query[0], name[0]):
        return DamerauLevenshtein.distance(query, name)
    ways = [1 + DamerauLevenshtein.distance(query[1:], name), 1 + DamerauLevenshtein.distance(query, name[1:])]
    if query[:2] == name[1::-1]:
        ways.append(1 + DamerauLevenshtein.distance(query[2:], name[2:]))
    return min(ways)


def allowed_edits(length: int) -> int:
    """Edits accepted without asking back, by query length (Meilisearch and Typesense use similar steps)."""
    if length < 5:
        return 0
    if length < 8:
        return 1
    if length < 15:
        return 2
    return 3


@dataclass
class _Outcome:
    """One step's verdict; ``ranked`` carries the candidates later turned into a :class:`Resolution`."""

    status: str
    ranked: list[tuple[str, float]]  # (place id, score) best first
    length: int = 0  # characters of the message the answer covers
    span: tuple[int, int] = (0, 0)  # the words it covers
    choices: list[str] = field(default_factory=list)  # the places an "ambiguous" answer hesitates between
    via: dict[str, str] = field(default_factory=dict)  # place id -> the Ortsteil name it was found by


def _nothing() -> _Outcome:
    return _Outcome("none", [])


@dataclass
class _Words:
    """The tokens of a message in the spellings the indexes use, with how each was written."""

    raw: list[str]  # canonical, umlauts intact
    ae: list[str]  # umlauts as ae
    a: list[str]  # umlauts as a
    word: list[str]  # as written, lower case ("in", where the canonical token is "i")
    capital: list[bool]

    @classmethod
    def of(cls, text: str) -> _Words:
        words = cls([], [], [], [], [])
        for tok in nz.word_tokens(text):
            folded = nz.fold(tok.token, "ae")
            if folded and not folded.isdigit():
                words.append(tok.token, folded, nz.fold(tok.token, "a"), tok.word, tok.capital)
        return words

    def append(self, raw: str, ae: str, a: str, word: str, capital: bool) -> None:
        self.raw.append(raw)
        self.ae.append(ae)
        self.a.append(a)
        self.word.append(word)
        self.capital.append(capital)

    def item(self, k: int) -> tuple[str, str, str, str, bool]:
        return self.raw[k], self.ae[k], self.a[k], self.word[k], self.capital[k]

    def __len__(self) -> int:
        return len(self.ae)

    def subset(self, positions: Iterable[int]) -> _Words:
        out = _Words([], [], [], [], [])
        for k in positions:
            out.append(*self.item(k))
        return out

    def keys(self, i: int = 0, j: int | None = None) -> tuple[str, ...]:
        """The folded keys of tokens i..j: umlauts as ae, and as a if that differs."""
        ae, a = " ".join(self.ae[i:j]), " ".join(self.a[i:j])
        return (ae,) if ae == a else (ae, a)

    def literal(self, i: int = 0, j: int | None = None) -> str:
        """Tokens i..j as written (umlauts intact), for the fuzzy table of umlaut names and for telling
        "Esslingen" from "Eßlingen"."""
        return " ".join(self.raw[i:j])

    def plain_keys(self, i: int, j: int) -> tuple[str, ...]:
        """The keys without connectors ("frankfurt a d oder" -> "frankfurt oder"), or () if none."""
        keep = [k for k in range(i, j) if self.ae[k] not in nz.CONNECTOR_FORMS]
        if len(keep) == j - i:
            return ()
        ae, a = " ".join(self.ae[k] for k in keep), " ".join(self.a[k] for k in keep)
        return (ae,) if ae == a else (ae, a)


class _FuzzyTable:
    """Keys sorted by length, so that only names of about the query's length are compared."""

    def __init__(self, entries: dict[str, dict[str, int]]):
        items = sorted(entries.items(), key=lambda kv: (len(kv[0]), kv[0]))
        self.keys = [k for k, _ in items]
        self.lens = [len(k) for k in self.keys]
        self.refs = [v for _, v in items]

    def near(self, key: str, max_edits: int, found: dict[str, tuple[int, int, str]]) -> None:
        """Add places with a name within ``max_edits`` to ``found`` (id -> (distance, tier, name)).

        OSA over the names of similar length finds the candidates fast; the Damerau-Levenshtein distance
        then counts a swap next to an insertion ("Burtenbahjc") as two edits, as a person would."""
        lo = bisect.bisect_left(self.lens, len(key) - max_edits)
        hi = bisect.bisect_right(self.lens, len(key) + max_edits)
        if lo >= hi:
            return
        hits = process.extract(key, self.keys[lo:hi], scorer=OSA.distance, score_cutoff=max_edits + 1,
                               limit=60)
        for name, _, pos in hits:
            dist = DamerauLevenshtein.distance(key, name, score_cutoff=max_edits + 1)
            if dist > max_edits:
                continue
            for pid, tier in self.refs[lo + pos].items():
                old = found.get(pid)
                if old is None or dist + _RANK_PENALTY[tier] < old[0] + _RANK_PENALTY[old[1]]:
                    found[pid] = (dist, tier, name)


class _Lexicon:
    """Exact keys and fuzzy tables for one family of names (all names, or Kreis names without "Kreis").

    Spellings with umlauts written as plain vowels ("munchen") sit in a table of their own: a query that
    has umlauts is compared there only in its own plain spelling, so "Zürich" is not taken for Aurich.  A
    third table keeps the umlauts as single letters, for a query that has an umlaut as a typo ("Mrkt Waöd")."""

    def __init__(self, min_fuzzy: int = 4) -> None:
        self.min_fuzzy = min_fuzzy  # shorter names are only found exactly
        self.exact: dict[str, dict[str, int]] = defaultdict(dict)
        self.literal: dict[str, set[str]] = defaultdict(set)
        self._pending: tuple[dict[str, dict[str, int]], ...] = (defaultdict(dict), defaultdict(dict),
                                                                 defaultdict(dict))

    def add(self, raw: str | list[str], place_id: str, tier: int, fuzzy: bool = True,
            literal: bool = False) -> tuple[str, str]:
        """Index a name given as text or as raw tokens, in both umlaut spellings (returned)."""
        toks = nz.raw_tokens(raw) if isinstance(raw, str) else raw
        ae, a = nz.spellings(toks)
        if not ae:
            return ae, a
        written = " ".join(toks)
        if literal:
            self.literal[written].add(place_id)
        fuzzy = fuzzy and len(ae) >= self.min_fuzzy
        targets: list[tuple[str, dict[str, dict[str, int]]]] = [(ae, self.exact), (a, self.exact)]
        if fuzzy:
            targets.append((ae, self._pending[0]))
            if a != ae:
                targets.append((a, self._pending[1]))
            if written != ae:
                targets.append((written, self._pending[2]))
        for key, table in targets:
            old = table[key].get(place_id)
            if old is None or tier < old:
                table[key][place_id] = tier
        return ae, a

    def freeze(self) -> None:
        self.exact = dict(self.exact)
        self.literal = dict(self.literal)
        self.spelled = _FuzzyTable(self._pending[0])
        self.plain = _FuzzyTable(self._pending[1])
        self.written = _FuzzyTable(self._pending[2])
        del self._pending

    def lookup(self, keys: Iterable[str]) -> dict[str, int]:
        out: dict[str, int] = {}
        for key in keys:
            for pid, tier in self.exact.get(key, {}).items():
                out[pid] = min(tier, out.get(pid, tier))
        return out

    def near(self, keys: tuple[str, ...], written: str, max_edits: int) -> dict[str, tuple[int, int, str]]:
        found: dict[str, tuple[int, int, str]] = {}
        self.spelled.near(keys[0], max_edits, found)
        self.plain.near(keys[-1], max_edits, found)
        if written != keys[0] and not found:
            self.spelled.near(written, max_edits, found)
            self.written.near(written, max_edits, found)
        return found


def _qualifier_cut(tokens: list[str]) -> int:
    """Index of the first connector after the first word ("frankfurt a main" -> 1), or len."""
    for i, tok in enumerate(tokens):
        if i > 0 and tok in nz.CONNECTOR_FORMS:
            return i
    return len(tokens)


def _name_aliases(display: str) -> dict[str, list[list[str]]]:
    """Raw token lists of the aliases of a Gemeinde name, by role: "full", "short", "exact_only",
    "spelled" (only for fuzzy matching), "weak".

    "Bad Homburg v. d. Höhe" gives full "bad homburg v d höhe", short "bad homburg", exact-only "bad homburg
    höhe" and "bad homburg v d h"; "Lübbenau/Spreewald / Lubnjow/Błota" gives short "lübbenau",
    "lubnjow/błota" and weak "spreewald"; "Uhldingen-Mühlhofen" gives weak "uhldingen", "mühlhofen"."""
    out: dict[str, list[list[str]]] = {"full": [], "short": [], "exact_only": [], "weak": [], "spelled": []}
    segments = [s.strip() for s in display.split(" / ") if s.strip()]
    for n, segment in enumerate(segments):
        found = nz.word_tokens(segment)
        seg = [t.token for t in found]
        out["full" if n == 0 else "short"].append(seg)
        spelled = [t.word for t in found]
        if spelled != seg:  # "eningen unter achalm", for a misspelt "untre" that no longer reads as "unter"
            out["spelled"].append(spelled)
        if "." in segment:
            unexpanded = nz.raw_tokens(segment, expand=False)
            if unexpanded != seg:  # "Brünn/Thür." as typed without the dot
                out["short"].append(unexpanded)
        head_text = re.split(r"[(/]", segment, maxsplit=1)[0]
        head = nz.raw_tokens(head_text)
        base = head[:_qualifier_cut(head)]
        if base and base != seg:
            out["short"].append(base)
            rest = seg[len(base):]
            out["exact_only"].append(base + [t if t in nz.CONNECTOR_FORMS else t[0] for t in rest])
            out["exact_only"].append(base + [t[0] for t in rest if t not in nz.CONNECTOR_FORMS])
        plain = [t for t in seg if t not in nz.CONNECTOR_FORMS]
        if len(plain) >= 2 and plain != seg:
            out["exact_only"].append(plain)  # "frankfurt main": exact only, not a spelling to be near
        for tail in segment.split("/")[1:]:
            out["weak"].append(nz.raw_tokens(tail))
        parts = head_text.split("-")
        if len(parts) > 1:
            for part in parts:
                toks = nz.raw_tokens(part)
                if toks and len(" ".join(toks)) >= 4 and toks[0] not in _HYPHEN_PREFIXES:
                    out["weak"].append(toks)
    return out


def _kreis_core(tokens: list[str]) -> list[str]:
    """Raw Kreis tokens without the district words: "main kinzig kreis" -> "main kinzig",
    "städteregion aachen" -> "aachen", "vogelsbergkreis" -> "vogelsberg"."""
    out = []
    for tok in tokens:
        folded = nz.fold(tok)
        stem, cue = nz.kreis_split(folded)
        if not cue:
            out.append(tok)
        elif stem:
            out.append(tok[:len(tok) - (len(folded) - len(stem))])
    return out


def _is_kreis_cue(token: str) -> tuple[bool, bool]:
    """(cue, certain): "lkr" is certain, the misspelt "kresi" or "reis" only a likely cue."""
    if nz.kreis_split(token)[1]:
        return True, True
    if 4 <= len(token) <= 6 and OSA.distance(token, "kreis", score_cutoff=1) <= 1:
        return True, False
    if 8 <= len(token) <= 10 and OSA.distance(token, "landkreis", score_cutoff=1) <= 1:
        return True, False
    return False, False


class PlaceIndex:
    """Normalised names of every place, built once, and the resolver over them."""

    def __init__(self, gazetteer: Gazetteer, *, keyboard_ties: bool = True):
        self.gazetteer = gazetteer
        #: break ties between equally close names by a far wrong first letter (bench/place_typos.py measures it)
        self.keyboard_ties = keyboard_ties
        self._names = _Lexicon()
        self._kreise = _Lexicon(min_fuzzy=3)  # "Enzkreis" leaves "enz"
        self._postal: dict[str, list[str]] = defaultdict(list)
        self._size: dict[str, float] = {}
        self._city: set[str] = set()
        self._ortsteil_names: dict[str, dict[str, str]] = {}
        self._build()

    # ------------------------------------------------------------------ build

    def _build(self) -> None:
        gz = self.gazetteer
        names = self._names
        for g in gz.gemeinden.values():
            if g.id in gz.uninhabited:
                continue
            official = g.official_name.split(",")[0].strip()
            for form in dict.fromkeys((g.name, official)):  # "Neustadt an der Aisch", "Neustadt a.d.Aisch"
                aliases = _name_aliases(form)
                for role, tier, fuzzy in (("full", NAME, True), ("short", SHORT, True),
                                          ("exact_only", SHORT, False), ("spelled", SHORT, True),
                                          ("weak", WEAK, True)):
                    for toks in aliases[role]:
                        names.add(toks, g.id, tier, fuzzy, literal=role in ("full", "short", "exact_only"))
            suffix = g.official_name.partition(",")[2].lower()
            if "st" in suffix.split() or "stadt" in suffix or gz.kreis_kinds.get(g.kreis_id or "") \
                    == "kreisfreie Stadt":
                self._city.add(g.id)
            self._size[g.id] = g.population or len(g.postal_codes)
            for code in g.postal_codes:
                self._postal[code].append(g.id)
        # A code that the postal list gives to one Gemeinde means that Gemeinde, even where its delivery area
        # reaches into a neighbour (OpenStreetMap lists both); codes only OpenStreetMap knows mean all it lists.
        for code, ids in self._postal.items():
            main = [i for i in ids if code in gz.listed_codes.get(i, ())]
            ids[:] = sorted(main or ids, key=self._order)

        for g in gz.gemeinden.values():
            # a forest or lake is found by its own name only, and never for a town's name or a code
            if g.id in gz.uninhabited and not names.lookup(nz.spellings(g.name)):
                names.add(g.name, g.id, NAME, literal=True)

        for name, _code, ags in gz.ortsteile:
            if ags in gz.uninhabited:
                continue
            owner = gz.gemeinden[ags].name
            shown = name.split(",")[0].strip()
            for prefix in sorted({owner, re.split(r"[(/,]", owner)[0].strip()}):
                rest = name[len(prefix) + 1:]
                if name.startswith(prefix + " ") and len(rest) > 3 and rest.lower() not in _HYPHEN_PREFIXES:
                    # "Degerloch" for "Stuttgart Degerloch"
                    self._note_ortsteil(names.add(rest, ags, WEAK), ags, rest)
                    shown = rest
            for text in {name, name.split(",")[0]}:
                self._note_ortsteil(names.add(text, ags, ORTSTEIL), ags, shown)

        for k in gz.kreise.values():
            self._size[k.id] = 0.5
            if gz.kreis_kinds.get(k.id) == "kreisfreie Stadt":
                continue  # its Gemeinde stands for it
            for source in (k.name, k.official_name):
                toks = nz.raw_tokens(source)
                names.add(toks, k.id, NAME, literal=True)
                core = _kreis_core(toks)
                head = _kreis_core(nz.raw_tokens(re.split(r"[(/]", source)[0]))
                for variant in (core, [t for t in core if t not in nz.CONNECTOR_FORMS], head):
                    self._kreise.add(variant, k.id, NAME)
                    names.add(variant, k.id, WEAK)

        # City states: "Hamburg" means the Gemeinde; other Land names are full names ("Sachsen").
        for land in gz.laender.values():
            self._size[land.id] = 0.25
            refs = names.lookup(nz.spellings(land.name))
            city_state = any(len(i) == 8 and t == NAME for i, t in refs.items())
            names.add(land.name, land.id, WEAK if city_state else NAME, literal=not city_state)

        for alias, target in EXONYMS.items():
            refs = names.lookup(nz.spellings(target))
            ids = [i for i, tier in refs.items() if tier == NAME and len(i) == 8]
            if len(ids) == 1:
                names.add(alias, ids[0], NAME)

        single = {key for key, refs in names.exact.items() if " " not in key and
                  any(t <= SHORT for t in refs.values())}
        self._fillers = nz.FILLERS - single
        self._dual = nz.FILLERS & single
        # names that begin longer names ("becherbach" of "becherbach b kirn"): an exact hit on them may be
        # the start of a misspelt longer name
        self._prefixes = {" ".join(toks[:k]) for toks in (key.split() for key in names.exact)
                          for k in range(1, len(toks))}
        self._longest = max(len(key) for key in names.exact)
        self._fuzzy_left = FUZZY_BUDGET
        self._starts = frozenset(key.split()[0] for key in names.exact) - self._fillers - nz.CONNECTOR_FORMS
        if "sankt" in self._starts:
            self._starts |= {"st", "st."}
        names.freeze()
        self._kreise.freeze()

    def _note_ortsteil(self, keys: tuple[str, str], ags: str, shown: str) -> None:
        for key in keys:
            if key:
                self._ortsteil_names.setdefault(key, {}).setdefault(ags, shown)

    def ortsteil_name(self, key: str, place_id: str) -> str | None:
        """The Ortsteil of ``place_id`` written as the sources write it, for a normalised name key."""
        return self._ortsteil_names.get(key, {}).get(place_id)

    # ------------------------------------------------------------------ resolve

    def resolve(self, query: str, limit: int = 10) -> Resolution:
        limit = max(1, min(limit, 10))
        text = query or ""
        self._fuzzy_left = FUZZY_BUDGET
        if len(text) > MAX_TEXT:
            text = self._cut_text(text)
            self._fuzzy_left = FUZZY_BUDGET_LONG
        words = _Words.of(text)
        if len(words) > MAX_WORDS:
            words = self._cut(words)
        outcome = self._resolve_postal(text, words)
        if outcome is None:
            outcome = self._resolve_words(words)
        return self._resolution(query, outcome, limit)

    def _cut_text(self, text: str) -> str:
        """A long message without the words that cannot begin a place name, so that tokenising and every
        later step stay linear in its length: a word is kept when a name starts with it, with the few words
        after it that a name may continue with; words after "in", "aus", "bei" and postal codes come first."""
        # folded once, as a whole: in a long message capitals and "ß" no longer tell names apart
        parts = low = _PARTS.findall(text[:MAX_SCAN].lower().translate(_FOLD_AE))
        starts, locatives = self._starts, nz.LOCATIVES
        strong = [k for k, p in enumerate(low) if p[0].isdigit() or (k and low[k - 1] in locatives)]
        weak = [k for k, p in enumerate(low) if p in starts]
        chosen: set[int] = set()
        for k in strong + weak:
            if len(chosen) >= MAX_WORDS:
                break
            chosen.update(range(k, min(len(parts), k + 4)))
        kept: list[str] = []
        for k in sorted(chosen):
            if kept and k - 1 not in chosen:
                kept.append("·")  # a gap: no name spans it
            kept.append(parts[k])
        return " ".join(kept)

    def _cut(self, words: _Words) -> _Words:
        return words.subset(range(MAX_WORDS))

    def _resolution(self, query: str, outcome: _Outcome, limit: int) -> Resolution:
        seen: set[str] = set()
        cands = []
        for pid, score in outcome.ranked:
            place = self.gazetteer.get(pid)
            if pid in seen or place is None:
                continue
            seen.add(pid)
            cands.append(Candidate(place, round(max(0.0, min(100.0, score)), 1), outcome.via.get(pid)))
            if len(cands) >= limit:
                break
        status = outcome.status if cands else "none"
        return Resolution(query=query, status=status, candidates=tuple(cands))

    def _resolve_postal(self, text: str, words: _Words) -> _Outcome | None:
        """Five-digit codes (four after "PLZ", for a dropped leading zero); several Gemeinden are narrowed
        by a name in the same message, else asked about."""
        codes = re.findall(r"(?<!\d)\d{5}(?!\d)", text)
        if not codes:
            codes = ["0" + c for c in re.findall(r"(?i)(?:plz|postleitzahl)\D{0,3}(\d{4})(?!\d)", text)]
        ids: list[str] = []
        for code in codes:
            ids.extend(i for i in self._postal.get(code, ()) if i not in ids)
        if not ids:
            return None
        if len(ids) == 1:
            return _Outcome("match", [(ids[0], 100.0)])
        named = self._resolve_words(words) if len(words) else _nothing()
        inside = [pid for pid, _ in named.ranked if pid in ids]
        if len(inside) == 1:
            return _Outcome("match", [(inside[0], 100.0)] + [(i, 90.0) for i in ids if i != inside[0]])
        order = inside + [i for i in ids if i not in inside]
        return _Outcome("ambiguous", [(i, 90.0) for i in order])

    def _resolve_words(self, words: _Words) -> _Outcome:
        if not len(words):
            return _nothing()
        refs = self._names.lookup(words.keys())
        if refs:
            return self._decide_exact(refs, self._names.literal.get(words.literal(), set()), False,
                                      words.keys())
        cues = [(False, False) if t in self._fillers else _is_kreis_cue(t) for t in words.ae]
        if any(cue for cue, _ in cues):
            # "LK Esslingen", "Main Kinzig Kreis", "Vogelsbergkreis", "Kresi Holzminden": the Kreis names
            # without their district word; if none fits, the words go on as a Gemeinde query.
            core, rest = words.subset(()), words.subset(())
            for i, (cue, sure) in enumerate(cues):
                item = words.item(i)
                stem, _ = nz.kreis_split(words.ae[i])
                if stem and stem != words.ae[i]:
                    cut = len(words.ae[i]) - len(stem)
                    item = (words.raw[i][:-cut], stem, words.a[i][:-cut], words.word[i], words.capital[i])
                elif cue:
                    if not sure:
                        rest.append(*item)
                    continue
                core.append(*item)
                rest.append(*item)
            outcome = self._search(core, self._kreise, lenient=True) if len(core) else _nothing()
            if outcome.status == "match":
                return self._inside_kreis(outcome, core)
            if outcome.status != "none":
                return outcome
            words = rest
        return self._search(words, self._names)

    def _inside_kreis(self, outcome: _Outcome, core: _Words) -> _Outcome:
        """"Nürtingen, Landkreis Esslingen": words beside the Kreis that name one of its Gemeinden."""
        a, b = outcome.span
        left = core.subset(k for k in range(len(core)) if not a <= k < b)
        if not len(left) or all(kind != "word" for kind in self._classify(left)):
            return outcome
        kreis_id = outcome.ranked[0][0]
        named = self._search(left, self._names)
        inside = [pid for pid, _ in named.ranked if pid in self.gazetteer.gemeinden
                  and self.gazetteer.gemeinden[pid].kreis_id == kreis_id]
        if named.status == "none" or len(set(inside)) != 1:
            return outcome
        return _Outcome("match", [(inside[0], 100.0), (kreis_id, 90.0)], outcome.length, outcome.span)

    def _classify(self, words: _Words) -> list[str]:
        """"word", "conn" (connector), "soft" (Stadt, Gemeinde) or "filler" for each token.  A filler that
        is also a Gemeinde ("Meine", "Much") counts as a name only when written with a capital letter
        inside the message, or alone: "Thank you very much" names no place, "Kontakt Much" does."""
        kinds = []
        for i, tok in enumerate(words.ae):
            if tok in nz.CONNECTOR_FORMS:
                kinds.append("conn")
            elif tok in nz.SOFT_WORDS:
                kinds.append("soft")
            elif tok in self._fillers or len(tok) < 2:
                kinds.append("filler")
            elif tok in self._dual and not (len(words) == 1 or (words.capital[i] and i > 0)):
                kinds.append("filler")
            else:
                kinds.append("word")
        return kinds

    @staticmethod
    def _after_locative(words: _Words, kinds: list[str], start: int) -> bool:
        """Whether the words before ``start`` announce a place: "in", "aus", "bei", "near" ..."""
        k = start - 1
        while k >= 0 and (kinds[k] in ("conn", "soft") or words.word[k] in nz.LOCATIVES):
            if words.word[k] in nz.LOCATIVES:
                return True
            k -= 1
        return False

    def _search(self, words: _Words, lex: _Lexicon, lenient: bool = False) -> _Outcome:
        """Exact spans of the message first (the longest wins), then fuzzy matching of the word runs."""
        kinds = self._classify(words)
        n = len(words)
        hits: list[tuple[int, int, int, dict[str, int], set[str]]] = []
        for i in range(n):
            if kinds[i] not in ("word", "soft"):
                continue
            for j in range(i + 1, min(n, i + _MAX_SPAN) + 1):
                if kinds[j - 1] == "conn" or (kinds[j - 1] == "filler" and j - 1 == i):
                    continue  # a filler may end a name ("Sächsische Schweiz"), not be one
                refs = lex.lookup(words.keys(i, j)) or lex.lookup(words.plain_keys(i, j))
                if refs:
                    literal = lex.literal.get(words.literal(i, j), set())
                    hits.append((len(words.keys(i, j)[0]), i, j, refs, literal))
        runs = self._runs(kinds)
        if not hits:
            return self._fuzzy_runs(words, kinds, runs, lex, lenient)
        best_len = max(h[0] for h in hits)
        best_refs: dict[str, int] = {}
        best_literal: set[str] = set()
        longest = [h for h in hits if h[0] == best_len]
        best_keys = tuple(k for _, i, j, _, _ in longest for k in words.keys(i, j))
        for _, _, _, refs, literal in longest:
            for pid, tier in refs.items():
                best_refs[pid] = min(tier, best_refs.get(pid, tier))
            best_literal |= literal
        best_span = longest[0][1:3]
        prefer_city = any(t in nz.CITY_WORDS for t in words.ae)
        exact = self._decide_exact(best_refs, best_literal, prefer_city, best_keys)
        exact.length, exact.span = best_len, best_span
        others = [h for h in hits if h[2] <= best_span[0] or h[1] >= best_span[1]]
        if others and all(len(p) in (2, 5) for p in exact.choices):
            # "Hausen Rhön-Grabfeld", "Neustadt in Rheinland-Pfalz": a Gemeinde inside the named Kreis or Land
            for _, i, j, refs, literal in sorted(others, key=lambda h: -h[0]):
                inner = self._within(self._decide_exact(refs, literal, prefer_city, words.keys(i, j)),
                                     set(exact.choices))
                if inner is not None:
                    inner.length, inner.span = best_len, (min(i, best_span[0]), max(j, best_span[1]))
                    return inner
        elif exact.status == "ambiguous" and others:
            containers = {pid for h in others for pid in h[3] if len(pid) in (2, 5)}
            exact = self._within(exact, containers) or exact
        # a longer run around the exact hit may be a misspelt longer name ("Leopldsreuter Wald",
        # "Becherbach be Kirh" where "be" reads as a filler)
        around = [(a, b) for a, b, _ in runs if a <= best_span[0] and best_span[1] <= b and (a, b) != best_span]
        if lex is self._names and words.keys(*best_span)[0] in self._prefixes:
            around += [(best_span[0], j) for j in range(min(n, best_span[1] + 3), best_span[1], -1)
                       if kinds[j - 1] != "conn" and (best_span[0], j) not in around]
        for run in sorted(around, key=lambda r: r[0] - r[1])[:3 if self._fuzzy_left > FUZZY_BUDGET_LONG else 0]:
            longer = self._fuzzy(words.keys(*run), words.literal(*run), lex, lenient)
            if longer.status == "match" and longer.length > best_len:
                longer.span = run
                return longer
        return exact

    def _within(self, outcome: _Outcome, containers: set[str]) -> _Outcome | None:
        """The Gemeinden of ``outcome`` that lie in one of the Kreise or Länder ``containers``
        ("Neuenkirchen Steinfurt"), or None if there are none."""
        inside = []
        for pid in outcome.choices:
            place = self.gazetteer.gemeinden.get(pid)
            if place and (place.kreis_id in containers or place.land_id in containers):
                inside.append(pid)
        if not inside:
            return None
        ranked = [(p, 100.0) for p in inside] + [(p, s - 10) for p, s in outcome.ranked if p not in inside]
        status = "match" if len(inside) == 1 else "ambiguous"
        return _Outcome(status, ranked, outcome.length, outcome.span, inside, outcome.via)

    @staticmethod
    def _runs(kinds: list[str]) -> list[tuple[int, int, int]]:
        """(start, end, stretch number) of the stretches without filler words, trimmed of connectors and
        soft words at both ends."""
        runs: list[tuple[int, int, int]] = []
        i, n = 0, len(kinds)
        while i < n:
            if kinds[i] == "filler":
                i += 1
                continue
            j = i
            while j < n and kinds[j] != "filler":
                j += 1
            a, b = i, j
            while a < b and kinds[a] != "word":
                a += 1
            while b > a and kinds[b - 1] != "word":
                b -= 1
            if a < b:
                runs.append((a, b, i))
                if (a, b) != (i, j) and "soft" in (kinds[i], kinds[j - 1]):
                    runs.append((i, j, i))  # "Amt Creuzburg": the soft word may belong to the name
                elif b < j:
                    runs.append((a, j, i))  # "Rottal-In": a misspelt word may look like a connector
                if a > i == 0 and kinds[0] == "conn":
                    runs.append((0, b, i))  # "Am Mellensee", "An der Schmücke": names begin so
            i = j
        return runs

    def _fuzzy_runs(self, words: _Words, kinds: list[str], runs: list[tuple[int, int, int]], lex: _Lexicon,
                    lenient: bool) -> _Outcome:
        """Fuzzy matching of the runs of a message.  A misspelt word is taken for a place only where a
        place is expected: when it is all the message says besides filler words, or after "in", "aus" and
        the like; otherwise "Schwimmkurs für Frauen" would find Rauen."""
        alone = len({stretch for _, _, stretch in runs}) == 1
        spans: list[tuple[int, int, bool]] = []
        for a, b, _ in runs:
            if alone or self._after_locative(words, kinds, a):
                spans.append((a, b, True))
            for width in range(min(b - a - 1, _MAX_SPAN), 0, -1):
                spans.extend((s, s + width, False) for s in range(a, b - width + 1)
                             if kinds[s] == "word" and kinds[s + width - 1] == "word"
                             and self._after_locative(words, kinds, s))
        spans.sort(key=lambda s: -len(words.keys(s[0], s[1])[0]))
        best = _nothing()
        calls = 0
        for a, b, whole_run in spans:
            if calls >= _MAX_FUZZY_CALLS:
                break
            keys = words.keys(a, b)
            if len(keys[0]) < 4:
                continue
            calls += 1
            out = self._fuzzy(keys, words.literal(a, b), lex, lenient)
            out.span = (a, b)
            if out.status == "match":
                return out
            if out.status == "ambiguous" and best.status == "none" and (whole_run or alone):
                best = out
        if alone and runs and best.status == "ambiguous":
            # "Kein Bünzow": a misspelt first or last word may read as a filler word
            a, b, _ = runs[0]
            for span in ((a - 1, b), (a, b + 1)):
                if 0 <= span[0] and span[1] <= len(words) and "filler" in (kinds[span[0]], kinds[span[1] - 1]):
                    out = self._fuzzy(words.keys(*span), words.literal(*span), lex, lenient)
                    if out.status == "match":
                        out.span = span
                        return out
        return best

    # ------------------------------------------------------------------ decisions

    def _people(self, pid: str) -> int:
        place = self.gazetteer.get(pid)
        return place.population if place else 0

    def _order(self, pid: str) -> tuple[float, str]:
        return -self._size.get(pid, 0.0), pid

    def _via(self, refs: dict[str, int], keys: tuple[str, ...]) -> dict[str, str]:
        """The Ortsteil names by which places of ``refs`` were found (not their own names)."""
        via = {}
        for pid, tier in refs.items():
            if tier in (ORTSTEIL, WEAK):
                name = next((n for k in keys if (n := self.ortsteil_name(k, pid))), None)
                if name:
                    via[pid] = name
        return via

    def _decide_exact(self, refs: dict[str, int], literal: set[str], prefer_city: bool,
                      keys: tuple[str, ...] = ()) -> _Outcome:
        via = self._via(refs, keys)
        classes = [[p for p, t in refs.items() if t <= SHORT], [p for p, t in refs.items() if t == ORTSTEIL],
                   [p for p, t in refs.items() if t == WEAK]]
        group = next(c for c in classes if c)
        best_tier = min(refs[p] for p in group)
        top = [p for p in group if refs[p] == best_tier]
        if not any(p in literal for p in top):
            top += [p for p in group if p in literal and p not in top]
        if len(top) > 1 and prefer_city:
            cities = [p for p in top if p in self._city]
            if len(cities) == 1:
                top = cities
        status = "match" if len(top) == 1 else "ambiguous"
        if status == "ambiguous":
            top = group if len(group) <= 10 else top
        top = sorted(top, key=lambda p: (p not in literal, self._order(p)))
        # A Gemeinde's name that is also a district elsewhere ("Hahn": the village in the Hunsrück, and
        # Taunusstein-Hahn) is a question, unless the Gemeinde is a city that people mean by the name.
        districts = [p for p in sorted(via, key=self._order) if p not in top and refs[p] == ORTSTEIL]
        if group is classes[0] and districts and len(top) < 10 and \
                max(self._size.get(p, 0.0) for p in top) < BIG_CITY:
            top = top + districts[:10 - len(top)]
            status = "ambiguous"
        rest = sorted((p for p in refs if p not in top), key=lambda p: (refs[p], self._order(p)))
        ranked = [(p, 100.0 - _SCORE_PENALTY[refs[p]]) for p in top] + \
                 [(p, 95.0 - _SCORE_PENALTY[refs[p]]) for p in rest]
        return _Outcome(status, ranked, choices=top, via=via)

    def _fuzzy(self, keys: tuple[str, ...], written: str, lex: _Lexicon, lenient: bool = False) -> _Outcome:
        n = len(keys[0])
        allowed = allowed_edits(n + 1 if lenient else n)
        if allowed == 0 or n > self._longest + 3 or self._fuzzy_left <= 0:
            return _nothing()
        self._fuzzy_left -= 1
        found = lex.near(keys, written, allowed)
        if not found:
            return _nothing()
        ranked = sorted(found.items(), key=lambda kv: (kv[1][0] + _RANK_PENALTY[kv[1][1]], self._order(kv[0])))
        best_id, (d1, t1, _) = ranked[0]
        via = {pid: shown for pid, (_, t, name) in found.items() if t in (ORTSTEIL, WEAK)
               and (shown := self.ortsteil_name(name, pid) or self.ortsteil_name(nz.fold(name, "ae"), pid))}
        rivals = [(pid, d, t) for pid, (d, t, _) in ranked[1:] if d <= d1 and t <= t1]
        if rivals and self.keyboard_ties:
            # Equally many edits, but one name needs a wrong first letter far from the typed one's key, a slip
            # people seldom make ("Katzeburg": Kratzeburg without its r, or Ratzeburg with a K for its R).
            # Weighed as a spelling corrector would: how likely the slip (FAR_FIRST_ODDS) times how likely the
            # place (the square root of its population: "lerlin" is still a question between Berlin and
            # Perlin).  Only the one name without such a slip can be taken, and only when it is DECISIVE times
            # likelier than each name that needs one; otherwise we ask.
            tied = [best_id] + [pid for pid, _, _ in rivals]
            far = {pid: min(edits_without_far_first_letter(k, found[pid][2]) for k in {keys[0], keys[-1], written})
                   > found[pid][0] for pid in tied}
            plain = [pid for pid in tied if not far[pid]]
            if len(plain) == 1:
                def odds(pid: str) -> float:
                    return math.sqrt(max(self._people(pid), 1)) / (FAR_FIRST_ODDS if far[pid] else 1)

                if odds(plain[0]) >= DECISIVE * max(odds(pid) for pid in tied if far[pid]):
                    best_id = plain[0]
                    d1, t1 = found[best_id][:2]
                    ranked = [(best_id, found[best_id])] + [kv for kv in ranked if kv[0] != best_id]
                    rivals = []

        def score(d: int, t: int) -> float:
            return 100.0 * (1 - d / max(n, 1)) - _SCORE_PENALTY[t]

        if not rivals:
            out = [(best_id, score(d1, t1))] + [(p, score(d, t)) for p, (d, t, _) in ranked[1:] if d <= d1 + 1]
            return _Outcome("match", out, length=n, via=via)
        close = [(pid, score(d, t)) for pid, (d, t, _) in ranked if d <= d1]
        return _Outcome("ambiguous", close, length=n, choices=[pid for pid, _ in close], via=via)


@cache
def default_gazetteer() -> Gazetteer:
    return Gazetteer.load()


@cache
def default_index() -> PlaceIndex:
    return PlaceIndex(default_gazetteer())
