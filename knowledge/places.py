"""German places (Gemeinden, Kreise, Länder) and a resolver from free text to one of them.

The chat asks "Wer ist mein Ansprechpartner in Nürtingen?" and the CLI gets one query per line; both call
:meth:`PlaceIndex.resolve`.  The resolver answers "match" only when one place is clearly meant, and
"ambiguous" with labelled choices when several are plausible (17 Gemeinden start with "Neustadt"), because a
wrong contact costs more than one question back.

Resolution runs from cheap and certain to expensive and doubtful:

1. postal codes (a code covering several Gemeinden is a question, not an answer);
2. an exact lookup of the whole message, of district phrases ("LK Esslingen") and of every word span of a
   sentence, against names normalised once at index build (umlaut spellings, "St."/"Sankt", "a.M.");
3. for the leftover words, an optimal-string-alignment distance over all names of similar length
   (rapidfuzz), accepted when within 1 edit for 5-7 characters and 2 for longer names and at least one edit
   closer than any other place.

Data: ``knowledge/gazetteer`` (see its README for sources and licences).
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
from rapidfuzz.distance import OSA

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
    postal_codes: tuple[str, ...]
    # Names of the parents, kept on the place so that a label needs no lookup.
    kreis_name: str | None = field(default=None, repr=False, compare=False)
    land_name: str = field(default="", repr=False, compare=False)

    @property
    def label(self) -> str:
        """Text for a button: "Neustadt (Hessen) (Landkreis Marburg-Biedenkopf, Hessen)"."""
        if self.kind == "gemeinde":
            return f"{self.name} ({self.kreis_name}, {self.land_name})"
        if self.kind == "kreis":
            return f"{self.name} ({self.land_name})"
        return self.name


@dataclass(frozen=True)
class Candidate:
    place: Place
    score: float  # 0..100


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

        ort_points: dict[str, list[tuple[float | None, float | None]]] = defaultdict(list)
        for r in ort_rows:
            ort_points[r["ags"]].append((_float(r["lat"]), _float(r["lon"])))

        gemeinden: dict[str, Place] = {}
        for r in gem_rows:
            lat, lon = _float(r["lat"]), _float(r["lon"])
            if lat is None or lon is None:
                lat, lon = _mean(ort_points.get(r["ags"], ()))
            gemeinden[r["ags"]] = Place(
                id=r["ags"], kind="gemeinde", name=r["name"].split(",")[0].strip(), official_name=r["name"],
                kreis_id=r["kreis_ars"], land_id=r["land_ars"], lat=lat, lon=lon,
                postal_codes=tuple(r["plz"].split()),
                kreis_name=kreis_names.get(r["kreis_ars"]), land_name=land_names.get(r["land_ars"], ""))

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
                kreis_name=kreis_names[r["ars"]], land_name=land_names.get(r["land_ars"], ""))

        laender: dict[str, Place] = {}
        for ars, name in land_names.items():
            lat, lon = _mean((g.lat, g.lon) for g in gemeinden.values() if g.land_id == ars)
            laender[ars] = Place(id=ars, kind="land", name=name, official_name=name, kreis_id=None,
                                 land_id=ars, lat=lat, lon=lon, postal_codes=(), land_name=name)

        ortsteile = [(r["name"], r["plz"], r["ags"]) for r in ort_rows if r["ags"] in gemeinden]
        kinds = {r["ars"]: r["kind"] for r in kreis_rows}
        return cls(gemeinden, kreise, laender, ortsteile, kinds)

    def get(self, place_id: str) -> Place | None:
        return self.gemeinden.get(place_id) or self.kreise.get(place_id) or self.laender.get(place_id)

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

# Alias tiers.  Full names and their short forms compete with each other ("Esslingen" is both the village
# Eßlingen and short for Esslingen am Neckar, so it is a question); Ortsteile count only when no Gemeinde
# name fits, and weak aliases (a part of a hyphenated name, a Kreis name without "Kreis") come last.
NAME, SHORT, ORTSTEIL, WEAK = 1, 2, 3, 4
_SCORE_PENALTY = {NAME: 0.0, SHORT: 2.0, ORTSTEIL: 4.0, WEAK: 8.0}
_RANK_PENALTY = {NAME: 0.0, SHORT: 0.0, ORTSTEIL: 0.3, WEAK: 0.5}
_MAX_SPAN = 8
_MAX_FUZZY_CALLS = 6

#: English and colloquial names that people use for German cities.
EXONYMS = {
    "munich": "München", "cologne": "Köln", "nuremberg": "Nürnberg", "hanover": "Hannover",
    "brunswick": "Braunschweig", "ffm": "Frankfurt am Main", "aix la chapelle": "Aachen",
}
_HYPHEN_PREFIXES = {"bad", "gross", "klein", "neu", "alt", "ober", "nieder", "unter", "sankt", "hohen", "markt"}


def allowed_edits(length: int) -> int:
    """Edits accepted without asking back, by query length (Meilisearch and Typesense use similar steps)."""
    if length < 5:
        return 0
    if length < 8:
        return 1
    if length < 15:
        return 2
    return 3


def _offer_edits(length: int) -> int:
    """Edits up to which close names are still offered as choices: only longer words, because short
    ones ("Wien", "Paris") are one or two edits from some German village."""
    return allowed_edits(length) + (1 if length >= 8 else 0)


@dataclass
class _Outcome:
    status: str
    ranked: list[tuple[str, float]]  # (place id, score) best first
    length: int = 0  # characters of the query text the answer covers
    distance: int = 0


_NONE = _Outcome("none", [])


class _Lexicon:
    """Exact keys and a fuzzy table for one family of names (general names, or Kreis cores)."""

    def __init__(self) -> None:
        self.exact: dict[str, dict[str, int]] = defaultdict(dict)
        self._fuzzy: dict[str, dict[str, int]] = defaultdict(dict)
        self.keys: list[str] = []
        self.lens: list[int] = []
        self.refs: list[dict[str, int]] = []

    def add(self, keys: Iterable[str], place_id: str, tier: int, fuzzy: bool = True) -> None:
        for key in keys:
            if not key:
                continue
            old = self.exact[key].get(place_id)
            if old is None or tier < old:
                self.exact[key][place_id] = tier
            if fuzzy and len(key) >= 4:
                old = self._fuzzy[key].get(place_id)
                if old is None or tier < old:
                    self._fuzzy[key][place_id] = tier

    def freeze(self) -> None:
        self.exact = dict(self.exact)
        items = sorted(self._fuzzy.items(), key=lambda kv: (len(kv[0]), kv[0]))
        self.keys = [k for k, _ in items]
        self.lens = [len(k) for k in self.keys]
        self.refs = [v for _, v in items]
        del self._fuzzy

    def near(self, key: str, max_edits: int) -> dict[str, tuple[int, int]]:
        """Places with a name within ``max_edits`` (OSA: a swap of neighbours is one edit):
        id -> (distance, tier)."""
        lo = bisect.bisect_left(self.lens, len(key) - max_edits)
        hi = bisect.bisect_right(self.lens, len(key) + max_edits)
        found: dict[str, tuple[int, int]] = {}
        if lo >= hi:
            return found
        window = self.keys[lo:hi]
        for _, dist, pos in process.extract(key, window, scorer=OSA.distance, score_cutoff=max_edits,
                                            limit=40):
            for pid, tier in self.refs[lo + pos].items():
                old = found.get(pid)
                if old is None or (dist + _RANK_PENALTY[tier], tier) < (old[0] + _RANK_PENALTY[old[1]], old[1]):
                    found[pid] = (int(dist), tier)
        return found


def _qualifier_cut(tokens: list[str]) -> int:
    """Index of the first connector after the first word ("frankfurt a main" -> 1), or len."""
    for i, tok in enumerate(tokens):
        if i > 0 and tok in nz.CONNECTOR_FORMS:
            return i
    return len(tokens)


def _name_aliases(display: str) -> tuple[set[str], set[str], set[str], set[str]]:
    """(full, short, exact-only, weak) keys of a Gemeinde name such as "Bad Homburg v. d. Höhe"."""
    full, short, exact_only, weak = set(), set(), set(), set()
    segments = [s.strip() for s in display.split(" / ") if s.strip()]
    for n, segment in enumerate(segments):
        (full if n == 0 else short).update(nz.spellings(segment))
        head = re.split(r"[(/]", segment, maxsplit=1)[0].strip()
        tails = re.split(r"/", segment)[1:]
        for tail in tails:
            weak.update(k for k in nz.spellings(tail) if len(k) >= 4)
        for style in ("ae", "a", "s"):
            seg_toks = nz.tokens(segment, style)
            head_toks = nz.tokens(head, style)
            cut = _qualifier_cut(head_toks)
            base = head_toks[:cut]
            if base and base != seg_toks:
                short.add(" ".join(base))
            without = [t for t in seg_toks if t not in nz.CONNECTOR_FORMS]
            if len(without) >= 2 and without != seg_toks:
                short.add(" ".join(without))
            # "Frankfurt a.M.", "Bad Homburg v.d.H.", "Halle/S.": the qualifier reduced to initials
            if len(base) < len(seg_toks):
                initials = base + [t if t in nz.CONNECTOR_FORMS else t[0] for t in seg_toks[len(base):]]
                exact_only.add(" ".join(initials))
                exact_only.add(" ".join(t for t in initials if t not in nz.CONNECTOR_FORMS))
            parts = re.split(r"-", head)
            if len(parts) > 1:
                for part in parts:
                    ptoks = nz.tokens(part, style)
                    if ptoks and len(" ".join(ptoks)) >= 4 and ptoks[0] not in _HYPHEN_PREFIXES:
                        weak.add(" ".join(ptoks))
    short -= full
    exact_only -= full | short
    weak -= full | short
    return full, short, exact_only, weak


def _kreis_core(tokens: list[str]) -> list[str]:
    out = []
    for tok in tokens:
        rest, _ = nz.kreis_split(tok)
        if rest:
            out.append(rest)
    return out


class PlaceIndex:
    """Normalised names of every place, built once, and the resolver over them."""

    def __init__(self, gazetteer: Gazetteer):
        self.gazetteer = gazetteer
        self._names = _Lexicon()
        self._kreise = _Lexicon()
        self._postal: dict[str, list[str]] = defaultdict(list)
        self._size: dict[str, float] = {}
        self._city: set[str] = set()
        self._build()

    # ------------------------------------------------------------------ build

    def _build(self) -> None:
        gz = self.gazetteer
        names = self._names
        for g in gz.gemeinden.values():
            full, short, exact_only, weak = _name_aliases(g.name)
            names.add(full, g.id, NAME)
            names.add(short, g.id, SHORT)
            names.add(exact_only, g.id, SHORT, fuzzy=False)
            names.add(weak, g.id, WEAK)
            suffix = g.official_name.partition(",")[2].lower()
            if "st" in suffix.split() or "stadt" in suffix or gz.kreis_kinds.get(g.kreis_id or "") \
                    == "kreisfreie Stadt":
                self._city.add(g.id)
            self._size[g.id] = len(g.postal_codes)
            for code in g.postal_codes:
                self._postal[code].append(g.id)
        for code, ids in self._postal.items():
            ids.sort(key=lambda i: (-self._size[i], i))

        gem_names = {g.id: g.name for g in gz.gemeinden.values()}
        for name, _code, ags in gz.ortsteile:
            keys = nz.spellings(name) | nz.spellings(name.split(",")[0])
            names.add(keys, ags, ORTSTEIL)
            owner = gem_names[ags]
            owner_head = re.split(r"[(/,]", owner)[0].strip()
            for prefix in {owner, owner_head}:
                if name.startswith(prefix + " ") and len(name) > len(prefix) + 3:
                    names.add(nz.spellings(name[len(prefix) + 1:]), ags, WEAK)

        for k in gz.kreise.values():
            self._size[k.id] = 0.5
            if gz.kreis_kinds.get(k.id) == "kreisfreie Stadt":
                continue  # its Gemeinde stands for it
            display_keys = nz.spellings(k.name) | nz.spellings(k.official_name)
            names.add(display_keys, k.id, NAME)
            cores = set()
            for source in {k.name, k.official_name}:
                for style in ("ae", "a", "s"):
                    toks = _kreis_core(nz.tokens(source, style))
                    cores.add(" ".join(toks))
                    cores.add(" ".join(t for t in toks if t not in nz.CONNECTOR_FORMS))
                    head = _kreis_core(nz.tokens(re.split(r"[(/]", source)[0], style))
                    cores.add(" ".join(head))
            cores.discard("")
            self._kreise.add(cores, k.id, NAME)
            names.add(cores - display_keys, k.id, WEAK)

        # City states: "Hamburg" means the Gemeinde; other Land names win over short forms ("Sachsen").
        gemeinde_names = {key for key, refs in names.exact.items()
                          if any(len(i) == 8 and t == NAME for i, t in refs.items())}
        for land in gz.laender.values():
            self._size[land.id] = 0.25
            keys = nz.spellings(land.name)
            names.add(keys, land.id, WEAK if keys & gemeinde_names else NAME)

        for alias, target in EXONYMS.items():
            refs = names.exact.get(" ".join(nz.tokens(target)), {})
            ids = [i for i, tier in refs.items() if tier == NAME and len(i) == 8]
            if len(ids) == 1:
                names.add(nz.spellings(alias), ids[0], NAME)

        single = {key for key, refs in names.exact.items() if " " not in key and
                  any(t <= SHORT for t in refs.values())}
        self._fillers = nz.FILLERS - single
        names.freeze()
        self._kreise.freeze()

    # ------------------------------------------------------------------ resolve

    def resolve(self, query: str, limit: int = 10) -> Resolution:
        limit = max(1, min(limit, 10))
        text = query or ""
        toks = nz.tokens(text)
        outcome = self._resolve_postal(toks)
        if outcome is None:
            outcome = self._resolve_words([t for t in toks if not t.isdigit()])
        return self._resolution(query, outcome, limit)

    def _resolution(self, query: str, outcome: _Outcome, limit: int) -> Resolution:
        seen: set[str] = set()
        cands = []
        for pid, score in outcome.ranked:
            if pid in seen:
                continue
            seen.add(pid)
            place = self.gazetteer.get(pid)
            if place is not None:
                cands.append(Candidate(place, round(max(0.0, min(100.0, score)), 1)))
            if len(cands) >= limit:
                break
        status = outcome.status if cands else "none"
        return Resolution(query=query, status=status, candidates=tuple(cands))

    def _resolve_postal(self, toks: list[str]) -> _Outcome | None:
        codes = [t for t in toks if len(t) == 5 and t.isdigit()]
        if not codes:
            for i, tok in enumerate(toks[1:], 1):
                if len(tok) == 4 and tok.isdigit() and toks[i - 1] in ("plz", "postleitzahl"):
                    codes.append("0" + tok)
        ids: list[str] = []
        for code in codes:
            ids.extend(i for i in self._postal.get(code, ()) if i not in ids)
        if not ids:
            return None
        if len(ids) == 1:
            return _Outcome("match", [(ids[0], 100.0)])
        words = [t for t in toks if not t.isdigit()]
        named = self._resolve_words(words) if words else _NONE
        inside = [pid for pid, _ in named.ranked if pid in ids]
        if len(inside) == 1:
            return _Outcome("match", [(inside[0], 100.0)] + [(i, 90.0) for i in ids if i != inside[0]])
        order = inside + [i for i in ids if i not in inside]
        return _Outcome("ambiguous", [(i, 90.0) for i in order])

    def _resolve_words(self, words: list[str]) -> _Outcome:
        if not words:
            return _NONE
        whole = " ".join(words)
        refs = self._names.exact.get(whole)
        if refs:
            return self._decide_exact(refs, prefer_city=False, length=len(whole))
        cue = any(nz.kreis_split(t)[1] for t in words)
        if cue:
            rest: list[str] = []
            for tok in words:
                stem, _ = nz.kreis_split(tok)
                if stem:
                    rest.append(stem)
            outcome = self._search(rest, self._kreise)
            if outcome.status != "none":
                return outcome
            words = rest
        return self._search(words, self._names)

    def _classify(self, words: list[str]) -> list[str]:
        kinds = []
        for tok in words:
            if tok in nz.CONNECTOR_FORMS:
                kinds.append("conn")
            elif tok in nz.SOFT_WORDS:
                kinds.append("soft")
            elif tok in self._fillers or len(tok) < 2 or tok.isdigit():
                kinds.append("filler")
            else:
                kinds.append("word")
        return kinds

    def _search(self, words: list[str], lex: _Lexicon) -> _Outcome:
        """Exact spans of the message first, then fuzzy matching of the word runs left over."""
        kinds = self._classify(words)
        prefer_city = any(t in nz.CITY_WORDS for t in words)
        n = len(words)
        best_len, best_refs, best_span = 0, {}, (0, 0)
        for i in range(n):
            if kinds[i] not in ("word", "soft"):
                continue
            for j in range(i, min(n, i + _MAX_SPAN)):
                if kinds[j] == "filler":
                    break
                if kinds[j] not in ("word", "soft"):
                    continue
                key = " ".join(words[i:j + 1])
                refs = lex.exact.get(key)
                if not refs:
                    continue
                if len(key) > best_len:
                    best_len, best_refs, best_span = len(key), dict(refs), (i, j + 1)
                elif len(key) == best_len:
                    for pid, tier in refs.items():
                        best_refs[pid] = min(tier, best_refs.get(pid, tier))
        runs = self._runs(words, kinds)
        exact = None
        if best_refs:
            exact = self._decide_exact(best_refs, prefer_city, best_len)
            run = next(((a, b) for a, b in runs if a <= best_span[0] and best_span[1] <= b), None)
            if run is None or run == best_span:
                return exact
            # a longer run around the exact hit may be a misspelt longer name ("Leopldsreuter Wald")
            longer = self._fuzzy(" ".join(words[run[0]:run[1]]), lex)
            if longer.status == "match" and longer.length > best_len:
                return longer
            return exact
        return self._fuzzy_runs(words, runs, lex)

    @staticmethod
    def _runs(words: list[str], kinds: list[str]) -> list[tuple[int, int]]:
        """Maximal stretches without filler words, trimmed of connectors and soft words at both ends."""
        runs = []
        i, n = 0, len(words)
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
                runs.append((a, b))
            i = j
        return runs

    def _fuzzy_runs(self, words: list[str], runs: list[tuple[int, int]], lex: _Lexicon) -> _Outcome:
        spans: list[tuple[int, int, bool]] = [(a, b, True) for a, b in runs]
        for a, b in runs:
            for width in range(b - a - 1, 0, -1):
                for s in range(a, b - width + 1):
                    if "word" in self._classify(words[s:s + 1]) and "word" in self._classify(
                            words[s + width - 1:s + width]):
                        spans.append((s, s + width, False))
        spans.sort(key=lambda s: -len(" ".join(words[s[0]:s[1]])))
        best = _NONE
        calls = 0
        for a, b, whole_run in spans:
            key = " ".join(words[a:b])
            if len(key) < 4 or calls >= _MAX_FUZZY_CALLS:
                continue
            calls += 1
            out = self._fuzzy(key, lex)
            if out.status == "match":
                if best.status != "match" or out.length > best.length:
                    best = out
                    break
            elif out.status == "ambiguous" and whole_run and best.status == "none":
                best = out
        return best

    # ------------------------------------------------------------------ decisions

    def _order(self, pid: str) -> tuple[float, str]:
        return -self._size.get(pid, 0.0), pid

    def _decide_exact(self, refs: dict[str, int], prefer_city: bool, length: int) -> _Outcome:
        by_tier = sorted(refs.items(), key=lambda kv: (kv[1], self._order(kv[0])))
        groups = [[p for p, t in by_tier if t <= SHORT], [p for p, t in by_tier if t == ORTSTEIL],
                  [p for p, t in by_tier if t == WEAK]]
        top = sorted(next(g for g in groups if g), key=self._order)
        lands = [p for p in top if len(p) == 2 and refs[p] == NAME]
        if len(lands) == 1 and all(refs[p] == SHORT for p in top if p != lands[0]):
            top = lands
        if len(top) > 1 and prefer_city:
            cities = [p for p in top if p in self._city]
            if len(cities) == 1:
                top = cities
        rest = [p for p, _ in by_tier if p not in top]
        ranked = [(p, 100.0 - _SCORE_PENALTY[refs[p]]) for p in top] + \
                 [(p, 100.0 - _SCORE_PENALTY[refs[p]] - 5) for p in rest]
        return _Outcome("match" if len(top) == 1 else "ambiguous", ranked, length=length)

    def _fuzzy(self, key: str, lex: _Lexicon) -> _Outcome:
        n = len(key)
        offer = _offer_edits(n)
        if offer == 0:
            return _NONE
        found = lex.near(key, offer)
        if not found:
            return _NONE
        ranked = sorted(found.items(),
                        key=lambda kv: (kv[1][0] + _RANK_PENALTY[kv[1][1]], self._order(kv[0])))
        best_id, (d1, t1) = ranked[0]
        e1 = d1 + _RANK_PENALTY[t1]
        best_place = self.gazetteer.get(best_id)
        own_kreis = best_place.kreis_id if best_place else None
        rivals = [(pid, d, t) for pid, (d, t) in ranked[1:]
                  if not (t == WEAK and pid == own_kreis)]

        def score(d: int, t: int) -> float:
            return 100.0 * (1 - d / max(n, 1)) - _SCORE_PENALTY[t]

        if d1 <= allowed_edits(n) and (not rivals or rivals[0][1] + _RANK_PENALTY[rivals[0][2]] - e1 >= 1):
            out = [(best_id, score(d1, t1))] + [(p, score(d, t)) for p, d, t in rivals if d <= d1 + 1]
            return _Outcome("match", out, length=n, distance=d1)
        close = [(pid, score(d, t)) for pid, (d, t) in ranked if d + _RANK_PENALTY[t] <= e1 + 1]
        return _Outcome("ambiguous", close, length=n, distance=d1)


@cache
def default_gazetteer() -> Gazetteer:
    return Gazetteer.load()


@cache
def default_index() -> PlaceIndex:
    return PlaceIndex(default_gazetteer())
