"""The Dockerfile and compose.yaml, checked without a Docker engine.

An image that lacks a catalog or a migration, an environment variable the config ignores, or a health check
against a path nobody serves all show up only on the server, as a bot that does not start or is restarted in a
loop. Here the build stage's files are packaged exactly as the image does it and run from that copy, and the
runtime settings go through the bot's own config loader, CLI parser and HTTP server.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import posixpath
import re
import shlex
import shutil
import socket
import sqlite3
import subprocess
import sys
import tomllib
import zipfile
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml
from packaging.requirements import Requirement
from sqlalchemy.engine import make_url

import bot.storage.all_models  # noqa: F401  (every table, to compare with what the packaged migrations create)
from bot import config as config_mod
from bot import i18n
from bot.cli import build_parser
from bot.core.app import STOP_TIMEOUT_SECONDS
from bot.storage.base import Base
from bot.wiring import build_app
from tests.support.config import make_config

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
DUMMY_PASSWORD = "0123456789abcdef"


# --- reading the files ---------------------------------------------------------------------------------------

@dataclass
class Stage:
    name: str | None
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def all(self, keyword: str) -> list[str]:
        return [rest for kw, rest in self.instructions if kw == keyword]

    def last(self, keyword: str) -> str:
        found = self.all(keyword)
        assert found, f"the stage has no {keyword}"
        return found[-1]

    def env(self) -> dict[str, str]:
        values: dict[str, str] = {}
        for rest in self.all("ENV"):
            words = shlex.split(rest)
            if "=" not in words[0]:  # the old form: ENV KEY value with spaces
                values[words[0]] = rest.split(None, 1)[1]
            else:
                values.update(word.split("=", 1) for word in words)
        return values


def dockerfile() -> list[Stage]:
    """Instructions per stage; continuation lines joined, comments dropped (also inside a continuation)."""
    stages: list[Stage] = []
    pending = ""
    for raw in (ROOT / "Dockerfile").read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        keyword, _, rest = (pending + line).partition(" ")
        pending = ""
        keyword, rest = keyword.upper(), rest.strip()
        if keyword == "FROM":
            words = rest.split()
            stages.append(Stage(words[2] if len(words) == 3 and words[1].upper() == "AS" else None))
        stages[-1].instructions.append((keyword, rest))
    assert not pending, "the Dockerfile ends in a continuation line"
    return stages


def words_of(rest: str) -> list[str]:
    """JSON (exec) form or shell form."""
    return json.loads(rest) if rest.startswith("[") else shlex.split(rest)


def copy_args(rest: str) -> tuple[list[str], list[str], str]:
    words = words_of(rest)
    flags = [w for w in words if w.startswith("--")]
    *sources, dest = [w for w in words if not w.startswith("--")]
    return flags, sources, dest


def build_stage(stages: list[Stage]) -> Stage:
    """The stage the runtime stage copies the installed bot from."""
    names = {flag.split("=", 1)[1] for rest in stages[-1].all("COPY") for flag in copy_args(rest)[0]
             if flag.startswith("--from=")}
    assert len(names) == 1, f"expected one build stage to copy from, found {names}"
    (stage,) = [s for s in stages if s.name in names]
    return stage


def runtime_env() -> dict[str, str]:
    return {k: v for k, v in dockerfile()[-1].env().items() if k.startswith("HELFERBOT_")}


def compose() -> dict:
    return yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))


def interpolate(text: str, env: dict[str, str]) -> str:
    """Compose's ${VAR}, ${VAR:-default} and ${VAR:?error} (the forms a .env-based setup uses)."""

    def value(match: re.Match) -> str:
        name, op, arg = match.group(1), match.group(2), match.group(3)
        if env.get(name):
            return env[name]
        assert op != ":?", f"compose would refuse to start: {arg}"
        return arg if op == ":-" else ""

    return re.sub(r"\$\{(\w+)(?:(:[-?])([^}]*))?\}", value, text)


