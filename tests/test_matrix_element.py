"""A person on Element with "exclude insecure devices" on talks to the bot: the client is matrix-js-sdk with its
Rust crypto, the library Element itself uses, run under Node (tests/js/element_dm.mjs).

Skipped when node or npm is missing, or when the packages cannot be installed (no registry).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import uuid
from pathlib import Path

import pytest

from tests import test_matrix_adapter as adapter_tests
from tests.support.synapse import SynapseServer
from tests.test_matrix_trust import set_up_cross_signing_elsewhere

JS = Path(__file__).parent / "js"
start_bot = adapter_tests.start_bot


async def _installed() -> bool:
    """`npm ci` unless node_modules already matches the lock file."""
    installed = JS / "node_modules" / ".package-lock.json"
    lock = json.loads((JS / "package-lock.json").read_text())["packages"]
    if installed.exists():
        have = json.loads(installed.read_text())["packages"]
        if all(have.get(name, {}).get("version") == entry.get("version")
               for name, entry in lock.items() if name):
            return True
    process = await asyncio.create_subprocess_exec(
        "npm", "ci", "--no-audit", "--no-fund", cwd=JS,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    output, _ = await asyncio.wait_for(process.communicate(), 180)
    if process.returncode != 0:
        pytest.skip(f"npm ci failed: {output.decode(errors='replace')[-500:]}")
    return True


@pytest.fixture
async def element(synapse: SynapseServer):
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("node and npm are needed for the Element client check")
    await _installed()

    async def talk(bot_user_id: str, text: str, expect: str, isolation: str = "strict") -> dict:
        localpart = f"elena_{uuid.uuid4().hex[:6]}"
        await synapse.register(localpart, "elena-password")
        env = {**os.environ, "HOMESERVER": synapse.url, "USER_ID": f"@{localpart}:{synapse.server_name}",
               "PASSWORD": "elena-password", "BOT": bot_user_id, "ISOLATION": isolation, "TEXT": text,
               "EXPECT": expect, "TIMEOUT_MS": "40000"}
        process = await asyncio.create_subprocess_exec(
            "node", "element_dm.mjs", cwd=JS, env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        out, err = await asyncio.wait_for(process.communicate(), 90)
        lines = out.decode().strip().splitlines()
        assert lines, f"the Element client printed nothing: {err.decode()[-2000:]}"
        return json.loads(lines[-1])

    return talk


async def test_element_excluding_insecure_devices_reads_the_bot_without_a_warning(start_bot, element) -> None:
    bot = await start_bot()
    result = await element(bot.user_id, "!hilfe", "Was ich kann")
    assert result["isolation"] == "OnlySignedDevicesIsolationMode"
    assert "Was ich kann" in result.get("reply", ""), result
    assert result["shield"] == "NONE" and result["reason"] is None, result
    assert result["botDevices"] == [{"deviceId": bot.adapter.device_id, "signedByOwner": True}]


async def test_an_unsigned_bot_gets_elements_red_warning(start_bot, element, synapse: SynapseServer) -> None:
    """The same check against a bot whose account has an identity it does not hold: what the issue reported."""
    localpart = f"helferbot_{uuid.uuid4().hex[:8]}"
    await set_up_cross_signing_elsewhere(synapse, localpart)
    bot = await start_bot(localpart=localpart)
    result = await element(bot.user_id, "!hilfe", "Was ich kann", isolation="all")
    assert "Was ich kann" in result.get("reply", ""), result
    assert (result["shield"], result["reason"]) == ("RED", "UNSIGNED_DEVICE"), result
    assert result["botDevices"] == [{"deviceId": bot.adapter.device_id, "signedByOwner": False}]
