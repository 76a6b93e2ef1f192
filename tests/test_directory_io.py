"""Directory files as admins exchange them: the shipped seed, spreadsheets in and out, error reports."""

from __future__ import annotations

import csv
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from openpyxl import Workbook

from knowledge.directory_io import (
    COLUMNS,
    DirectoryFileError,
    DirectoryRow,
    load_seed,
    read_directory,
    write_directory,
)
from knowledge.topics import TOPICS, topic_in_text

_REPO = Path(__file__).resolve().parents[1]
# The gazetteer ships in the repository; the copy next to the checkout serves until it is added there.
_GAZETTEER_DIRS = (_REPO / "knowledge" / "gazetteer", _REPO.parent / "shared" / "data" / "gazetteer")


def _gazetteer_dir() -> Path:
    for candidate in _GAZETTEER_DIRS:
        if (candidate / "gemeinden.csv").exists():
            return candidate
    pytest.fail("gazetteer CSV files not found in knowledge/gazetteer")


@pytest.fixture(scope="module")
def gazetteer() -> dict[str, str]:
    """Official key -> name for every Gemeinde, Kreis and Land."""
    folder = _gazetteer_dir()
    names: dict[str, str] = {}
    for file, key in (("gemeinden.csv", "ags"), ("kreise.csv", "ars"), ("laender.csv", "ars")):
        with (folder / file).open(encoding="utf-8", newline="") as handle:
            names.update({row[key]: row["name"] for row in csv.DictReader(handle)})
    return names


@pytest.fixture(scope="module")
def seed() -> list[DirectoryRow]:
    return load_seed()


def _row(**changes: object) -> DirectoryRow:
    base = DirectoryRow(
        place="08116",
        role="Integrationsbeauftragte",
        name="Frau Koridze Araujo",
        organisation="Landkreis Esslingen",
        phone="0711 3902-42513",
        email="",
        website="",
        topics=("integration",),
        notes="Telefax 0711 3902-52513.",
        source="Landkreis Esslingen",
        verified=None,
    )
    return replace(base, **changes)


# ------------------------------------------------------------------------------------------- the seed


def test_every_seed_place_is_in_the_gazetteer(seed, gazetteer):
    unknown = sorted({row.place for row in seed if row.place not in gazetteer})
    assert unknown == []
    assert read_directory(Path(__file__).parents[1] / "knowledge" / "directory" / "seed.toml",
                          gazetteer.__contains__) == seed


def test_seed_rows_are_complete(seed):
    assert len(seed) > 100
    for row in seed:
        assert row.role and row.source and row.notes, row
        assert row.topics, row
        assert set(row.topics) <= set(TOPICS), row


def test_esslingen_contacts_with_their_topics(seed):
    esslingen = {row.name: row for row in seed if row.place == "08116" and row.name}
    coordinator = esslingen["Frau Ekin-Atik"]
    assert coordinator.role == "Landkreiskoordinatorin Flüchtlingsarbeit"
    assert coordinator.phone == "0711 3902-42196"
    assert {"engagement", "unterkunft", "bildung"} <= set(coordinator.topics)
    for name in ("Frau Straub", "Frau Jeck", "Frau Schulz"):
        assert esslingen[name].role.startswith("Bildungskoordinator")
        assert esslingen[name].topics == ("bildung",)
    assert esslingen["Frau Koridze Araujo"].role == "Integrationsbeauftragte"
    assert "integration" in esslingen["Frau Koridze Araujo"].topics
    # The page links e-mail addresses only as "E-Mail"; none may appear in the directory.
    assert all(row.email == "" for row in seed if row.place == "08116")


def test_every_hessian_kreis_of_the_parliament_answer_has_entries(seed, gazetteer):
    answered = {"Bergstraße", "Darmstadt-Dieburg", "Groß-Gerau", "Main-Kinzig", "Main-Taunus", "Odenwald",
                "Offenbach", "Rheingau-Taunus", "Wetterau", "Gießen", "Limburg-Weilburg", "Marburg-Biedenkopf",
                "Vogelsberg", "Fulda", "Hersfeld-Rotenburg", "Kassel", "Schwalm-Eder", "Werra-Meißner"}
    hessian_kreise = {key: name for key, name in gazetteer.items() if len(key) == 5 and key.startswith("06")}
    covered = {row.place[:5] for row in seed if row.place.startswith("06") and len(row.place) >= 5}
    for fragment in answered:
        keys = [key for key, name in hessian_kreise.items()
                if fragment in name and not name.startswith(("Kassel", "Offenbach am Main", "Darmstadt"))]
        assert len(keys) == 1, fragment
        assert keys[0] in covered, fragment
    for city in ("06411", "06412", "06413", "06414", "06611"):  # kreisfreie Städte
        assert city in covered


