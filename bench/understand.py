"""Accuracy and speed of the free-text understanding on a JSONL file of labelled messages.

    python bench/understand.py PATH_TO_JSONL [--repeat 3] [--no-wordfreq] [--no-lemmas] [--errors]

Each line is {"q": ..., "intent": ..., "place": id | "ambiguous" | null, "topic": key | null} (see the
README of the evaluation sets).  Printed: intent, place and topic accuracy (the share of messages where that
field is right), the number of messages without a place that were given one, and the median and p99 latency
per message, measured warm with time.perf_counter_ns on one core as the fastest of --repeat runs (default 5), so that other
processes on a shared machine do not count; the CPU time of the thread is printed too, which a busy
machine does not inflate.  --no-wordfreq and --no-lemmas switch a source off to show what
it adds; --errors lists the messages read wrongly.

Also printed: the resident memory the reader adds (place index, word lists, lemma table, after reading every
message), and, with --full-libraries, what loading simplemma's whole German dictionary and wordfreq's full
German and English lists would add on top: the two sources the shipped table and the "small" lists replace.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from knowledge.understand import Understander  # noqa: E402


def resident_mb() -> float:
    """Resident memory of this process now (Linux /proc; 0 elsewhere)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            return next(int(line.split()[1]) for line in fh if line.startswith("VmRSS:")) / 1024
    except OSError:
        return 0.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("path", type=Path)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-wordfreq", action="store_true")
    parser.add_argument("--no-lemmas", action="store_true")
    parser.add_argument("--errors", action="store_true")
    parser.add_argument("--full-libraries", action="store_true",
                        help="also measure simplemma's German dictionary and wordfreq's full lists (test extra)")
    args = parser.parse_args(argv)
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})

    rows = [json.loads(line) for line in args.path.read_text(encoding="utf-8").splitlines() if line.strip()]
    rss_before = resident_mb()
    started = time.perf_counter()
    reader = Understander(use_wordfreq=not args.no_wordfreq, use_lemmas=not args.no_lemmas)
    for row in rows:  # warm: caches of the libraries and of the resolver
        reader(row["q"])
    build = time.perf_counter() - started
    rss_reader = resident_mb()
    best = [float("inf")] * len(rows)
    cpu = [float("inf")] * len(rows)
    results = [None] * len(rows)
    for _ in range(max(1, args.repeat)):
        for k, row in enumerate(rows):
            c0, t0 = time.thread_time_ns(), time.perf_counter_ns()
            results[k] = reader(row["q"])
            best[k] = min(best[k], (time.perf_counter_ns() - t0) / 1e6)
            cpu[k] = min(cpu[k], (time.thread_time_ns() - c0) / 1e6)

    n = len(rows)
    intent_ok = place_ok = topic_ok = wrongly_placed = 0
    for row, got in zip(rows, results, strict=True):
        i_ok, p_ok, t_ok = got.intent == row["intent"], got.place == row["place"], got.topic == row["topic"]
        intent_ok += i_ok
        place_ok += p_ok
        topic_ok += t_ok
        if row["place"] is None and got.place is not None:
            wrongly_placed += 1
        if args.errors and not (i_ok and p_ok and t_ok):
            print(f"  {row['q']!r}: expected {row['intent']}/{row['place']}/{row['topic']}, "
                  f"got {got.intent}/{got.place}/{got.topic}")
    lat = sorted(best)
    p99 = lat[min(n - 1, int(round(0.99 * (n - 1))))]
    used = [name for name, off in (("wordfreq", args.no_wordfreq), ("lemma table", args.no_lemmas)) if not off]
    print(f"{args.path.name}: {n} messages; libraries: {', '.join(used) or 'none'}; start-up {build:.1f} s")
    print(f"intent accuracy  {intent_ok / n:.3f}  ({intent_ok}/{n})")
    print(f"place accuracy   {place_ok / n:.3f}  ({place_ok}/{n})")
    print(f"topic accuracy   {topic_ok / n:.3f}  ({topic_ok}/{n})")
    print(f"given a place wrongly (expected none): {wrongly_placed}")
    print(f"latency per message: median {statistics.median(lat):.3f} ms, p99 {p99:.3f} ms, max {lat[-1]:.3f} ms")
    own = sorted(cpu)
    cpu99 = own[min(n - 1, int(round(0.99 * (n - 1))))]
    print(f"CPU time per message: median {statistics.median(own):.3f} ms, p99 {cpu99:.3f} ms, max {own[-1]:.3f} ms"
          f" (excludes waiting for the core on a busy machine; load average {os.getloadavg()[0]:.1f})")
    print(f"resident memory the reader adds: {rss_reader - rss_before:.0f} MB (process {rss_reader:.0f} MB)")
    if args.full_libraries:
        import simplemma
        from wordfreq import zipf_frequency

        before = resident_mb()
        simplemma.lemmatize("Häuser", lang="de")
        lemmas = resident_mb()
        zipf_frequency("haus", "de")
        zipf_frequency("house", "en")
        print(f"what they replace: simplemma's German dictionary {lemmas - before:.0f} MB, wordfreq's full "
              f"German and English lists {resident_mb() - lemmas:.0f} MB more")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
