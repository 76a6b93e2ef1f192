"""The console chat as a person (or a script) uses it, in separate processes on the same database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def console(tmp_path: Path, db_url: str, lines: str, *extra: str) -> str:
    cfg = tmp_path / "config.toml"
    cfg.write_text(f'[bot]\ndata_dir = "data"\n[database]\nurl = "{db_url}"\n', encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("HELFERBOT_")}
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "console", "--config", str(cfg), *extra],
        input=lines, capture_output=True, text=True, timeout=120, env=env,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


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
