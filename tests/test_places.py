"""The place resolver as a volunteer meets it: names, sentences, typos, districts, postal codes."""

from __future__ import annotations

import io
import json
from collections import defaultdict
from dataclasses import replace
from pathlib import Path

import pytest

from knowledge.places import Gazetteer, PlaceIndex, default_gazetteer, default_index, distance_km
from knowledge.places_cli import run_jsonl

DEV_FILE = Path(__file__).resolve().parents[2] / "shared" / "eval" / "lookup_dev.jsonl"


@pytest.fixture(scope="module")
def index() -> PlaceIndex:
    return default_index()


@pytest.fixture(scope="module")
def gz() -> Gazetteer:
    return default_gazetteer()


def answer(index: PlaceIndex, query: str) -> str | None:
    res = index.resolve(query)
    assert res.status == "match", (query, res.status, [c.place.label for c in res.candidates[:5]])
    return res.best.id


@pytest.mark.parametrize("query", [
    "Nürtingen", "nürtingen", "NUERTINGEN", "Nuertingen",
    "Wer ist mein Ansprechpartner in Nürtingen?", "who is my contact in Nürtingen",
    "Bildung in Nürtingen", "Unterkunft Nürtingen", "Arbeit in Nürtingen", "education in Nurtingen",
    "Nürtnigen", "Wer ist mein Ansprechpartner in Nürtnigen?",
])
def test_nuertingen_in_all_its_spellings(index, query):
    assert answer(index, query) == "08116049"


@pytest.mark.parametrize(("query", "expected"), [
    ("Mainz-Kastel", "06414000"),            # an Ortsteil belongs to its Gemeinde (Wiesbaden)
    ("Unterkunft in Mainz Kastel", "06414000"),
    ("LK Esslingen", "08116"),
    ("Lkr. Esslingen", "08116"),
    ("landkreis esslingen", "08116"),
    ("Kreis Offenbach", "06438"),
    ("Offenbach am Main", "06413000"),
    ("Stadt Offenbach", "06413000"),
    ("Main Kinzig Kreis", "06435"),
    ("Main-Kinzig-Kreis", "06435"),
    ("Vogelsbergkreis", "06535"),
    ("Bad Homburg v. d. H.", "06434001"),
    ("Bad Homburg vor der Höhe", "06434001"),
    ("Frankfurt a.M.", "06412000"),
    ("Frankfurt am Main", "06412000"),
    ("Frankfurt (Oder)", "12053000"),
    ("Frankfurt an der Oder", "12053000"),
    ("St. Ingbert", "10045117"),
    ("Sankt Ingbert", "10045117"),
    ("Muenchen", "09162000"),
    ("Munchen", "09162000"),
    ("München", "09162000"),
    ("Munich", "09162000"),
    ("Landkreis München", "09184"),
    ("Schwäbisch-Gmünd", "08136065"),
    ("Uhldingen Muehlhofen", "08435066"),
    ("Hamburg", "02000000"),
    ("Hessen", "06"),
    ("Ansprechpartner für PLZ 63579", "06435009"),
    ("72622", "08116049"),
    ("PLZ 1067", "14612000"),                # the leading zero dropped
    ("who is my contact in Taura", "14522550"),
    ("Tübingen", "08416041"),                # the town, not the Landkreis Tübingen
    ("Landkreis Tübingen", "08416"),
    ("Neuenkirchen, Kreis Steinfurt", "05566060"),
    ("Hausen Rhön-Grabfeld", "09673129"),
])
def test_resolves_to(index, query, expected):
    assert answer(index, query) == expected


def test_kreis_and_kreisfreie_stadt_differ(index):
    assert answer(index, "Kreis Offenbach") != answer(index, "Offenbach am Main")
    assert index.resolve("Kreis Offenbach").best.kind == "kreis"
    assert index.resolve("Offenbach am Main").best.kind == "gemeinde"


