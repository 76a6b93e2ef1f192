"""How long `make demo` takes on a fresh checkout until the console's first answer.

Copies the project's tracked files into a scratch folder (a fresh clone, without ../shared), runs `make demo` there
with "/hilfe" on standard input, and prints the time of the set-up and of the first answer, and the size of the
virtual environment it made. Packages come from pip's cache when it has them, as on a second machine of a team.

    .venv/bin/python bench/first_start.py
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def size_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6


def main() -> int:
    with tempfile.TemporaryDirectory() as scratch:
        checkout = Path(scratch) / "helferbot"
        files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
        for name in filter(None, files.decode().split("\0")):
            target = checkout / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, target)
        started = time.monotonic()
        demo = subprocess.Popen(["make", "demo", f"PYTHON={sys.executable}"], cwd=checkout, stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert demo.stdin is not None and demo.stdout is not None
        demo.stdin.write("/hilfe\n")
        demo.stdin.close()
        first_answer = None
        for line in demo.stdout:
            if first_answer is None and line.startswith(("Was ich kann", "What I can do")):
                first_answer = time.monotonic() - started
        demo.wait()
        if demo.returncode != 0 or first_answer is None:
            print(demo.stderr.read(), file=sys.stderr)
            return 1
        print(f"make demo on a fresh checkout: first answer after {first_answer:.1f} s")
        print(f"virtual environment: {size_mb(checkout / '.venv'):.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