def service_env(service: dict) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {k: interpolate(str(v), {"POSTGRES_PASSWORD": DUMMY_PASSWORD}) for k, v in env.items()}


def seconds(duration: str) -> float:
    """A compose duration such as "30s" or "1m30s"."""
    parts = re.fullmatch(r"(?:(\d+)h)?(?:(\d+)m(?!s))?(?:(\d+)s)?(?:(\d+)ms)?", str(duration))
    assert parts and any(parts.groups()), f"not a duration: {duration!r}"
    h, m, s, ms = (int(p or 0) for p in parts.groups())
    return h * 3600 + m * 60 + s + ms / 1000


def known_env_vars() -> set[str]:
    defaults = config_mod.Config()
    return {f"HELFERBOT_{name}_{f.name}".upper() for name in config_mod.SECTIONS
            for f in dataclasses.fields(getattr(defaults, name))}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- the build stage -----------------------------------------------------------------------------------------

def replicate_build_context(stage: Stage, into: Path) -> Path:
    """Copy what the stage COPYs, where it puts it; returns its WORKDIR (where `pip install .` runs)."""
    workdir = "/"
    for keyword, rest in stage.instructions:
        if keyword == "WORKDIR":
            workdir = posixpath.join(workdir, rest)
        elif keyword == "COPY":
            flags, sources, dest = copy_args(rest)
            assert not flags, f"unexpected COPY flags in the build stage: {flags}"
            target = into / posixpath.normpath(posixpath.join(workdir, dest)).lstrip("/")
            for source in sources:
                src = ROOT / source
                if src.is_dir():
                    shutil.copytree(src, target, dirs_exist_ok=True,
                                    ignore=shutil.ignore_patterns("__pycache__"))
                elif dest.endswith("/") or len(sources) > 1:
                    target.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(src, target / src.name)
                else:
                    target.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(src, target)
    return into / workdir.lstrip("/")


def build_backend_installed() -> bool:
    for line in PYPROJECT["build-system"]["requires"]:
        requirement = Requirement(line)
        try:
            if not requirement.specifier.contains(version(requirement.name), prereleases=True):
                return False
        except PackageNotFoundError:
            return False
    return True


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel `pip install .` builds in the image's build stage, from exactly the files that stage copies."""
    stage = build_stage(dockerfile())
    assert any(re.search(r"\bpip install \.(\s|$)", rest) for rest in stage.all("RUN")), \
        "the build stage no longer installs its WORKDIR with `pip install .`"
    source = replicate_build_context(stage, tmp_path_factory.mktemp("context"))
    out = tmp_path_factory.mktemp("wheel")
    # Like the image, with a throw-away build environment, unless the build backend is already here.
    isolation = ["--no-build-isolation"] if build_backend_installed() else []
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", *isolation, "-w", str(out), str(source)],
        capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    (built,) = out.glob("helferbot-*.whl")
    return built


@pytest.fixture(scope="module")
def site(wheel, tmp_path_factory) -> Path:
    """The wheel unpacked: what /opt/helferbot's site-packages holds in the image."""
    target = tmp_path_factory.mktemp("site")
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(target)
    return target


# Runs the `helferbot` console script the way the installed launcher does, from the unpacked wheel's metadata.
CONSOLE_SCRIPT = """
import sys
from importlib.metadata import distributions
site = sys.argv.pop(1)
[dist] = [d for d in distributions(path=[site]) if d.name == "helferbot"]
[script] = dist.entry_points.select(group="console_scripts", name="helferbot")
main = script.load()
import handlers, knowledge
for name in ("bot.cli", "handlers", "knowledge"):
    print("origin:", sys.modules[name].__file__, file=sys.stderr)
sys.argv[0] = "helferbot"
sys.exit(main())
"""