@pytest.mark.parametrize(("query", "expected"), [
    ("Bad Llpngensalza", "16064003"),
    ("Esslnigen am Nekcar", "08116019"),
    ("Schwäbsich Gmnüd", "08136065"),
    ("Norderfriedricpsokog", "01054090"),
    ("landkreis Göppingne", "08117"),
    ("Oberbergischer areis", "05374"),
])
def test_two_typos(index, query, expected):
    assert answer(index, query) == expected


@pytest.mark.parametrize(("query", "name", "edits"), [
    ("katzeburg", "ratzeburg", 2),  # K for R, keys far apart: only by leaving out and adding a letter
    ("katzeburg", "kratzeburg", 1),
    ("bamburg", "hamburg", 1),  # B lies next to H
    ("khemnitz", "chemnitz", 1),  # K and C sound alike
    ("erlin", "berlin", 1),  # a first letter left out is no wrong key
])
def test_edits_without_a_far_wrong_first_letter(query, name, edits):
    from knowledge.places import edits_without_far_first_letter

    assert edits_without_far_first_letter(query, name) == edits


@pytest.mark.parametrize(("query", "meant", "also_close"), [
    ("Katzeburg", "13071080", "01053100"),  # Kratzeburg without its r; Ratzeburg would need a K for its R
    ("Riensüttel", "01051093", "01061076"),  # Reinsbüttel; Nienbüttel would need an R for its N
    ("Nürtngen", "08116049", None),
])
def test_a_far_wrong_first_letter_is_the_less_likely_typo(index, query, meant, also_close):
    res = index.resolve(query)
    assert res.status == "match" and res.best.id == meant
    if also_close:
        assert also_close in [c.place.id for c in res.candidates]


@pytest.mark.parametrize(("query", "both"), [
    ("Dorheim", {"16070008", "07133026"}),  # Dornheim and Dorsheim, each one letter left out
    ("khemnitz", {"14511000", "13075060"}),  # Chemnitz written by ear, or Kemnitz with an extra h
    ("Bamburg", {"02000000", "09461000"}),  # Hamburg (B is next to H) or Bamberg
    ("aimhajsen", {"09174121", "09674111"}),  # Haimhausen without its H, or Aidhausen
    ("lerlin", {"11000000", "13074061"}),  # Berlin with a far wrong first letter, but Berlin: or Perlin
    ("bünchen", {"09162000", "01053020"}),  # München, or Büchen without its n
])
def test_names_equally_close_by_likely_typos_are_a_question(index, query, both):
    res = index.resolve(query)
    assert res.status == "ambiguous"
    assert both <= {c.place.id for c in res.candidates}


def test_neustadt_asks_with_the_kreis_in_every_label(index, gz):
    res = index.resolve("Neustadt")
    assert res.status == "ambiguous"
    assert res.best is None
    assert 2 <= len(res.candidates) <= 10
    kreise = set()
    for cand in res.candidates:
        place = cand.place
        assert place.name.startswith("Neustadt")
        if gz.kreis_kinds[place.kreis_id] == "kreisfreie Stadt":
            assert place.label == f"{place.name} ({gz.laender[place.land_id].name})"
        else:
            assert place.label == \
                f"{place.name} ({gz.kreise[place.kreis_id].name}, {gz.laender[place.land_id].name})"
        kreise.add(place.kreis_id)
    assert len(kreise) == len(res.candidates)


def test_same_name_in_two_kreise_is_a_question(index):
    res = index.resolve("Mühlhausen")
    ids = {c.place.id for c in res.candidates}
    assert res.status == "ambiguous"
    assert {"08226054", "09373146", "09572143"} <= ids


def test_postal_code_of_several_gemeinden_is_a_question(index, gz):
    res = index.resolve("24113")
    assert res.status == "ambiguous"
    assert {c.place.id for c in res.candidates} == {g.id for g in gz.gemeinden.values() if "24113" in g.postal_codes}


@pytest.mark.parametrize("query", [
    "Hallo", "Danke!", "Paris", "Wien", "Kabul", "asdfgh", "?", "123", "🙂", "", "Wie geht es dir?",
    "Thank you very much", "Schwimmkurs für Frauen", "Meine Tochter braucht einen Kitaplatz",
])
def test_no_place(index, query):
    res = index.resolve(query)
    assert res.status == "none", [c.place.label for c in res.candidates]
    assert res.candidates == ()


