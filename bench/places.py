"""Accuracy and speed of the place resolver, next to a naive fuzzy lookup, on a JSONL query file.

    python bench/places.py PATH_TO_JSONL [--seed 7] [--heldout 120] [--repeat 3] [--write-heldout FILE]

Each line of the file is {"q": ..., "expect": "match"|"ambiguous"|"none"|"match_or_ambiguous",
"id": ... or "ids": [...], "kind": category}.  Besides the given file the script generates a second,
held-out set from random gazetteer names (typos on a QWERTZ keyboard, umlaut spellings, sentences,
Kreis forms, postal codes, Ortsteile, non-places) with a fixed seed, so that tuning on one file does not
go unnoticed.

Figures per category and overall:
  strict   answered with the right place: a match with the right id; for "ambiguous" rows a question
           offering every expected id; for "none" rows no answer; for "match_or_ambiguous" either.
  offered  the right place is among the offered choices (for "none" rows: no answer given).
  wrong    confident wrong answers: a match with a wrong id, or a match where none/ambiguous was expected.
The naive approach for comparison: rapidfuzz process.extract with WRatio over all raw names, the top-1 taken
as the answer (names tied at the top score make it a question).
Latency is measured warm, per query, with time.perf_counter_ns on one core, as the fastest of --repeat
runs (default 3) so that other processes on a shared machine do not count as resolver time.

Also printed: how complete the data is (inhabited Gemeinden with a postal code and a coordinate, postal codes
that resolve, sub-municipal names), the worst latency over generated 2,000- and 10,000-character messages
(prose, one long word, random short words, digits, place names in a row, misspelt names after "in"), and the
resident memory (peak RSS) of the whole bot: the console app in a child process with a SQLite database and
the Telegram and Matrix libraries imported as `helferbot run` does with both platforms configured, asked for
contacts, meetings and travel costs so that the directory, the place index and the free-text reader are
loaded (--no-memory skips it).  --bot-python runs that child with another interpreter: the figure of a
deployment comes from the venv `make demo` installs, as the test tools add modules of their own (httpx
imports its command-line tool, with rich and pygments, when they are installed).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
import unicodedata
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rapidfuzz import fuzz, process  # noqa: E402
from rapidfuzz.distance import OSA  # noqa: E402

from knowledge.places import Gazetteer, Place, PlaceIndex  # noqa: E402

Answer = tuple[str, list[str]]  # (status, candidate ids best first)


@dataclass
class Tally:
    n: int = 0
    strict: int = 0
    offered: int = 0
    wrong: int = 0


def judge(row: dict, status: str, ids: list[str]) -> tuple[bool, bool, bool]:
    """(strict, offered, confidently wrong) for one answer."""
    expect = row["expect"]
    if expect == "none":
        ok = status == "none"
        return ok, ok, status == "match"
    if expect == "ambiguous":
        wanted = set(row.get("ids") or [])
        offered = status != "none" and wanted <= set(ids)
        return status == "ambiguous" and offered, offered, status == "match"
    right = row["id"]
    offered = status != "none" and right in ids
    first = status == "match" and ids[:1] == [right]
    if expect == "match_or_ambiguous":
        return first or (status == "ambiguous" and offered), offered, status == "match" and not first
    return first, offered, status == "match" and not first


def evaluate(rows: list[dict], answer: Callable[[str], Answer], repeat: int = 1
             ) -> tuple[dict[str, Tally], list[int], list]:
    for row in rows:  # warm-up: caches, branch predictors, lazily built tables
        answer(row["q"])
    tallies: dict[str, Tally] = defaultdict(Tally)
    times: list[int] = []
    misses = []
    for row in rows:
        best = None
        for _ in range(repeat):  # the fastest of several runs: other processes share the core
            t0 = time.perf_counter_ns()
            status, ids = answer(row["q"])
            elapsed = time.perf_counter_ns() - t0
            best = elapsed if best is None else min(best, elapsed)
        times.append(best)
        strict, offered, wrong = judge(row, status, ids)
        for key in (row.get("kind", "?"), "ALL"):
            t = tallies[key]
            t.n += 1
            t.strict += strict
            t.offered += offered
            t.wrong += wrong
        if not strict:
            misses.append((row, status, ids[:4]))
    return tallies, times, misses


def pct(a: int, n: int) -> str:
    return f"{100 * a / n:6.1f}%" if n else "     -"


def quantile(values: list[int], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] / 1000


def report(title: str, results: dict[str, tuple[dict[str, Tally], list[int], list]], show_misses: int) -> None:
    print(f"\n== {title}")
    names = list(results)
    header = f"{'category':16}{'n':>5}" + "".join(f" | {n[:23]:^23}" for n in names)
    print(header)
    print(f"{'':21}" + "".join(f" | {'strict':>7}{'offered':>8}{'wrong':>8}" for _ in names))
    categories = sorted({c for tallies, _, _ in results.values() for c in tallies}, key=lambda c: (c == "ALL", c))
    for cat in categories:
        first = results[names[0]][0][cat]
        line = f"{cat:16}{first.n:>5}"
        for name in names:
            t = results[name][0][cat]
            line += f" | {pct(t.strict, t.n):>7}{pct(t.offered, t.n):>8}{pct(t.wrong, t.n):>8}"
        print(line)
    for name in names:
        times = results[name][1]
        print(f"latency {name}: median {statistics.median(times) / 1000:.0f} µs, "
              f"p99 {quantile(times, 0.99):.0f} µs, max {max(times) / 1000:.0f} µs per query")
    if show_misses:
        misses = results[names[0]][2]
        print(f"not strictly right ({names[0]}): {len(misses)}")
        for row, status, ids in misses[:show_misses]:
            want = row.get("id") or row.get("ids")
            print(f"  [{row.get('kind')}] {row['q']!r}: expect {row['expect']} {want} -> {status} {ids}")


# ------------------------------------------------------------------------------------------- resolvers


def resolver_answer(index: PlaceIndex) -> Callable[[str], Answer]:
    def answer(q: str) -> Answer:
        res = index.resolve(q)
        return res.status, [c.place.id for c in res.candidates]
    return answer


def naive_answer(gz: Gazetteer) -> Callable[[str], Answer]:
    """rapidfuzz ``process.extract`` with WRatio over all raw names (Gemeinden and Kreise, no processor):
    the top-1 is the answer; names sharing the top score make it a question among them."""
    places = list(gz.gemeinden.values()) + list(gz.kreise.values())
    choices = [p.official_name for p in places]

    def answer(q: str) -> Answer:
        best = process.extract(q, choices, scorer=fuzz.WRatio, limit=10)
        if not best or best[0][1] == 0:
            return "none", []
        tied = [places[pos].id for _, score, pos in best if score == best[0][1]]
        return ("match" if len(tied) == 1 else "ambiguous"), tied
    return answer


# ------------------------------------------------------------------------------------------- held-out set

_QWERTZ = ["1234567890ß", "qwertzuiopü", "asdfghjklöä", "yxcvbnm"]
_POS = {c: (r, i) for r, row in enumerate(_QWERTZ) for i, c in enumerate(row)}


def _neighbours(c: str) -> list[str]:
    if c.lower() not in _POS:
        return []
    r, i = _POS[c.lower()]
    out = []
    for dr, di in ((0, -1), (0, 1), (-1, 0), (-1, 1), (1, -1), (1, 0)):
        rr, ii = r + dr, i + di
        if 1 <= rr < len(_QWERTZ) and 0 <= ii < len(_QWERTZ[rr]):
            out.append(_QWERTZ[rr][ii])
    return out


def _typo(rng: random.Random, text: str) -> str:
    letters = [i for i, c in enumerate(text) if c.isalpha()]
    i = rng.choice(letters)
    op = rng.choice(("sub", "swap", "del", "ins"))
    if op == "swap" and i + 1 < len(text) and text[i + 1].isalpha() and text[i] != text[i + 1]:
        return text[:i] + text[i + 1] + text[i] + text[i + 2:]
    if op == "del":
        return text[:i] + text[i + 1:]
    near = _neighbours(text[i]) or [text[i]]
    if op == "ins":
        return text[:i + 1] + rng.choice(near) + text[i + 1:]
    return text[:i] + rng.choice(near) + text[i + 1:]


def _plain(text: str, style: str = "ae") -> str:
    """Independent folding for the generator: lower case, umlauts, no marks, words only."""
    table = {"ä": "ae", "ö": "oe", "ü": "ue"} if style == "ae" else {"ä": "a", "ö": "o", "ü": "u"}
    text = text.lower().replace("ß", "ss")
    text = "".join(table.get(c, c) for c in text)
    text = unicodedata.normalize("NFKD", text.replace("ł", "l"))
    return " ".join(re.findall(r"[a-z0-9]+", "".join(c for c in text if not unicodedata.combining(c))))


def _head(text: str) -> str:
    """The part of a name before its qualifier ("Halle (Saale)" -> "Halle")."""
    text = re.split(r"[(/]", text)[0]
    return re.split(r" (?:(?:an der|am|an|im|in|bei|ob|vor der|unter)(?= |$)|[abivou]\.)", text)[0].strip(" .")


_TEMPLATES = [
    "Wer ist mein Ansprechpartner in {}?", "Kontakt {}", "who is my contact in {}", "Ich wohne in {}.",
    "Gibt es Hilfe in {}?", "Bildung in {}", "Unterkunft {}", "Arbeit in {} gesucht",
    "I volunteer in {}, who can help?", "Ansprechpartnerin in {} bitte", "Hallo, ich bin aus {}",
    "education in {}", "Wen kann ich in {} erreichen?",
]
_NOT_PLACES = [
    "Prag", "Warschau", "Madrid", "Brüssel", "Kopenhagen", "Damaskus", "Aleppo", "Kiew", "Moskau",
    "Teheran", "Bagdad", "Ankara", "Lissabon", "Athen", "Budapest", "Stockholm", "Oslo", "Dublin",
    "Mailand", "Barcelona", "Guten Morgen", "Wie spät ist es?", "Ich brauche Hilfe", "Thank you very much",
    "ok danke", "Hallo zusammen", "Was kannst du?", "help", "Tschüss", "Können Sie mir helfen?",
    "👍", "...", "qwertzuiop", "jjjjj", "Bitte um Rückruf", "Hi there", "Servus!", "Moin moin",
    "Ich habe eine Frage zur Fahrtkostenabrechnung", "Wann ist das nächste Treffen?",
    "Können wir den Termin verschieben?", "Meine Tochter braucht einen Kitaplatz",
    "Der Deutschkurs fällt heute aus", "Wo finde ich die Formulare?", "Brauche einen Dolmetscher für Arabisch",
    "Wir haben ein Fahrrad gespendet bekommen", "Öffnungszeiten der Kleiderkammer", "Spendenquittung bitte",
    "Wie melde ich mich an?", "Mein Handy ist kaputt", "Nachhilfe in Mathematik gesucht",
    "Familie mit drei Kindern sucht Wohnung", "Schwimmkurs für Frauen", "Ausflug am Samstag",
    "Lebensmittelausgabe der Tafel", "Begegnungscafé am Mittwoch", "Patenschaft übernehmen",
    "Dolmetscherin für Farsi", "Arzttermin begleiten", "Who organises the language café?",
    "Is there a bike repair workshop?", "I need a translator for Tigrinya", "Where can I donate clothes?",
    "Homework help for kids", "Ich möchte mich ehrenamtlich engagieren",
    "Wie funktioniert die Anmeldung beim Bürgeramt?", "Formular für Kindergeld", "Gibt es einen Fahrdienst?",
]


def generate_heldout(gz: Gazetteer, seed: int, per_category: int) -> list[dict]:
    rng = random.Random(seed)
    gems = sorted(gz.gemeinden.values(), key=lambda p: p.id)
    by_key: dict[str, set[str]] = defaultdict(set)
    by_head: dict[str, set[str]] = defaultdict(set)
    for g in gems:
        for style in ("ae", "a"):
            by_key[_plain(g.name, style)].add(g.id)
            by_head[_plain(_head(g.name), style)].add(g.id)
    folded = [_plain(g.name) for g in gems]
    rows: list[dict] = []

    def expectation(text: str, gid: str, kind: str, edits: int = 0) -> dict | None:
        """What a careful reader would accept for ``text`` written for Gemeinde ``gid``."""
        key = _plain(text)
        same = by_key.get(key, set()) | by_key.get(_plain(text, "a"), set())
        if edits == 0:
            if len(same) > 1:
                return {"q": text, "expect": "ambiguous", "ids": sorted(same), "kind": kind}
            if by_head.get(key, set()) - {gid}:
                return {"q": text, "expect": "match_or_ambiguous", "id": gid, "kind": kind}
            return {"q": text, "expect": "match", "id": gid, "kind": kind}
        if same:
            return None  # the typo wrote another real name
        near = process.extract(key, folded, scorer=OSA.distance, score_cutoff=edits + 1, limit=40)
        own = OSA.distance(key, _plain(gz.gemeinden[gid].name))
        dupes = by_key.get(_plain(gz.gemeinden[gid].name), set())
        closer = {gems[i].id for _, d, i in near if d < own} - dupes
        tied = {gems[i].id for _, d, i in near if d == own} - dupes
        if closer:
            return None  # the typo is nearer to another name than to its own
        if tied:
            return {"q": text, "expect": "match_or_ambiguous", "id": gid, "kind": kind}
        if len(dupes) > 1:
            return {"q": text, "expect": "ambiguous", "ids": sorted(dupes), "kind": kind}
        return {"q": text, "expect": "match", "id": gid, "kind": kind}

    def sample(pred: Callable[[Place], bool]) -> Place:
        while True:
            g = rng.choice(gems)
            if pred(g):
                return g

    def add(row: dict | None) -> None:
        if row is not None:
            rows.append(row)

    for _ in range(per_category):
        g = sample(lambda p: True)
        add(expectation(g.name, g.id, "exact"))
        g = sample(lambda p: len(p.name) >= 5)
        translit = "".join({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"}.get(c, c) for c in g.name.lower())
        add(expectation(translit, g.id, "lower_translit"))
        g = sample(lambda p: any(c in p.name for c in "äöüÄÖÜ"))
        dropped = "".join({"ä": "a", "ö": "o", "ü": "u", "Ä": "A", "Ö": "O", "Ü": "U"}.get(c, c) for c in g.name)
        add(expectation(dropped, g.id, "umlaut_dropped"))
        g = sample(lambda p: len(p.name) >= 6)
        add(expectation(_typo(rng, g.name), g.id, "typo1", 1))
        g = sample(lambda p: len(p.name) >= 9)
        add(expectation(_typo(rng, _typo(rng, g.name)), g.id, "typo2", 2))
        g = sample(lambda p: True)
        name = _typo(rng, g.name) if len(g.name) >= 8 and rng.random() < 0.3 else g.name
        row = expectation(name, g.id, "sentence", 0 if name == g.name else 1)
        if row:
            add({**row, "q": rng.choice(_TEMPLATES).format(name)})

    landkreise = [k for k in sorted(gz.kreise.values(), key=lambda p: p.id)
                  if gz.kreis_kinds.get(k.id) == "Landkreis"]
    for _ in range(per_category):
        k = rng.choice(landkreise)
        core = re.sub(r"^(Landkreis|Kreis|Region|Städteregion|Regionalverband) ", "", k.name)
        misspelt = rng.random() < 0.25
        if "kreis" in core.lower():
            form = rng.choice([core, core.replace("-", " "), core.lower()])
            form = _typo(rng, form) if misspelt else form
        else:  # typos in the name or in a written-out "Kreis", not in "LK"
            pattern = rng.choice(["Landkreis {}", "LK {}", "Lkr. {}", "Kreis {}", "landkreis {}"])
            form = pattern.format(_typo(rng, core) if misspelt else core)
            if misspelt and pattern.startswith(("Kreis", "Landkreis")) and rng.random() < 0.5:
                form = _typo(rng, pattern.split(" ")[0]) + " " + core
        rows.append({"q": form, "expect": "match", "id": k.id, "kind": "kreis"})

    codes: dict[str, list[str]] = defaultdict(list)
    for g in gems:
        for c in g.postal_codes:
            codes[c].append(g.id)
    code_list = sorted(codes)
    for _ in range(per_category):
        c = rng.choice(code_list)
        q = rng.choice(["{}", "PLZ {}", "Ansprechpartner für PLZ {}", "Ich wohne in {}"]).format(c)
        if len(codes[c]) == 1:
            rows.append({"q": q, "expect": "match", "id": codes[c][0], "kind": "plz"})
        elif len(codes[c]) <= 10:  # at most ten choices are offered
            rows.append({"q": q, "expect": "ambiguous", "ids": sorted(codes[c]), "kind": "plz"})

    ortsteile = sorted(gz.ortsteile)
    for _ in range(per_category):
        name, _code, ags = rng.choice(ortsteile)
        if _plain(name) in by_key or _plain(_head(name)) in by_head and by_head[_plain(_head(name))] - {ags}:
            continue  # the name of an Ortsteil that is also a Gemeinde means the Gemeinde
        rows.append({"q": name, "expect": "match", "id": ags, "kind": "ortsteil"})

    for text in _NOT_PLACES:
        if _plain(text) not in by_key and _plain(text) not in by_head:
            rows.append({"q": text, "expect": "none", "kind": "none"})
    for _ in range(per_category // 4):
        junk = "".join(rng.choice("bcdfghjklmnpqrstvwxz") for _ in range(rng.randint(4, 9)))
        rows.append({"q": junk, "expect": "none", "kind": "none"})
    return rows


# ------------------------------------------------------------------------------------------- data, long input, memory


def data_figures(gz: Gazetteer, index: PlaceIndex) -> None:
    inhabited = [g for g in gz.gemeinden.values() if g.id not in gz.uninhabited]
    with_code = sum(1 for g in inhabited if g.postal_codes)
    with_point = sum(1 for g in inhabited if g.lat is not None and g.lon is not None)
    codes = {c for g in gz.gemeinden.values() for c in g.postal_codes}
    resolving = sum(1 for c in codes if index.resolve(c).status != "none")
    names = {(n, a) for n, _, a in gz.ortsteile}
    print(f"inhabited Gemeinden {len(inhabited)} of {len(gz.gemeinden)}: with postal code "
          f"{100 * with_code / len(inhabited):.2f}%, with coordinate {100 * with_point / len(inhabited):.2f}%, "
          f"with population {100 * sum(1 for g in inhabited if g.population) / len(inhabited):.2f}%")
    print(f"postal codes {len(codes)}, resolving {100 * resolving / len(codes):.2f}%; "
          f"sub-municipal names {len(names)}")


def long_inputs(gz: Gazetteer, seed: int) -> dict[str, str]:
    rng = random.Random(seed)
    names = sorted(g.name for g in gz.gemeinden.values())
    prose = ("Hallo zusammen, ich wohne seit drei Jahren in der Nähe von Nürtingen und möchte mich bei euch "
             "ehrenamtlich engagieren, wer ist dafür mein Ansprechpartner? Danke und viele Grüße ")
    makers = {
        "prose": lambda: prose,
        "one word": lambda: "a",
        "short words": lambda: "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(1, 4)))
        + " ",
        "digits": lambda: f"{rng.randint(10000, 99999)} ",
        "names": lambda: rng.choice(names) + " ",
        "misspelt after in": lambda: "in " + _typo(rng, rng.choice(names)) + " ",
        "capitals": lambda: rng.choice(["Bad", "Neustadt", "Sankt", "Ober", "Hausen", "Am", "Der"]) + " ",
    }
    out = {}
    for size in (2000, 10000):
        for kind, make in makers.items():
            parts, n = [], 0
            while n < size:
                parts.append(make())
                n += len(parts[-1])
            out[f"{size} {kind}"] = "".join(parts)[:size]
    return out


def long_latency(index: PlaceIndex, gz: Gazetteer, seed: int, repeat: int) -> None:
    worst: dict[int, tuple[float, str]] = {}
    for name, text in long_inputs(gz, seed).items():
        index.resolve(text)
        best = min(_timed(index, text) for _ in range(max(repeat, 3)))
        size = int(name.split()[0])
        if best > worst.get(size, (0.0, ""))[0]:
            worst[size] = (best, name)
    for size, (t, name) in sorted(worst.items()):
        print(f"worst latency over {size:,}-character messages: {t:.2f} ms ({name.split(' ', 1)[1]})")


def _timed(index: PlaceIndex, text: str) -> float:
    t0 = time.perf_counter_ns()
    index.resolve(text)
    return (time.perf_counter_ns() - t0) / 1e6


def bot_memory(python: str = sys.executable) -> None:
    """Peak resident memory of the bot with everything loaded, after a short conversation."""
    root = Path(__file__).resolve().parents[1]
    with tempfile.TemporaryDirectory() as tmp:
        cfg = Path(tmp) / "config.toml"
        cfg.write_text(f'[bot]\ndata_dir = "{tmp}/data"\n[database]\nurl = "sqlite+aiosqlite:///{tmp}/bot.db"\n',
                       encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if not k.startswith("HELFERBOT_")}
        env["PYTHONPATH"] = str(root)
        subprocess.run([python, "-m", "bot.cli", "migrate", "--config", str(cfg)], env=env,
                       capture_output=True, check=True, timeout=300)
        script = ("hallo\nkontakt nürtingen\nkontakt sachsenhausen\n/kontakt 30974\nBildung in Esslingen\n"
                  "/hilfe\n/termine\n/fahrtkosten\n/abbrechen\n")
        # the child reports its own peak on the way out (RUSAGE_CHILDREN would be the largest child so far)
        run = ("import atexit, resource, sys; import bot.platforms.telegram, bot.platforms.matrix; "
               "atexit.register(lambda: print('PEAK_KB', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, "
               "file=sys.stderr)); from bot.cli import main; "
               f"sys.exit(main(['console', '--config', {str(cfg)!r}]))")
        t0 = time.perf_counter()
        done = subprocess.run([python, "-c", run], env=env, input=script, capture_output=True, text=True,
                              timeout=300)
        elapsed = time.perf_counter() - t0
    peak = re.search(r"PEAK_KB (\d+)", done.stderr)
    ok = "Nürtingen" in done.stdout and peak
    shown = f"{int(peak.group(1)) / 1024:.0f} MB" if peak else "?"
    print(f"resident memory of the whole bot (console with both platform libraries, all knowledge loaded): "
          f"{shown} peak RSS; session of 9 messages {elapsed:.1f} s{'' if ok else ' - the console did not answer!'}")


# ------------------------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("path", type=Path, help="JSONL file with queries and expected answers")
    parser.add_argument("--seed", type=int, default=7, help="seed for the generated held-out set")
    parser.add_argument("--heldout", type=int, default=120, help="generated queries per category (0: none)")
    parser.add_argument("--write-heldout", type=Path, help="also write the generated set to this file")
    parser.add_argument("--misses", type=int, default=25, help="list this many queries not strictly right")
    parser.add_argument("--repeat", type=int, default=3, help="time each query this many times, keep the fastest")
    parser.add_argument("--no-memory", action="store_true", help="do not start the bot to measure its memory")
    parser.add_argument("--bot-python", default=sys.executable,
                        help="interpreter for the memory figure, e.g. .venv-run/bin/python after `make demo VENV=.venv-run`, "
                             "a venv without the test tools")
    args = parser.parse_args(argv)

    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})

    t0 = time.perf_counter()
    gz = Gazetteer.load()
    t1 = time.perf_counter()
    index = PlaceIndex(gz)
    t2 = time.perf_counter()
    print(f"gazetteer load {1000 * (t1 - t0):.0f} ms, index build {1000 * (t2 - t1):.0f} ms")
    data_figures(gz, index)
    long_latency(index, gz, args.seed, args.repeat)
    if not args.no_memory:
        bot_memory(args.bot_python)

    with open(args.path, encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh if line.strip()]
    ours, naive = resolver_answer(index), naive_answer(gz)
    report(f"{args.path.name} ({len(rows)} queries)",
           {"resolver": evaluate(rows, ours, args.repeat), "naive WRatio": evaluate(rows, naive, args.repeat)},
           args.misses)

    if args.heldout:
        held = generate_heldout(gz, args.seed, args.heldout)
        if args.write_heldout:
            with open(args.write_heldout, "w", encoding="utf-8") as fh:
                for row in held:
                    fh.write(json.dumps(row, ensure_ascii=False) + "\n")
        report(f"generated held-out set (seed {args.seed}, {len(held)} queries)",
               {"resolver": evaluate(held, ours, args.repeat), "naive WRatio": evaluate(held, naive, args.repeat)},
               args.misses)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
