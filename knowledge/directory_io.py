"""File formats of the coordinator directory: CSV, XLSX and TOML in, CSV and XLSX out.

Admins keep their district's contacts in spreadsheets, so the directory travels as files they can open
in Excel or LibreOffice.  Reading checks every row before anything is imported and reports all problems
at once, each with the line an admin sees in their program, because fixing a file one error per upload
is what makes people give up.  Nothing here touches the database; the importer decides what to do with
the rows.

German Excel saves CSV with ";" and often with a byte order mark (or in Windows-1252 when "CSV UTF-8"
was not chosen), drops leading zeros of keys that look like numbers, and rewrites ISO dates as
"26.03.2015"; all of that is accepted on reading.
"""

from __future__ import annotations

import csv
import io
import re
import tomllib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, fields
from datetime import date, datetime
from pathlib import Path

from knowledge.topics import TOPICS, topic_key

COLUMNS: tuple[str, ...] = (
    "place",
    "role",
    "name",
    "organisation",
    "phone",
    "email",
    "website",
    "topics",
    "notes",
    "source",
    "verified",
)

SEED_PATH = Path(__file__).with_name("directory") / "seed.toml"

# Headers people write in German spreadsheets; folded to lower case before lookup.
_HEADER_ALIASES = {
    "ort": "place",
    "ags": "place",
    "ars": "place",
    "rolle": "role",
    "funktion": "role",
    "organization": "organisation",
    "telefon": "phone",
    "tel": "phone",
    "e-mail": "email",
    "mail": "email",
    "webseite": "website",
    "internet": "website",
    "themen": "topics",
    "notizen": "notes",
    "hinweise": "notes",
    "quelle": "source",
    "geprüft": "verified",
    "stand": "verified",
}
_REQUIRED_COLUMNS = ("place", "role")
_PLACE_LENGTHS = (2, 5, 8)
_PHONE = re.compile(r"[0-9 +/()\-]+")
_EMAIL = re.compile(r"[^@\s<>(),;:\"]+@[^@\s<>(),;:\"]+\.[^@\s<>(),;:\".]{2,}")
_WEBSITE = re.compile(r"(?:https?://)?[^\s/@]+\.[^\s/@]+(?:/\S*)?")
_GERMAN_DATE = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})")
_TOML_ENTRY = re.compile(r"^[ \t]*\[\[[ \t]*entry[ \t]*\]\]", re.MULTILINE)
_TOML_ERROR_LINE = re.compile(r"line (\d+)")
_PROBLEMS = "\0problems"  # record key for problems found while splitting a file into records


@dataclass
class DirectoryRow:
    place: str
    role: str
    name: str
    organisation: str
    phone: str
    email: str
    website: str
    topics: tuple[str, ...]
    notes: str
    source: str
    verified: date | None


@dataclass
class RowError:
    line: int  # 0 for problems with the file as a whole
    field: str
    reason: str

    def __str__(self) -> str:
        where = f"line {self.line}" if self.line else "file"
        return f"{where}, {self.field}: {self.reason}" if self.field else f"{where}: {self.reason}"


class DirectoryFileError(Exception):
    def __init__(self, errors: list[RowError]):
        self.errors = errors
        super().__init__("; ".join(str(e) for e in errors))


def _file_error(reason: str, line: int = 0, field: str = "") -> DirectoryFileError:
    return DirectoryFileError([RowError(line, field, reason)])


# ---------------------------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class PlaceMatch:
    """What a place written as a name or postal code stands for: one key, or the choices when several fit."""

    key: str | None = None
    choices: tuple[str, ...] = ()


PlaceFinder = Callable[[str], PlaceMatch]


