"""Resolve place queries in bulk: one query per input line, one JSON object per output line.

Behind ``helferbot places --jsonl``; useful for checking a list of addresses or volunteer sign-ups against
the gazetteer with the same resolver the chat uses.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from typing import TextIO

from knowledge.places import PlaceIndex, Resolution, default_index


def resolution_json(res: Resolution) -> dict:
    return {
        "query": res.query,
        "status": res.status,
        "candidates": [
            {"id": c.place.id, "kind": c.place.kind, "name": c.place.name, "score": c.score}
            for c in res.candidates
        ],
    }


def run_jsonl(lines: Iterable[str], out: TextIO, index: PlaceIndex | None = None) -> int:
    """Write one JSON object per non-blank input line; returns the process exit code (0)."""
    index = index or default_index()
    for line in lines:
        query = line.rstrip("\r\n")
        if not query.strip():
            continue
        out.write(json.dumps(resolution_json(index.resolve(query)), ensure_ascii=False) + "\n")
    out.flush()
    return 0


def main() -> int:
    return run_jsonl(sys.stdin, sys.stdout)


if __name__ == "__main__":
    raise SystemExit(main())