def test_a_word_that_is_also_a_gemeinde_counts_where_a_place_is_meant(index):
    assert index.resolve("Kontakt Much").best.name == "Much"
    assert index.resolve("Thank you very much").status == "none"


def test_every_gemeinde_is_offered_for_its_own_name(index, gz):
    """Only names shared by more than ten Gemeinden may miss a place; those need the Kreis."""
    same = defaultdict(int)
    for g in gz.gemeinden.values():
        same[g.name] += 1
    for g in gz.gemeinden.values():
        if g.id in gz.uninhabited:
            continue
        ids = [c.place.id for c in index.resolve(g.name).candidates]
        assert g.id in ids or same[g.name] > 10, g.name


def test_every_landkreis_by_its_name(index, gz):
    for k in gz.kreise.values():
        if gz.kreis_kinds[k.id] == "Landkreis":
            assert answer(index, k.name) == k.id, k.name


def test_labels(gz):
    assert gz.get("08116049").label == "Nürtingen (Landkreis Esslingen, Baden-Württemberg)"
    assert gz.get("07316000").label == "Neustadt an der Weinstraße (Rheinland-Pfalz)"  # kreisfrei
    assert gz.get("11000000").label == "Berlin"
    assert gz.get("06412000").label == "Frankfurt am Main (Hessen)"
    assert gz.get("09575153").label.startswith("Neustadt an der Aisch (")
    assert gz.get("09184127").name == "Höhenkirchen-Siegertsbrunn"
    assert gz.get("08116").label == "Landkreis Esslingen (Baden-Württemberg)"
    assert gz.get("06").label == "Hessen"
    assert gz.get("05154").name == "Kreis Kleve"            # the source writes "Kreis kleve"
    assert gz.get("05154").official_name == "Kreis kleve"


def test_get_parents_and_members(gz):
    nuertingen = gz.get("08116049")
    assert nuertingen.name == "Nürtingen" and nuertingen.official_name == "Nürtingen, Stadt"
    assert [p.id for p in gz.parents(nuertingen)] == ["08116", "08"]
    assert [p.id for p in gz.parents(gz.get("08116"))] == ["08"]
    assert gz.parents(gz.get("08")) == []
    assert "08116049" in {p.id for p in gz.gemeinden_in("08116")}
    assert [p.id for p in gz.gemeinden_in("06412")] == ["06412000"]
    assert gz.get("06412").kind == "kreis" and gz.get("06412000").kind == "gemeinde"
    assert gz.get("99999999") is None


def test_distance_km(gz):
    nuertingen, esslingen = gz.get("08116049"), gz.get("08116019")
    assert 8 < distance_km(nuertingen, esslingen) < 20
    assert distance_km(nuertingen, nuertingen) == pytest.approx(0.0)
    hamburg, munich = gz.get("02000000"), gz.get("09162000")
    assert 580 < distance_km(hamburg, munich) < 640
    assert distance_km(nuertingen, replace(esslingen, lat=None)) is None


def test_run_jsonl_writes_one_object_per_query(index):
    out = io.StringIO()
    code = run_jsonl(["Nürtingen\n", "\n", "Neustadt\n", "Hallo\n", "LK Esslingen"], out, index=index)
    assert code == 0
    assert "Nürtingen" in out.getvalue()  # not escaped
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [r["query"] for r in rows] == ["Nürtingen", "Neustadt", "Hallo", "LK Esslingen"]
    assert [r["status"] for r in rows] == ["match", "ambiguous", "none", "match"]
    first = rows[0]["candidates"][0]
    assert set(first) == {"id", "kind", "name", "score"}
    assert first == {"id": "08116049", "kind": "gemeinde", "name": "Nürtingen", "score": first["score"]}
    assert 0 <= first["score"] <= 100
    assert rows[3]["candidates"][0]["kind"] == "kreis"
    assert 2 <= len(rows[1]["candidates"]) <= 10
    assert rows[2]["candidates"] == []


