"""An admin set up the bot account in Element first; the bot takes over that identity with the recovery key.

The account's cross-signing keys and secret storage are made by matrix-js-sdk with its Rust crypto, the library
Element uses (tests/js/element_recovery.mjs), against the real Synapse. What the bot then published is read from
`/keys/query` and checked with `signedjson` (`cross_signed_devices`), not with the bot's own signing code.

Skipped when node or npm is missing, or when the packages cannot be installed (no registry).
"""

from __future__ import annotations

import logging
import os
import stat
import uuid

import pytest

from bot.platforms.matrix_crosssigning import KEYS_FILE, Outcome
from tests import test_matrix_adapter as adapter_tests
from tests.support.element import require_node, run_script
from tests.support.strict_client import cross_signed_devices, query_keys
from tests.support.synapse import SynapseServer
from tests.test_matrix_secret_storage import encode

start_bot = adapter_tests.start_bot
PASSWORD = "bot-password"
LOGGER = "bot.platforms.matrix_crosssigning"


@pytest.fixture
async def set_up_in_element(synapse: SynapseServer):
    """Registers a bot account and lets "Element" set up cross-signing and recovery on it."""
    await require_node("to set up the account as Element does")

    async def set_up() -> tuple[str, dict]:
        localpart = f"helferbot_{uuid.uuid4().hex[:8]}"
        await synapse.register(localpart, PASSWORD)
        result = await run_script("element_recovery.mjs", HOMESERVER=synapse.url,
                                  USER_ID=f"@{localpart}:{synapse.server_name}", PASSWORD=PASSWORD)
        assert result["ok"], result
        return localpart, result

    return set_up


async def _published(synapse: SynapseServer, user_id: str) -> tuple[dict, str | None, str | None]:
    """`/keys/query` as another member of the server sees the bot, with the public master and self-signing keys."""
    _observer, token = await synapse.register(f"olga_{uuid.uuid4().hex[:6]}", "olga-password")
    keys = await query_keys(synapse.url, token, user_id)

    def public(kind: str) -> str | None:
        obj = (keys.get(kind) or {}).get(user_id)
        return next(iter(obj["keys"].values())) if obj else None

    return keys, public("master_keys"), public("self_signing_keys")


async def test_with_the_recovery_key_the_bot_signs_its_device_with_the_identity_element_made(
    start_bot, set_up_in_element, synapse: SynapseServer, caplog
) -> None:
    localpart, element = await set_up_in_element()
    user_id = f"@{localpart}:{synapse.server_name}"
    _keys, master, self_signing = await _published(synapse, user_id)
    assert (master, self_signing) == (element["master"], element["selfSigning"])

    with caplog.at_level(logging.INFO, logger=LOGGER):
        bot = await start_bot(localpart=localpart, recovery_key=element["recoveryKey"])
    assert bot.adapter.cross_signing is Outcome.SIGNED
    keys, master_after, self_signing_after = await _published(synapse, user_id)
    assert (master_after, self_signing_after) == (element["master"], element["selfSigning"])
    assert cross_signed_devices(keys, user_id) == {bot.adapter.device_id, element["deviceId"]}
    assert "imported the cross-signing identity" in caplog.text and "remove recovery_key" in caplog.text
    assert not any(part in caplog.text for part in element["recoveryKey"].split())
    assert stat.S_IMODE((bot.store / KEYS_FILE).stat().st_mode) == 0o600

    # The admin removes the recovery key again; the kept keys sign a new device of the bot as well.
    await bot.app.stop()
    (bot.store / "credentials.json").unlink()
    again = await start_bot(localpart=localpart)
    assert again.adapter.cross_signing is Outcome.SIGNED and again.adapter.device_id != bot.adapter.device_id
    keys, master_after, _ = await _published(synapse, user_id)
    assert master_after == element["master"]
    assert again.adapter.device_id in cross_signed_devices(keys, user_id)


async def test_a_wrong_recovery_key_changes_nothing(
    start_bot, set_up_in_element, synapse: SynapseServer, caplog
) -> None:
    localpart, element = await set_up_in_element()
    user_id = f"@{localpart}:{synapse.server_name}"
    wrong = encode(os.urandom(32))
    with caplog.at_level(logging.ERROR, logger=LOGGER):
        bot = await start_bot(localpart=localpart, recovery_key=wrong, key_wait=2)
    assert bot.adapter.cross_signing is Outcome.FOREIGN
    assert "is not the key of the account's secret storage" in caplog.text and "Nothing was changed" in caplog.text
    assert wrong not in caplog.text
    assert not (bot.store / KEYS_FILE).exists()
    keys, master, self_signing = await _published(synapse, user_id)
    assert (master, self_signing) == (element["master"], element["selfSigning"])
    assert cross_signed_devices(keys, user_id) == {element["deviceId"]}
