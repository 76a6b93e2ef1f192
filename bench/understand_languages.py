"""Small-talk understanding and first-message language guessing on the per-language sets in bench/data.

    python bench/understand_languages.py [--langid]

Each bench/data/understand_<lang>.jsonl line is {"text": ..., "intent": greeting|thanks|help|cancel|contact,
"place": German place name or null}, typed as people type on phones. Figures per language:
  lexicon   intent found from knowledge/intent_words.toml alone (the words the understanding module loads)
  place     for "contact in <place>" rows: the Latin-script rest of the message is the German place
  module    the same with knowledge.understand.understand(), once that module exists
  guess     bot.language_guess picks the file's language among all seven
With --langid, py3langid (if installed) is measured on the same texts for accuracy, load time and memory, in a
separate process so its memory is its own.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.language_guess import guess  # noqa: E402
from knowledge.intent_words import fold, intents_in, place_words  # noqa: E402

DATA = Path(__file__).with_name("data")
ALL = ["de", "en", "uk", "ru", "tr", "ar", "fa"]
PRIORITY = ["contact", "cancel", "help", "thanks", "greeting"]


def lexicon_intent(text: str, language: str) -> str | None:
    found = intents_in(text, language).get(language) or set().union(*intents_in(text).values() or [set()])
    return next((i for i in PRIORITY if i in found), None)


def lexicon_place(text: str, language: str) -> str | None:
    """What is left in Latin letters once the language's own words are taken out (place names stay German)."""
    return place_words(text, language)


def expected_place(name: str) -> str:
    """The key the German place name alone resolves to ("ambiguous" for "Esslingen"), as the module reports it."""
    from knowledge.places import default_index

    found = default_index().resolve(name)
    return found.best.id if found.best is not None else found.status


def module_result(text: str):
    try:
        from knowledge.understand import understand
    except ImportError:
        return None
    result = understand(text)
    get = result.get if isinstance(result, dict) else lambda k: getattr(result, k, None)
    return get("intent"), get("place")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--langid", action="store_true", help="also measure py3langid")
    parser.add_argument("--verbose", action="store_true", help="show the misses")
    args = parser.parse_args()
    files = sorted(DATA.glob("understand_*.jsonl"))
    print(f"{'lang':5} {'rows':>4} {'lexicon':>8} {'place':>8} {'module':>8} {'guess':>8}")
    texts: list[tuple[str, str]] = []
    started = time.perf_counter()
    calls = 0
    for path in files:
        language = path.stem.split("_", 1)[1]
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        intent_ok = place_ok = place_rows = guess_ok = 0
        module_ok: int | None = 0
        for row in rows:
            texts.append((row["text"], language))
            intent_ok += lexicon_intent(row["text"], language) == row["intent"]
            if row["place"]:
                place_rows += 1
                place_ok += fold(lexicon_place(row["text"], language) or "") == fold(row["place"])
            guessed = guess(row["text"], ALL)
            guess_ok += guessed == language
            if guessed != language and args.verbose:
                print(f"  guess {guessed}: {row['text']}")
            calls += 2
            found = module_result(row["text"])
            if found is None:
                module_ok = None
            elif module_ok is not None:
                module_ok += found[0] == row["intent"] and (
                    not row["place"] or found[1] == expected_place(row["place"]))
        module = "n/a" if module_ok is None else f"{module_ok}/{len(rows)}"
        print(f"{language:5} {len(rows):4} {intent_ok:>5}/{len(rows):<2} {place_ok:>5}/{place_rows:<2} "
              f"{module:>8} {guess_ok:>5}/{len(rows):<2}")
    elapsed = time.perf_counter() - started
    print(f"lexicon + guess: {elapsed / max(calls, 1) * 1e6:.0f} µs per call (warm, incl. first load)")
    if args.langid:
        measure_langid(texts)


PROBE = """
import json, resource, sys, time
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t = time.perf_counter()
from py3langid.langid import _load_identifier
ident = _load_identifier(norm_probs=True)
ident.set_languages(%r)
loaded = time.perf_counter() - t
texts = json.load(sys.stdin)
t = time.perf_counter()
ok = sum(ident.classify(text)[0] == lang for text, lang in texts)
per = (time.perf_counter() - t) / len(texts)
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"ok": ok, "n": len(texts), "load_s": loaded, "per_us": per * 1e6, "mb": (after - before) / 1024}))
"""


def measure_langid(texts: list[tuple[str, str]]) -> None:
    done = subprocess.run([sys.executable, "-c", PROBE % (ALL,)], input=json.dumps(texts), text=True,
                          capture_output=True)
    if done.returncode:
        print("py3langid: not installed" if "ModuleNotFoundError" in done.stderr else done.stderr[-500:])
        return
    r = json.loads(done.stdout)
    own = sum(guess(text, ALL) == lang for text, lang in texts)
    print(f"py3langid: {r['ok']}/{r['n']} right, load {r['load_s']:.2f} s, {r['per_us']:.0f} µs per text, "
          f"+{r['mb']:.0f} MB peak memory; bot.language_guess: {own}/{len(texts)} right")


if __name__ == "__main__":
    main()