def judge(row: dict, status: str, ids: list[str]) -> tuple[bool, bool, bool]:
    """(strictly right, right place offered, confidently wrong)."""
    if row["expect"] == "none":
        return status == "none", status == "none", status == "match"
    if row["expect"] == "ambiguous":
        offered = status != "none" and set(row["ids"]) <= set(ids)
        return status == "ambiguous" and offered, offered, status == "match"
    first = status == "match" and ids[0] == row["id"]
    offered = status != "none" and row["id"] in ids
    strict = first or (row["expect"] == "match_or_ambiguous" and status == "ambiguous" and offered)
    return strict, offered, status == "match" and not first


@pytest.mark.skipif(not DEV_FILE.exists(), reason="the shared evaluation file is not present")
def test_accuracy_on_the_dev_set(index):
    rows = [json.loads(line) for line in DEV_FILE.read_text(encoding="utf-8").splitlines() if line.strip()]
    strict = offered = wrong = 0
    for row in rows:
        res = index.resolve(row["q"])
        s, o, w = judge(row, res.status, [c.place.id for c in res.candidates])
        strict, offered, wrong = strict + s, offered + o, wrong + w
    n = len(rows)
    assert strict / n >= 0.99
    assert offered / n >= 0.99
    assert wrong == 0


@pytest.mark.parametrize(("query", "expected", "district"), [
    ("Zizishausen", "08116049", "Zizishausen"),
    ("zizishausn", "08116049", "Zizishausen"),
    ("Bleidenstadt", "06439015", "Bleidenstadt"),
    ("oberesslingen", "08116019", "Oberesslingen"),
    ("Wer ist in Mainz-Kastel zuständig?", "06414000", "Mainz-Kastel"),
    ("Degerloch", "08111000", "Degerloch"),
])
def test_a_district_resolves_to_its_gemeinde_and_says_through_which_name(index, query, expected, district):
    res = index.resolve(query)
    assert res.status == "match" and res.best.id == expected
    assert res.candidates[0].via == district


def test_a_gemeinde_named_like_a_district_elsewhere_is_asked_back(index):
    res = index.resolve("hahn")
    assert res.status == "ambiguous"
    by_id = {c.place.id: c.via for c in res.candidates}
    assert by_id.get("06439015") == "Hahn" and "07140044" in by_id and by_id["07140044"] is None
    sachsen = index.resolve("sachsenhausen")
    assert "06412000" in {c.place.id for c in sachsen.candidates}
    assert all(c.place.name != "Dachsenhausen" for c in sachsen.candidates)


def test_postal_codes_of_formerly_unknown_gemeinden(index):
    assert answer(index, "30974") == "03241020"
    assert answer(index, "PLZ 63791") == "09671114"
    assert answer(index, "58739") == "05974056"


def test_same_names_are_ordered_by_population(index):
    res = index.resolve("Frankfurt")
    assert [c.place.id for c in res.candidates[:2]] == ["06412000", "12053000"]


def test_labels_write_out_abbreviations_and_never_repeat(gz):
    labels = [g.label for g in gz.gemeinden.values()]
    assert not [label for label in labels if "a.d." in label or " b." in label or "i.d." in label]
    assert gz.get("09184127").label == "Höhenkirchen-Siegertsbrunn (Landkreis München, Bayern)"
    kirchheim = [g for g in gz.gemeinden.values() if g.official_name.startswith("Kirchheim b.München")]
    assert [g.name for g in kirchheim] == ["Kirchheim bei München"]
    for g in gz.gemeinden.values():
        inside = g.label[len(g.name):].strip(" ()").split(", ")
        assert g.name not in inside and len(inside) == len(set(inside)), g.label


def test_a_place_is_found_in_a_long_message(index):
    filler = "Ich habe eine Frage zu den Fahrtkosten und den Terminen der nächsten Wochen. " * 30
    assert answer(index, filler + "Wer ist mein Ansprechpartner in Nürtingen?") == "08116049"
    assert index.resolve("a" * 10_000).status == "none"
    assert answer(index, "Bad Neu Ober " * 700 + "Ansprechpartner in Zizishausen") == "08116049"
