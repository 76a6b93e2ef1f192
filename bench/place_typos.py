"""What the place resolver does with one typo, by kind of typo, with and without its keyboard tie-break.

    python bench/place_typos.py [--seed 5] [--sample 1500]

Between names the same number of edits away, the resolver takes the one that does not need a wrong first letter
whose key is far from the typed one ("Katzeburg" is Kratzeburg, not Ratzeburg), and otherwise asks back.  This
script shows what that rule gains and costs.  Queries are Gemeinde names (one word, 5 letters or more) with one
typo of each kind: a neighbouring key, a far key, a missing letter, an extra letter, two letters swapped, all at a
random position; and a far key for the first letter, which is the case the rule decides against.  Two pools: the
500 largest Gemeinden and a random sample of all.  Printed per kind: answered with the right place, answered
with a wrong place (confidently wrong), and asked back or not found.
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from knowledge.places import _NEIGHBOURS, Gazetteer, PlaceIndex  # noqa: E402

LETTERS = "abcdefghijklmnopqrstuvwxyz"


def typo(name: str, kind: str, rng: random.Random) -> str:
    s = name.lower()
    i = 0 if kind == "far first" else rng.randrange(len(s))
    if kind == "near key":
        return s[:i] + rng.choice(sorted(_NEIGHBOURS.get(s[i], ())) or list(LETTERS)) + s[i + 1:]
    if kind in ("far key", "far first"):
        far = [c for c in LETTERS if c != s[i] and c not in _NEIGHBOURS.get(s[i], ())]
        return s[:i] + rng.choice(far) + s[i + 1:]
    if kind == "missing":
        return s[:i] + s[i + 1:]
    if kind == "extra":
        return s[:i] + rng.choice(LETTERS) + s[i:]
    i = min(i, len(s) - 2)
    return s[:i] + s[i + 1] + s[i] + s[i + 2:]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--sample", type=int, default=1500, help="size of the random sample of all Gemeinden")
    args = parser.parse_args(argv)
    gz = Gazetteer.load()
    indexes = {"with tie-break": PlaceIndex(gz), "without": PlaceIndex(gz, keyboard_ties=False)}
    names = [p for p in gz.gemeinden.values() if p.population > 0 and len(p.name) >= 5
             and not any(c in p.name for c in " (-/")]
    rng = random.Random(args.seed)
    pools = {"largest 500": sorted(names, key=lambda p: -p.population)[:500],
             f"random {args.sample}": rng.sample(names, min(args.sample, len(names)))}
    print(f"{'pool':14}{'typo':11}" + "".join(f" | {n:^21}" for n in indexes))
    print(f"{'':25}" + " | right  wrong  asked " * len(indexes))
    for pool_name, pool in pools.items():
        for kind in ("near key", "far key", "missing", "extra", "swapped", "far first"):
            queries = [(typo(p.name, kind, rng), p.id) for p in pool]
            line = f"{pool_name:14}{kind:11}"
            for index in indexes.values():
                right = wrong = 0
                for query, meant in queries:
                    res = index.resolve(query)
                    right += res.status == "match" and res.best.id == meant
                    wrong += res.status == "match" and res.best.id != meant
                line += f" | {right:5} {wrong:6} {len(queries) - right - wrong:6} "
            print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
