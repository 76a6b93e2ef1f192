"""The first hour with the bot, as a newcomer spends it: a scripted demo, the data tools, an office's import file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run(args: list[str], *, cwd: Path, stdin: str = "", env: dict | None = None) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("HELFERBOT_")}
    clean["PYTHONPATH"] = str(ROOT)
    clean.update(env or {})
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], cwd=cwd, input=stdin, capture_output=True,
                          text=True, timeout=180, env=clean)


def test_a_long_scripted_demo_is_answered_to_the_end(tmp_path):
    """The console is the person at the machine: forty lines in a few seconds are not a flood."""
    lines = "".join(f"/kontakt {plz}\n" for plz in ["72622", "63450"] * 20)
    result = run(["console"], cwd=tmp_path, stdin=lines)
    assert result.returncode == 0, result.stderr
    answers = result.stdout.split("> /kontakt ")[1:]
    assert len(answers) == 40
    assert "Nürtingen" in answers[-2] and "Hanau" in answers[-1]
    assert "Pause" not in result.stdout and "kurze" not in result.stdout


def test_a_demo_piped_into_head_ends_quietly(tmp_path):
    script = f"yes /hilfe | head -n 200 | {sys.executable} -m bot.cli console | head -n 3; echo rc=${{PIPESTATUS[2]}} >&2"
    clean = {k: v for k, v in os.environ.items() if not k.startswith("HELFERBOT_")}
    clean["PYTHONPATH"] = str(ROOT)
    result = subprocess.run(["bash", "-c", script], cwd=tmp_path, capture_output=True, text=True,
                            timeout=180, env=clean)
    assert result.stdout.splitlines()[1] == "Was ich kann:"
    assert result.stderr.strip() == "rc=0"  # no traceback, no "Exception ignored", a clean exit


def test_data_tools_in_the_wrong_folder_say_where_they_looked_and_create_nothing(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = run(["claims", "export", "--format", "csv", "--output", "claims.csv"], cwd=elsewhere)
    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert str((elsewhere / "helferbot-data").resolve()) in line and "--config" in line
    assert list(elsewhere.iterdir()) == []
    result = run(["directory", "export", "-o", "d.csv"], cwd=elsewhere)
    assert result.returncode == 2 and "no helferbot data directory" in result.stderr
    assert list(elsewhere.iterdir()) == []


def test_data_tools_find_the_bot_data_through_the_config_file(tmp_path):
    home = tmp_path / "bot"
    home.mkdir()
    (home / "config.toml").write_text('[bot]\ndata_dir = "daten"\n', encoding="utf-8")
    assert run(["--config", str(home / "config.toml"), "console"], cwd=home, stdin="/hilfe\n").returncode == 0
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = run(["--config", str(home / "config.toml"), "directory", "export", "-o", "d.csv"], cwd=elsewhere)
    assert result.returncode == 0, result.stderr
    assert (elsewhere / "d.csv").read_text(encoding="utf-8").count("\n") > 100  # the shipped directory
    result = run(["directory", "export", "-o", "e.csv"], cwd=elsewhere,
                 env={"HELFERBOT_BOT_DATA_DIR": str(home / "daten")})
    assert result.returncode == 0, result.stderr


def test_an_import_file_with_town_names_and_postal_codes(tmp_path):
    assert run(["console"], cwd=tmp_path, stdin="/hilfe\n").returncode == 0
    missing = run(["directory", "import", "kontakte.csv"], cwd=tmp_path)
    assert missing.returncode == 2
    assert missing.stderr.strip() == "helferbot: kontakte.csv: no such file"
    office = tmp_path / "kontakte.csv"
    office.write_text("place;role;name;phone\n"
                      "Nürtingen;Koordination Asyl;Stadt Nürtingen;07022 75-0\n"
                      "63450;Integrationsbüro;Stadt Hanau;06181 295-0\n"
                      "Neustadt;Koordination;Stadt Neustadt;01234 5678\n", encoding="utf-8")
    result = run(["directory", "import", str(office)], cwd=tmp_path)
    assert result.returncode == 1
    assert "line 4" in result.stderr and "fits several places" in result.stderr
    assert "07316000 Neustadt an der Weinstraße" in result.stderr
    assert "line 2" not in result.stderr and "line 3" not in result.stderr
    office.write_text("place;role;name;phone\n"
                      "nurtingen;Koordination Asyl;Stadt Nürtingen;07022 75-0\n"
                      "63450;Integrationsbüro;Stadt Hanau;06181 295-0\n"
                      "07316000;Koordination;Stadt Neustadt;01234 5678\n", encoding="utf-8")
    result = run(["directory", "import", str(office)], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    result = run(["console", "--as", "volunteer"], cwd=tmp_path, stdin="/kontakt Hanau\n")
    assert "Integrationsbüro" in result.stdout
