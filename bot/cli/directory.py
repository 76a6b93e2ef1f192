"""`helferbot directory import|export`: the directory as CSV, XLSX or TOML files for the office."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path


def register(subparsers) -> None:
    parser = subparsers.add_parser("directory", help="import or export the coordinator directory")
    parser.add_argument("--config", "-c", dest="config_sub")
    sub = parser.add_subparsers(dest="directory_command", required=True)
    p_import = sub.add_parser("import", help="import a CSV, XLSX or TOML file (nothing is written if any row is bad)")
    p_import.add_argument("file", type=Path)
    p_import.add_argument("--replace", action="store_true",
                          help="drop entries from earlier imports and the seed first (chat entries stay)")
    p_import.add_argument("--config", "-c", dest="config_sub")
    p_export = sub.add_parser("export", help="export the directory")
    p_export.add_argument("--format", choices=("csv", "xlsx"), default="csv")
    p_export.add_argument("--output", "-o", type=Path, help="file to write (default: directory.<format>)")
    p_export.add_argument("--config", "-c", dest="config_sub")
    parser.set_defaults(handler=run)


def place_finder():
    """Town names and postal codes in an import file, resolved like a question to the bot, never guessed."""
    from knowledge.directory_io import PlaceMatch
    from knowledge.places import default_index

    index = default_index()

    def find(text: str) -> PlaceMatch:
        found = index.resolve(text, limit=6)
        if found.best is not None:
            return PlaceMatch(key=found.best.id)
        if found.status == "ambiguous":
            return PlaceMatch(choices=tuple(f"{c.place.id} {c.place.label}" for c in found.candidates))
        return PlaceMatch()

    return find


def run(cfg, args) -> int:
    return asyncio.run(_run(cfg, args))


async def _run(cfg, args) -> int:
    from bot import directory
    from bot.data_location import require_data_dir
    from bot.storage.db import Database
    from knowledge.directory_io import DirectoryFileError, read_directory, write_directory
    from knowledge.places import default_gazetteer

    if require_data_dir(cfg) is None:
        return 2
    if args.directory_command == "import" and not args.file.is_file():
        print(f"helferbot: {args.file}: no such file", file=sys.stderr)
        return 2
    db = Database(cfg.database_url)
    try:
        await db.migrate()
        async with db.session() as session:
            await directory.seed_once(session)
            await session.commit()
        if args.directory_command == "import":
            gazetteer = default_gazetteer()
            try:
                rows = read_directory(args.file, lambda pid: gazetteer.get(pid) is not None, place_finder())
            except DirectoryFileError as exc:
                print(f"{args.file}: nothing was imported, {len(exc.errors)} problem(s):", file=sys.stderr)
                for error in exc.errors:
                    print(f"  {error}", file=sys.stderr)
                return 1
            async with db.session() as session:
                added, updated = await directory.import_rows(session, rows, replace=args.replace)
                await session.commit()
            print(f"imported {len(rows)} entries ({added} new, {updated} updated)")
            return 0
        output = args.output or Path(f"directory.{args.format}")
        async with db.session() as session:
            rows = await directory.all_rows(session)
        write_directory(rows, output, args.format)
        print(f"wrote {len(rows)} entries to {output}")
        return 0
    finally:
        await db.dispose()
