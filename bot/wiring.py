"""The composition root: the one place that builds the services, the router and the app from the config.

Only this module imports `handlers`; everything else receives what it needs.
"""

from __future__ import annotations

from bot import ops
from bot.claims import identity, rules
from bot.claims.crypto import IbanVault
from bot.config import Config
from bot.core.app import App, superadmins_from
from bot.core.features import Feature
from bot.core.notifier import Notifier
from bot.meetings.settings import from_section
from bot.privacy import load as privacy_settings
from bot.roles import Superadmins
from bot.services import Claims, Meetings, Places, Privacy, Services
from bot.storage.db import Database
from knowledge.places import default_gazetteer, default_index

OPS = Feature(routes=ops.ROUTES)


def build_services(config: Config) -> Services:
    """Every feature's settings are read here, so a mistake in the config stops the start with its name."""
    # The place data is loaded once per process (it is read-only and takes seconds); the index only when used.
    places = Places(default_gazetteer, default_index)
    raw = config.section("events")
    meetings = Meetings(from_section(raw, places.gazetteer if raw.get("announce_chats") else None), places)
    identity.configured_groups(config)  # a wrong [persons] entry stops the start
    claims = Claims(rules.load(config, lambda: places.gazetteer.kreise), meetings,
                    lambda: identity.Identity(config))
    return Services(
        places=places,
        meetings=meetings,
        claims=claims,
        vault=IbanVault.from_config(config),
        privacy=Privacy(privacy_settings(config)),
        notifier=Notifier(),
    )


def build_app(
    config: Config, *, db: Database | None = None, extra_superadmins: set[tuple[str, str]] | None = None
) -> App:
    import handlers

    superadmins = superadmins_from(config)
    if extra_superadmins:
        superadmins = Superadmins(superadmins.ids | frozenset(extra_superadmins))
    services = build_services(config)
    app = App(config, db or Database(config.database_url), handlers.build_router(), services,
              superadmins=superadmins, quiet_hours=services.meetings.quiet_hours)
    for feature in (*handlers.features(), OPS):
        app.add_feature(feature)
    return app
