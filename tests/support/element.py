"""Running the Node scripts in tests/js: matrix-js-sdk with its Rust crypto, the library Element itself uses.

A test that needs them is skipped when node or npm is missing, or when the packages cannot be installed (no
registry); each script prints one JSON line as its result.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
from pathlib import Path

import pytest

JS = Path(__file__).resolve().parents[1] / "js"


async def require_node(why: str) -> None:
    """Skip unless node and npm are there and `npm ci` has (or had) installed what the lock file names."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip(f"node and npm are needed {why}")
    installed = JS / "node_modules" / ".package-lock.json"
    lock = json.loads((JS / "package-lock.json").read_text())["packages"]
    if installed.exists():
        have = json.loads(installed.read_text())["packages"]
        if all(have.get(name, {}).get("version") == entry.get("version") for name, entry in lock.items() if name):
            return
    process = await asyncio.create_subprocess_exec(
        "npm", "ci", "--no-audit", "--no-fund", cwd=JS,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    output, _ = await asyncio.wait_for(process.communicate(), 180)
    if process.returncode != 0:
        pytest.skip(f"npm ci failed: {output.decode(errors='replace')[-500:]}")


async def run_script(script: str, **env: str) -> dict:
    """The script's last printed line, read as JSON; `env` are its settings (HOMESERVER, USER_ID, ...)."""
    process = await asyncio.create_subprocess_exec(
        "node", script, cwd=JS, env={**os.environ, "TIMEOUT_MS": "40000", **env},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(process.communicate(), 90)
    lines = out.decode().strip().splitlines()
    assert lines, f"the Element client printed nothing: {err.decode()[-2000:]}"
    return json.loads(lines[-1])