def read_directory(
    path: Path, place_exists: Callable[[str], bool], find_place: PlaceFinder | None = None
) -> list[DirectoryRow]:
    """Read and validate a directory file; raise DirectoryFileError listing every bad row.

    With `find_place`, the place column may also hold a town name or a postal code, as offices write them; a name
    that fits several places is reported with the keys to choose from, never guessed."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        records = _csv_records(path)
    elif suffix in (".xlsx", ".xlsm"):
        records = _xlsx_records(path)
    elif suffix == ".toml":
        records = _toml_records(path)
    else:
        raise _file_error(f"unsupported file type '{path.suffix or path.name}'; use .csv, .xlsx or .toml")

    rows: list[DirectoryRow] = []
    errors: list[RowError] = []
    for line, record in records:
        row, row_errors = _validate(line, record, place_exists, find_place)
        errors.extend(row_errors)
        if row is not None:
            rows.append(row)
    if errors:
        raise DirectoryFileError(errors)
    if not rows:
        raise _file_error("the file contains no entries")
    return rows


def load_seed() -> list[DirectoryRow]:
    """The directory shipped with the project.

    Place keys are only checked for their form here; that each one exists in the gazetteer is checked by
    the tests, so loading the seed does not depend on the gazetteer being loaded first.
    """
    return read_directory(SEED_PATH, lambda place: True)


def _header(cells: list[str], line: int) -> list[str]:
    """Map header cells to column names; raise on unknown, duplicated or missing columns."""
    columns: list[str] = []
    errors: list[RowError] = []
    for cell in cells:
        label = cell.strip().lower()
        column = label if label in COLUMNS else _HEADER_ALIASES.get(label, "")
        if not label:
            columns.append("")
            continue
        if not column:
            errors.append(RowError(line, cell.strip(), f"unknown column; expected {', '.join(COLUMNS)}"))
        elif column in columns:
            errors.append(RowError(line, cell.strip(), f"column '{column}' appears more than once"))
        columns.append(column)
    for required in _REQUIRED_COLUMNS:
        if required not in columns:
            errors.append(RowError(line, required, "required column is missing"))
    if errors:
        raise DirectoryFileError(errors)
    return columns


def _records(
    lines: Iterator[tuple[int, list[object]]], empty_reason: str
) -> Iterator[tuple[int, dict[str, object]]]:
    """Turn (line, cells) pairs into (line, {column: value}); the first non-blank row is the header."""
    columns: list[str] | None = None
    for line, cells in lines:
        if all(_blank(cell) for cell in cells):
            continue
        if columns is None:
            columns = _header(["" if cell is None else str(cell) for cell in cells], line)
            continue
        record: dict[str, object] = {}
        for column, cell in zip(columns, cells, strict=False):
            if column:
                record[column] = cell
        extra = cells[len(columns) :]
        if any(not _blank(cell) for cell in extra):
            record[_PROBLEMS] = [("", "the row has more cells than the header has columns")]
        yield line, record
    if columns is None:
        raise _file_error(empty_reason)


def _blank(cell: object) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def _csv_records(path: Path) -> Iterator[tuple[int, dict[str, object]]]:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
    if not text.strip():
        raise _file_error("the file is empty")
    first_line = text.lstrip("\r\n").split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)

    def lines() -> Iterator[tuple[int, list[object]]]:
        # csv reports the line a record ends on; a note with line breaks starts earlier.
        previous_end = 0
        try:
            for cells in reader:
                yield previous_end + 1, list(cells)
                previous_end = reader.line_num
        except csv.Error as exc:
            raise _file_error(f"the file is not valid CSV ({exc})", reader.line_num) from exc

    return _records(lines(), "the file is empty")


def _xlsx_records(path: Path) -> Iterator[tuple[int, dict[str, object]]]:
    from openpyxl import load_workbook  # imported here: only XLSX uploads pay for it

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zip, XML and key errors for damaged files
        raise _file_error(f"the file is not a readable Excel workbook ({type(exc).__name__})") from exc
    try:
        sheet = workbook.worksheets[0]
        sheet_rows = [
            (number, list(cells))
            for number, cells in enumerate(sheet.iter_rows(values_only=True), start=1)
        ]
    finally:
        workbook.close()
    return _records(iter(sheet_rows), "the first sheet of the workbook is empty")


def _toml_records(path: Path) -> Iterator[tuple[int, dict[str, object]]]:
    text = path.read_text(encoding="utf-8-sig")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = _TOML_ERROR_LINE.search(str(exc))
        raise _file_error(f"the file is not valid TOML ({exc})", int(found.group(1)) if found else 0) from exc
    entries = data.get("entry")
    if not entries:
        raise _file_error("the file contains no [[entry]] tables")
    if not isinstance(entries, list):
        raise _file_error("'entry' must be written as [[entry]] tables")
    entry_lines = [text.count("\n", 0, m.start()) + 1 for m in _TOML_ENTRY.finditer(text)]
    if len(entry_lines) != len(entries):  # inline arrays of tables: fall back to the entry's position
        entry_lines = list(range(1, len(entries) + 1))

    def records() -> Iterator[tuple[int, dict[str, object]]]:
        for line, entry in zip(entry_lines, entries, strict=True):
            if not isinstance(entry, dict):
                yield line, {_PROBLEMS: [("", "each entry must be a table of fields")]}
                continue
            record: dict[str, object] = {key: value for key, value in entry.items() if key in COLUMNS}
            unknown = sorted(key for key in entry if key not in COLUMNS)
            if unknown:
                expected = f"unknown field; expected {', '.join(COLUMNS)}"
                record[_PROBLEMS] = [(key, expected) for key in unknown]
            yield line, record

    return records()


def _validate(
    line: int, record: dict[str, object], place_exists: Callable[[str], bool], find_place: PlaceFinder | None = None
) -> tuple[DirectoryRow | None, list[RowError]]:
    errors: list[RowError] = []

    def fail(field: str, reason: str) -> None:
        errors.append(RowError(line, field, reason))

    problems = record.get(_PROBLEMS)
    for field, reason in problems if isinstance(problems, list) else ():
        fail(field, reason)

    text = {column: _text(record.get(column)) for column in COLUMNS if column not in ("topics", "verified")}

    place = text["place"]
    if place and find_place is not None and not (place.isdigit() and _is_key(place, place_exists)):
        found = find_place(place)
        if found.key is not None:
            place = found.key
        elif found.choices:
            fail("place", f"'{place}' fits several places; write one of these keys: {'; '.join(found.choices)}")
        else:
            fail("place", f"'{place}' is not a place I know; write the town's name, its postal code or the "
                          "2-, 5- or 8-digit key (AGS/ARS)")
    elif not place:
        fail("place", "place is missing")
    elif not place.isdigit():
        fail("place", f"'{place}' is not an official key; write the 2-, 5- or 8-digit key (AGS/ARS)")
    else:
        if len(place) + 1 in _PLACE_LENGTHS:  # a spreadsheet dropped the leading zero
            place = "0" + place
        if len(place) not in _PLACE_LENGTHS:
            fail("place", f"'{place}' is not an official key; it must have 2, 5 or 8 digits")
        elif not place_exists(place):
            fail("place", f"unknown place key '{place}'")
    text["place"] = place

    if not text["role"]:
        fail("role", "role is missing")
    phone = text["phone"]
    if phone and (not _PHONE.fullmatch(phone) or sum(ch.isdigit() for ch in phone) < 3):
        fail("phone", f"'{phone}' is not a phone number; use digits, spaces, + / - and parentheses")
    email = text["email"].removeprefix("mailto:")
    text["email"] = email
    if email and not _EMAIL.fullmatch(email):
        fail("email", f"'{email}' is not an e-mail address")
    website = text["website"]
    if website and not _WEBSITE.fullmatch(website):
        fail("website", f"'{website}' is not a web address")

    topics, topic_errors = _topics(record.get("topics"))
    for reason in topic_errors:
        fail("topics", reason)
    verified, date_error = _date(record.get("verified"))
    if date_error:
        fail("verified", date_error)

    if errors:
        return None, errors
    return DirectoryRow(**text, topics=topics, verified=verified), []


def _is_key(place: str, place_exists: Callable[[str], bool]) -> bool:
    """A known official key, also with the leading zero a spreadsheet dropped (a postal code otherwise)."""
    if len(place) + 1 in _PLACE_LENGTHS:
        place = "0" + place
    return len(place) in _PLACE_LENGTHS and place_exists(place)


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():  # a spreadsheet stored a key as a number
        value = int(value)
    return str(value).strip()


def _topics(value: object) -> tuple[tuple[str, ...], list[str]]:
    if value is None:
        return (), []
    if isinstance(value, str):
        items = re.split(r"[,;]", value)
    elif isinstance(value, list):
        items = [str(item) for item in value]
    else:
        return (), [f"'{value}' is not a list of topics"]
    keys: list[str] = []
    errors: list[str] = []
    for item in (item.strip() for item in items):
        if not item:
            continue
        key = topic_key(item)
        if key is None:
            errors.append(f"unknown topic '{item}'; known topics are {', '.join(TOPICS)}")
        elif key not in keys:
            keys.append(key)
    return tuple(keys), errors


def _date(value: object) -> tuple[date | None, str]:
    if value is None:
        return None, ""
    if isinstance(value, datetime):
        return value.date(), ""
    if isinstance(value, date):
        return value, ""
    text = _text(value)
    if not text:
        return None, ""
    german = _GERMAN_DATE.fullmatch(text)
    try:
        if german:
            day, month, year = (int(part) for part in german.groups())
            return date(year, month, day), ""
        return date.fromisoformat(text), ""
    except ValueError:
        return None, f"'{text}' is not a date; write it as 2015-03-26 or 26.03.2015"


# ---------------------------------------------------------------------------------------------- writing


def _cells(row: DirectoryRow) -> list[str]:
    values = {f.name: getattr(row, f.name) for f in fields(row)}
    values["topics"] = ", ".join(row.topics)
    values["verified"] = row.verified.isoformat() if row.verified else ""
    return [values[column] for column in COLUMNS]


def write_directory(rows: Iterable[DirectoryRow], path: Path, fmt: str) -> None:
    """Write rows as "csv" (";"-separated UTF-8 with BOM, as German Excel opens it) or "xlsx"."""
    if fmt == "csv":
        with path.open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle, delimiter=";", lineterminator="\r\n")
            writer.writerow(COLUMNS)
            writer.writerows(_cells(row) for row in rows)
    elif fmt == "xlsx":
        _write_xlsx(rows, path)
    else:
        raise ValueError(f"unknown directory format {fmt!r}; use 'csv' or 'xlsx'")


def _write_xlsx(rows: Iterable[DirectoryRow], path: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Verzeichnis"
    sheet.append(COLUMNS)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    verified_column = COLUMNS.index("verified") + 1
    for number, row in enumerate(rows, start=2):
        for column, value in enumerate(_cells(row), start=1):
            cell = sheet.cell(row=number, column=column)
            if column == verified_column and row.verified:
                cell.value = row.verified
                cell.number_format = "yyyy-mm-dd"
                continue
            cell.value = value
            # Text stays text: keys keep their leading zero and "=..." never becomes a formula.
            cell.data_type = "s"
    widths = {"place": 10, "role": 36, "name": 24, "organisation": 30, "notes": 60, "source": 40}
    for column, name in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[sheet.cell(row=1, column=column).column_letter].width = widths.get(name, 18)
    workbook.save(path)