def helferbot(site: Path, workdir: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HELFERBOT_", "PYTHON"))}
    env.update(PYTHONPATH=str(site), HELFERBOT_BOT_DATA_DIR=str(workdir / "data"))
    result = subprocess.run([sys.executable, "-c", CONSOLE_SCRIPT, str(site), *args], cwd=workdir, env=env,
                            input=stdin, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    origins = [Path(line.split(" ", 1)[1]) for line in result.stderr.splitlines() if line.startswith("origin: ")]
    assert len(origins) == 3 and all(path.is_relative_to(site) for path in origins), origins
    return result


def test_the_image_ships_every_file_the_bot_loads(wheel):
    with zipfile.ZipFile(wheel) as archive:
        shipped = set(archive.namelist())
    wanted = {
        *(ROOT / "knowledge" / "gazetteer").glob("*.csv"),
        ROOT / "knowledge" / "directory" / "seed.toml",
        ROOT / "bot" / "storage" / "migrations" / "env.py",
        ROOT / "bot" / "storage" / "migrations" / "script.py.mako",
        *(ROOT / "bot" / "storage" / "migrations" / "versions").glob("*.py"),
        *(ROOT / "handlers").glob("*.py"),
        *(p for package in ("bot", "handlers", "knowledge") for p in (ROOT / package).rglob("*.py")),
    }
    wanted = {p.relative_to(ROOT).as_posix() for p in wanted if "__pycache__" not in p.parts}
    wanted |= {po.relative_to(i18n.LOCALE_DIR.parents[1]).as_posix()
               for language in i18n.LANGUAGES for po in i18n.catalog_files(language)}
    assert "bot/locale/de/LC_MESSAGES/helferbot.po" in wanted  # the bot reads .po files, not compiled .mo
    assert sorted(wanted - shipped) == []


def test_the_packaged_bot_migrates_a_new_database(site, tmp_path):
    result = helferbot(site, tmp_path, "migrate")
    assert "database is up to date" in result.stdout
    with sqlite3.connect(tmp_path / "data" / "helferbot.sqlite3") as conn:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert set(Base.metadata.tables) - tables == set()


def test_the_packaged_bot_answers_in_german_from_the_shipped_knowledge(site, tmp_path):
    result = helferbot(site, tmp_path, "console", stdin="/hilfe\n/kontakt Nürtingen\n")
    assert "Was ich kann" in result.stdout  # the German catalog
    assert "Ansprechpersonen für Nürtingen (Landkreis Esslingen" in result.stdout  # the gazetteer
    assert "Stadt Nürtingen" in result.stdout  # the shipped directory


# --- the runtime stage ---------------------------------------------------------------------------------------

def test_the_runtime_environment_lands_in_the_config():
    docker = runtime_env()
    bot_env = {k: v for k, v in service_env(compose()["services"]["bot"]).items() if k.startswith("HELFERBOT_")}
    assert sorted(set(docker) - known_env_vars()) == [] and sorted(set(bot_env) - known_env_vars()) == []
    # The file compose mounts starts as a copy of the example, so load that with both environments on top.
    cfg = config_mod.load(ROOT / "config.example.toml", env=docker | bot_env)
    final = dockerfile()[-1]
    assert str(cfg.data_dir) in words_of(final.last("VOLUME"))
    assert (cfg.bot.http_listen, cfg.bot.http_port) == ("0.0.0.0", int(final.last("EXPOSE")))
    assert cfg.database_url == f"postgresql+asyncpg://helferbot:{DUMMY_PASSWORD}@db:5432/helferbot"


def healthcheck() -> list[str]:
    rest = dockerfile()[-1].last("HEALTHCHECK")
    command = rest[rest.index(" CMD ") + len(" CMD "):].strip()
    assert command.startswith("["), "the health check should not need a shell"
    return json.loads(command)


async def run_healthcheck(command: list[str]) -> int:
    executable = sys.executable if command[0] == "python" else command[0]
    process = await asyncio.create_subprocess_exec(executable, *command[1:], stdout=asyncio.subprocess.DEVNULL,
                                                   stderr=asyncio.subprocess.DEVNULL)
    return await process.wait()


async def test_the_container_health_check_passes_once_the_bot_serves(tmp_path, db_url, db):
    command = healthcheck()
    (url,) = {m for arg in command for m in re.findall(r"https?://[^\s'\"]+", arg)}
    parts = urlsplit(url)
    assert (parts.hostname, parts.port) == ("127.0.0.1", int(runtime_env()["HELFERBOT_BOT_HTTP_PORT"]))
    port = free_port()
    here = [arg.replace(f":{parts.port}/", f":{port}/") for arg in command]
    app = build_app(make_config(tmp_path, db_url, bot={"http_port": port}), db=db)
    assert parts.path in {path for _method, path, _handler in app.routes}

    assert await run_healthcheck(here) != 0  # nothing serves yet: the check must notice
    await app.start(workers=False)
    try:
        for _ in range(50):
            status = await run_healthcheck(here)
            if status == 0:
                break
            await asyncio.sleep(0.1)
    finally:
        await app.stop()
    assert status == 0


def test_the_container_command_lines_parse():
    final = dockerfile()[-1]
    entrypoint, cmd = words_of(final.last("ENTRYPOINT")), words_of(final.last("CMD"))
    assert PYPROJECT["project"]["scripts"][entrypoint[0]] == "bot.cli:main"
    parser = build_parser()
    assert parser.parse_args(entrypoint[1:] + cmd).command == "run"

    bot = compose()["services"]["bot"]
    args = parser.parse_args(entrypoint[1:] + bot["command"])
    assert args.command == "run"
    config_path = args.config_sub or args.config
    mounted = {volume.split(":")[1] for volume in bot["volumes"]}
    assert config_path in mounted, f"{config_path} is not mounted into the bot container"


def test_the_image_runs_unprivileged_and_stops_gracefully():
    stages = dockerfile()
    final = stages[-1]
    for stage in stages:
        image = stage.last("FROM").split()[0]
        assert ":" in image and not image.endswith(":latest"), f"unpinned base image {image}"
    assert final.last("USER") not in ("root", "0")
    # Exec form: the bot itself is PID 1 and receives SIGTERM, instead of a shell that ignores it.
    assert final.last("ENTRYPOINT").startswith("[") and final.last("CMD").startswith("[")
    assert final.all("STOPSIGNAL") in ([], ["SIGTERM"])


# --- compose.yaml --------------------------------------------------------------------------------------------

def test_the_bot_waits_for_a_healthy_database_it_can_log_into():
    services = compose()["services"]
    bot, db = services["bot"], services["db"]
    assert bot["depends_on"]["db"]["condition"] == "service_healthy"
    assert db.get("healthcheck", {}).get("test"), "service_healthy waits forever without a health check"

    db_env = service_env(db)
    url = make_url(service_env(bot)["HELFERBOT_DATABASE_URL"])
    assert (url.host, url.port) == ("db", 5432)
    assert (url.username, url.password, url.database) == (
        db_env["POSTGRES_USER"], db_env["POSTGRES_PASSWORD"], db_env["POSTGRES_DB"])

    test = db["healthcheck"]["test"]
    probe = shlex.split(test[1] if test[0] == "CMD-SHELL" else " ".join(test[1:]))
    assert probe[0] == "pg_isready"
    assert probe[probe.index("-U") + 1] == url.username and probe[probe.index("-d") + 1] == url.database


def test_compose_publishes_the_http_port_and_keeps_the_data():
    bot = compose()["services"]["bot"]
    port = runtime_env()["HELFERBOT_BOT_HTTP_PORT"]
    assert any(str(mapping).split(":")[-1].split("/")[0] == port for mapping in bot["ports"])
    assert runtime_env()["HELFERBOT_BOT_DATA_DIR"] in {volume.split(":")[1] for volume in bot["volumes"]}


def test_docker_waits_for_the_sends_in_flight_before_killing_the_bot():
    grace = seconds(compose()["services"]["bot"]["stop_grace_period"])
    # After the deliveries, the platforms still close their connections.
    assert grace >= STOP_TIMEOUT_SECONDS + 5
