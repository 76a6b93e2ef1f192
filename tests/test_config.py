"""Configuration errors are reported with the key and what is expected, before anything starts."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot import config

ROOT = Path(__file__).resolve().parents[1]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_example_config_is_valid_and_documents_every_key():
    cfg = config.load(ROOT / "config.example.toml", env={})
    assert cfg.bot.default_language == "de"
    example = (ROOT / "config.example.toml").read_text(encoding="utf-8")
    for section in config.SECTIONS:
        assert f"[{section}]" in example
        for key in config.dataclasses.fields(getattr(cfg, section)):
            assert f"\n{key.name} =" in example, f"{section}.{key.name} is not documented"


def test_defaults_use_sqlite_in_the_data_dir(tmp_path):
    cfg = config.load(None, env={})
    assert cfg.database_url.startswith("sqlite+aiosqlite:///")
    assert not cfg.telegram_enabled and not cfg.matrix_enabled


def test_relative_data_dir_is_relative_to_the_config_file(tmp_path):
    cfg = config.load(write(tmp_path, '[bot]\ndata_dir = "state"\n'), env={})
    assert cfg.data_dir == tmp_path / "state"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('[bot]\nlanguage = "de"\n', "unknown key bot.language"),
        ("[telegramm]\n", "unknown section [telegramm]"),
        ('[bot]\ndialog_ttl_hours = "viele"\n', "bot.dialog_ttl_hours must be a whole number"),
        ('[bot]\ndefault_language = "fr"\n', "bot.default_language must be one of de, en"),
        ('[admins]\ntelegram = ["anna"]\n', "admins.telegram must be a list of whole numbers"),
        ('[matrix]\nhomeserver = "https://m.example.org"\nuser_id = "@bot:example.org"\n',
         "matrix.password or matrix.access_token is required"),
        ('[matrix]\nhomeserver = "https://m.example.org"\nuser_id = "bot"\npassword = "x"\n',
         "matrix.user_id must look like @bot:example.org"),
        ('[telegram]\ntoken = "1:abc"\nmode = "webhook"\n', "telegram.webhook_url is required"),
        ('[matrix]\nrecovery_key = "EsTW oTqj"\nreset_cross_signing = true\n', "set only one of them"),
        ('[database]\nurl = "mysql://x"\n', "database.url must start with"),
        ("[bot\n", "not valid TOML"),
    ],
)
def test_config_errors_name_the_key(tmp_path, text, expected):
    with pytest.raises(config.ConfigError) as info:
        config.load(write(tmp_path, text), env={})
    assert expected in str(info.value)


def test_secrets_from_the_environment(tmp_path):
    cfg = config.load(
        write(tmp_path, '[telegram]\nrate_per_second = 10.0\n'),
        env={"HELFERBOT_TELEGRAM_TOKEN": "123:abc", "HELFERBOT_ADMINS_TELEGRAM": "1, 2"},
    )
    assert cfg.telegram.token == "123:abc" and cfg.telegram_enabled
    assert cfg.admins.telegram == [1, 2]
    with pytest.raises(config.ConfigError, match="HELFERBOT_BOT_HTTP_PORT must be a whole number"):
        config.load(None, env={"HELFERBOT_BOT_HTTP_PORT": "acht"})


def test_cli_reports_config_errors_before_starting(tmp_path):
    path = write(tmp_path, '[bot]\ndefault_language = "fr"\nfoo = 1\n')
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "run", "--config", str(path)],
        capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 2
    assert "bot.default_language" in result.stderr and "unknown key bot.foo" in result.stderr
    assert not (tmp_path / "helferbot-data").exists()
