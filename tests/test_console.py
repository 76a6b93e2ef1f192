"""The console chat as a person (or a script) uses it, in separate processes on the same database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def helferbot(tmp_path: Path, db_url: str, lines: str, *args: str) -> subprocess.CompletedProcess:
    cfg = tmp_path / "config.toml"
    cfg.write_text(f'[bot]\ndata_dir = "data"\n[database]\nurl = "{db_url}"\n', encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("HELFERBOT_")}
    command, *rest = args
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", command, "--config", str(cfg), *rest],
        input=lines, capture_output=True, text=True, timeout=120, env=env,
    )


def console(tmp_path: Path, db_url: str, lines: str, *extra: str) -> str:
    result = helferbot(tmp_path, db_url, lines, "console", *extra)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_run_without_a_platform_chats_on_the_console_or_says_what_is_missing(tmp_path, db_url):
    piped = helferbot(tmp_path, db_url, "/hilfe\n", "run")
    assert piped.returncode == 0 and "Was ich kann" in piped.stdout
    # As a service with nothing configured and no input (a container, systemd): not a quiet, clean exit.
    idle = helferbot(tmp_path, db_url, "", "run")
    assert idle.returncode == 78
    assert "no Telegram token and no Matrix account configured" in idle.stderr


def test_piped_help_in_german_then_english(tmp_path, db_url):
    out = console(tmp_path, db_url, "/hilfe\n/sprache en\n/help\n")
    german = out.index("Was ich kann")
    english = out.index("What I can do")
    assert german < english
    assert "/sprache" in out[german:english] and "/language" in out[english:]


def test_dialog_survives_a_restart(tmp_path, db_url):
    first = console(tmp_path, db_url, "/einladen\n1\n")
    assert "Für welchen Ort" in first
    # A new process on the same database: the dialog continues where it was.
    second = console(tmp_path, db_url, "Landkreis Esslingen\n")
    assert "Einladung" in second and "Landkreis Esslingen" in second and "/start inv_" in second


def test_volunteer_mode_has_no_admin_powers(tmp_path, db_url):
    out = console(tmp_path, db_url, "/einladen koordination Nürtingen\n", "--as", "volunteer")
    assert "dürfen Sie leider nicht" in out
