"""The `helferbot` command: run the bot, open the console chat, migrate, and data tools."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from pathlib import Path

from bot import config as config_mod
from bot import logs

log = logging.getLogger("helferbot")

EXIT_NOT_CONFIGURED = 78
"""EX_CONFIG of sysexits.h: a supervisor sees a configuration problem, not a clean end."""


def load_config(path: str | None):
    try:
        return config_mod.load(path)
    except config_mod.ConfigError as exc:
        print("Configuration problem(s):", file=sys.stderr)
        for problem in exc.problems:
            print(f"  - {problem}", file=sys.stderr)
        raise SystemExit(2) from None


def build_parser() -> argparse.ArgumentParser:
    """Separate from `main` so the container's command line can be checked without starting anything."""
    parser = argparse.ArgumentParser(prog="helferbot", description=__doc__)
    parser.add_argument("--config", "-c", help="TOML configuration file (default: built-in defaults)")
    sub = parser.add_subparsers(dest="command", required=True)

    p_run = sub.add_parser("run", help="start every configured platform (the console chat if none is configured)")
    p_run.add_argument("--config", "-c", dest="config_sub")
    p_console = sub.add_parser("console", help="chat with the bot in this terminal")
    p_console.add_argument("--config", "-c", dest="config_sub")
    p_console.add_argument("--as", dest="as_role", choices=("admin", "volunteer"), default="admin",
                           help="act as a local superadmin (default) or as a plain volunteer")
    p_migrate = sub.add_parser("migrate", help="apply database migrations")
    p_migrate.add_argument("--config", "-c", dest="config_sub")
    p_places = sub.add_parser("places", help="resolve place queries (one per line on stdin)")
    p_places.add_argument("--jsonl", action="store_true", help="write one JSON object per line (the default)")
    p_understand = sub.add_parser("understand", help="read free-text messages (one per line on stdin): intent, "
                                                     "place, topic")
    p_understand.add_argument("--jsonl", action="store_true", help="write one JSON object per line (the default)")

    from bot.cli import claims, directory, roles

    for module in (claims, directory, roles):
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    path = getattr(args, "config_sub", None) or args.config

    if args.command == "understand":
        from knowledge.understand import run_jsonl as understand_jsonl

        return understand_jsonl(sys.stdin, sys.stdout)
    if args.command == "places":
        from knowledge.places_cli import run_jsonl

        return run_jsonl(sys.stdin, sys.stdout)
    if args.command == "migrate":
        cfg = load_config(path)
        logs.setup(cfg.bot.log_level)
        cfg.data_dir.mkdir(parents=True, exist_ok=True)
        from bot.storage.db import run_migrations_sync

        run_migrations_sync(cfg.database_url)
        print("database is up to date")
        return 0
    if args.command in ("run", "console"):
        cfg = load_config(path)
        console = args.command == "console" or not (cfg.telegram_enabled or cfg.matrix_enabled)
        logs.setup("WARNING" if console else cfg.bot.log_level)
        as_volunteer = getattr(args, "as_role", "admin") == "volunteer"
        try:
            handled = asyncio.run(run(cfg, console=console, as_volunteer=as_volunteer))
        except KeyboardInterrupt:
            return 130
        except BrokenPipeError:
            return _reader_left()
        if args.command == "run" and console and handled == 0 and not sys.stdin.isatty():
            # A service (a container, systemd) without a platform configured: say so instead of exiting quietly.
            print("helferbot run: no Telegram token and no Matrix account configured, and no console input. "
                  "Set [telegram] token or [matrix] in the config file (or HELFERBOT_TELEGRAM_TOKEN); "
                  "see README.md.", file=sys.stderr)
            return EXIT_NOT_CONFIGURED
        return 0
    handler = getattr(args, "handler", None)
    if handler is not None:
        cfg = load_config(path)
        logs.setup("WARNING")
        return handler(cfg, args)
    parser.print_help()
    return 2


def _reader_left() -> int:
    """Whoever read the console's output stopped (`make demo | head`): end quietly, like other Unix tools."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())  # the interpreter's last flush at exit must not fail again
    return 0


async def prepare(cfg, *, extra_superadmins=None):
    from bot.wiring import build_app

    try:
        app = build_app(cfg, extra_superadmins=extra_superadmins)
    except config_mod.ConfigError as exc:
        print("Configuration problem(s):", file=sys.stderr)
        for problem in exc.problems:
            print(f"  - {problem}", file=sys.stderr)
        raise SystemExit(2) from None
    cfg.data_dir.mkdir(parents=True, exist_ok=True)
    await app.db.migrate()
    return app


async def run(cfg, *, console: bool, as_volunteer: bool = False) -> int:
    """Serve until stopped; returns how many console messages were handled (0 for the platforms)."""
    from bot.platforms.console import ConsoleAdapter, run_console

    if console:
        extra = None if as_volunteer else {("console", "local")}
        app = await prepare(cfg, extra_superadmins=extra)
        adapter = ConsoleAdapter(files_dir=Path(cfg.data_dir) / "console-files")
        app.add_adapter(adapter)
        await app.start()
        try:
            return await run_console(app, adapter)
        finally:
            await app.stop()
            await app.db.dispose()

    app = await prepare(cfg)
    if cfg.telegram_enabled:
        from bot.platforms.telegram import TelegramAdapter

        app.add_adapter(TelegramAdapter(cfg))
    if cfg.matrix_enabled:
        from bot.platforms.matrix import MatrixAdapter

        app.add_adapter(MatrixAdapter(cfg))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await app.start()
    log.info("helferbot is running on %s", ", ".join(app.adapters))
    try:
        await stop.wait()
    finally:
        log.info("shutting down")
        await app.stop()
        await app.db.dispose()
    return 0