def test_dialogue_municipalities_and_land_agency(seed, gazetteer):
    dialogues = {gazetteer[row.place].split(",")[0] for row in seed if row.role == "Kommunaler Flüchtlingsdialog"}
    for place in ("Landkreis Freudenstadt", "Rems-Murr-Kreis", "Baden-Baden", "Eppingen", "Nürtingen",
                  "Schwäbisch Gmünd", "Tübingen", "Ulm", "Weinheim", "Denzlingen", "Uhldingen-Mühlhofen"):
        assert place in dialogues
    agency = [row for row in seed if row.organisation == "LandesEhrenamtsagentur Hessen"]
    assert [row.place for row in agency] == ["06"]
    assert agency[0].website == "www.gemeinsam-aktiv.de"


# ----------------------------------------------------------------------------------------- round trips


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_written_files_read_back_equal(seed, tmp_path, fmt):
    tricky = _row(
        place="01001000",
        notes='=SUMME(A1) "zitiert"; mit Semikolon,\nund Zeilenumbruch',
        topics=("bildung", "arbeit"),
        verified=date(2016, 4, 12),
    )
    rows = [*seed, tricky]
    path = tmp_path / f"directory.{fmt}"
    write_directory(rows, path, fmt)
    assert read_directory(path, lambda place: True) == rows


def test_unknown_write_format_is_refused(tmp_path):
    with pytest.raises(ValueError):
        write_directory([_row()], tmp_path / "x.ods", "ods")


def _german_excel_csv() -> str:
    return (
        "Ort;Rolle;Name;Telefon;E-Mail;Themen;Stand\r\n"
        "8116;Bildungskoordinatorin für Neuzugewanderte;Frau Jeck;0711 3902-43087;;"
        '"Erziehung und Bildung; arbeit";26.03.2015\r\n'
        ";;;;;;\r\n"
        "06412000;Runder Tisch Asyl;;;info@example.org;Engagement und Ehrenamt;\r\n"
    )


@pytest.mark.parametrize("encoding", ["utf-8-sig", "cp1252"])
def test_semicolon_csv_from_german_excel(tmp_path, encoding):
    path = tmp_path / "verzeichnis.csv"
    path.write_bytes(_german_excel_csv().encode(encoding))
    rows = read_directory(path, {"08116", "06412000"}.__contains__)
    assert [row.place for row in rows] == ["08116", "06412000"]  # the lost leading zero is restored
    first, second = rows
    assert first.name == "Frau Jeck" and first.role == "Bildungskoordinatorin für Neuzugewanderte"
    assert first.topics == ("bildung", "arbeit")
    assert first.verified == date(2015, 3, 26)
    assert second.email == "info@example.org" and second.topics == ("engagement",)
    assert second.verified is None


# ------------------------------------------------------------------------------------------ bad files


