"""The understanding of free text, measured on a labelled held-out set and on the phrases of the issue report."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

from knowledge.understand import INTENTS, default_understander, understand

HELDOUT = Path(__file__).resolve().parent / "data" / "understand_heldout.jsonl"
DEV_FILE = Path(__file__).resolve().parents[2] / "shared" / "eval" / "understand_dev.jsonl"


def _scores(path: Path) -> dict[str, float]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    reader = default_understander()
    got = [reader(row["q"]) for row in rows]
    n = len(rows)
    return {
        "intent": sum(g.intent == r["intent"] for g, r in zip(got, rows, strict=True)) / n,
        "place": sum(g.place == r["place"] for g, r in zip(got, rows, strict=True)) / n,
        "topic": sum(g.topic == r["topic"] for g, r in zip(got, rows, strict=True)) / n,
        "wrongly_placed": sum(r["place"] is None and g.place is not None for g, r in zip(got, rows, strict=True)),
        "n": n,
    }


def test_heldout_set_meets_the_targets():
    scores = _scores(HELDOUT)
    assert scores["n"] >= 60
    assert scores["intent"] >= 0.95
    assert scores["place"] >= 0.95
    assert scores["topic"] >= 0.90
    assert scores["wrongly_placed"] == 0


@pytest.mark.skipif(not DEV_FILE.exists(), reason="the shared evaluation file is not present")
def test_dev_set_meets_the_targets():
    scores = _scores(DEV_FILE)
    assert scores["intent"] >= 0.95 and scores["place"] >= 0.95 and scores["topic"] >= 0.90
    assert scores["wrongly_placed"] == 0


@pytest.mark.parametrize("text, intent", [
    ("Hallo", "greeting"), ("Danke", "thanks"), ("Hilfe", "help"), ("Termine", "events"),
    ("Fahrtkosten", "claim"), ("Ich möchte Fahrtkosten abrechnen", "claim"), ("fahrtksoten", "claim"),
    ("abonieren", "subscribe"), ("abbrechen", "cancel"), ("Löschen", "delete_me"), ("loeschen", "delete_me"),
])
def test_plain_words_get_their_intent_and_no_place(text, intent):
    got = understand(text)
    assert (got.intent, got.place) == (intent, None)


@pytest.mark.parametrize("text", ["abbrechen", "Löschen", "Ich komme", "ich komme morgen", "mir ist kalt",
                                  "essen gehen?", "meine daten", "Der Kühlschrank ist leer"])
def test_everyday_words_are_never_places(text):
    assert understand(text).place is None


def test_a_word_that_is_also_a_place_is_one_where_the_sentence_makes_it_one():
    assert understand("wer ist in essen zuständig").place == "05113000"
    assert understand("Kontakt Essen").place == "05113000"
    assert understand("Essen").intent == "contact"
    assert understand("wir gehen essen").place is None


def test_sentences_with_a_place_and_a_topic():
    got = understand("Welche Termine gibt es in Esslingen?")
    assert (got.intent, got.place) == ("events", "ambiguous")
    assert got.resolution is not None and len(got.resolution.candidates) > 1
    got = understand("Deutschkurse in Offenbach")
    assert (got.intent, got.place, got.topic) == ("contact", "ambiguous", "bildung")
    got = understand("Hallo, wer ist in Hanau zuständig?")
    assert (got.intent, got.place) == ("contact", "06435014")
    got = understand("Brauche Hilfe mit Wohnung")
    assert (got.intent, got.topic) == ("contact", "unterkunft")
    got = understand("Wer begleitet bei Behördengängen in Tübingen?")
    assert (got.intent, got.place, got.topic) == ("contact", "08416041", "soziale_betreuung")


def test_places_abroad_are_out_of_scope():
    for text in ("Wer ist in Wien zuständig?", "Paris", "Zürich Ansprechpartner"):
        got = understand(text)
        assert (got.intent, got.place) == ("none", None), text


def test_every_answer_uses_the_documented_intents():
    for text in ("", "🙂", "???", "12345", "a" * 500):
        assert understand(text).intent in INTENTS


def test_cli_writes_one_json_object_per_line(monkeypatch):
    from bot.cli import main

    monkeypatch.setattr(sys, "stdin", io.StringIO("Hallo\n\nTermine im Main-Kinzig-Kreis\nabbrechen\n"))
    out = io.StringIO()
    monkeypatch.setattr(sys, "stdout", out)
    assert main(["understand", "--jsonl"]) == 0
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert lines == [
        {"text": "Hallo", "intent": "greeting", "place": None, "topic": None},
        {"text": "Termine im Main-Kinzig-Kreis", "intent": "events", "place": "06435", "topic": None},
        {"text": "abbrechen", "intent": "cancel", "place": None, "topic": None},
    ]
