"""The shipped place tables hold what the lookup promises: every inhabited Gemeinde with a postal code and a
coordinate, every postal code with a Gemeinde, districts with the Gemeinde they belong to."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from knowledge import build_gazetteer
from knowledge.places import GAZETTEER_DIR, default_gazetteer, default_index

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


def rows(name: str) -> list[dict[str, str]]:
    with open(GAZETTEER_DIR / name, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_every_inhabited_gemeinde_has_a_postal_code_a_coordinate_and_a_population():
    gz = default_gazetteer()
    inhabited = [g for g in gz.gemeinden.values() if g.id not in gz.uninhabited]
    assert len(inhabited) > 10_700
    assert [g.name for g in inhabited if not g.postal_codes] == []
    assert [g.name for g in inhabited if g.lat is None or g.lon is None] == []
    assert [g.name for g in inhabited if g.population <= 0] == []
    assert all(47 < g.lat < 55.1 and 5.8 < g.lon < 15.1 for g in inhabited)


def test_every_postal_code_resolves_and_never_to_an_uninhabited_area():
    gz, index = default_gazetteer(), default_index()
    codes = sorted({r["plz"] for r in rows("plz_osm.csv")} | {c for r in rows("gemeinden.csv")
                                                               for c in r["plz"].split()})
    assert len(codes) > 8_000
    for code in codes:
        res = index.resolve(code)
        assert res.status != "none", code
        assert not {c.place.id for c in res.candidates} & gz.uninhabited, code


def test_postal_table_only_names_known_gemeinden():
    gz = default_gazetteer()
    pairs = rows("plz_osm.csv")
    assert all(len(r["plz"]) == 5 and r["plz"].isdigit() and r["ags"] in gz.gemeinden for r in pairs)
    assert len({(r["plz"], r["ags"]) for r in pairs}) == len(pairs)


def test_uninhabited_areas_are_never_offered_for_a_town_name():
    gz, index = default_gazetteer(), default_index()
    for query in ("Rheinau", "Münsingen", "Harz", "Holzminden", "Helmstedt", "77866"):
        res = index.resolve(query)
        assert not {c.place.id for c in res.candidates} & gz.uninhabited, query
        assert all("gemeindefrei" not in c.place.label for c in res.candidates)


def test_districts_belong_to_known_gemeinden_and_are_many():
    gz = default_gazetteer()
    ort = rows("ortsteile.csv")
    assert len(ort) >= 3_250
    assert all(r["ags"] in gz.gemeinden for r in ort)
    assert {r["source"] for r in ort} >= {"postal", "geonames", "supplement"}
    supplement = rows("ortsteile_supplement.csv")
    assert all(r["checked_against"] for r in supplement)


@pytest.mark.skipif(not (SHARED / "places").is_dir(), reason="the raw source files are not present")
def test_the_build_script_reproduces_the_shipped_files(tmp_path):
    for name in ("ortsteile_supplement.csv", "merged_gemeinden.csv"):
        (tmp_path / name).write_bytes((GAZETTEER_DIR / name).read_bytes())
    build_gazetteer.build(SHARED, tmp_path, log=lambda *_: None)
    for name in ("gemeinden.csv", "plz_osm.csv", "ortsteile.csv", "kreise.csv", "laender.csv"):
        assert (tmp_path / name).read_bytes() == (GAZETTEER_DIR / name).read_bytes(), name


def test_the_everyday_word_table_is_built_from_the_shipped_names():
    """The reader of free text takes "kalt" and "kommen" for words, not for Kalt and Kommen, from a table
    built once with simplemma; a gazetteer change without a rebuild would leave new names unknown."""
    from knowledge import build_place_words

    assert build_place_words.build() == build_place_words.TABLE.read_text(encoding="utf-8")


def test_a_gemeinde_that_geonames_files_under_another_key_is_not_a_district_there():
    """GeoNames lists Pampow (3,037 inhabitants) under a Gemeinde of another Kreis, with the population of
    the Gemeinde Pampow: a copy, not a second Pampow.  Taken for a district it would turn the plain name
    into a question."""
    index = default_index()
    for name, ags in (("Pampow", "13076107"), ("Loitz", "13075082"), ("Teisnach", "09276143")):
        res = index.resolve(f"ich bin ehrenamtlich in {name} aktiv, an wen wende ich mich?")
        assert res.status == "match" and res.best.id == ags, (name, res.status, res.candidates[:3])
    # a real district of the same name as a Gemeinde stays a question (Neumünster-Wittorf, 5,809 people)
    res = index.resolve("wittorf")
    assert res.status == "ambiguous"
    assert {"03355042", "01004000"} <= {c.place.id for c in res.candidates}


@pytest.mark.parametrize(("query", "heir", "old_name"), [
    ("Menteroda", "16064071", "Menteroda"),  # into Unstruttal, 2023
    ("wer ist in tastrup zuständig?", "01059126", "Tastrup"),  # into Hürup, 2023
    ("bromskirchen", "06635001", "Bromskirchen"),  # into Allendorf (Eder), 2023
    ("Mark Landin", "12073532", "Mark Landin"),  # into Schwedt/Oder
])
def test_a_merged_gemeinde_leads_to_the_gemeinde_it_joined(query, heir, old_name):
    res = default_index().resolve(query)
    assert res.status == "match" and res.best.id == heir
    assert res.candidates[0].via == old_name


def test_the_postal_code_of_a_dissolved_gemeinde_resolves():
    res = default_index().resolve("99996")  # Menteroda's code, now Unstruttal's
    assert res.status == "match" and res.best.id == "16064071"