def test_csv_reports_every_bad_row_with_its_line(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(
        "place,role,email,phone,topics,notes\n"
        "08116,Integrationsbeauftragte,,0711 3902-42513,integration,\n"  # line 2: fine
        "99999,Runder Tisch,,,,\n"  # line 3: unknown place
        '08116,Koordination,,,,"zwei\nZeilen"\n'  # lines 4-5: fine
        "08116,Koordination,nicht-da,,,\n"  # line 6: bad e-mail
        "08116,,,call me,Kochen,\n",  # line 7: missing role, bad phone, unknown topic
        encoding="utf-8",
    )
    with pytest.raises(DirectoryFileError) as caught:
        read_directory(path, {"08116"}.__contains__)
    found = {(error.line, error.field) for error in caught.value.errors}
    assert found == {(3, "place"), (6, "email"), (7, "role"), (7, "phone"), (7, "topics")}
    reasons = {error.field: error.reason for error in caught.value.errors}
    assert "99999" in reasons["place"] and "Kochen" in reasons["topics"]
    assert "line 3" in str(caught.value)


def test_xlsx_reports_sheet_row_numbers(tmp_path):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Ort", "Rolle", "Stand"])
    sheet.append(["08116", "Integrationsbeauftragte", "2015-03-26"])
    sheet.append(["Esslingen", "Runder Tisch", None])
    sheet.append([8116, "Runder Tisch", "im Frühjahr"])
    path = tmp_path / "bad.xlsx"
    workbook.save(path)
    with pytest.raises(DirectoryFileError) as caught:
        read_directory(path, {"08116"}.__contains__)
    assert [(e.line, e.field) for e in caught.value.errors] == [(3, "place"), (4, "verified")]


def test_toml_reports_the_line_of_each_bad_entry(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text(
        '[[entry]]\nplace = "08116"\nrole = "Integrationsbeauftragte"\n\n'
        '[[entry]]\nplace = "08116"\nrole = ""\ntelefon = "1"\n',
        encoding="utf-8",
    )
    with pytest.raises(DirectoryFileError) as caught:
        read_directory(path, {"08116"}.__contains__)
    assert sorted((e.line, e.field) for e in caught.value.errors) == [(5, "role"), (5, "telefon")]


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("empty.csv", b"", "empty"),
        ("header-only.csv", b"place;role\r\n", "no entries"),
        ("twice.csv", b"place,role,Rolle\n08116,a,b\n", "more than once"),
        ("no-role.csv", b"place,name\n08116,a\n", "missing"),
        ("typo.csv", b"place,role,telefn\n08116,a,1\n", "unknown column"),
        ("list.pdf", b"%PDF", "unsupported file type"),
        ("broken.xlsx", b"not a zip", "not a readable Excel workbook"),
        ("broken.toml", b"[[entry]\nplace = 1\n", "not valid TOML"),
    ],
)
def test_unusable_files_are_refused_with_a_reason(tmp_path, name, content, reason):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(DirectoryFileError) as caught:
        read_directory(path, lambda place: True)
    assert reason in " ".join(error.reason for error in caught.value.errors)


def test_columns_cover_every_field():
    assert set(COLUMNS) == set(DirectoryRow.__dataclass_fields__)


# --------------------------------------------------------------------------------------------- topics


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Bildung in Esslingen", ("bildung", "in Esslingen")),
        ("bildung in esslingen", ("bildung", "in esslingen")),
        ("Schule Nürtingen", ("bildung", "Nürtingen")),
        ("Kita-Platz Weinheim", ("bildung", "Weinheim")),
        ("education Ulm", ("bildung", "Ulm")),
        ("Wohnungssuche in Tübingen", ("unterkunft", "in Tübingen")),
        ("housing in Ulm", ("unterkunft", "in Ulm")),
        ("Unterkunft und Anschlussunterbringung Tübingen", ("unterkunft", "Tübingen")),
        ("Job Fulda", ("arbeit", "Fulda")),
        ("Ausbildung, Landkreis Kassel", ("arbeit", "Landkreis Kassel")),
        ("ÄRZTE im Odenwaldkreis", ("medizin", "im Odenwaldkreis")),
        ("Aerzte Odenwaldkreis", ("medizin", "Odenwaldkreis")),
        ("health Wiesbaden", ("medizin", "Wiesbaden")),
        ("Psychosoziale Betreuung in Esslingen", ("medizin", "in Esslingen")),
        ("Ehrenamt Kreis Offenbach", ("engagement", "Kreis Offenbach")),
        ("volunteering in Frankfurt", ("engagement", "in Frankfurt")),
        ("Soziale Betreuung Fulda", ("soziale_betreuung", "Fulda")),
        ("Integrationsbeauftragte Rems-Murr-Kreis", ("integration", "Rems-Murr-Kreis")),
        ("Esslingen", (None, "Esslingen")),
        ("Frau Schulz", (None, "Frau Schulz")),
    ],
)
def test_topic_in_text(text, expected):
    assert topic_in_text(text) == expected


def test_no_place_name_is_taken_for_a_topic(gazetteer):
    taken = [name for name in gazetteer.values() if topic_in_text(name.split(",")[0])[0] is not None]
    assert taken == []
