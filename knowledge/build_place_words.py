"""Builds ``knowledge/place_words.tsv``: which words of German place names are everyday German words.

    python -m knowledge.build_place_words            # rewrite the table
    python -m knowledge.build_place_words --check    # exit 1 if the shipped table is out of date

The reader of free text (:mod:`knowledge.understand`) must tell "mir ist kalt" from the Gemeinde Kalt and
"ich komme" from Kommen.  simplemma's German dictionary says which words are known German words and whether
their lemma is a noun or a name (capitalised) or not ("kalt", "kommen", "meine").  Loaded whole, that
dictionary costs the bot about 100 MB, while only the words of place names (and the filler words the
resolver skips) ever need the answer.  So this script asks simplemma once, for every word of every name in
the shipped gazetteer in the spellings people type (with umlauts, "ae" and plain vowels), and the bot
reads the small table.  simplemma is needed to build the table, not to run the bot.

Rows are ``word<TAB>known<TAB>noun`` (1 or 0), sorted; words simplemma does not know and does not
lemmatise to a noun are left out, as that is what the reader assumes for a word it does not find.

Provenance: simplemma (MIT licence) answers from lemma lists of its own sources, among them Michal
Měchura's lemmatization lists (Open Database License) and Wiktionary via the Kaikki project; the table
holds one bit per word about a few thousand of them and names these sources in its header.
"""

from __future__ import annotations

import argparse
import itertools
import re
import sys
from pathlib import Path

from knowledge import normalize as nz
from knowledge.places import Gazetteer

TABLE = Path(__file__).resolve().parent / "place_words.tsv"
HEADER = (
    "# Words of German place names that simplemma's German lemma data knows (known=1), and whether their\n"
    "# lemma is a noun or a name (noun=1).  Built by knowledge/build_place_words.py from the shipped\n"
    "# gazetteer; source data: simplemma (MIT), which draws on Michal Měchura's lemmatization lists (ODbL)\n"
    "# and Wiktionary via kaikki.org (CC BY-SA).\n"
    "word\tknown\tnoun\n"
)


_DIGRAPH = re.compile(r"ae|oe|ue|ss")
_UMLAUT = {"ae": "ä", "oe": "ö", "ue": "ü", "ss": "ß"}


def umlaut_forms(word: str) -> set[str]:
    """A folded word with every choice of its "ae", "oe", "ue", "ss" written as ä, ö, ü, ß: the filler
    list is kept folded ("zuerich"), people type "zürich"."""
    parts = _DIGRAPH.split(word)
    choices = itertools.product(*((pair, _UMLAUT[pair]) for pair in _DIGRAPH.findall(word)))
    return {parts[0] + "".join(letters + rest for letters, rest in zip(choice, parts[1:], strict=True))
            for choice in choices}


def typed_forms(gazetteer: Gazetteer) -> set[str]:
    """Every word of every place name and of the resolver's filler words as a person may type it: lower
    case, with umlauts, "ae" or plain vowels."""
    words: set[str] = {form for word in nz.FILLERS for form in umlaut_forms(word)}
    for name in gazetteer.names():
        for token in nz.raw_tokens(name.replace("-", " ")):
            words.update((token, nz.fold(token, "ae"), nz.fold(token, "a")))
    return {w for w in words if w.isalpha()}


def build(gazetteer: Gazetteer | None = None) -> str:
    import simplemma

    rows = []
    for word in sorted(typed_forms(gazetteer or Gazetteer.load())):
        known = simplemma.is_known(word, lang="de")
        noun = simplemma.lemmatize(word, lang="de")[:1].isupper()
        if known or noun:
            rows.append(f"{word}\t{int(known)}\t{int(noun)}\n")
    return HEADER + "".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="only compare with the shipped table")
    args = parser.parse_args(argv)
    text = build()
    if args.check:
        same = TABLE.exists() and TABLE.read_text(encoding="utf-8") == text
        print("place_words.tsv is up to date" if same else "place_words.tsv is out of date: rebuild it")
        return 0 if same else 1
    TABLE.write_text(text, encoding="utf-8")
    print(f"wrote {TABLE.name}: {text.count(chr(10)) - HEADER.count(chr(10))} words")
    return 0


if __name__ == "__main__":
    sys.exit(main())
