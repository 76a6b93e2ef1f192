"""Build the shipped place tables in ``knowledge/gazetteer/`` from the raw public sources.

    python knowledge/build_gazetteer.py [--shared ../shared/data] [--out knowledge/gazetteer]

The raw files are too large and too loosely shaped to ship; the bot needs every inhabited Gemeinde with a
coordinate, a population and its postal codes, every postal code with its Gemeinden, and the names below the
Gemeinde that people write instead of it.  This script makes those compact tables, deterministically (sorted
rows, no timestamps), so that a newer source release is one re-run and a reviewable diff.

Inputs (see the READMEs next to them for provenance and licences):
- ``gazetteer/``: Gemeinden, Kreise, Länder (Eurostat LAU 2024) and postal-list Ortsteile (GeoNames, CC BY 4.0);
- ``places/gv-isys_2023q1.csv``: Destatis Gemeindeverzeichnis, coordinates and population (dl-de/by-2-0);
- ``places/plz_ort_osm_2023.csv``: postal code to Gemeinde from OpenStreetMap (ODbL 1.0);
- ``places/geonames_cities500_DE.txt``: GeoNames places, for Ortsteile and former Gemeinden (CC BY 4.0);
- ``ortsteile_supplement.csv`` in the output folder: districts of large cities missing from all of these,
  each row with the public list it was checked against.

Outputs:
- ``gemeinden.csv``: the LAU rows with ``lat``/``lon`` and ``population`` from Destatis (postal codes of the
  GeoNames postal list stay in ``plz``);
- ``plz_osm.csv``: postal code, AGS; derived from OpenStreetMap, hence its own file under the ODbL;
- ``ortsteile.csv``: name, plz, ags, lat, lon, source (``postal``, ``geonames``, ``supplement``);
- ``kreise.csv``, ``laender.csv``: copied.

Gemeinden merged after the OSM table was made carry keys that no longer exist.  Their new Gemeinde is taken
from ``merged_gemeinden.csv`` (official Gemeinde changes, each row with its source), else from the postal
code when exactly one Gemeinde of the same Kreis has it in the OSM table or in the newer GeoNames postal
list; any other such key is reported and left out (its codes still resolve through the other Gemeinden that
have them).  A merged Gemeinde's name is kept as a former Gemeinde of its new one.
"""

from __future__ import annotations

import argparse
import csv
import io
import re
import sys
import unicodedata
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent


def fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.lower().replace("ß", "ss"))
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(re.findall(r"[a-z0-9]+", text))


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")


def destatis(path: Path) -> dict[str, tuple[str, str, int]]:
    """AGS -> (lat, lon, population) from the Gemeinde rows (Satzart 60)."""
    out = {}
    with open(path, encoding="utf-8-sig") as fh:
        for line in fh:
            c = line.rstrip("\r\n").split(";")
            if c[0] != "60":
                continue
            ags = c[2] + c[3] + c[4] + c[6]
            pop = int(re.sub(r"\D", "", c[9]) or 0)
            lon, lat = c[14].replace(",", "."), c[15].replace(",", ".")
            lat = f"{float(lat):.4f}" if lat.strip() else ""
            lon = f"{float(lon):.4f}" if lon.strip() else ""
            out[ags] = (lat, lon, pop)
    return out


def display(name: str) -> str:
    return name.split(",")[0].strip()


