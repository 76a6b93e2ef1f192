"""A person on Element with "exclude insecure devices" on talks to the bot: the client is matrix-js-sdk with its
Rust crypto, the library Element itself uses, run under Node (tests/js/element_dm.mjs).

Skipped when node or npm is missing, or when the packages cannot be installed (no registry).
"""

from __future__ import annotations

import uuid

import pytest

from tests import test_matrix_adapter as adapter_tests
from tests.support.element import require_node, run_script
from tests.support.synapse import SynapseServer
from tests.test_matrix_trust import set_up_cross_signing_elsewhere

start_bot = adapter_tests.start_bot


@pytest.fixture
async def element(synapse: SynapseServer):
    await require_node("for the Element client check")

    async def talk(bot_user_id: str, text: str, expect: str, isolation: str = "strict") -> dict:
        localpart = f"elena_{uuid.uuid4().hex[:6]}"
        await synapse.register(localpart, "elena-password")
        return await run_script("element_dm.mjs", HOMESERVER=synapse.url,
                                USER_ID=f"@{localpart}:{synapse.server_name}", PASSWORD="elena-password",
                                BOT=bot_user_id, ISOLATION=isolation, TEXT=text, EXPECT=expect)

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