def build(shared: Path, out: Path, log=print) -> dict[str, int]:
    gz, pl = shared / "gazetteer", shared / "places"
    gem_rows = read_csv(gz / "gemeinden.csv")
    gemeinden = {r["ags"]: r for r in gem_rows}
    stats = destatis(pl / "gv-isys_2023q1.csv")

    rows = []
    for r in sorted(gem_rows, key=lambda r: r["ags"]):
        lat, lon, pop = stats.get(r["ags"], ("", "", 0))
        rows.append([r["ags"], r["name"], r["kreis_ars"], r["land_ars"], lat or r["lat"], lon or r["lon"],
                     r["plz"], str(pop)])
    write_csv(out / "gemeinden.csv", ["ags", "name", "kreis_ars", "land_ars", "lat", "lon", "plz", "population"],
              rows)

    # postal codes (OpenStreetMap), with merged Gemeinden mapped to their new one
    osm = read_csv(pl / "plz_ort_osm_2023.csv")
    by_code: dict[str, set[str]] = defaultdict(set)
    for r in osm:
        by_code[r["plz"]].add(r["ags"])
    merged: dict[str, str] = {}
    changes = out / "merged_gemeinden.csv"
    if changes.exists():
        merged.update((r["old_ags"], r["new_ags"]) for r in read_csv(changes) if r["new_ags"] in gemeinden)
    for old in sorted({r["ags"] for r in osm if r["ags"] not in gemeinden} - set(merged)):
        codes = {r["plz"] for r in osm if r["ags"] == old}
        heirs = {a for c in codes for a in by_code[c] if a in gemeinden and a[:5] == old[:5]}
        if len(heirs) != 1:  # the newer GeoNames postal list names the Gemeinde that has the code now
            heirs = {a for a, r in gemeinden.items() if a[:5] == old[:5] and codes & set(r["plz"].split())}
        if len(heirs) == 1:
            merged[old] = heirs.pop()
        else:
            log(f"merged Gemeinde without a known heir, left out: {old} {sorted(codes)}")
    pairs = set()
    for r in osm:
        ags = merged.get(r["ags"], r["ags"])
        if ags in gemeinden:
            pairs.add((r["plz"], ags))
    write_csv(out / "plz_osm.csv", ["plz", "ags"], [list(p) for p in sorted(pairs)])

    # sub-municipal names
    ort: dict[tuple[str, str], list[str]] = {}
    for r in read_csv(gz / "ortsteile.csv"):
        ort.setdefault((fold(r["name"]), r["ags"]), [r["name"], r["plz"], r["ags"], r["lat"], r["lon"], "postal"])
    same_name: dict[str, list[str]] = defaultdict(list)
    for ags, r in gemeinden.items():
        same_name[fold(display(r["name"]))].append(ags)
    copies = 0
    with open(pl / "geonames_cities500_DE.txt", encoding="utf-8") as fh:
        for line in fh:
            c = line.rstrip("\n").split("\t")
            name, lat, lon, code, ags, people = c[1], c[4], c[5], c[7], c[13], int(c[14] or 0)
            ags = merged.get(ags, ags)
            if ags not in gemeinden or not code.startswith("PPL"):
                continue
            own = display(gemeinden[ags]["name"])
            if fold(name) in (fold(own), fold(re.split(r"[(/]", own)[0])):
                continue
            if people and any(abs(people - stats.get(other, ("", "", 0))[2]) <= people / 100
                              for other in same_name.get(fold(name), ())):
                # A Gemeinde filed under a neighbour's key ("Loitz", 4,236 inhabitants, in a Kreis without
                # a Loitz): the name and the population of a Gemeinde elsewhere, within 1 %.  Kept, it
                # would make that Gemeinde's own name a question.
                copies += 1
                continue
            key = (fold(name), ags)
            if key not in ort:
                ort[key] = [name, "", ags, f"{float(lat):.4f}", f"{float(lon):.4f}", "geonames"]
    for r in osm:  # former Gemeinden are names people still write
        if r["ags"] in merged:
            ort.setdefault((fold(r["ort"]), merged[r["ags"]]), [r["ort"], r["plz"], merged[r["ags"]], "", "",
                                                                "merged"])
    supplement = out / "ortsteile_supplement.csv"
    if supplement.exists():
        for r in read_csv(supplement):
            if r["ags"] not in gemeinden:
                raise SystemExit(f"supplement names an unknown Gemeinde: {r}")
            ort.setdefault((fold(r["name"]), r["ags"]), [r["name"], r["plz"], r["ags"], r["lat"], r["lon"],
                                                         "supplement"])
    write_csv(out / "ortsteile.csv", ["name", "plz", "ags", "lat", "lon", "source"],
              sorted(ort.values(), key=lambda r: (r[2], fold(r[0]), r[0])))

    for name in ("kreise.csv", "laender.csv"):
        (out / name).write_bytes((gz / name).read_bytes())
    figures = {"gemeinden": len(rows), "postal_pairs": len(pairs), "postal_codes": len({p for p, _ in pairs}),
               "merged": len(merged), "ortsteile": len(ort), "geonames_copies_left_out": copies}
    log(", ".join(f"{k} {v}" for k, v in figures.items()))
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shared", type=Path, default=HERE.parent.parent / "shared" / "data")
    parser.add_argument("--out", type=Path, default=HERE / "gazetteer")
    args = parser.parse_args(argv)
    if not (args.shared / "places").is_dir():
        print(f"no raw data in {args.shared}", file=sys.stderr)
        return 1
    build(args.shared, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
